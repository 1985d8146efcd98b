package data8test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/names"
	"github.com/data8-toolkit/data8/internal/standin"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// job is one submitted job, guarded by Server.mu.
type job struct {
	seq           int64
	name          string
	workflow      string
	submitted     time.Time
	duration      time.Duration
	status        int
	completedAt   *time.Time
	stats         map[string]any
	inputs        map[string]string
	outputs       map[string]string
	params        map[string]string
	inputFilename *string
	codes         *JobStatuses // the codes reported for status (WithJobStatuses); nil: the Status constants
	// unlisted is set on a job started while another start was served, for the
	// standin.JobListLosesConcurrent mutation.
	unlisted bool
}

// view is the job's full details as of t: percentComplete grows with the time since submission while the
// job runs, and is 100 once it is finished.
func (j *job) view(t time.Time) gen.Job {
	pct := 0.0
	eft := j.submitted.Add(j.duration)
	switch j.status {
	case StatusRunning:
		if j.duration > 0 {
			pct = float64(t.Sub(j.submitted)) / float64(j.duration) * 100
		}
		pct = min(max(pct, 1), 99)
	case StatusCompleted, StatusFailed:
		pct = 100
		eft = *j.completedAt
	}
	v := gen.Job{
		Name:                j.name,
		WorkflowName:        j.workflow,
		SubmittedAt:         data8time.Time{Time: j.submitted},
		Status:              j.codes.code(j.status),
		PercentComplete:     pct,
		EstimatedFinishTime: &data8time.Time{Time: eft},
		Statistics:          cloneMap(j.stats),
		InputDatasets:       cloneMap(j.inputs),
		OutputDatasets:      cloneMap(j.outputs),
		Parameters:          cloneMap(j.params),
		OutputFilenames:     map[string]string{},
	}
	if j.inputFilename != nil {
		v.InputFilename = *j.inputFilename
	}
	if j.completedAt != nil {
		v.CompletedAt = &data8time.Time{Time: *j.completedAt}
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// cloneMap copies m; nil becomes an empty map.
func cloneMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// jobLocation is the URL of a job's full details.
func jobLocation(ctx context.Context, name string) string {
	return baseURL(ctx) + "/Job/" + url.PathEscape(name)
}

// badJobName says what is wrong with a job name, or "" if nothing.
func badJobName(name string) string {
	if p := names.JobNameProblem(name); p != "" {
		return "A job name " + p + "."
	}
	return ""
}

// JobGetList lists submitted jobs, 100 per page, most recent first.
func (a *strictAPI) JobGetList(ctx context.Context, req gen.JobGetListRequestObject) (gen.JobGetListResponseObject, error) {
	s := a.s
	page, ok := pageOf(req.Params.Page)
	if !ok {
		return gen.JobGetList400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: fieldError("page", "The page must be 1 or more.")}, nil
	}
	p := req.Params
	s.mu.RLock()
	wfFilter := p.Workflow != nil && *p.Workflow != ""
	start, end := p.StartDate, p.EndDate
	if s.mutated(standin.JobListDateOffsetDropped) {
		start, end = wallUTC(start), wallUTC(end)
	}
	dates := start != nil || end != nil
	if wfFilter && dates && s.mutated(standin.JobListWorkflowIgnoredWithDates) {
		wfFilter = false
	}
	if wfFilter && dates && s.mutated(standin.JobListDatesIgnoredWithWorkflow) {
		start, end = nil, nil
	}
	wfMatch := func(j *job) bool {
		switch {
		case s.mutated(standin.JobListWorkflowPrefix):
			return strings.HasPrefix(strings.ToLower(j.workflow), strings.ToLower(*p.Workflow))
		case s.mutated(standin.JobListWorkflowLike):
			return sqlLike(strings.ToLower(*p.Workflow), strings.ToLower(j.workflow))
		case s.mutated(standin.JobListWorkflowExistsOnly):
			return slices.ContainsFunc(s.cfg.workflows, func(w Workflow) bool { return strings.EqualFold(w.Name(), *p.Workflow) })
		}
		return strings.EqualFold(j.workflow, *p.Workflow)
	}
	keep := func(j *job) bool {
		switch {
		case j.unlisted:
		case wfFilter && !wfMatch(j):
		case start != nil && j.submitted.Before(*start):
		case end != nil && j.submitted.After(*end) && !s.mutated(standin.JobListEndDateIgnored):
		case end != nil && j.submitted.Equal(*end) && s.mutated(standin.JobListEndDateExclusive):
		default:
			return true
		}
		return false
	}
	jobs := make([]*job, 0, len(s.jobs))
	for _, j := range append(slices.Collect(maps.Values(s.jobs)), s.ghosts...) {
		if keep(j) || s.mutated(standin.JobListFilterAfterPaging) {
			jobs = append(jobs, j)
		}
	}
	slices.SortFunc(jobs, func(x, y *job) int { return cmp.Compare(y.seq, x.seq) })
	if s.mutated(standin.JobListPagesFromOldest) {
		slices.Reverse(jobs)
	}
	from, to := pageBounds(page, jobsPerPage, len(jobs))
	if from == to && from > 0 && s.mutated(standin.JobListClampLastPage) {
		from, to = pageBounds((len(jobs)-1)/jobsPerPage+1, jobsPerPage, len(jobs)) // the last page again
	}
	if p := s.pageNotFound(page, to-from, standin.LaterListPagesNotFound); p != nil {
		s.mu.RUnlock()
		return gen.JobGetListdefaultApplicationProblemPlusJSONResponse{Body: *p, StatusCode: http.StatusNotFound}, nil
	}
	pageJobs := slices.Clone(jobs[from:to])
	if s.mutated(standin.JobListPagesFromOldest) {
		slices.Reverse(pageJobs) // each page most recent first
	}
	out := make(gen.JobGetList200JSONResponse, 0, to-from)
	for _, j := range pageJobs {
		if !keep(j) {
			continue
		}
		name := j.name
		if r := []rune(name); len(r) > 64 && s.mutated(standin.JobListNameCut64) {
			name = string(r[:64])
		}
		out = append(out, gen.JobRef{Name: name, WorkflowName: j.workflow, SubmittedAt: data8time.Time{Time: j.submitted}, Status: j.codes.code(j.status), Location: jobLocation(ctx, j.name)})
	}
	s.mu.RUnlock()
	return out, nil
}

// JobCreateJob starts a job on a workflow.
func (a *strictAPI) JobCreateJob(ctx context.Context, req gen.JobCreateJobRequestObject) (gen.JobCreateJobResponseObject, error) {
	s := a.s
	bad := func(errs map[string][]string) (gen.JobCreateJobResponseObject, error) {
		return gen.JobCreateJob400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: validation(errs, "")}, nil
	}
	if req.Body == nil {
		return bad(map[string][]string{"$": {"A request body is required."}})
	}
	overlapped := false
	if s.mutated(standin.JobListLosesConcurrent) {
		// The list index takes a while to update: a start that meets another in it is lost from it.
		overlapped = s.starting.Add(1) > 1
		defer s.starting.Add(-1)
		time.Sleep(10 * time.Millisecond)
	}
	b := req.Body
	errs := map[string][]string{}
	if s.mutated(standin.JobNameTrimmed) {
		b.Name = strings.TrimSpace(b.Name)
	}
	if r := []rune(b.Name); len(r) > 100 && s.mutated(standin.JobNameCut100) {
		b.Name = string(r[:100])
	}
	checked := b.Name
	if n := len(checked); n > 1 && s.mutated(standin.JobNameLastCharUnchecked) {
		checked = checked[:n-1]
	}
	if r := []rune(checked); len(r) > 64 && s.mutated(standin.JobNameCheckFirst64) {
		checked = string(r[:64])
	}
	if i := strings.IndexByte(checked, 0); i > 0 && s.mutated(standin.JobNameCheckToNUL) {
		checked = checked[:i]
	}
	if s.mutated(standin.JobNameBackslashAccepted) {
		checked = strings.ReplaceAll(checked, `\`, "")
	}
	if msg := badJobName(checked); msg != "" {
		errs["name"] = append(errs["name"], msg)
	} else if s.mutated(standin.JobNameASCIIOnly) && strings.ContainsFunc(checked, func(r rune) bool { return r > unicode.MaxASCII }) {
		errs["name"] = append(errs["name"], "A job name may hold ASCII characters only.")
	} else if s.mutated(standin.JobNameBMPOnly) && strings.ContainsFunc(checked, func(r rune) bool { return r > 0xFFFF }) {
		errs["name"] = append(errs["name"], "A job name may not hold characters outside the Basic Multilingual Plane.")
	}
	var wf Workflow
	for _, w := range s.cfg.workflows {
		if w.Name() == b.WorkflowName {
			wf = w
		}
	}
	if wf == nil {
		errs["workflowName"] = append(errs["workflowName"], fmt.Sprintf("There is no workflow %q.", b.WorkflowName))
	}
	inputs := b.InputDatasets
	var inputFilename *string
	if b.InputFilename != "" && !s.mutated(standin.JobInputFilenameLost) {
		inputFilename = &b.InputFilename
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if wf != nil {
		for _, slot := range slices.Sorted(maps.Keys(inputs)) {
			key := "inputDatasets." + slot
			d, ok := s.datasetNamed(inputs[slot])
			switch {
			case !slices.Contains(wf.Inputs(), slot):
				errs[key] = append(errs[key], fmt.Sprintf("The workflow %s has no input %s.", wf.Name(), slot))
			case !ok && s.mutated(standin.JobUnknownInputAccepted):
				// not looked up at the start: the job fails when it runs
			case !ok:
				errs[key] = append(errs[key], fmt.Sprintf("The dataset %s does not exist.", inputs[slot]))
			case !d.completed && !(s.mutated(standin.JobTakesEmptyIncompleteInput) && d.count == 0) && !(s.mutated(standin.JobTakesIncompleteOutput) && !d.input),
				d.held && s.mutated(standin.RefusedCompleteHoldsInput):
				errs[key] = append(errs[key], fmt.Sprintf("The dataset %s is not complete.", inputs[slot]))
			}
			if ok && d.input && !d.completed && s.mutated(standin.RefusedJobHoldsInput) {
				d.held = true // taken for the job before the start is checked, and kept when it is refused
			}
		}
		for _, slot := range wf.Inputs() {
			if _, ok := inputs[slot]; !ok {
				key := "inputDatasets." + slot
				errs[key] = append(errs[key], fmt.Sprintf("The workflow %s needs a dataset for its input %s.", wf.Name(), slot))
			}
		}
	}
	if len(errs) == 0 && s.mutated(standin.FailedJobReservesName) && s.reserved["job "+b.Name] {
		errs["name"] = append(errs["name"], fmt.Sprintf("A job named %s already exists.", b.Name))
	}
	if _, taken := s.datasets[b.Name]; taken && s.mutated(standin.JobNameTakenByDataset) {
		errs["name"] = append(errs["name"], fmt.Sprintf("A job named %s already exists.", b.Name))
	}
	if _, twin := s.oldestJob(func(j *job) bool { return strings.EqualFold(j.name, b.Name) && j.name != b.Name }); twin && s.mutated(standin.CaseTwinTakenUnfound) {
		errs["name"] = append(errs["name"], fmt.Sprintf("A job named %s already exists.", b.Name))
	}
	if old, twin := s.oldestJob(func(j *job) bool { return strings.EqualFold(j.name, b.Name) && j.name != b.Name }); twin && s.mutated(standin.CaseTwinRenamesJob) {
		errs["name"] = append(errs["name"], fmt.Sprintf("A job named %s already exists.", b.Name))
		delete(s.jobs, old.name) // the name written over before the start is refused
		old.name = b.Name
		s.jobs[old.name] = old
	}
	if old, dup := s.sameJobName(b.Name); dup && !(s.mutated(standin.JobUniqueAmongFinished) && old.completedAt == nil) && !(s.mutated(standin.JobUniqueFirstPage) && s.pastFirstPage(old)) &&
		!(s.mutated(standin.JobUniqueIgnoresRunning) && old.status == StatusRunning) && !(s.mutated(standin.JobUniquePerWorkflow) && old.workflow != b.WorkflowName) {
		msg := fmt.Sprintf("A job named %s already exists.", b.Name)
		if len(errs) == 0 && s.has(ProfileConflict409) {
			return conflictAnswer{msg}, nil
		}
		errs["name"] = append(errs["name"], msg)
		if s.mutated(standin.DuplicateJobReplacesParameters) {
			old.params = cloneMap(b.Parameters) // written before the name is found taken
			if old.params == nil {
				old.params = map[string]string{}
			}
			old.inputFilename = inputFilename
		}
	}
	if len(errs) > 0 && s.mutated(standin.RefusedJobListed) && wf != nil && errs["name"] == nil && slices.ContainsFunc(slices.Collect(maps.Values(errs)), func(m []string) bool {
		return slices.ContainsFunc(m, func(x string) bool { return strings.HasSuffix(x, "is not complete.") })
	}) {
		s.jobSeq++ // the row written before the inputs were checked
		s.ghosts = append(s.ghosts, &job{seq: s.jobSeq, name: b.Name, workflow: wf.Name(), submitted: now(), status: StatusFailed, codes: s.cfg.jobStatuses})
	}
	if len(errs) > 0 {
		if s.mutated(standin.FailedJobReservesName) && errs["name"] == nil {
			s.reserved["job "+b.Name] = true
		}
		if s.mutated(standin.FailedJobLeavesOutput) && wf != nil && errs["name"] == nil {
			for _, slot := range wf.Outputs() {
				name := s.outputName(b.Name, slot)
				s.datasets[name] = &dataset{name: name, columns: map[string]int32{}, blocks: map[int32]*block{}, created: now()}
			}
		}
		return bad(errs)
	}
	if s.mutated(standin.JobCreateRace) {
		// The name is free: let go of the lock until another start of the name has come.
		s.mu.Unlock()
		s.racing2("job " + b.Name)
		s.mu.Lock()
	}
	if !s.enter() {
		return nil, fmt.Errorf("the server is closing")
	}

	s.jobSeq++
	j := &job{
		seq:           s.jobSeq,
		name:          b.Name,
		workflow:      wf.Name(),
		submitted:     s.stamp(),
		duration:      s.cfg.jobDuration,
		status:        StatusQueued,
		codes:         s.cfg.jobStatuses,
		inputs:        cloneMap(inputs),
		outputs:       map[string]string{},
		params:        map[string]string{},
		inputFilename: inputFilename,
	}
	if b.Parameters != nil {
		j.params = cloneMap(b.Parameters)
		if s.mutated(standin.JobParametersBMPOnly) {
			for k, v := range j.params {
				j.params[k] = bmpOnly(v)
			}
		}
	}
	if prev := s.lastJob; s.mutated(standin.JobsShareOutput) && prev != nil && prev.workflow == j.workflow && j.submitted.Sub(prev.submitted) < time.Second {
		j.outputs = cloneMap(prev.outputs) // one output dataset for the jobs of one moment
	} else if !s.has(ProfileOutputAtFinish) {
		for _, slot := range wf.Outputs() {
			name := s.outputName(b.Name, slot)
			if s.mutated(standin.OutputNamedByInput) && len(inputs) > 0 {
				name = snakeName(inputs[slices.Sorted(maps.Keys(inputs))[0]]) + "_" + snakeName(slot) + "_out"
				if old := s.datasets[name]; old != nil && !old.input {
					j.outputs[slot] = name // the earlier job's output, written over
					continue
				}
			}
			s.datasets[name] = &dataset{name: name, columns: map[string]int32{}, blocks: map[int32]*block{}, created: j.submitted}
			j.outputs[slot] = name
		}
	}
	s.lastJob = j
	if s.mutated(standin.DatasetListCacheIgnoresFlags) {
		s.forgetDatasetLists() // a job start refreshes the cached lists, as a create does
	}
	j.unlisted = s.mutated(standin.JobListLosesConcurrent) && (overlapped || s.starting.Load() > 1)
	s.jobs[j.name] = j
	go s.runJob(j, wf)
	return gen.JobCreateJob200JSONResponse{JobOKJSONResponse: gen.JobOKJSONResponse(j.view(time.Now()))}, nil
}

// snakeName turns s into a valid dataset name: names.Snake, starting with a letter.
func snakeName(s string) string {
	out := names.Snake(s)
	if out == "" || out[0] < 'a' || out[0] > 'z' {
		out = "job_" + out
	}
	return out
}

// freeDatasetName returns name, or name_2, name_3 ... the first that no dataset has. Call with s.mu held.
func (s *Server) freeDatasetName(name string) string {
	if _, taken := s.datasetNamed(name); !taken {
		return name
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s_%d", name, i)
		if _, taken := s.datasetNamed(n); !taken {
			return n
		}
	}
}

// runJob runs a job in the background: queued for a tenth of the job duration, then running until the
// workflow is done and the duration has passed.
func (s *Server) runJob(j *job, wf Workflow) {
	defer s.inflight.Done()
	if !sleep(s.ctx, j.duration/10) {
		return
	}
	s.mu.Lock()
	j.status = StatusRunning
	raw := map[string][]json.RawMessage{}
	cols := map[string]int32{}
	missing := "" // an input that did not exist when the job started (standin.JobUnknownInputAccepted)
	for slot, name := range j.inputs {
		d := s.datasets[name]
		if d == nil {
			missing = name
			continue
		}
		n := -1
		if s.mutated(standin.JobInputWholeThousands) && d.count > recordsPerPage {
			n = int(d.count / recordsPerPage * recordsPerPage)
		}
		if s.mutated(standin.JobInputLastFullPageLost) && d.count > 0 && d.count%recordsPerPage == 0 {
			n = int(d.count - recordsPerPage) // (count-1)/1000 full pages and one partial, which is empty
		}
		raw[slot] = s.rawRecords(d, 0, n)
		if s.mutated(standin.JobBlockOrderAsText) {
			raw[slot] = raw[slot][:0]
			for _, b := range slices.SortedFunc(maps.Values(d.blocks), func(x, y *block) int {
				return strings.Compare(strconv.Itoa(int(x.num)), strconv.Itoa(int(y.num)))
			}) {
				for i := range b.len() {
					raw[slot] = append(raw[slot], b.record(i))
				}
			}
		}
		if s.mutated(standin.JobReads100Blocks) {
			raw[slot] = raw[slot][:0]
			for _, b := range s.ordered(d)[:min(100, len(d.blocks))] {
				for i := range b.len() {
					raw[slot] = append(raw[slot], b.record(i))
				}
			}
		}
		if s.mutated(standin.JobSkipsGapBlocks) {
			raw[slot] = raw[slot][:0]
			for b := range int32(len(d.blocks)) {
				if blk := d.blocks[b]; blk != nil {
					for i := range blk.len() {
						raw[slot] = append(raw[slot], blk.record(i))
					}
				}
			}
		}
		if s.mutated(standin.JobStopsAtEmptyBlock) {
			raw[slot] = raw[slot][:0]
			for _, b := range s.ordered(d) {
				if b.len() == 0 {
					break
				}
				for i := range b.len() {
					raw[slot] = append(raw[slot], b.record(i))
				}
			}
		}
		if s.mutated(standin.JobDropsNullRecords) {
			raw[slot] = slices.DeleteFunc(slices.Clone(raw[slot]), func(r json.RawMessage) bool {
				var rec map[string]any
				_ = json.Unmarshal(r, &rec)
				for _, v := range rec {
					if v != nil {
						return false
					}
				}
				return true
			})
		}
		if s.mutated(standin.JobReopensInput) {
			d.completed = false
		}
		if s.mutated(standin.JobInputDistinct) {
			seen := map[string]bool{}
			kept := raw[slot][:0:0]
			for _, r := range raw[slot] {
				if !seen[string(r)] {
					seen[string(r)] = true
					kept = append(kept, r)
				}
			}
			raw[slot] = kept
		}
		for _, c := range slices.Sorted(maps.Keys(d.columns)) {
			if _, ok := cols[c]; !ok {
				cols[c] = d.columns[c]
			}
		}
	}
	params := cloneMap(j.params)
	s.mu.Unlock()

	outs, stats, err := runWorkflow(s.ctx, wf, raw, params)
	if missing != "" {
		err = fmt.Errorf("the dataset %s does not exist", missing)
	}
	if s.ctx.Err() != nil || !sleep(s.ctx, time.Until(j.submitted.Add(j.duration))) {
		return
	}
	results := map[string]output{}
	if err == nil {
		for _, slot := range wf.Outputs() {
			var res output
			if res, err = encodeOutput(outs[slot], cols); err != nil {
				break
			}
			results[slot] = res
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	done := s.stamp()
	if s.mutated(standin.CompletedBeforeSubmitted) {
		done = j.submitted.Add(-time.Second) // a completion time written from a clock a second behind
	}
	j.completedAt = &done
	if err != nil {
		j.status = StatusFailed
		j.stats = map[string]any{"error": termsafe.Trim(err.Error(), maxMessage)}
		return
	}
	if s.mutated(standin.JobEmptyInputNoOutput) && slices.IndexFunc(slices.Collect(maps.Values(raw)), func(r []json.RawMessage) bool { return len(r) > 0 }) < 0 {
		for _, name := range j.outputs {
			delete(s.datasets, name) // nothing to write
		}
		j.outputs = map[string]string{}
	}
	if s.has(ProfileOutputAtFinish) && len(j.outputs) == 0 {
		// The outputs are made now that the job has finished.
		for _, slot := range wf.Outputs() {
			name := s.outputName(j.name, slot)
			s.datasets[name] = &dataset{name: name, columns: map[string]int32{}, blocks: map[int32]*block{}, created: done}
			j.outputs[slot] = name
		}
	}
	for slot, name := range j.outputs {
		d := s.datasets[name]
		res := results[slot]
		d.columns = res.columns
		d.blocks = map[int32]*block{}
		d.count = int64(res.block.len())
		if res.block.len() > 0 {
			d.blocks[0] = res.block
		}
		d.completed = true
	}
	j.status = StatusCompleted
	j.stats = stats
}

// runWorkflow decodes the inputs and runs the workflow, turning a panic into an error.
func runWorkflow(ctx context.Context, wf Workflow, raw map[string][]json.RawMessage, params map[string]string) (outs map[string][]Record, stats map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("workflow %s panicked: %v", wf.Name(), p)
		}
	}()
	in := make(map[string][]Record, len(raw))
	for slot, recs := range raw {
		rs := make([]Record, len(recs))
		for i, r := range recs {
			dec := json.NewDecoder(bytes.NewReader(r))
			dec.UseNumber() // numbers keep their digits: 9007199254740993 is not 9007199254740992
			if err := dec.Decode(&rs[i]); err != nil {
				return nil, nil, err
			}
		}
		in[slot] = rs
	}
	return wf.Run(ctx, in, params)
}

// output is the encoded records of one output slot and their columns.
type output struct {
	block   *block
	columns map[string]int32
}

// encodeOutput encodes an output slot's records as one block, with the columns they use: a column of the
// inputs keeps its type code; a new one is 1 when its first value is a number, else 0. With no records
// the output has the inputs' columns.
func encodeOutput(recs []Record, inCols map[string]int32) (res output, err error) {
	b := &block{}
	cols := map[string]int32{}
	for i, r := range recs {
		for k, v := range r {
			switch v.(type) {
			case nil, string, bool, float64, float32, int, int32, int64, json.Number:
			default:
				return res, fmt.Errorf("record %d of the output has a %T in column %s; values must be strings, numbers, booleans or null", i, v, k)
			}
			if _, ok := cols[k]; ok {
				continue
			}
			if !names.Valid(k) {
				return res, fmt.Errorf("record %d of the output has a column %q; column names %s", i, k, namePatternMsg)
			}
			switch code, known := inCols[k]; {
			case known:
				cols[k] = code
			case isNumber(v):
				cols[k] = 1
			default:
				cols[k] = 0
			}
		}
		enc, err := json.Marshal(r)
		if err != nil {
			return res, fmt.Errorf("record %d of the output does not encode: %w", i, err)
		}
		b.data = append(b.data, enc...)
		b.ends = append(b.ends, uint32(len(b.data)))
	}
	if len(recs) == 0 {
		cols = cloneMap(inCols)
	}
	res.block, res.columns = b, cols
	return res, nil
}

// isNumber reports whether v is a Go number.
func isNumber(v any) bool {
	switch v.(type) {
	case float64, float32, int, int32, int64, json.Number:
		return true
	}
	return false
}

// JobGetByName returns a job's full details.
func (a *strictAPI) JobGetByName(ctx context.Context, req gen.JobGetByNameRequestObject) (gen.JobGetByNameResponseObject, error) {
	s := a.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	name := req.Name
	if s.mutated(standin.JobPathDoubleDecode) {
		if u, err := url.PathUnescape(name); err == nil {
			name = u // decoded a second time
		}
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 && s.mutated(standin.JobDotSuffixDropped) {
		name = name[:i] // the rest read as a format extension
	}
	j, ok := s.lookupJob(name)
	if !ok {
		return gen.JobGetByName404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: notFound(fmt.Sprintf("The requested job %s does not exist.", req.Name))}, nil
	}
	v := j.view(time.Now())
	if last := s.lastJob; last != nil && s.mutated(standin.JobParametersLastStarted) {
		v.Parameters, v.InputFilename = cloneMap(last.params), "" // one dictionary for the jobs
		if last.inputFilename != nil {
			v.InputFilename = *last.inputFilename
		}
	}
	return gen.JobGetByName200JSONResponse{JobOKJSONResponse: gen.JobOKJSONResponse(v)}, nil
}

// JobInfo returns the full details of the named job, as Job_GetByName would. ok is false when there is no
// such job.
func (s *Server) JobInfo(name string) (j gen.Job, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	jb, ok := s.jobs[name]
	if !ok {
		return gen.Job{}, false
	}
	return jb.view(time.Now()), true
}

// pastFirstPage reports whether at least 100 jobs were submitted after j, so that j is past the first
// page of the job list (for the standin.JobUniqueFirstPage mutation). Call with s.mu held.
func (s *Server) pastFirstPage(j *job) bool {
	n := 0
	for _, o := range s.jobs {
		if o.seq > j.seq {
			n++
		}
	}
	return n >= jobsPerPage
}

// wallUTC is t's wall time read as UTC, its offset dropped (for the standin.JobListDateOffsetDropped
// mutation); nil stays nil.
func wallUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return &u
}

// sameJobName returns the job whose name is name, for the uniqueness check of a new job: with the
// standin.JobNameTrailingSpacesEqual mutation, a job whose name differs only in trailing spaces.
// Call with s.mu held.
func (s *Server) sameJobName(name string) (*job, bool) {
	if j, ok := s.jobNamed(name); ok || !s.mutated(standin.JobNameTrailingSpacesEqual) && !s.mutated(standin.JobUniqueBySlug) {
		return j, ok
	}
	if s.mutated(standin.JobUniqueBySlug) {
		return s.oldestJob(func(j *job) bool { return charSlug(j.name) == charSlug(name) })
	}
	return s.oldestJob(func(j *job) bool { return strings.TrimRight(j.name, " ") == strings.TrimRight(name, " ") })
}

// charSlug is name with every character but a letter or digit of ASCII read as '_', one for one
// (the standin.JobUniqueBySlug mutation).
func charSlug(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
}

// composed is s with the decomposed letters the suite names jobs with (e, a, n, E followed by a
// combining acute, diaeresis or tilde) composed into one character each, as an NFC normalisation
// composes them (the standin.JobLookupNormalized mutation).
func composed(s string) string {
	return strings.NewReplacer("e\u0301", "é", "E\u0301", "É", "a\u0308", "ä", "n\u0303", "ñ").Replace(s)
}

// lookupJob returns the job GET /Job/{name} answers with: the job named name, or under the
// standin.JobNameTrailingSpacesEqual, JobLookupIgnoresCase and JobGetPrefixMatch mutations the
// oldest job they match. Call with s.mu held.
func (s *Server) lookupJob(name string) (*job, bool) {
	switch {
	case s.mutated(standin.JobNameTrailingSpacesEqual):
		return s.oldestJob(func(j *job) bool { return strings.TrimRight(j.name, " ") == strings.TrimRight(name, " ") })
	case s.mutated(standin.JobLookupIgnoresCase):
		return s.oldestJob(func(j *job) bool { return strings.EqualFold(j.name, name) })
	case s.mutated(standin.JobLookupNormalized):
		return s.oldestJob(func(j *job) bool { return composed(j.name) == composed(name) })
	}
	if j, ok := s.jobNamed(name); ok || !s.mutated(standin.JobGetPrefixMatch) && !s.mutated(standin.JobLookupLike) {
		return j, ok
	}
	if s.mutated(standin.JobLookupLike) {
		return s.oldestJob(func(j *job) bool { return sqlLike(name, j.name) })
	}
	return s.oldestJob(func(j *job) bool { return strings.HasPrefix(j.name, name) })
}

// oldestJob returns the oldest job that match reports true for. Call with s.mu held.
func (s *Server) oldestJob(match func(*job) bool) (*job, bool) {
	var found *job
	for _, j := range s.jobs {
		if match(j) && (found == nil || j.seq < found.seq) {
			found = j
		}
	}
	return found, found != nil
}
