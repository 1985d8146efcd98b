package conformance

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/data8-toolkit/data8/client"
)

// effectCases check what one operation does to another and what a refused call leaves behind:
// blocks sent as the dataset is completed, refused blocks over stored ones, many blocks in one
// dataset, and jobs started at once.
func effectCases() []Case {
	return []Case{
		{
			ID: "UPLOAD-COMPLETE-RACE", Kind: Documented,
			Quote:   `Dataset must be an **incomplete input** dataset, else **400**. [...] **re-using a block number overwrites** that block's earlier records [...] it cannot be changed afterwards`,
			Rule:    "Blocks sent at the same moment as the completion (8 blocks re-sent with other records of the same size, so the count stays true, and the completion with that count, all at once; 3 rounds): the completion succeeds; each block answered 2xx is in the dataset and each answered 400 is not; the records read right after the completion was answered are those read once every block was answered and again after a later refused block: a complete dataset cannot be changed afterwards (documented).",
			Creates: "3 complete datasets (24 records each)",
			Cost:    Cost{Datasets: 3, Records: 72},
			run:     caseUploadCompleteRace,
		},
		{
			ID: "UPLOAD-REFUSED-KEEPS-DATA", Kind: Documented, Decision: "D-9", SendsInvalid: true,
			Quote:   `**At most 1,000 records per block.** [...] **re-using a block number overwrites** that block's earlier records`,
			Rule:    "A refused upload is no upload: each block refused (1,001 records, documented; a record naming an unknown column, a record that is not an object, an object or array value, a bad blockNumber, records not an array, a body that is not JSON: 400 by D-9 and D-11), sent over stored block 1 of a dataset holding blocks 0 to 2, leaves the records read back and recordCount exactly as before; a completion refused for a wrong count (D-8) leaves the dataset incomplete: it still takes a block and completes with its true count.",
			Creates: "1 complete dataset (12 records)",
			Cost:    Cost{Datasets: 1, Records: 12},
			run:     caseUploadRefusedKeepsData,
		},
		{
			ID: "UPLOAD-MANY-BLOCKS", Kind: Documented,
			Quote:   `Many uploads per dataset; each block has a unique number [...]. Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "A dataset takes many blocks (documented): 300 blocks of 1 to 3 records, numbered from 0 to 29,963 with gaps, sent after another dataset with other columns is created (each upload is checked against its own dataset's columns), 8 at once (the client's default) in a scrambled order, and 13 blocks of one record at every magnitude boundary the int32 blockNumber allows (255, 256, 32,767, 32,768, 65,535, 65,536, 2^21-1, 2^21, 2,147,483, 2,147,484, 10^7, 2^31-2, 2^31-1; one refused with 400 is observed and left out), read back whole, in ascending block number, with recordCount 600 and the accepted wide ones. The dataset is then completed and run through the copying workflow: the output holds exactly the input's records as read back, in the same order (a job processes every block, not only the first 100, in ascending block number).",
			Creates: "1 complete dataset (613 records, 313 uploads), 1 empty dataset, 1 job and its output",
			Cost:    Cost{Datasets: 2, Jobs: 1, Records: 613},
			run:     caseUploadManyBlocks,
		},
		{
			ID: "JOB-OUTPUTS-DISTINCT", Kind: Documented,
			Quote:   "`outputDatasets` maps output slot → dataset name, where the results are read from. [...] Two flags choose whether input and whether output datasets are included.",
			Rule:    "Jobs started at once, each on an input of its own with distinct records (the shared 3-record input, which the shared job ran on before, and inputs of 2 and 3 records), and finishing together, named alike but for the character between two words (a space, '_', '-': three names, documented unique, the same once made a dataset or file name): each starts, each job's outputDatasets names a dataset of its own (not the shared job's output either), and each output holds exactly its own input's records (documented); GET /Dataset?includeInput=false, read before the jobs started and again once they finished, lists each output the second time.",
			Creates: "2 complete datasets (5 records), 3 jobs and their outputs",
			Cost:    Cost{Datasets: 2, Jobs: 3, Records: 5},
			fixture: true,
			run:     caseJobOutputsDistinct,
		},
	}
}

// raceBlocks and racePer are the blocks of each UPLOAD-COMPLETE-RACE dataset and their records.
const raceBlocks, racePer = 8, 3

func caseUploadCompleteRace(c *check) {
	for round := 1; round <= 3; round++ {
		c.completeRaceRound(round)
	}
}

// completeRaceRound runs one round of UPLOAD-COMPLETE-RACE on a new dataset.
func (c *check) completeRaceRound(round int) {
	name := c.newDataset("complete_race", seqColumns())
	before := make([][]client.Record, raceBlocks)
	raced := make([][]client.Record, raceBlocks)
	bodies := make([][]byte, raceBlocks)
	for b := range raceBlocks {
		before[b] = seqRecords(b*100, racePer, "before")
		raced[b] = seqRecords(b*100, racePer, "raced")
		bodies[b] = []byte(jsonText(blockBody(b, before[b])))
	}
	if bad := c.patchAtOnce(name, bodies, 8); len(bad) > 0 {
		c.Fatalf("round %d: %d blocks sent to %s: %d refused, the first %s", round, raceBlocks, name, len(bad), bad[0])
	}
	// The blocks again with other records of the same size, and the completion with the count the
	// dataset holds whichever of them is stored first, in the middle of them, all at once. The
	// records are read as soon as the completion is answered, while blocks may be in flight.
	var (
		first    []client.Record
		firstErr error
		token    = c.accessToken()
	)
	reqs := make([]atOnce, 0, raceBlocks+1)
	for b := range raceBlocks {
		reqs = append(reqs, atOnce{method: http.MethodPatch, path: uploadPath(name), body: []byte(jsonText(blockBody(b, raced[b])))})
	}
	at := raceBlocks / 2
	complete := atOnce{method: http.MethodPut, path: datasetPath(name), body: []byte(jsonText(map[string]any{"recordCount": raceBlocks * racePer, "completed": true})),
		then: func(status int) {
			if status >= 200 && status < 300 {
				first, firstErr = c.recordsOnce(name, token)
			}
		}}
	reqs = slices.Insert(reqs, at, complete)
	statuses := c.allAtOnce(reqs)
	completed := statuses[at]
	blockStatus := slices.Delete(slices.Clone(statuses), at, at+1)
	what := fmt.Sprintf("round %d: blocks 0 to %d of %s re-sent with other records of the same size and the completion with its true count %d, at once (blocks answered %v, the completion %d)", round, raceBlocks-1, name, raceBlocks*racePer, blockStatus, completed)
	if completed < 200 || completed >= 300 {
		c.Errorf("%s: the completion was refused; want 2xx (the dataset was an incomplete input dataset holding %d records throughout)", what, raceBlocks*racePer)
		return
	}
	var want []client.Record
	for b, st := range blockStatus {
		switch {
		case st >= 200 && st < 300:
			want = append(want, raced[b]...)
		case st == http.StatusBadRequest:
			want = append(want, before[b]...)
		default:
			c.Errorf("%s: block %d answered %d; want 2xx (stored before the completion) or 400 (refused after it)", what, b, st)
			return
		}
	}
	st := c.state(name)
	if !st.completed || st.count != int64(len(want)) {
		c.Errorf("%s: afterwards completed %v, recordCount %d; want true, %d", what, st.completed, st.count, len(want))
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if !c.compareRecords(what+": the records once every block was answered (each block answered 2xx stored, each answered 400 not)", got, want) {
		return
	}
	if firstErr != nil {
		c.Observe("round %d: the records could not be read right after the completion: %v", round, firstErr)
	} else if ok, why, _ := sameRecords(got, first); !ok {
		c.Errorf("%s: the records read right after the completion was answered and those read once every block was answered differ (%s, counting from the later read): the complete dataset changed after its completion", what, why)
	}
	// A later refused block changes nothing either.
	late := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(raceBlocks, seqRecords(9000, 1, "late")), withToken)
	if late.Status != http.StatusBadRequest {
		c.Errorf("round %d: a block for complete dataset %s after the race: answered %s; want 400", round, name, late)
	}
	if again, err := c.readAll(name); err == nil {
		c.compareRecords(fmt.Sprintf("round %d: complete dataset %s read again after a later refused block", round, name), again, want)
	}
}

// refusedBlock is a block upload every server must refuse (documented) or the contract refuses
// (decided, point).
type refusedBlock struct {
	what  string
	point string // "" when the refusal is documented
	body  any
}

// refusedBlocks are the refused uploads of UPLOAD-REFUSED-KEEPS-DATA, each naming block (where it
// names one).
func refusedBlocks(block int) []refusedBlock {
	ok := map[string]any{"seq": 1, "tag": "refused"}
	over := make([]map[string]any, 1001)
	for i := range over {
		over[i] = map[string]any{"seq": 5000 + i, "tag": "refused"}
	}
	return []refusedBlock{
		{"a block of 1,001 records", "", blockBody(block, over)},
		{"a record naming unknown column nosuch", "D-9", blockBody(block, []any{ok, map[string]any{"seq": 2, "nosuch": "x"}})},
		{"a record that is a number", "D-9", blockBody(block, []any{ok, 5})},
		{"a record that is null", "D-9", blockBody(block, []any{ok, nil})},
		{"a record that is an array", "D-9", blockBody(block, []any{ok, []any{1, "x"}})},
		{"an object value", "D-11", blockBody(block, []any{ok, map[string]any{"seq": 3, "tag": map[string]any{"x": 1}}})},
		{"an array value", "D-11", blockBody(block, []any{ok, map[string]any{"seq": 3, "tag": []any{1}}})},
		{fmt.Sprintf(`blockNumber "%d" (a string)`, block), "D-9", map[string]any{"blockNumber": fmt.Sprint(block), "records": []any{ok}}},
		{fmt.Sprintf("blockNumber %d.5", block), "D-9", map[string]any{"blockNumber": float64(block) + 0.5, "records": []any{ok}}},
		{"blockNumber -1", "D-9", blockBody(-1, []any{ok})},
		{"no blockNumber", "D-9", map[string]any{"records": []any{ok}}},
		{"records that are not an array", "D-9", map[string]any{"blockNumber": block, "records": ok}},
		{"a body that is not JSON", "D-9", fmt.Sprintf(`{"blockNumber":%d,"records":[{"seq":1,"tag":"refused"}`, block)},
	}
}

func caseUploadRefusedKeepsData(c *check) {
	name := c.newDataset("refused_keeps", seqColumns())
	var want []client.Record
	for b := range 3 {
		recs := seqRecords(b*10, 3, "kept")
		c.upload(name, recs, b, 1000)
		want = append(want, recs...)
	}
	for _, x := range refusedBlocks(1) {
		r := c.raw(http.MethodPatch, uploadPath(name), nil, x.body, withToken)
		what := fmt.Sprintf("%s over stored block 1 of %s (blocks 0 to 2 of 3 records)", x.what, name)
		if x.point == "" {
			if !c.want4xx(what, r) {
				return
			}
		} else {
			c.decidedRefusalRaw(what, x.point, "Dataset_UploadBlock", http.MethodPatch, uploadPath(name), r)
		}
		got, err := c.readAll(name)
		if err != nil {
			c.cannotRead(name, err)
			return
		}
		if r.is2xx() {
			// Taken (a difference from D-9 or D-11, noted above): what it stored is the server's
			// own; later refusals are checked against the records as they now are.
			want = got
			continue
		}
		if !c.compareRecords(fmt.Sprintf("after %s was refused (%s), the records", what, r), got, want) {
			return
		}
		if n := c.recordCount(name); n != int64(len(want)) {
			c.Errorf("after %s was refused (%s): recordCount %d, want %d", what, r, n, len(want))
			return
		}
	}
	// A completion refused for a wrong count leaves the dataset as it was: incomplete, taking blocks.
	wrong := c.raw(http.MethodPut, datasetPath(name), nil, map[string]any{"recordCount": len(want) + 1, "completed": true}, withToken)
	switch {
	case wrong.is2xx():
		c.Observe("a completion with recordCount %d for %d records is accepted (D-8 allows it): %s", len(want)+1, len(want), wrong)
		return
	case !wrong.is4xx():
		c.Errorf("completing %s with recordCount %d for %d records: answered %s; want 2xx or 400", name, len(want)+1, len(want), wrong)
		return
	}
	if st := c.state(name); st.completed {
		c.Errorf("completing %s with a wrong count was refused (%s), but the dataset is complete", name, wrong)
		return
	}
	more := seqRecords(30, 3, "kept")
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(3, more), withToken); !r.is2xx() {
		c.Errorf("block 3 for %s after a refused completion: answered %s; the dataset is still incomplete and takes blocks", name, r)
		return
	}
	want = append(want, more...)
	if _, err := c.completeDataset(name, int64(len(want))); err != nil {
		c.Errorf("completing %s with its true count %d after a completion with a wrong count was refused: %s", name, len(want), outcome(err))
	}
}

// manyBlockNumber is the number of block i of UPLOAD-MANY-BLOCKS: ascending in i, with gaps of 1
// to 199, all below 32,768 (D-9 sets no upper bound, but a server may refuse larger ones).
func manyBlockNumber(i int) int { return i*100 + (i*37)%100 }

// wideBlockNumbers are the block numbers at the magnitude boundaries of an int32 blockNumber that
// UPLOAD-MANY-BLOCKS sends besides its 300 small ones: around 2^8, 2^15, 2^16 and 2^21, around
// 2,147,483.648 (where blockNumber*1000 leaves an int32), 10^7 and the largest int32.
var wideBlockNumbers = []int{255, 256, 32767, 32768, 65535, 65536, 1<<21 - 1, 1 << 21, 2147483, 2147484, 10_000_000, 1<<31 - 2, 1<<31 - 1}

func caseUploadManyBlocks(c *check) {
	const blocks = 300
	name := c.newDataset("many_blocks", seqColumns())
	// A newer dataset with other columns: the blocks are checked against their own dataset's
	// columns, not the newest dataset's.
	newer := c.newDataset("many_newer", map[string]int{"other": 0, "more": 1})
	// The wide blocks first, one at a time in a scrambled order: {"seq": n, "tag": "wide"} each.
	wide := map[int]client.Record{}
	for j := range wideBlockNumbers {
		n := wideBlockNumbers[(j*5+2)%len(wideBlockNumbers)]
		rec := client.Record{"seq": n, "tag": "wide"}
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(n, []client.Record{rec}), withToken)
		switch {
		case r.is2xx():
			wide[n] = rec
		case r.Status == http.StatusBadRequest && n > 255:
			c.Observe("block number %d refused: %s (D-9 sets no upper bound; the block is left out)", n, r)
		default:
			c.Fatalf("block %d of one record %s to %s (columns seq, tag; created before %s, whose columns are other, more): answered %s; want 2xx (or 400 for a number above 255 the server does not take)", n, jsonText(rec), name, newer, r)
		}
	}
	held := make([][]client.Record, blocks)
	order := make(chan int, blocks)
	for j := range blocks {
		i := (j*7 + 3) % blocks // every block once, scrambled
		held[i] = seqRecords(manyBlockNumber(i)*10, 1+i%3, "many")
		order <- i
	}
	close(order)
	// Each block by the project's client (which waits out a server that says it is busy), as many
	// at once as the client sends by default.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []string
	)
	for range client.DefaultConcurrency {
		wg.Go(func() {
			for i := range order {
				n := manyBlockNumber(i)
				if _, err := c.client.Upload(c.ctx, name, recordSource(held[i]), client.UploadOptions{StartBlock: n, BlockSize: 3, Concurrency: 1}); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("block %d: %v", n, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		c.Fatalf("%d blocks sent %d at once: %d refused, the first %s", blocks, client.DefaultConcurrency, len(errs), errs[0])
	}
	// Every block in ascending number: the small ones and the wide ones mixed.
	byNumber := map[int][]client.Record{}
	for i, h := range held {
		byNumber[manyBlockNumber(i)] = h
	}
	for n, rec := range wide {
		byNumber[n] = append(byNumber[n], rec)
	}
	var want []client.Record
	for _, n := range slices.Sorted(maps.Keys(byNumber)) {
		want = append(want, byNumber[n]...)
	}
	what := fmt.Sprintf("%d blocks of 1 to 3 records (numbers %d to %d) sent %d at once in a scrambled order, with blocks %v of one record {\"seq\": n, \"tag\": \"wide\"} each", blocks, manyBlockNumber(0), manyBlockNumber(blocks-1), client.DefaultConcurrency, slices.Sorted(maps.Keys(wide)))
	if n := c.recordCount(name); n != int64(len(want)) {
		c.Errorf("%s: recordCount %d, want %d", what, n, len(want))
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if ok, _, _ := sameRecords(got, want); !ok {
		// Say which blocks are missing: the records of block n have seq n*10 ...
		present := map[int]bool{}
		for _, r := range got {
			if f, ok := number(plainValue(r["seq"])); ok && r["tag"] == "wide" {
				present[int(f)] = true
			} else if ok {
				present[int(f)/10] = true
			}
		}
		var missing []string
		for _, n := range slices.Sorted(maps.Keys(byNumber)) {
			if !present[n] {
				missing = append(missing, fmt.Sprint(n))
			}
		}
		if len(missing) > 0 {
			c.Errorf("%s: %d records read back, want %d; %d blocks missing, the first %s", what, len(got), len(want), len(missing), strings.Join(missing[:min(10, len(missing))], ", "))
			return
		}
	}
	if !c.compareRecords(what, got, want) {
		return
	}
	c.echoMatchesInput("many blocks", name, got, what)
}

// echoMatchesInput completes the input dataset name, holding the records in as read back, runs it
// through the copying workflow, and checks that the output holds exactly those records in the same
// order (documented: records are processed in ascending block number, then as sent in the block;
// outputDatasets names where the results are read from). what describes the input.
func (c *check) echoMatchesInput(label, name string, in []client.Record, what string) {
	if _, err := c.completeDataset(name, int64(len(in))); err != nil {
		c.Fatalf("completing %s (%s) with its %d records: %v", name, what, len(in), err)
	}
	_, out := c.runEchoJob(label, name)
	got, err := c.readAll(out)
	if err != nil {
		c.cannotRead(out, err)
		return
	}
	c.compareRecords(fmt.Sprintf("the output of %s over %s (%s), against the input read back", c.cfg.Workflow, name, what), got, in)
}

func caseJobOutputsDistinct(c *check) {
	const jobs = 3
	inputs := make([]string, jobs)
	recs := make([][]client.Record, jobs)
	// The first job runs on the shared input, which the shared job ran on before: a job on an
	// input another job has read gets an output of its own too.
	f := c.echo()
	inputs[0], recs[0] = f.input, f.records
	for i := 1; i < jobs; i++ {
		recs[i] = seqRecords(100*i, i+1, fmt.Sprintf("input %d", i+1))
		inputs[i] = c.completeInput("distinct_in", seqColumns(), recs[i])
	}
	// The output datasets listed before the jobs start: the list read once they have finished
	// holds their outputs (includeInput=false lists output datasets, documented).
	c.outputDatasets()
	// Names that differ only in the character between two words (a space, '_', '-'): three names
	// (job names are unique, spaces are fine), alike once turned into a dataset or file name, which
	// must not make the jobs share an output dataset or take one name.
	seps := []string{" ", "_", "-"}
	names := make([]string, jobs)
	reqs := make([]atOnce, jobs)
	for i := range jobs {
		names[i] = c.jobName("distinct" + seps[i] + "x")
		reqs[i] = atOnce{method: http.MethodPost, path: "/Job", body: []byte(jsonText(map[string]any{"name": names[i], "workflowName": c.cfg.Workflow, "inputDatasets": map[string]string{c.cfg.WorkflowInput: inputs[i]}}))}
	}
	statuses := c.allAtOnce(reqs)
	for i, st := range statuses {
		if st < 200 || st >= 300 {
			c.Fatalf("%d jobs started at once on inputs of their own, named %q: job %q answered %d; want 2xx (statuses %v): the names differ, and job names are unique", jobs, names, names[i], st, statuses)
		}
	}
	outs := make([]string, jobs)
	for i, n := range names {
		done, err := c.waitJob(n, nil)
		if err != nil {
			c.Fatalf("waiting for job %q: %v", n, err)
		}
		if outs[i] = done.OutputDatasets[c.cfg.WorkflowOutput]; outs[i] == "" {
			c.Fatalf("finished job %q has no output dataset for slot %q (outputDatasets %v)", n, c.cfg.WorkflowOutput, done.OutputDatasets)
		}
	}
	what := fmt.Sprintf("%d jobs started at once on inputs of %d (the shared input), 2 and 3 records: outputDatasets %q", jobs, len(f.records), outs)
	for i := range jobs {
		for k := range i {
			if outs[i] == outs[k] {
				c.Errorf("%s: jobs %q and %q name the same output dataset; each job's results are read from its own", what, names[k], names[i])
				return
			}
		}
		if slices.Contains(inputs, outs[i]) {
			c.Errorf("%s: job %q names input dataset %s as its output", what, names[i], outs[i])
			return
		}
		if outs[i] == f.output {
			c.Errorf("%s: job %q names output dataset %s of job %q (which ran on the same input before); each job's results are read from its own", what, names[i], outs[i], f.job.Name)
			return
		}
	}
	listed := c.outputDatasets()
	for i := range jobs {
		if !listed[outs[i]] {
			c.Errorf("%s: GET /Dataset?includeInput=false, read after the jobs finished (and once before they started), does not list output dataset %s of job %q", what, outs[i], names[i])
		}
	}
	for i := range jobs {
		got, err := c.readAll(outs[i])
		if err != nil {
			c.cannotRead(outs[i], err)
			return
		}
		c.compareRecords(fmt.Sprintf("%s: the output of job %q (its input %s)", what, names[i], inputs[i]), got, recs[i])
	}
}

// jobNameFree checks that a job name whose start was refused for another reason (refusal) is still
// free: a correct start of it, the configured workflow on the shared complete input, succeeds and
// GET /Job/{name} finds the job. A refused start leaves nothing behind (job names are unique: no
// job of the name exists).
func (c *check) jobNameFree(name, refusal string) {
	f := c.echo()
	if _, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}}); err != nil {
		c.Errorf("a correct start of job %q after its start was refused (%s): %s; want 2xx: a refused start leaves the name free", name, refusal, outcome(err))
		return
	}
	if got, err := c.client.GetJob(c.ctx, name); err != nil || got.Name != name {
		c.Errorf("GET /Job/{name} of %q after its correct start: %s", name, outcome(err))
	}
}

// datasetsNotListed checks that the list of input datasets (includeOutput=false) holds none of
// names, datasets whose creates were refused (why): a refused create makes no dataset.
func (c *check) datasetsNotListed(names []string, why string) {
	if len(names) == 0 {
		return
	}
	for ref, err := range c.client.ListDatasets(c.ctx, client.ListDatasetsOptions{ExcludeOutput: true}) {
		if err != nil {
			c.Errorf("listing datasets: %v", err)
			return
		}
		if slices.Contains(names, ref.Name) {
			c.Errorf("GET /Dataset lists dataset %s (%s); %s: a refused create makes no dataset", ref.Name, jsonText(ref), why)
		}
	}
}

// datasetNameFree checks that a dataset name whose create was refused for another reason
// (refusal) is still free: a correct create of it succeeds and the dataset is a new, empty,
// incomplete input dataset with the columns given.
func (c *check) datasetNameFree(name, refusal string) {
	cols := map[string]int{"a": 0}
	if _, err := c.client.CreateDataset(c.ctx, name, cols); err != nil {
		c.Errorf("a correct create of dataset %s after its create was refused (%s): %s; want 2xx: a refused create leaves the name free", name, refusal, outcome(err))
		return
	}
	ds, err := c.dataset(name)
	if err != nil {
		c.Errorf("GET /Dataset/%s after its correct create: %v", name, err)
		return
	}
	c.checkNewDataset("GET /Dataset/{name} after a refused create and a correct one", ds, name, cols, c.Errorf)
}
