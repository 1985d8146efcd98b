package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"pgregory.net/rapid"

	"github.com/data8-toolkit/data8/client"
)

// The model tier: the documented rules written once, as a reference model of datasets, blocks,
// completion, jobs, names and lists (model), and random operation sequences (step) run against the
// server, every answer and every read-back compared with what the model allows. rapid generates
// the sequences and, when one fails, shrinks it to the shortest sequence that still fails; the case
// prints that sequence as the requests it sent.

func modelCases() []Case {
	return []Case{{
		ID: "MODEL-SEQUENCES", Kind: Documented,
		Quote:   `Creates an **input** dataset [...]. Name is **unique** [...]. The new dataset is **incomplete**. [...] Dataset must be an **incomplete input** dataset, else **400**. **At most 1,000 records per block.** [...] **re-using a block number overwrites** that block's earlier records [...]. Records are **processed in ascending block number, then in the order given inside the block**. [...] Output dataset, or already complete: **400**. [...] Job names are **unique** [...]. Input datasets **must be complete** first. [...] ` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from. [...] Paged list of datasets, **100 per page, alphabetical**`,
		Rule:    "Random sequences of operations (creates with good, bad and taken names and with members the request does not take, the name of a refused create then created, each dataset with columns of its own, a distinct code each, sent out of alphabetical order; blocks of 0 to 1,001 records at random block numbers up to 2^24, to older datasets after newer ones are created, re-sent and sent at once, one block number several times at once in different versions, blocks holding a bad record, some blocks with the suite's hard texts in their values; completions, one at a time and several at once; jobs of the copying workflow on every kind of dataset, named with the suite's hard job names, under taken names and under names whose start was refused; reads, lists) keep every documented rule of a reference model: each answer is the one the model allows (of completions sent at once exactly one succeeds; of one block sent at once exactly one version is kept, whole; a refused create or job start leaves its name free), every read-back (details with each column's code exactly as sent, records in order, the list) matches it, a refused block changes nothing read back, and each finished job's output is a dataset of its own. A failing sequence is shrunk to the shortest that fails.",
		Creates: "per sequence a few datasets (at most about 10,000 records) and at most 2 jobs; Config.ModelSequences sequences (default 5)",
		run:     caseModelSequences,
		Cost:    modelCostAtDefaults(),
		spend:   modelSpend,
	}}
}

// modelCostAtDefaults is the most MODEL-SEQUENCES spends at the default Config.ModelSequences and
// Config.ModelSteps.
func modelCostAtDefaults() Cost {
	cfg, _ := Config{}.withDefaults()
	cost, _ := modelSpend(cfg, Case{})
	return cost
}

// Kinds of step.
const (
	stepCreate       = iota // create a dataset: a new name, a bad one, or a taken one
	stepUpload              // one block to a dataset
	stepUploadMany          // several blocks at once to one dataset
	stepComplete            // complete a dataset with its true count
	stepJob                 // start a job of the copying workflow on a dataset (or under a taken name)
	stepRead                // read a dataset's details and records
	stepList                // list the datasets
	stepWait                // wait for every job
	stepCompleteMany        // complete a dataset with its true count, several times at once
	stepSameBlock           // one block number several times at once, each copy another version
	stepUploadBad           // a block with a bad record (badModelRecords), which the contract refuses
)

// step is one generated operation. Datasets and jobs are named by their index in the model (taken
// modulo how many there are), so that a step means something whatever came before it.
type step struct {
	Kind    int
	DS      int   // the dataset concerned (index)
	Job     int   // the job whose name is re-used (stepJob with Taken)
	Block   int   // block number
	N       int   // records in the block
	Blocks  []int // stepUploadMany: block numbers
	Bad     int   // stepCreate: 0 a new good name, 1.. a bad name (badModelNames), -1 a taken name
	Extra   bool  // stepCreate: the body also says completed, recordCount and input
	Taken   bool  // stepJob: re-use a job's name
	Name    int   // stepJob: which of the hard job names (hardJobNameParts) the new name holds; past them, none
	Version int   // which records the block holds (3: with hard texts); stepSameBlock: how many copies; stepUploadBad: which bad record
}

// badModelRecords are the bad records of stepUploadBad, each after a good one: D-9 and D-11 refuse
// a block holding one with 400.
var badModelRecords = []struct {
	what   string
	record any
}{
	{"a record naming unknown column nosuch", map[string]any{"tag": "bad", "nosuch": "x"}},
	{"a record that is a number", 5},
	{"a record with an object value", map[string]any{"tag": map[string]any{"x": 1}}},
}

// badModelNames are the bad-name variants of stepCreate (appended to a good name, or replacing it).
var badModelNames = []func(string) string{
	func(n string) string { return n + "\n" },
	func(n string) string { return strings.ToUpper(n[:1]) + n[1:] },
	func(n string) string { return n + "\u0430" },
	func(n string) string { return n + "-x" },
	func(n string) string { return "9" + n },
	func(n string) string {
		return withCharAt(n+"_", forbiddenPositions[0], forbiddenPositions[0]+2, '-', 'x')
	},
}

// stepGen generates one step; with valid, only requests the spec allows (behind a validating proxy,
// which would answer the others itself): no bad name, no block of more than 1,000 records.
func stepGen(valid bool) *rapid.Generator[step] {
	return rapid.Custom(func(t *rapid.T) step {
		return drawStep(t, valid)
	})
}

// drawStep draws one step (see stepGen).
func drawStep(t *rapid.T, valid bool) step {
	kinds := []int{stepCreate, stepCreate, stepUpload, stepUpload, stepUpload, stepUploadMany, stepSameBlock, stepComplete, stepComplete, stepCompleteMany, stepJob, stepRead, stepRead, stepList, stepWait}
	if !valid {
		kinds = append(kinds, stepUploadBad) // a validating proxy would refuse it itself
	}
	s := step{Kind: rapid.SampledFrom(kinds).Draw(t, "kind")}
	s.DS = rapid.IntRange(0, 7).Draw(t, "ds")
	switch s.Kind {
	case stepCreate:
		s.Bad = rapid.IntRange(-1, len(badModelNames)).Draw(t, "bad")
		if s.Bad > 0 && (valid || rapid.IntRange(0, 2).Draw(t, "good") > 0) {
			s.Bad = 0 // mostly good names
		}
		s.Extra = rapid.Bool().Draw(t, "extra")
	case stepUpload:
		s.Block = rapid.SampledFrom([]int{0, 0, 1, 1, 2, 3, 9, 10, 11, 12, 20, 100, 40000, 70000, 2147484, 16777216}).Draw(t, "block")
		s.N = rapid.SampledFrom([]int{0, 1, 1, 2, 3, 5, 1000, 1001}).Draw(t, "n")
		if valid && s.N > 1000 {
			s.N = 1000
		}
		s.Version = rapid.IntRange(0, 3).Draw(t, "version")
	case stepUploadMany:
		s.Blocks = rapid.SliceOfNDistinct(rapid.IntRange(0, 15), 2, 10, func(b int) int { return b }).Draw(t, "blocks")
		s.N = rapid.IntRange(1, 3).Draw(t, "n")
		s.Version = rapid.IntRange(0, 3).Draw(t, "version")
	case stepCompleteMany:
		s.N = rapid.IntRange(2, 4).Draw(t, "n")
	case stepUploadBad:
		s.Block = rapid.SampledFrom([]int{0, 1, 2, 3}).Draw(t, "block")
		s.Version = rapid.IntRange(0, len(badModelRecords)-1).Draw(t, "bad")
	case stepSameBlock:
		s.Block = rapid.SampledFrom([]int{0, 1, 2, 3, 9, 10}).Draw(t, "block")
		s.N = rapid.SampledFrom([]int{1, 3, 50, 200}).Draw(t, "n")
		s.Version = rapid.IntRange(2, 4).Draw(t, "copies")
	case stepJob:
		s.Taken = rapid.IntRange(0, 3).Draw(t, "taken") == 0
		s.Job = rapid.IntRange(0, 3).Draw(t, "job")
		s.Name = rapid.IntRange(0, len(hardJobNameParts())).Draw(t, "name")
	}
	return s
}

// model is the reference model of what one sequence made.
type model struct {
	datasets []*mDataset
	jobs     []*mJob
	free     []string // names of job starts refused for another reason than the name: still free
}

// mDataset is a dataset as the model knows it.
type mDataset struct {
	sym      string // D0, D1, ... (in failure messages, which must not depend on real names)
	name     string
	input    bool
	complete bool
	cols     map[string]int          // input datasets: the columns created (modelColumns)
	blocks   map[int][]client.Record // input datasets: block number → records
	records  []client.Record         // output datasets of finished jobs: the records
	job      *mJob                   // output datasets: the job that makes them
}

// count is the number of records the dataset holds.
func (d *mDataset) count() int {
	if !d.input {
		return len(d.records)
	}
	n := 0
	for _, b := range d.blocks {
		n += len(b)
	}
	return n
}

// all returns the records in processing order: ascending block number, then as sent.
func (d *mDataset) all() []client.Record {
	if !d.input {
		return d.records
	}
	var out []client.Record
	for _, b := range slices.Sorted(mapsKeys(d.blocks)) {
		out = append(out, d.blocks[b]...)
	}
	return out
}

// mJob is a job as the model knows it.
type mJob struct {
	sym      string
	name     string
	input    *mDataset
	records  []client.Record // the input's records when the job started
	output   *mDataset       // once known
	finished bool
}

// mapsKeys returns the keys of m.
func mapsKeys[V any](m map[int]V) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// modelRecords are the records of a block: n records {"tag": "<sym>b<block>v<version>r<i>", "n_<sym>": i}
// (the number column is the dataset's own, see modelColumns);
// in version 3 the tag ends with a text from the suite's table of hard texts (plainHardTexts: line
// breaks, characters outside the Basic Multilingual Plane, ...), which must be kept exactly too.
func modelRecords(sym string, block, version, n int) []client.Record {
	out := make([]client.Record, n)
	var hard []hardText
	if version == 3 {
		hard = plainHardTexts()
	}
	for i := range out {
		tag := fmt.Sprintf("%sb%dv%dr%d", sym, block, version, i)
		if hard != nil {
			tag += " " + hard[(block+i)%len(hard)].text
		}
		out[i] = client.Record{"tag": tag, modelNumber(sym): i}
	}
	return out
}

// modelColumns are the columns of the model's dataset sym: tag (code 0), its own number column
// n_<sym> (code 1) and an unused column a_<sym> (code 2), so that every dataset has columns no
// other has (a block uploaded to an older dataset after a newer one is created names columns the
// newer one lacks) and each column a code of its own. They are sent in reverse alphabetical order
// (columnsJSON).
func modelColumns(sym string) map[string]int {
	return map[string]int{"tag": 0, modelNumber(sym): 1, "a_" + strings.ToLower(sym): 2}
}

// modelNumber is the number column of the model's dataset sym.
func modelNumber(sym string) string { return "n_" + strings.ToLower(sym) }

// sequenceRun is one execution of a sequence against the server.
type sequenceRun struct {
	c   *check
	t   *rapid.T
	m   model
	log []string // the requests sent, as runnable steps
}

// logf records a request of the sequence.
func (r *sequenceRun) logf(format string, args ...any) {
	r.log = append(r.log, fmt.Sprintf("%d. ", len(r.log)+1)+fmt.Sprintf(format, args...))
}

// send sends a raw request, records it, and returns the answer.
func (r *sequenceRun) send(method, path string, body any, describe string) *response {
	resp := r.c.raw(method, path, nil, body, withToken)
	if describe == "" && body != nil {
		describe = jsonText(body)
	}
	r.logf("%s %s %s → %s", method, path, describe, resp)
	return resp
}

// modelFailure is what the case keeps of a failing execution.
type modelFailure struct {
	msg string
	log []string
}

// caseModelSequences runs Config.ModelSequences random sequences through rapid.
func caseModelSequences(c *check) {
	var (
		mu       sync.Mutex
		executed int
		failing  bool
		shortest *modelFailure
		shrinks  int
	)
	budget := c.cfg.ModelSequences
	prop := func(t *rapid.T) {
		mu.Lock()
		if !failing && executed >= budget || failing && shrinks >= c.cfg.ModelShrinkRuns {
			mu.Unlock()
			return // beyond the budget: rapid counts it as a passing check
		}
		if failing {
			shrinks++
		} else {
			executed++
		}
		mu.Unlock()
		steps := rapid.SliceOfN(stepGen(c.cfg.BehindValidatingProxy), 1, c.cfg.ModelSteps).Draw(t, "steps")
		r := &sequenceRun{c: c, t: t}
		msg := r.execute(steps)
		if msg == "" {
			return
		}
		mu.Lock()
		failing = true
		if shortest == nil || len(r.log) < len(shortest.log) {
			shortest = &modelFailure{msg: msg, log: r.log}
		}
		mu.Unlock()
		t.Fatalf("%s", msg)
	}
	reports, seed := runRapid(c.res.ID, prop)
	c.Observe("%d sequences of up to %d operations", min(executed, budget), c.cfg.ModelSteps)
	if shortest == nil {
		if len(reports) > 0 {
			c.Errorf("the model tier could not run: %s", reports[0])
		}
		return
	}
	c.Errorf("a sequence of operations broke a documented rule: %s (shortest sequence found: %d requests, after %d shrinking runs; rapid seed %s)", shortest.msg, len(shortest.log), shrinks, cmpOr(seed, "unknown"))
	for _, l := range shortest.log {
		c.Errorf("  %s", l)
	}
}

// cmpOr returns s, or alt when s is empty.
func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// execute runs the steps, then waits for the jobs and reads everything back. It returns why the
// server broke the model, or "".
func (r *sequenceRun) execute(steps []step) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(stop); ok {
				msg = "the case ended: " + firstOf(r.c.res.Failures, "")
				return
			}
			panic(p)
		}
	}()
	for _, s := range steps {
		if msg = r.do(s); msg != "" {
			return msg
		}
	}
	if msg = r.waitJobs(); msg != "" {
		return msg
	}
	for _, d := range r.m.datasets {
		if msg = r.read(d); msg != "" {
			return msg
		}
	}
	return r.list()
}

// dataset returns the dataset a step names, or nil when there is none yet.
func (r *sequenceRun) dataset(i int) *mDataset {
	if len(r.m.datasets) == 0 {
		return nil
	}
	return r.m.datasets[i%len(r.m.datasets)]
}

// do runs one step.
func (r *sequenceRun) do(s step) string {
	d := r.dataset(s.DS)
	switch {
	case s.Kind == stepCreate || d == nil && s.Kind != stepList && s.Kind != stepWait:
		return r.create(s)
	case s.Kind == stepUpload:
		return r.upload(d, s.Block, modelRecords(d.sym, s.Block, s.Version, s.N))
	case s.Kind == stepUploadMany:
		return r.uploadMany(d, s)
	case s.Kind == stepComplete:
		return r.complete(d)
	case s.Kind == stepCompleteMany:
		return r.completeMany(d, s.N)
	case s.Kind == stepSameBlock:
		return r.sameBlock(d, s)
	case s.Kind == stepUploadBad:
		return r.uploadBad(d, s)
	case s.Kind == stepJob:
		return r.job(d, s)
	case s.Kind == stepRead:
		return r.read(d)
	case s.Kind == stepList:
		return r.list()
	case s.Kind == stepWait:
		return r.waitJobs()
	}
	return ""
}

func (r *sequenceRun) create(s step) string {
	if s.Bad < 0 && len(r.m.datasets) > 0 {
		// A taken name: any dataset, input or output, complete or not.
		d := r.dataset(s.DS)
		if d.name == "" || client.ValidateDatasetName(d.name) != nil {
			return "" // an output dataset not known yet, or named outside the rule: no create may take it
		}
		resp := r.send(http.MethodPost, "/Dataset", map[string]any{"name": d.name, "columns": map[string]int{"other": 0}}, "")
		if !resp.is4xx() {
			return fmt.Sprintf("creating a dataset named like %s (%s): answered %d; names are unique", d.sym, d.kind(), resp.Status)
		}
		return r.read(d)
	}
	sym := fmt.Sprintf("D%d", len(r.m.datasets))
	name := r.c.datasetName("m")
	cols := r.c.sentCodes(modelColumns(sym))
	body := map[string]any{"name": name, "columns": json.RawMessage(columnsJSON(cols))}
	if s.Extra {
		body["completed"], body["recordCount"], body["input"] = true, 7, false
	}
	if s.Bad > 0 {
		body["name"] = badModelNames[s.Bad-1](name)
		resp := r.send(http.MethodPost, "/Dataset", body, "")
		if !resp.is4xx() {
			return fmt.Sprintf("creating a dataset named %q (breaking ^[a-z][a-z0-9_]*$, variant %d): answered %d; want 400", badModelNames[s.Bad-1]("x"), s.Bad, resp.Status)
		}
		return ""
	}
	resp := r.send(http.MethodPost, "/Dataset", body, "")
	if !resp.is2xx() && s.Extra && resp.is4xx() && resp.Status != http.StatusNotFound {
		// Members the request does not take may be refused; the refused create leaves the name
		// free, so the same create without them succeeds.
		resp = r.send(http.MethodPost, "/Dataset", map[string]any{"name": name, "columns": json.RawMessage(columnsJSON(cols))}, "")
		if !resp.is2xx() {
			return fmt.Sprintf("creating %s without the members the request does not take, after a create of its name with them was refused: answered %d; want 2xx (a refused create leaves the name free)", sym, resp.Status)
		}
	}
	if !resp.is2xx() {
		return fmt.Sprintf("creating %s (a new name matching the rule): answered %d; want 2xx", sym, resp.Status)
	}
	d := &mDataset{sym: sym, name: name, input: true, cols: cols, blocks: map[int][]client.Record{}}
	r.m.datasets = append(r.m.datasets, d)
	return r.details(d)
}

// kind describes a dataset's kind and state.
func (d *mDataset) kind() string {
	switch {
	case !d.input && d.job != nil && !d.job.finished:
		return "an output dataset of an unfinished job"
	case !d.input:
		return "an output dataset"
	case d.complete:
		return "a complete input dataset"
	}
	return "an incomplete input dataset"
}

// takes reports whether the dataset takes blocks and completion: an incomplete input dataset.
func (d *mDataset) takes() bool { return d.input && !d.complete }

func (r *sequenceRun) upload(d *mDataset, block int, recs []client.Record) string {
	if d.name == "" {
		return ""
	}
	describe := fmt.Sprintf(`{"blockNumber":%d,"records":[%d records {"tag":"%sb%dv…r<i>","%s":<i>}]}`, block, len(recs), d.sym, block, modelNumber(d.sym))
	resp := r.send(http.MethodPatch, uploadPath(d.name), blockBody(block, recs), describe)
	switch {
	case !d.takes():
		if resp.Status != http.StatusBadRequest {
			return fmt.Sprintf("block %d of %d records for %s, %s: answered %d; want 400", block, len(recs), d.sym, d.kind(), resp.Status)
		}
		return r.read(d) // a refused block changes nothing
	case len(recs) > 1000:
		if !resp.is4xx() {
			return fmt.Sprintf("block %d of %d records for %s: answered %d; at most 1,000 records per block", block, len(recs), d.sym, resp.Status)
		}
		return r.read(d) // a refused block changes nothing
	case largeBlock(block) && resp.is4xx():
		// D-9 sets no upper bound on block numbers; a server refusing a large one differs from
		// it, and the model follows: the block is not stored.
		r.c.Differ("D-9", "Dataset_UploadBlock", fmt.Sprintf("block number %d refused with %d", block, resp.Status), describe)
		return r.details(d)
	case len(recs) == 0 && resp.is4xx():
		// D-9 decides that an empty block is taken (it clears its block); a server refusing it
		// differs from it (UPLOAD-GAPS-EMPTY observes it too), and the model follows: the block
		// keeps what it held.
		r.c.Differ("D-9", "Dataset_UploadBlock", fmt.Sprintf("an empty block is refused with %d", resp.Status), describe)
		return r.read(d)
	case !resp.is2xx():
		return fmt.Sprintf("block %d of %d records for %s, %s: answered %d; want 2xx", block, len(recs), d.sym, d.kind(), resp.Status)
	default:
		if len(recs) == 0 {
			// D-9 decides that an empty block clears its block; a server may keep the old
			// records instead. The model follows what the server says it holds.
			if st := r.c.state(d.name); st.count == int64(d.count()) {
				return ""
			}
			delete(d.blocks, block)
			return r.details(d)
		}
		d.blocks[block] = recs
	}
	return r.details(d)
}

func (r *sequenceRun) uploadMany(d *mDataset, s step) string {
	if d.name == "" {
		return ""
	}
	bodies := make([][]byte, len(s.Blocks))
	for i, b := range s.Blocks {
		bodies[i] = []byte(jsonText(blockBody(b, modelRecords(d.sym, b, s.Version, s.N))))
	}
	bad := r.c.patchAtOnce(d.name, bodies, 8)
	r.logf("PATCH %s, blocks %v at once, each of %d records {\"tag\":\"%sb<block>v%d r<i>\",\"n\":<i>} → %d refused", uploadPath(d.name), s.Blocks, s.N, d.sym, s.Version, len(bad))
	if !d.takes() {
		if len(bad) != len(bodies) {
			return fmt.Sprintf("%d blocks at once for %s, %s: %d accepted; want every one refused", len(bodies), d.sym, d.kind(), len(bodies)-len(bad))
		}
		return r.details(d)
	}
	if len(bad) > 0 {
		return fmt.Sprintf("%d blocks at once for %s, %s: %d refused (%s); want every one stored", len(bodies), d.sym, d.kind(), len(bad), bad[0])
	}
	for _, b := range s.Blocks {
		d.blocks[b] = modelRecords(d.sym, b, s.Version, s.N)
	}
	return r.details(d)
}

func (r *sequenceRun) complete(d *mDataset) string {
	if d.name == "" {
		return ""
	}
	resp := r.send(http.MethodPut, datasetPath(d.name), map[string]any{"recordCount": d.count(), "completed": true}, "")
	if !d.takes() {
		if resp.Status != http.StatusBadRequest {
			return fmt.Sprintf("completing %s, %s: answered %d; want 400", d.sym, d.kind(), resp.Status)
		}
		return r.details(d)
	}
	if !resp.is2xx() {
		return fmt.Sprintf("completing %s, %s, with its true count %d: answered %d; want 2xx", d.sym, d.kind(), d.count(), resp.Status)
	}
	// "Answers the updated Dataset": a body the completion answers is the dataset after it,
	// complete with the count it then holds (the model's: a complete dataset's recordCount is its
	// records).
	if len(bytes.TrimSpace(resp.Body)) > 0 {
		var ds client.Dataset
		if err := resp.decode(&ds); err != nil || !ds.Completed || ds.RecordCount != int64(d.count()) || ds.Name != d.name {
			return fmt.Sprintf("completing %s, %s, with its true count %d: answered %s (name %q, completed %v, recordCount %d); want the updated Dataset (complete, recordCount %d)", d.sym, d.kind(), d.count(), resp, ds.Name, ds.Completed, ds.RecordCount, d.count())
		}
	}
	d.complete = true
	return r.details(d)
}

// completeMany sends n completions of a dataset with its true count at once: exactly one
// succeeds when the dataset takes completion, and every other gets 400 (already complete); none
// does when it does not.
func (r *sequenceRun) completeMany(d *mDataset, n int) string {
	if d.name == "" {
		return ""
	}
	statuses := r.c.sendAtOnce(http.MethodPut, datasetPath(d.name), []byte(jsonText(map[string]any{"recordCount": d.count(), "completed": true})), n)
	r.logf("PUT %s {\"recordCount\":%d,\"completed\":true}, %d times at once → %v", datasetPath(d.name), d.count(), n, statuses)
	ok, refused := tally(statuses, is400)
	want := 1
	if !d.takes() {
		want = 0
	}
	if ok != want || refused != n-want {
		return fmt.Sprintf("%d completions of %s, %s, with its true count %d, sent at once: answered %v; want %d 2xx and 400 for every other", n, d.sym, d.kind(), d.count(), statuses, want)
	}
	d.complete = d.complete || d.takes()
	return r.details(d)
}

// sameBlock sends one block number several times at once, each copy another version of the same
// size: a dataset that takes blocks then holds exactly one of the versions (which is the server's
// choice), whole; one that does not refuses each with 400 and is unchanged.
func (r *sequenceRun) sameBlock(d *mDataset, s step) string {
	if d.name == "" {
		return ""
	}
	copies := max(s.Version, 2)
	versions := make([][]client.Record, copies)
	bodies := make([][]byte, copies)
	for v := range copies {
		versions[v] = modelRecords(d.sym, s.Block, 10+v, s.N)
		bodies[v] = []byte(jsonText(blockBody(s.Block, versions[v])))
	}
	bad := r.c.patchAtOnce(d.name, bodies, copies)
	r.logf("PATCH %s, block %d %d times at once, versions v10 to v%d of %d records {\"tag\":\"%sb%dv<version>r<i>\",\"n\":<i>} → %d refused", uploadPath(d.name), s.Block, copies, 9+copies, s.N, d.sym, s.Block, len(bad))
	if !d.takes() {
		if len(bad) != copies {
			return fmt.Sprintf("block %d sent %d times at once to %s, %s: %d accepted; want every one refused", s.Block, copies, d.sym, d.kind(), copies-len(bad))
		}
		return r.read(d)
	}
	if len(bad) > 0 {
		return fmt.Sprintf("block %d sent %d times at once to %s, %s: %d refused (%s); want every one stored", s.Block, copies, d.sym, d.kind(), len(bad), bad[0])
	}
	got, err := r.c.readAll(d.name)
	r.logf("GET %s/data?page=1.. → %d records", datasetPath(d.name), len(got))
	if err != nil {
		return fmt.Sprintf("reading %s back: %v", d.sym, err)
	}
	old := d.blocks[s.Block]
	for _, v := range versions {
		d.blocks[s.Block] = v
		if ok, _, _ := sameRecords(got, d.all()); ok {
			return r.details(d)
		}
	}
	d.blocks[s.Block] = old
	return fmt.Sprintf("block %d of %s sent %d times at once, each copy %d records of another version: %d records read back; want the other blocks and exactly one version of block %d, whole", s.Block, d.sym, copies, s.N, len(got), s.Block)
}

// uploadBad sends a block holding a bad record: it is refused and changes nothing read back. A
// server that takes it differs from D-9 or D-11; what it stored is its own, so the model forgets
// the dataset from then on.
func (r *sequenceRun) uploadBad(d *mDataset, s step) string {
	if d.name == "" {
		return ""
	}
	bad := badModelRecords[s.Version%len(badModelRecords)]
	good := modelRecords(d.sym, s.Block, 9, 1)[0]
	resp := r.send(http.MethodPatch, uploadPath(d.name), blockBody(s.Block, []any{good, bad.record}), fmt.Sprintf(`{"blockNumber":%d,"records":[a good record, %s]}`, s.Block, bad.what))
	switch {
	case resp.is2xx() && d.takes():
		r.c.Differ("D-9", "Dataset_UploadBlock", fmt.Sprintf("block %d with %s is accepted", s.Block, bad.what), resp.String())
		d.name = "" // no longer followed
		return ""
	case !resp.is4xx():
		return fmt.Sprintf("block %d with %s for %s, %s: answered %d; want 400", s.Block, bad.what, d.sym, d.kind(), resp.Status)
	}
	return r.read(d) // a refused block changes nothing
}

func (r *sequenceRun) job(d *mDataset, s step) string {
	if d.name == "" || !d.input {
		return "" // output datasets as inputs: the documentation does not say
	}
	label := "model"
	if parts := hardJobNameParts(); s.Name < len(parts) {
		label += " " + parts[s.Name].part
	}
	name := r.c.jobName(label)
	var taken *mJob
	if s.Taken && len(r.m.jobs) > 0 {
		taken = r.m.jobs[s.Job%len(r.m.jobs)]
		name = taken.name
	}
	if taken == nil && len(r.m.jobs) >= 2 {
		return "" // at most two jobs a sequence
	}
	reused := taken == nil && len(r.m.free) > 0 && d.complete
	if reused {
		name, r.m.free = r.m.free[0], r.m.free[1:] // a name whose start was refused is free
	}
	resp := r.send(http.MethodPost, "/Job", map[string]any{"name": name, "workflowName": r.c.cfg.Workflow, "inputDatasets": map[string]string{r.c.cfg.WorkflowInput: d.name}}, "")
	switch {
	case taken != nil:
		if !resp.is4xx() {
			return fmt.Sprintf("a job named like job %s (finished: %v) on %s: answered %d; job names are unique", taken.sym, taken.finished, d.sym, resp.Status)
		}
		return ""
	case !d.complete:
		if !resp.is4xx() {
			return fmt.Sprintf("a job on %s, %s: answered %d; input datasets must be complete first", d.sym, d.kind(), resp.Status)
		}
		r.m.free = append(r.m.free, name)
		return ""
	case !resp.is2xx() && reused:
		return fmt.Sprintf("a job on %s, %s, named like a job whose start was refused before: answered %d; want 2xx (a refused start leaves the name free)", d.sym, d.kind(), resp.Status)
	case !resp.is2xx():
		return fmt.Sprintf("a job on %s, %s: answered %d; want 2xx", d.sym, d.kind(), resp.Status)
	}
	j := &mJob{sym: fmt.Sprintf("J%d", len(r.m.jobs)), name: name, input: d, records: d.all()}
	r.m.jobs = append(r.m.jobs, j)
	out := &mDataset{sym: fmt.Sprintf("D%d", len(r.m.datasets)), job: j, complete: false}
	var started client.Job
	if resp.decode(&started) == nil {
		out.name = started.OutputDatasets[r.c.cfg.WorkflowOutput]
	}
	j.output = out
	r.m.datasets = append(r.m.datasets, out)
	return ""
}

func (r *sequenceRun) waitJobs() string {
	for _, j := range r.m.jobs {
		if j.finished {
			continue
		}
		done, err := r.c.waitJob(j.name, nil)
		if err != nil {
			return fmt.Sprintf("waiting for job %s: %v", j.sym, err)
		}
		r.logf("GET %s (polled until finished) → outputDatasets %v", jobPath(j.name), done.OutputDatasets)
		j.finished = true
		out := done.OutputDatasets[r.c.cfg.WorkflowOutput]
		if out == "" {
			return fmt.Sprintf("finished job %s has no output dataset for its slot", j.sym)
		}
		if j.output.name != "" && j.output.name != out {
			return fmt.Sprintf("job %s names output dataset %s when started and another when finished", j.sym, j.output.sym)
		}
		for _, other := range r.m.datasets {
			if other != j.output && other.name == out {
				return fmt.Sprintf("finished job %s names %s (%s) as its output dataset; each job's results are read from a dataset of its own", j.sym, other.sym, other.kind())
			}
		}
		j.output.name, j.output.records, j.output.complete = out, j.records, true
	}
	return ""
}

// details checks GET /Dataset/{name} against the model.
func (r *sequenceRun) details(d *mDataset) string {
	if d.name == "" || !d.input && !d.job.finished {
		return ""
	}
	resp := r.c.raw(http.MethodGet, datasetPath(d.name), nil, nil, withToken)
	var ds client.Dataset
	if !resp.is2xx() || resp.decode(&ds) != nil {
		r.logf("GET %s → %s", datasetPath(d.name), resp)
		return fmt.Sprintf("GET %s: answered %d; want the dataset", d.sym, resp.Status)
	}
	r.logf("GET %s → input %v, completed %v, recordCount %d", datasetPath(d.name), ds.Input, ds.Completed, ds.RecordCount)
	// An incomplete input dataset's recordCount may be 0 until it is completed (D-8, see
	// countsAtCompletion); its records are checked when they are read back.
	countOK := ds.RecordCount == int64(d.count()) || d.input && !d.complete && ds.RecordCount == 0
	if ds.Input != d.input || !countOK || d.input && ds.Completed != d.complete {
		return fmt.Sprintf("GET %s (%s with %d records): input %v, completed %v, recordCount %d", d.sym, d.kind(), d.count(), ds.Input, ds.Completed, ds.RecordCount)
	}
	if d.input && !maps.Equal(ds.Columns, d.cols) {
		return fmt.Sprintf("GET %s: columns %s; want exactly the codes it was created with, %s", d.sym, jsonText(ds.Columns), columnsJSON(d.cols))
	}
	return ""
}

// read checks a dataset's details and records against the model.
func (r *sequenceRun) read(d *mDataset) string {
	if msg := r.details(d); msg != "" || d.name == "" || !d.input && !d.job.finished {
		return msg
	}
	got, err := r.c.readAll(d.name)
	r.logf("GET %s/data?page=1.. → %d records", datasetPath(d.name), len(got))
	if err != nil {
		return fmt.Sprintf("reading %s back: %v", d.sym, err)
	}
	if ok, why, _ := sameRecords(got, d.all()); !ok {
		return fmt.Sprintf("the records of %s (%s): %s", d.sym, d.kind(), why)
	}
	return ""
}

// list checks that the dataset list holds every dataset of the sequence once, alphabetically.
func (r *sequenceRun) list() string {
	var names []string
	for ref, err := range r.c.client.ListDatasets(r.c.ctx, client.ListDatasetsOptions{}) {
		if err != nil {
			return fmt.Sprintf("listing datasets: %v", err)
		}
		names = append(names, ref.Name)
	}
	r.logf("GET /Dataset?page=1.. → %d datasets", len(names))
	for _, d := range r.m.datasets {
		if d.name == "" {
			continue
		}
		if n := countOf(names, d.name); n != 1 {
			return fmt.Sprintf("the dataset list holds %s (%s) %d times; want once", d.sym, d.kind(), n)
		}
	}
	if order, ok := alphabeticalOrder(names); !ok {
		i := firstOutOfOrder(names)
		return fmt.Sprintf("the dataset list is not alphabetical by any one collation (byte order, case-insensitive ordinal, culture-aware): %q is listed before %q (position %d)", names[max(i-1, 0)], names[i], i)
	} else if order != listOrders[0].name {
		r.logf("the dataset list is in %s", order)
	}
	return ""
}

// countOf counts s in list.
func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
