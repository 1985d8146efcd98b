package conformance

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// ruleCases check documented rules at every place they apply: uniqueness against every kind and
// state of object, the state rules from every state, what a create takes from its body, what a job
// leaves of its input, and the upload rules with full blocks and blocks sent at once.
func ruleCases() []Case {
	return []Case{
		{
			ID: "DATASET-UNIQUE-EVERY-KIND", Kind: Documented, Decision: "D-7",
			Quote:   `Name is **unique**`,
			Rule:    "A dataset name is unique against every dataset (documented): a create named like an incomplete input dataset with records, a complete input dataset, or an output dataset of a finished or an unfinished job is refused, 400 or 409 (D-7), and the dataset named is unchanged: the complete one reads back its records, the incomplete one then takes a block and its completion and reads back its records.",
			Creates: "2 datasets, 1 job",
			Cost:    Cost{Datasets: 2, Jobs: 1, Records: 5},
			fixture: true,
			run:     caseDatasetUniqueEveryKind,
		},
		{
			ID: "JOB-UNIQUE-UNFINISHED", Kind: Documented, Decision: "D-13",
			Quote:   `Job names are **unique**`,
			Rule:    "A job name is unique against every job, finished or not (documented): a second job named like one just started is refused, 400 or 409 (D-13), right after the start and again at each status code the job shows until it finishes (queued, running: the codes are undocumented, D-14), and the first job is unchanged.",
			Creates: "1 job",
			Cost:    Cost{Jobs: 1},
			fixture: true,
			run:     caseJobUniqueUnfinished,
		},
		{
			ID: "DATASET-CREATE-IGNORES-STATE", Kind: Documented,
			Quote:   `Creates an **input** dataset (output datasets are only made by jobs). [...] The new dataset is **incomplete**.`,
			Rule:    "POST /Dataset creates an incomplete input dataset with no records whatever else its body holds (documented): members the request does not take (the answer's completed, recordCount and input) change nothing; the dataset then takes blocks.",
			Creates: "1 dataset (1 record)",
			Cost:    Cost{Datasets: 1, Records: 1},
			run:     caseCreateIgnoresState,
		},
		{
			ID: "DATASET-STATE-RULES", Kind: Documented,
			Quote:   `Dataset must be an **incomplete input** dataset, else **400**. [...] Output dataset, or already complete: **400**. Once complete it can be used by a job. [...] it cannot be changed afterwards`,
			Rule:    "Only an incomplete input dataset takes blocks and completion (documented): a complete input dataset of exactly 1,000 records refuses a new block, a re-sent block number, an empty block a second completion (with its count, another count, 0) and a PUT with completed false (no reopening), and an unfinished job's output dataset refuses a block and completion, each with 400; what they hold is unchanged (recordCount too), and a refused request changes nothing: the complete dataset reads back whole (the page after its one full page []: D-10) and is the input of that job, whose output, once finished, holds its 1,000 records in order. The unfinished job's output dataset is an output dataset while the job runs: GET says input false, includeOutput=false leaves it out, includeInput=false lists it (documented).",
			Creates: "2 datasets (1,000 records), 1 job",
			Cost:    Cost{Datasets: 1, Jobs: 1, Records: 1000},
			fixture: true,
			run:     caseStateRules,
		},
		{
			ID: "JOB-INPUT-UNCHANGED", Kind: Documented,
			Quote:   `Dataset must be complete before a job uses it (documented); it cannot be changed afterwards (documented).`,
			Rule:    "A job leaves its input dataset as it was (documented): after the job it is still a complete input dataset with the same records in the same order, and it still refuses blocks; after the refused block it reads back the same records.",
			fixture: true,
			run:     caseJobInputUnchanged,
		},
		{
			ID: "JOB-OUTPUT-BLOCKS", Kind: Documented,
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**. [...] ` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from.`,
			Rule:    "A job reads its whole input, every block in ascending number: the copying workflow's output of an input of 2,003 records in blocks 0, 2, 9, 10 and 100 (two full), sent in the order 100, 2, 10, 9, 0 (so that ascending order differs from arrival order and from the order of the numbers' decimal text; without the gaps where the server refuses them, D-9), holds those 2,003 records in ascending block order (documented).",
			Creates: "1 complete dataset (2,003 records), 1 job",
			Cost:    Cost{Datasets: 1, Jobs: 1, Records: 2003},
			run:     caseJobOutputBlocks,
		},
		{
			ID: "UPLOAD-OVERWRITE-FULL", Kind: Documented,
			Quote:   `**At most 1,000 records per block.** [...] **re-using a block number overwrites** that block's earlier records (so re-sending a block is idempotent).`,
			Rule:    "A full block of 1,000 records may overwrite a full block, and re-sending a block is idempotent (documented): the records a block number held do not count against the block replacing them; recordCount and the records read back are those of the last upload of each block.",
			Creates: "1 dataset (1,999 records)",
			Cost:    Cost{Datasets: 1, Records: 1999},
			run:     caseUploadOverwriteFull,
		},
		{
			ID: "UPLOAD-CONCURRENT", Kind: Documented,
			Quote:   `Many uploads per dataset; each block has a unique number; **re-using a block number overwrites** that block's earlier records. Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "Blocks uploaded to one dataset at the same time, 8 at once in a scrambled order with one block sent twice, are all kept, once each, in ascending block number; blocks for a second dataset sent at the same moment as blocks for the first land in their own dataset only; then, in 3 rounds, one stored block sent 4 times at once with 4 versions of 150 records each (a retry racing the original): the block holds exactly one version, whole, never two or a mix, and the other blocks are unchanged (documented).",
			Creates: "2 datasets (635 records)",
			Cost:    Cost{Datasets: 2, Records: 635},
			run:     caseUploadConcurrent,
		},
	}
}

// datasetState is what GET /Dataset/{name} says of a dataset, for checking that a refused request
// changed nothing.
type datasetState struct {
	input, completed bool
	count            int64
	columns          map[string]int
}

// state reads a dataset's state, ending the case when it cannot.
func (c *check) state(name string) datasetState {
	ds, err := c.dataset(name)
	if err != nil {
		c.Fatalf("GET /Dataset/%s: %v", name, err)
	}
	return datasetState{ds.Input, ds.Completed, ds.RecordCount, ds.Columns}
}

// unchanged fails the case when the dataset's state differs from before.
func (c *check) unchanged(what, name string, before datasetState) {
	after := c.state(name)
	if after.input != before.input || after.completed != before.completed || after.count != before.count || !maps.Equal(after.columns, before.columns) {
		c.Errorf("%s: dataset %s changed from input %v, completed %v, recordCount %d, columns %v to %v, %v, %d, %v",
			what, name, before.input, before.completed, before.count, before.columns, after.input, after.completed, after.count, after.columns)
	}
}

func caseDatasetUniqueEveryKind(c *check) {
	f := c.echo()
	withRecords := c.newDataset("unique_records", seqColumns())
	c.upload(withRecords, seqRecords(0, 2, "u"), 0, 1000)
	complete := c.completeInput("unique_complete", seqColumns(), seqRecords(0, 2, "u"))
	targets := []struct{ what, name string }{
		{"an incomplete input dataset with records", withRecords},
		{"a complete input dataset", complete},
		{"the output dataset of a finished job", f.output},
	}
	// An unfinished job's output: its name is known from the answer to POST /Job (or a GET).
	job := c.jobName("unique running")
	started, err := c.client.StartJob(c.ctx, client.NewJob{Name: job, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	if err != nil {
		c.Fatalf("starting job %q: %v", job, err)
	}
	if out := started.OutputDatasets[c.cfg.WorkflowOutput]; out != "" && started.CompletedAt == nil {
		targets = append(targets, struct{ what, name string }{"the output dataset of an unfinished job", out})
	} else {
		c.Observe("the answer to POST /Job names no output dataset of an unfinished job (%s): not checked against one", c.last("Job_CreateJob"))
	}
	for _, t := range targets {
		if client.ValidateDatasetName(t.name) != nil {
			c.Observe("%s is named %q, which no create may take (the naming rule): uniqueness not checked against it", t.what, t.name)
			continue
		}
		before := c.state(t.name)
		r := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": t.name, "columns": map[string]int{"other": 0}}, withToken)
		if r.is2xx() {
			c.Errorf("creating a dataset named like %s (%s) succeeded: %s; names are unique", t.what, t.name, r)
			continue
		}
		c.wantRefused400("creating a dataset named like "+t.what, "D-7", "Dataset_Create", http.MethodPost, "/Dataset", r)
		if t.what != "the output dataset of an unfinished job" {
			c.unchanged("after the refused create", t.name, before)
		}
	}
	// A refused create changes nothing: the incomplete dataset takes a block and its completion,
	// the complete one reads back as it was.
	c.readsExactly(complete, seqRecords(0, 2, "u"), fmt.Sprintf("complete dataset %s after a create of its name was refused", complete))
	c.stillOpen(withRecords, seqRecords(0, 2, "u"), 1, "a create of its name was refused")
}

func caseJobUniqueUnfinished(c *check) {
	f := c.echo()
	name := c.jobName("unique unfinished")
	first, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	if err != nil {
		c.Fatalf("starting job %q: %v", name, err)
	}
	// A second start of the name right away, then again each time the unfinished job shows a status
	// code not tried yet (the codes are undocumented, D-14: queued and running are whatever the
	// server calls them), until it finishes.
	second := func(when string) bool {
		r := c.raw(http.MethodPost, "/Job", nil, map[string]any{"name": name, "workflowName": c.cfg.Workflow, "inputDatasets": map[string]string{c.cfg.WorkflowInput: f.input}}, withToken)
		if r.is2xx() {
			c.Errorf("a second job named %q, sent %s, was started: %s; job names are unique", name, when, r)
			return false
		}
		// One text for every try, whenever it was sent: a difference from D-13 reads the same
		// whichever statuses the job was seen in.
		c.wantRefused400(fmt.Sprintf("a second job named %q while the first was unfinished", name), "D-13", "Job_CreateJob", http.MethodPost, "/Job", r)
		return true
	}
	tried := map[int]bool{first.Status: true}
	ok := second(fmt.Sprintf("right after the first was started (its answer said status %d)", first.Status))
	var unfinished []int
	var early time.Time // the first poll that read completedAt before submittedAt
	for deadline := time.Now().Add(c.cfg.JobTimeout); ok; {
		j, err := c.client.GetJob(c.ctx, name)
		if err != nil {
			c.Fatalf("GET /Job/{name} of %q: %v", name, err)
		}
		if client.JobFinished(j) {
			break
		}
		switch {
		case !completedBeforeSubmitted(j):
			early = time.Time{}
		case early.IsZero():
			early = time.Now()
		case time.Since(early) >= 3*time.Second:
			c.Fatalf("job %q: its completedAt, %s, is before its submittedAt, %s, at every poll for %s: a job does not complete before it is submitted, and by D-14's rule it reads unfinished", name, j.CompletedAt.Format(time.RFC3339Nano), j.SubmittedAt.Format(time.RFC3339Nano), time.Since(early).Round(time.Second))
		}
		if time.Now().After(deadline) {
			c.Fatalf("job %q did not finish in %s (Config.JobTimeout)", name, c.cfg.JobTimeout)
		}
		if !tried[j.Status] {
			tried[j.Status] = true
			unfinished = append(unfinished, j.Status)
			ok = second(fmt.Sprintf("while the first was unfinished with status %d", j.Status))
		}
		select {
		case <-c.ctx.Done():
			c.Fatalf("job %q did not finish: %v", name, context.Cause(c.ctx))
		case <-time.After(c.cfg.JobPollInterval):
		}
	}
	c.Observe("second starts were sent right after the first and at the unfinished statuses %v", unfinished)
	got, err := c.client.GetJob(c.ctx, name)
	if err != nil {
		c.Fatalf("GET /Job/{name} of %q: %v", name, err)
	}
	if got.Name != name || got.InputDatasets[c.cfg.WorkflowInput] != f.input || !got.SubmittedAt.Equal(first.SubmittedAt.Time) {
		c.Errorf("job %q changed after a second job of its name: inputDatasets %v, submittedAt %s (was %s)", name, got.InputDatasets, got.SubmittedAt, first.SubmittedAt)
	}
}

func caseCreateIgnoresState(c *check) {
	name := c.datasetName("create_state")
	body := map[string]any{"name": name, "columns": seqColumns(), "completed": true, "recordCount": 7, "input": false}
	r := c.raw(http.MethodPost, "/Dataset", nil, body, withToken)
	if !r.is2xx() {
		if r.Status >= 500 {
			c.Errorf("POST /Dataset with members it does not take: answered %s", r)
		} else {
			c.Observe("POST /Dataset with completed, recordCount and input in the body is refused: %s", r)
		}
		return
	}
	st := c.state(name)
	if !st.input || st.completed || st.count != 0 {
		c.Errorf("POST /Dataset %s: the dataset has input %v, completed %v, recordCount %d; a new dataset is an incomplete input dataset with no records", jsonText(body), st.input, st.completed, st.count)
	}
	if rr := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(0, []map[string]any{{"seq": 1, "tag": "x"}}), withToken); !rr.is2xx() {
		c.Errorf("a block for new dataset %s: answered %s; a new dataset is incomplete and takes blocks", name, rr)
	}
}

func caseStateRules(c *check) {
	f := c.echo()
	// A complete input dataset of exactly 1,000 records (one full block, one full page of records):
	// after every refused request it still reads back whole, and a job takes it whole.
	held := seqRecords(0, 1000, "s")
	done := c.completeInput("state_complete", seqColumns(), held)
	before := c.state(done)
	recs := []map[string]any{{"seq": 100, "tag": "late"}}
	for _, try := range []struct {
		what         string
		method, path string
		body         any
	}{
		{"a new block number", http.MethodPatch, uploadPath(done), blockBody(7, recs)},
		{"block 0 again (an overwrite)", http.MethodPatch, uploadPath(done), blockBody(0, recs)},
		{"an empty block 0", http.MethodPatch, uploadPath(done), blockBody(0, []map[string]any{})},
		{"a second completion with its count", http.MethodPut, datasetPath(done), map[string]any{"recordCount": before.count, "completed": true}},
		{"a second completion with another count", http.MethodPut, datasetPath(done), map[string]any{"recordCount": before.count + 5, "completed": true}},
		{"a second completion with recordCount 0", http.MethodPut, datasetPath(done), map[string]any{"recordCount": 0, "completed": true}},
		{"completed false (a reopening)", http.MethodPut, datasetPath(done), map[string]any{"recordCount": before.count, "completed": false}},
	} {
		r := c.raw(try.method, try.path, nil, try.body, withToken)
		if r.Status != http.StatusBadRequest {
			c.Errorf("complete input dataset %s, %s: answered %s; want 400", done, try.what, r)
		}
		c.unchanged(fmt.Sprintf("after %s (%s)", try.what, r), done, before)
	}
	refused := "blocks, second completions and a reopening, each refused"
	c.readsExactly(done, held, "complete dataset "+done+" after the refused requests")

	// An unfinished job's output dataset: the job's input is the complete dataset that refused the
	// requests above, which a refused request leaves usable by a job.
	job := c.jobName("state running")
	started, err := c.client.StartJob(c.ctx, client.NewJob{Name: job, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: done}})
	if err != nil {
		c.Fatalf("after %s: a job on %s, a complete input dataset still: %s; want it started (a refused request changes nothing; \"Once complete it can be used by a job.\")", refused, done, outcome(err))
	}
	out := started.OutputDatasets[c.cfg.WorkflowOutput]
	if out == "" || started.CompletedAt != nil {
		c.Observe("the answer to POST /Job names no output dataset of an unfinished job (%s): the state rule is not checked on one", c.last("Job_CreateJob"))
		c.jobOutputIs(job, held, fmt.Sprintf("the output of job %q on %s (1,000 records, after %s)", job, done, refused))
		return
	}
	// Its kind, read while the job runs: an output dataset (GET, and the list's flags).
	c.outputKind(job, out, f)
	up := c.raw(http.MethodPatch, uploadPath(out), nil, blockBody(0, []map[string]any{}), withToken)
	comp := c.raw(http.MethodPut, datasetPath(out), nil, map[string]any{"recordCount": 0, "completed": true}, withToken)
	j, err := c.client.GetJob(c.ctx, job)
	if err != nil {
		c.Fatalf("GET /Job/{name} of %q: %v", job, err)
	}
	if j.CompletedAt != nil && !j.CompletedAt.IsZero() {
		c.Observe("job %q finished while its output dataset was tried; the rule was checked on an output dataset that may have been complete", job)
	}
	if up.Status != http.StatusBadRequest {
		c.Errorf("a block for output dataset %s of an unfinished job: answered %s; want 400", out, up)
	}
	if comp.Status != http.StatusBadRequest {
		c.Errorf("completing output dataset %s of an unfinished job: answered %s; want 400", out, comp)
	}
	// The job, once finished, has taken its whole input, and its output, which refused a block and
	// a completion while the job ran, holds exactly the job's results.
	c.jobOutputIs(job, held, fmt.Sprintf("the output of job %q on %s (1,000 records, after %s), itself refused a block and a completion while the job ran", job, done, refused))
}

func caseJobInputUnchanged(c *check) {
	f := c.echo()
	st := c.state(f.input)
	if !st.input || !st.completed || st.count != int64(len(f.records)) {
		c.Errorf("input dataset %s after its job: input %v, completed %v, recordCount %d; want true, true, %d", f.input, st.input, st.completed, st.count, len(f.records))
	}
	got, err := c.readAll(f.input)
	if err != nil {
		c.cannotRead(f.input, err)
	} else {
		c.compareRecords("input dataset "+f.input+" after its job", got, f.records)
	}
	if r := c.raw(http.MethodPatch, uploadPath(f.input), nil, blockBody(50, []map[string]any{{"first": "X"}}), withToken); r.Status != http.StatusBadRequest {
		c.Errorf("a block for input dataset %s after its job: answered %s; want 400 (it is complete)", f.input, r)
	}
	c.readsExactly(f.input, f.records, "input dataset "+f.input+" after its job and a refused block")
}

func caseJobOutputBlocks(c *check) {
	recs := seqRecords(0, 2003, "job")
	name := c.newDataset("job_blocks", seqColumns())
	// Blocks 0, 2, 9, 10 and 100, of 1, 1,000, 1, 1,000 and 1 records, sent in the order 100, 2,
	// 10, 9, 0: the job processes every block in ascending number, not in the order the blocks
	// arrived, nor in the order of their decimal text ("10" and "100" before "2" and "9"), whatever
	// the gaps between the numbers (gaps are D-9; a server that refuses them gets blocks 0 to 4).
	nums := []int{0, 2, 9, 10, 100}
	sizes := []int{1, 1000, 1, 1000, 1}
	chunks := make([][]client.Record, len(sizes))
	from := 0
	for i, n := range sizes {
		chunks[i] = recs[from : from+n]
		from += n
	}
	for i, k := range []int{4, 1, 3, 2, 0} {
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(nums[k], chunks[k]), withToken)
		if i == 0 && r.is4xx() {
			c.Observe("block %d as the first block (a gap): %s; blocks numbered 0 to 4 instead", nums[k], r)
			nums = []int{0, 1, 2, 3, 4}
			r = c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(nums[k], chunks[k]), withToken)
		}
		if !r.is2xx() {
			c.Fatalf("block %d of %d records to %s: answered %s", nums[k], len(chunks[k]), name, r)
		}
	}
	if _, err := c.completeDataset(name, int64(len(recs))); err != nil {
		c.Fatalf("completing %s with 2,003 records: %v", name, err)
	}
	_, out := c.runEchoJob("blocks", name)
	got, err := c.readAll(out)
	if err != nil {
		c.cannotRead(out, err)
		return
	}
	c.compareRecords(fmt.Sprintf("the output of %s over 2,003 records in blocks %v of %v records, sent in the order %d, %d, %d, %d, %d", c.cfg.Workflow, nums, sizes, nums[4], nums[1], nums[3], nums[2], nums[0]), got, recs)
}

func caseUploadOverwriteFull(c *check) {
	name := c.newDataset("overwrite_full", seqColumns())
	c.upload(name, seqRecords(0, 2000, "first"), 0, 1000)
	// Block 0 again with 1,000 other records; block 1 again with 999; block 0 once more, the same.
	second0, second1 := seqRecords(5000, 1000, "second"), seqRecords(7000, 999, "second")
	for _, b := range []struct {
		block int
		recs  []client.Record
	}{{0, second0}, {1, second1}, {0, second0}} {
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(b.block, b.recs), withToken)
		if !r.is2xx() {
			c.Errorf("block %d with %d records over a block of 1,000: answered %s; re-using a block number overwrites", b.block, len(b.recs), r)
		}
	}
	if n := c.recordCount(name); n != 1999 {
		c.Errorf("after overwriting full blocks 0 and 1 with 1,000 and 999 records (block 0 twice): recordCount %d, want 1999", n)
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	c.compareRecords("full blocks overwritten (the last upload of each block is wanted)", got, append(slices.Clone(second0), second1...))
}

func caseUploadConcurrent(c *check) {
	name := c.newDataset("concurrent", seqColumns())
	const blocks, per = 24, 5
	order := make([]int, 0, blocks+1)
	for i := range blocks {
		order = append(order, (i*7+5)%blocks)
	}
	order = append(order, 3) // block 3 twice, at once
	bodies := make([][]byte, len(order))
	for i, b := range order {
		bodies[i] = []byte(jsonText(blockBody(b, seqRecords(b*per, per, "c"))))
	}
	if bad := c.patchAtOnce(name, bodies, 8); len(bad) > 0 {
		c.Fatalf("blocks sent 8 at once: %d refused, the first %s", len(bad), bad[0])
	}
	if n := c.recordCount(name); n != blocks*per {
		c.Errorf("%d blocks of %d records sent 8 at once (block 3 twice): recordCount %d, want %d", blocks, per, n, blocks*per)
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if !c.compareRecords(fmt.Sprintf("%d blocks sent 8 at once", blocks), got, seqRecords(0, blocks*per, "c")) {
		return
	}
	// Blocks for another dataset (0 to 7) at the same moment as new blocks for this one (100 to 107):
	// each dataset holds its own blocks only.
	other := c.newDataset("concurrent_other", seqColumns())
	held := make([][]client.Record, blocks, blocks+8)
	for b := range blocks {
		held[b] = seqRecords(b*per, per, "c")
	}
	var reqs []atOnce
	for b := range 8 {
		more := seqRecords((blocks+b)*per, per, "c")
		held = append(held, more)
		reqs = append(reqs,
			atOnce{method: http.MethodPatch, path: uploadPath(other), body: []byte(jsonText(blockBody(b, seqRecords(9000+b*per, per, "other"))))},
			atOnce{method: http.MethodPatch, path: uploadPath(name), body: []byte(jsonText(blockBody(100+b, more)))})
	}
	if statuses := c.allAtOnce(reqs); slices.ContainsFunc(statuses, func(st int) bool { return st < 200 || st >= 300 }) {
		c.Fatalf("blocks 0 to 7 for %s and blocks 100 to 107 for %s, all at once: answered %v; want 2xx for each", other, name, statuses)
	}
	for _, x := range []struct {
		name string
		want []client.Record
	}{{other, seqRecords(9000, 8*per, "other")}, {name, seqRecords(0, (blocks+8)*per, "c")}} {
		got, err := c.readAll(x.name)
		if err != nil {
			c.cannotRead(x.name, err)
			return
		}
		if !c.compareRecords(fmt.Sprintf("blocks 0 to 7 sent to %s and blocks 100 to 107 to %s, all at once: the records of %s", other, name, x.name), got, x.want) {
			return
		}
	}
	for round, b := range []int{3, 11, 17} {
		if !c.sameBlockAtOnce(name, held, b, round+1) {
			return
		}
	}
}

// sameBlockAtOnce sends block b of dataset name (whose blocks 0 .. are held) 4 times at once, each
// copy another version of 150 records, and checks that the block then holds exactly one version,
// whole, and the other blocks are unchanged; it records the version kept in held and reports
// whether the check held.
func (c *check) sameBlockAtOnce(name string, held [][]client.Record, b, round int) bool {
	const copies, size = 4, 150
	versions := make([][]client.Record, copies)
	reqs := make([]atOnce, copies)
	for v := range copies {
		versions[v] = seqRecords(100000*(v+1)+1000*b, size, fmt.Sprintf("v%d", v+1))
		reqs[v] = atOnce{method: http.MethodPatch, path: uploadPath(name), body: []byte(jsonText(blockBody(b, versions[v])))}
	}
	what := fmt.Sprintf("round %d: block %d sent %d times at once, versions v1 to v%d of %d records each", round, b, copies, copies, size)
	if statuses := c.allAtOnce(reqs); slices.ContainsFunc(statuses, func(st int) bool { return st < 200 || st >= 300 }) {
		c.Errorf("%s: answered %v; want 2xx for each (re-using a block number overwrites)", what, statuses)
		return false
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return false
	}
	for _, v := range versions {
		want := slices.Concat(slices.Concat(held[:b]...), v, slices.Concat(held[b+1:]...))
		if ok, _, _ := sameRecords(got, want); ok {
			held[b] = v
			if n := c.recordCount(name); n != int64(len(want)) {
				c.Errorf("%s: recordCount %d, want %d", what, n, len(want))
				return false
			}
			return true
		}
	}
	tags := map[string]int{}
	for _, r := range got {
		tags[fmt.Sprint(plainValue(r["tag"]))]++
	}
	var held2 []string
	for _, t := range slices.Sorted(maps.Keys(tags)) {
		if strings.HasPrefix(t, "v") {
			held2 = append(held2, fmt.Sprintf("%d records of %s", tags[t], t))
		}
	}
	c.Errorf("%s: %d records read back (want %d), the versions' records among them: %s; want exactly one version, whole", what, len(got), len(slices.Concat(held...))-len(held[b])+size, strings.Join(held2, ", "))
	return false
}

// outputKind checks that the output dataset out of job, read while the job may still run, is an
// output dataset: GET /Dataset/{name} says input false, and the list leaves it out with
// includeOutput=false and holds it with includeInput=false (documented: output datasets are only
// made by jobs; two flags choose whether input and whether output datasets are listed). An output
// dataset not there yet (404) is observed. The flags' names are decided (D-6): a flag that does not
// change the list for the fixture f's finished output and complete input is not judged here
// (DATASET-LIST-FLAGS notes it).
func (c *check) outputKind(job, out string, f *echoFixture) {
	r := c.raw(http.MethodGet, datasetPath(out), nil, nil, withToken)
	var ds client.Dataset
	switch {
	case r.Status == http.StatusNotFound:
		c.Observe("GET /Dataset/%s, the output dataset of job %q just started: 404 (not made yet)", out, job)
		return
	case !r.is2xx() || r.decode(&ds) != nil:
		c.Errorf("GET /Dataset/%s, the output dataset of job %q just started: answered %s; want the dataset or 404", out, job, r)
		return
	}
	if ds.Input {
		c.Errorf("GET /Dataset/%s, the output dataset of job %q just started, says input true (%s); output datasets are made by jobs, never input", out, job, r)
	}
	// listed lists with o and reports whether it holds out, and whether it holds ref.
	listed := func(o client.ListDatasetsOptions, ref string) (hasOut, hasRef bool) {
		for r, err := range c.client.ListDatasets(c.ctx, o) {
			if err != nil {
				c.Fatalf("listing datasets with %+v: %v", o, err)
			}
			hasOut = hasOut || r.Name == out
			hasRef = hasRef || r.Name == ref
		}
		return hasOut, hasRef
	}
	if has, ignored := listed(client.ListDatasetsOptions{ExcludeOutput: true}, f.output); has && !ignored {
		c.Errorf("includeOutput=false lists %s, the output dataset of job %q just started", out, job)
	}
	if j, err := c.client.GetJob(c.ctx, job); err == nil && client.JobFinished(j) {
		return // finished meanwhile: the list with includeInput=false is DATASET-LIST-FLAGS' to judge
	}
	if has, ignored := listed(client.ListDatasetsOptions{ExcludeInput: true}, f.input); !has && !ignored {
		if j, err := c.client.GetJob(c.ctx, job); err == nil && !client.JobFinished(j) {
			c.Errorf("includeInput=false does not list %s, the output dataset of job %q, unfinished", out, job)
		}
	}
}
