package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/client"
)

// jobCases are the cases of jobs, and of the output datasets they make.
func jobCases() []Case {
	return []Case{
		{
			ID: "JOB-CREATE", Kind: Documented, Decision: "D-13",
			Quote:   `Starts a job on a workflow that Data8 built for the customer. [...] ` + "`" + `inputDatasets` + "`" + ` maps the workflow's input slot to a dataset name. GET /Job/{name}: Full details, polled to follow progress.`,
			Rule:    "POST /Job starts a job on a workflow with inputDatasets mapping its input slot to a complete dataset; GET /Job/{name} gives its full details (documented); the answer is the Job (D-13).",
			Creates: "1 complete dataset (3 records), 1 job (shared with the other job cases)",
			fixture: true,
			run:     caseJobCreate,
		},
		{
			ID: "JOB-FINISHED-RULE", Kind: Decided, Decision: "D-14",
			Rule:    "Poll GET /Job/{name} (documented); a job is finished when completedAt is present, not null and not before submittedAt; status codes are undocumented (D-14). A job whose completedAt reads less than an hour before its submittedAt while its percentComplete reads 100 (a completion time, not a placeholder for \"unset\") at every poll for 3 seconds fails at once: it completed before it was submitted, and by that rule reads unfinished however long it is polled. Observes the status codes and percentComplete seen.",
			fixture: true,
			run:     caseJobFinished,
		},
		{
			ID: "JOB-OUTPUT", Kind: Documented,
			Quote:   `` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from.`,
			Rule:    "outputDatasets maps the output slot to the dataset the results are read from (documented); with a copying workflow it holds the input's records, and it is an output dataset (input false).",
			fixture: true,
			run:     caseJobOutput,
		},
		{
			ID: "JOB-OUTPUT-SPARSE", Kind: Documented, Decision: "D-9",
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**. [...] ` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from.`,
			Rule:    "A job processes every record of its input, sparse ones too (documented): an input of 3 blocks, block 1 emptied by an empty re-send (D-9; where that is refused, its record stays), with records whose values are all null (an empty object, explicit nulls), records with a column left out, and an empty string and zero, then block 3 of one record overwritten by one of two (a fraction and a text with spaces at both ends), and block 2,147,484 (where blockNumber*1000 leaves an int32; a refusal is observed); the copying workflow's output holds exactly the input's records as read back, in order (a column left out equal to null, D-11), those after the emptied block included.",
			Creates: "1 complete dataset (10 records), 1 job",
			Cost:    Cost{Datasets: 1, Jobs: 1, Records: 10},
			run:     caseJobOutputSparse,
		},
		{
			ID: "JOB-NAME-SPACES", Kind: Documented,
			Quote:   `(spaces are fine) [...] Job names contain spaces: escape them in the path.`,
			Rule:    "Job names may contain spaces (documented), also at the start, at the end and several in a row, and other characters valid in file names: letters and signs beyond ASCII (Café, 検査, ✓), and the suite's hard names: '+' (also first), characters special in URLs (% # & = ; ~ ' ( ) [ ] { } @ ! $ , ^ ` and a literal %2B), percent escapes as text with no lone '%' beside them (%41 %20 %2F %25 %2B %e9: a path decoded twice reads another name, so the job is not found or another is answered), characters outside the Basic Multilingual Plane (😀, 𝔘), combining marks, right-to-left text. A name that differs from an existing job's only in a trailing space is another name: both start, and each is found as itself; so is one that differs only in case, or only in Unicode normalisation (é as one character or as e and a combining acute), when the server takes it (a refusal, one name to the server, differs from D-13's exact names; the existing job is then still found as itself, and GET /Job/{name} of the refused name answers that job, or 404 but for a name differing only in case: a name taken ignoring case is found ignoring case on every route, D-4; never another job). The job keeps the name as sent: the answer names it, GET /Job/{name} finds it and names it exactly whether the name is sent by the project's client, with the characters a path allows left raw (a '+' unescaped) or with every byte percent-encoded (%2B), and the job list holds it once. GET /Job/{name} gives back what the job was started with (documented full details): workflowName, inputDatasets, parameters as sent, as strings (hard texts included: line breaks, tabs, characters outside the BMP), and inputFilename, with a '+', a '%' and a character outside the BMP in it (a server refusing a file it does not have is observed); the job with parameters, read again once newer jobs (without parameters) have started, still carries its own.",
			Creates: "19 jobs",
			Cost:    Cost{Jobs: 19},
			fixture: true,
			run:     caseJobNameSpaces,
		},
		{
			ID: "JOB-NEEDS-COMPLETE-INPUT", Kind: Documented, Decision: "D-13",
			Quote:   `Input datasets **must be complete** first.`,
			Rule:    "Input datasets must be complete before a job uses them (documented): a job on an incomplete dataset, with records or empty, or on the output dataset of an unfinished job while it shows completed false, is refused, 400 (D-13), no job of its name exists, the job list (its 100 most recent entries) does not list it (jobs already submitted, documented) and no output dataset was made (output datasets are made by jobs); the name stays free (a correct start of it then succeeds). A refused start changes nothing: the incomplete dataset with records then takes a block and its completion and reads back its records, and the unfinished job's output, once the job is done, holds its results. Once the empty dataset is complete, it refuses a block with 400 and a job on it finishes with an output dataset for its slot that holds no record (documented: outputDatasets names where the results are read from).",
			Creates: "2 datasets (2 records, none; both completed), 5 jobs",
			Cost:    Cost{Datasets: 2, Jobs: 5, Records: 2},
			fixture: true,
			run:     caseJobNeedsComplete,
		},
		{
			ID: "JOB-NAME-CHARS", Kind: Documented, Decision: "D-13", SendsInvalid: true,
			Rule:    `Job names may not contain characters invalid in file names: / : * ? " < > \ | (documented: the page's list, Windows' set, the backslash among them), anywhere in the name (start, middle, end, after a NUL, and in long names at the 65th, 101st, 256th and 300th character, past where a check of the first characters, of a C string, or a cut would stop); refused with 400 (D-13), and no job of the name exists. Our client refuses all of them before sending.`,
			Quote:   `Job names are unique and may not contain characters invalid in file names: / : * ? " < > |`,
			fixture: true,
			run:     caseJobNameChars,
		},
		{
			ID: "JOB-NAME-LONG", Kind: Documented, Decision: "D-13",
			Quote:   `Job names are **unique** and may not contain characters invalid in file names [...] Monitor by polling ` + "`" + `GET /Job/{name}` + "`" + `.`,
			Rule:    "No length limit of job names is documented: a long valid name (101 and 300 characters) is either refused with a 4xx (observed) or kept whole: the answer names it, GET /Job/{name} of the full name finds it, named exactly, and the job list holds it; two names of 300 characters that differ only in their last character are two names (if the first is taken, so is the second: job names are unique, not their first characters).",
			Creates: "3 jobs",
			Cost:    Cost{Jobs: 3},
			fixture: true,
			run:     caseJobNameLong,
		},
		{
			ID: "JOB-UNIQUE", Kind: Documented, Decision: "D-13",
			Quote:   `Job names are **unique**`,
			Rule:    "Job names are unique (documented): a second job of the same name is refused, 400 or 409 (D-13, lenient); another start under the name, with parameters and an inputFilename of its own, refused too, changes nothing of the job of that name (GET /Job/{name} reads workflowName, submittedAt, inputDatasets, parameters and inputFilename as before it); a job named like a dataset (and no job) starts and is found, and a dataset named like a job (and no dataset) is created (dataset names are unique among datasets, documented); of 3 starts of one new name sent at once, exactly one succeeds.",
			Creates: "3 jobs, 1 dataset",
			Cost:    Cost{Jobs: 3, Datasets: 1},
			fixture: true,
			run:     caseJobUnique,
		},
		{
			ID: "JOB-UNKNOWN-WORKFLOW", Kind: Decided, Decision: "D-13",
			Quote:   `Job names are **unique**`,
			Rule:    "A job on an unknown workflow is refused with 400 (D-13); the name stays free: a correct start of it then succeeds (job names are unique, documented: no job of the name exists).",
			Creates: "1 job",
			Cost:    Cost{Jobs: 1},
			fixture: true,
			run:     caseJobUnknownWorkflow,
		},
		{
			ID: "JOB-UNKNOWN-INPUT", Kind: Documented, Decision: "D-13",
			Quote:   `Input datasets **must be complete** first.`,
			Rule:    "A job whose input dataset does not exist is refused (documented: input datasets must be complete first, and a dataset that does not exist is not complete), with 400 (D-13); it made no output dataset (output datasets are made by jobs, documented) and the name stays free: a correct start of it then succeeds (job names are unique, documented: no job of the name exists).",
			Creates: "1 job",
			Cost:    Cost{Jobs: 1},
			fixture: true,
			run:     caseJobUnknownInput,
		},
		{
			ID: "JOB-REQUIRED-MEMBERS", Kind: Decided, Decision: "D-13", SendsInvalid: true,
			Quote:   "`parameters` maps names to **string** values [...] Job names are **unique**",
			Rule:    "name and workflowName are required (D-13): a job without either gets a 4xx; so does a parameter whose value is not a string (documented: parameters map names to string values). A name refused with a job for another reason stays free: a correct start of it then succeeds.",
			Creates: "2 jobs",
			Cost:    Cost{Jobs: 2},
			fixture: true,
			run:     caseJobRequired,
		},
		{
			ID: "JOB-404", Kind: Documented, Decision: "D-4",
			Quote:   `GET /Job/{name}: Unknown name → ` + "`" + `404` + "`" + `.`,
			Rule:    "GET /Job/{name} of an unknown name gets 404 (documented for jobs), also when it is a name near an existing job's: without its last character, with a character added, with its last character changed, with a character replaced by '_' or its end by '%' (a lookup by prefix or by a LIKE pattern would find that job).",
			fixture: true,
			run:     caseJob404,
		},
		{
			ID: "DATASET-COMPLETE-OUTPUT-400", Kind: Documented,
			Quote:   `Output dataset, or already complete: **400**.`,
			Rule:    "Completing an output dataset gets 400 (documented), with its count and with another; the refused completions leave it as it was (recordCount included).",
			fixture: true,
			run:     caseCompleteOutput,
		},
		{
			ID: "UPLOAD-OUTPUT-400", Kind: Documented,
			Quote:   `Dataset must be an **incomplete input** dataset, else **400**.`,
			Rule:    "Uploading to an output dataset gets 400: the dataset must be an incomplete input dataset (documented).",
			fixture: true,
			run:     caseUploadOutput,
		},
		{
			ID: "JOB-LIST-RECENT-FIRST", Kind: Documented,
			Quote:   `Jobs already submitted, **100 per page, most recent first**`,
			Rule:    "GET /Job lists jobs most recent first (documented): three jobs started one after another list newest first, and submittedAt never increases down the list.",
			Creates: "3 jobs",
			Cost:    Cost{Jobs: 3},
			fixture: true,
			run:     caseJobListRecent,
		},
		{
			ID: "JOB-LIST-PAGE-100", Kind: Documented, Decision: "D-12",
			Quote:   `Jobs already submitted, **100 per page, most recent first**; query ` + "`" + `page` + "`" + ` (first page 1)`,
			Rule:    "GET /Job pages hold 100 jobs, numbered from 1 (documented); a bare JSON array (D-12); the page after the last lists none of the last page's jobs again. With the 101 jobs started (99 of them 4 at once): the whole list holds each of them once, most recent first across the pages (submittedAt never increases, the job started last comes before the one started first); the name of the oldest, now past the first page, is still taken (job names are unique), and an endDate just before the newest job lists every other job on pages of 100 (a filter applies before the list is cut into pages).",
			Creates: "101 jobs when Config.ManyJobs is set (default for the in-process server), else nothing",
			Cost:    Cost{Jobs: 101},
			fixture: true,
			spend:   onlyIf(manyJobs),
			run:     caseJobListPage,
		},
		{
			ID: "JOB-LIST-FILTERS", Kind: Documented, Decision: "D-12",
			Quote:   `Jobs already submitted [...]; query ` + "`" + `page` + "`" + ` (first page 1), ` + "`" + `workflow` + "`" + `, ` + "`" + `startDate` + "`" + `, ` + "`" + `endDate` + "`" + ``,
			Rule:    "GET /Job keeps only the jobs of workflow, and only those submitted from startDate and until endDate (documented): of three jobs, a startDate between the first two drops the first, an endDate between the last two drops the last, both keep the middle one; a startDate, an endDate, or both, equal to the middle job's submittedAt (as the server gives it) keep that job, both ends being inclusive (\"at or before this time\"); workflow keeps every job of the workflow and no other, and not the jobs of a workflow whose name merely starts with the value or matches it as a LIKE pattern (its last character replaced by '_'); combined (workflow with both dates; an unknown workflow with startDate), every filter still applies; the dates, written with offsets (+05:30, -07:00), mean the same instants. With Config.OtherWorkflow set, a job of that second workflow is started too: its name is taken for a job of the first workflow (job names are unique), and each workflow's filter lists its own jobs only (without it, that check is skipped and the case says so). The query names and the RFC 3339 form are decided (D-12): a filter that changes nothing differs; one that changes the list must do what it says.",
			Creates: "3 jobs (4 with Config.OtherWorkflow)",
			Cost:    Cost{Jobs: 4},
			fixture: true,
			spend:   otherWorkflowJob,
			run:     caseJobListFilters,
		},
	}
}

func caseJobCreate(c *check) {
	f := c.echo()
	if f.started.Name == "" || f.started.WorkflowName != c.cfg.Workflow {
		c.Differ("D-13", "Job_CreateJob", fmt.Sprintf("the answer to POST /Job names job %q, workflow %q, not the Job started", f.started.Name, f.started.WorkflowName), f.startedAnswer)
	}
	c.Observe("%s", f.startedAnswer)
	got, err := c.client.GetJob(c.ctx, f.started.Name)
	if err != nil {
		c.Fatalf("GET /Job/{name} of the job just started: %v", err)
	}
	if got.Name != f.started.Name || got.WorkflowName != c.cfg.Workflow {
		c.Errorf("GET /Job/{name}: name %q, workflowName %q; want %q, %q", got.Name, got.WorkflowName, f.started.Name, c.cfg.Workflow)
	}
	if got.InputDatasets[c.cfg.WorkflowInput] != f.input {
		c.Errorf("GET /Job/{name}: inputDatasets %v; want %s → %s", got.InputDatasets, c.cfg.WorkflowInput, f.input)
	}
	if got.SubmittedAt.IsZero() {
		c.Errorf("GET /Job/{name}: submittedAt is not set")
	}
}

func caseJobFinished(c *check) {
	f := c.echo()
	j := f.job
	if j.CompletedAt == nil || j.CompletedAt.Before(j.SubmittedAt.Time) {
		c.Errorf("the job ended the wait without completedAt at or after submittedAt (completedAt %v, submittedAt %v)", j.CompletedAt, j.SubmittedAt)
	}
	c.Observe("status codes seen while polling: %v; finished with status %d", f.statuses, j.Status)
	lo, hi := slices.Min(f.percents), slices.Max(f.percents)
	c.Observe("percentComplete seen from %g to %g over %d polls; final %g", lo, hi, len(f.percents), j.PercentComplete)
	if lo < 0 || hi > 100 {
		c.Observe("percentComplete outside 0..100")
	}
	if j.EstimatedFinishTime != nil {
		c.Observe("estimatedFinishTime %s", j.EstimatedFinishTime.Format(time.RFC3339Nano))
	}
	if j.CompletedAt != nil {
		c.Observe("submittedAt %s, completedAt %s, statistics %s", j.SubmittedAt.Format(time.RFC3339Nano), j.CompletedAt.Format(time.RFC3339Nano), jsonText(j.Statistics))
	}
	// The form of times, raw: Data8's examples show them with a zone; a .NET service may write an
	// unspecified DateTime without one (D-14), which the spec accepts but a reader must not take for UTC
	// without saying so.
	r := c.raw(http.MethodGet, jobPath(j.Name), nil, nil, withToken)
	var raw map[string]any
	if r.is2xx() && r.decode(&raw) == nil {
		for _, member := range []string{"submittedAt", "completedAt"} {
			if v, ok := raw[member].(string); ok && !zonedTime.MatchString(v) {
				text := fmt.Sprintf("times carry no zone (%s %q)", member, v)
				c.Differ("D-14", "Job_GetByName", text, evidence(http.MethodGet, jobPath(j.Name), r),
					note("#/components/schemas/Job/properties/"+member, text))
			}
		}
	}
}

func caseJobOutput(c *check) {
	f := c.echo()
	ds, err := c.dataset(f.output)
	if err != nil {
		c.Fatalf("GET /Dataset/%s (the job's output): %v", f.output, err)
	}
	if ds.Input {
		c.Errorf("output dataset %s has input true; output datasets are made by jobs", f.output)
	}
	c.Observe("output dataset %s: completed %v, recordCount %d", f.output, ds.Completed, ds.RecordCount)
	got, err := c.readAll(f.output)
	if err != nil {
		c.cannotRead(f.output, err)
		return
	}
	c.compareRecords(fmt.Sprintf("the output of %s over %s", c.cfg.Workflow, f.input), got, f.records)
}

func caseJobOutputSparse(c *check) {
	name := c.newDataset("sparse", seqColumns())
	blocks := [][]client.Record{
		{{"seq": 1, "tag": "first"}, {}, {"seq": nil, "tag": nil}},
		{{"seq": 2, "tag": "cleared"}},
		{{"seq": 3}, {"tag": "no seq"}, {"seq": 0, "tag": ""}, {"seq": 4, "tag": "last"}},
	}
	for b, recs := range blocks {
		if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(b, recs), withToken); !r.is2xx() {
			c.Fatalf("block %d of %s (%s): answered %s; want 2xx", b, name, jsonText(recs), r)
		}
	}
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(1, []client.Record{}), withToken); !r.is2xx() {
		c.Observe("block 1 re-sent empty: %s; the block keeps its record", r)
	}
	wideTaken := false
	// Block 3 overwritten by a longer block, and a block numbered past where blockNumber*1000 leaves
	// an int32 (a refusal of that number is observed: D-9 sets no upper bound).
	for _, b := range []struct {
		n    int
		recs []client.Record
	}{
		{3, []client.Record{{"seq": 5, "tag": "overwritten"}}},
		{3, []client.Record{{"seq": -1.5, "tag": "  new  "}, {"seq": 6, "tag": "newer"}}},
		{2147484, []client.Record{{"seq": 7, "tag": "wide"}}},
	} {
		r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(b.n, b.recs), withToken)
		wideTaken = wideTaken || b.n > 3 && r.is2xx()
		if b.n > 3 && r.Status == http.StatusBadRequest {
			c.Observe("block %d refused: %s", b.n, r)
		} else if !r.is2xx() {
			c.Fatalf("block %d of %s (%s): answered %s; want 2xx", b.n, name, jsonText(b.recs), r)
		}
	}
	// The job is held to the input as the server reads it back: what the input keeps of these
	// records is other cases' to judge.
	n := c.recordCount(name)
	if _, err := c.completeDataset(name, n); err != nil {
		c.Fatalf("completing %s with its recordCount %d: %v", name, n, err)
	}
	in, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if wideTaken && (len(in) == 0 || in[len(in)-1]["tag"] != "wide") {
		c.Errorf("the records of %s read back %s: the record of block 2,147,484, the highest number, is not the last (records are processed in ascending block number)", name, jsonText(in))
	}
	_, out := c.runEchoJob("sparse", name)
	got, err := c.readAll(out)
	if err != nil {
		c.cannotRead(out, err)
		return
	}
	c.compareRecords(fmt.Sprintf("the output of %s over %s (blocks 0 and 2 of records with null values and columns left out, block 1 emptied, block 3 overwritten by a longer block, block 2,147,484), against the input read back %s", c.cfg.Workflow, name, jsonText(in)), got, in)
}

func caseJobNameSpaces(c *check) {
	f := c.echo()
	name := c.jobName("spaces (1) #2 & 50% done")
	started, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	if err != nil {
		c.Fatalf("starting job %q: %v", name, err)
	}
	if started.Name != name {
		c.Errorf("the answer names the job %q; want %q", started.Name, name)
	}
	c.checkJobFound(name)
	kept := []string{name}
	// Spaces anywhere: at the start, at the end, several in a row. The name is the name as sent.
	// The last of them also carries parameters, whose values are strings (documented), number-like
	// or not, and the hard texts of the suite's table: the job keeps them as sent. A workflow that
	// takes no such parameter may refuse them; the job is then started without.
	// Letters and signs beyond ASCII are valid in file names too: only / : * ? " < > | are not; so
	// are the characters of the suite's table of hard names (a '+', characters special in URLs,
	// characters outside the Basic Multilingual Plane).
	params := map[string]string{"Conformance": "5", "Ratio": "0.50", "Code": "007", "Flag": "true", "Text": "five"}
	for i, h := range plainHardTexts() {
		params[fmt.Sprintf("Hard%02d", i)] = h.text
	}
	names := []string{" " + c.jobName("leading space"), c.jobName("trailing space") + " ", c.jobName("two  spaces   three"), c.jobName("Café Prüfung Ærø"), c.jobName("検査 проверка ✓ €")}
	for _, h := range hardJobNameParts() {
		names = append(names, c.jobName(h.part))
	}
	names = append(names, "+"+c.jobName("plus first"))
	var withParams *client.NewJob // the job started with parameters
	for i, name := range names {
		nj := client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}}
		if i == 2 {
			nj.Parameters = params
		}
		started, err := c.client.StartJob(c.ctx, nj)
		if st := apiStatus(err); nj.Parameters != nil && st >= 400 && st < 500 {
			c.Observe("a job with parameters %v: %s; started without them", params, c.last("Job_CreateJob"))
			nj.Parameters = nil
			started, err = c.client.StartJob(c.ctx, nj)
		}
		if err != nil {
			c.Errorf("starting job %q (a valid name: spaces are fine, only / : * ? \" < > | are not): %v", name, err)
			continue
		}
		kept = append(kept, name)
		if started.Name != name {
			c.Errorf("the answer to POST /Job names the job %q; sent %q", started.Name, name)
		}
		got := c.checkJobFound(name)
		if got == nil {
			continue
		}
		c.jobParameters("GET /Job/{name}", got, nj)
		c.jobCarries(got, nj)
		if nj.Parameters != nil {
			withParams = &nj
		}
	}
	kept = append(kept, c.twinJobNames(f.input)...)
	c.jobsListed(kept)
	// inputFilename names a file in the customer's Data8 file area: a server may refuse a file it
	// does not have (not documented: observed); a job it starts carries the name as sent.
	// The file name holds hard characters too: a '+', a '%', a character outside the BMP.
	nj := client.NewJob{Name: c.jobName("input file"), WorkflowName: c.cfg.Workflow, InputFilename: "/ToData8/" + c.cfg.Prefix + c.runID + " input C++ 50% 😀.csv", InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}}
	if _, err := c.client.StartJob(c.ctx, nj); err != nil {
		if st := apiStatus(err); st >= 400 && st < 500 {
			c.Observe("a job with inputFilename %q: %s; not checked", nj.InputFilename, c.last("Job_CreateJob"))
		} else {
			c.Errorf("starting job %q with inputFilename %q: %v", nj.Name, nj.InputFilename, err)
		}
	} else if got, err := c.client.GetJob(c.ctx, nj.Name); err != nil {
		c.Errorf("GET /Job/{name} of %q: %v", nj.Name, err)
	} else {
		c.jobCarries(got, nj)
	}
	if r := c.raw(http.MethodGet, jobPath(f.started.Name), nil, nil, withToken); !r.is2xx() {
		c.Errorf("GET %s (spaces escaped as %%20): answered %s", jobPath(f.started.Name), r)
	}
	// Read again once newer jobs (without parameters, one with an inputFilename) have started, the
	// job with parameters still carries its own.
	if withParams != nil {
		if got, err := c.client.GetJob(c.ctx, withParams.Name); err != nil {
			c.Errorf("GET /Job/{name} of %q: %v", withParams.Name, err)
		} else {
			c.jobParameters("GET /Job/{name}, read again after newer jobs started,", got, *withParams)
			c.jobCarries(got, *withParams)
		}
	}
}

// jobParameters checks that a job read by what carries the parameters it was started with, each
// value the string sent (parameters map names to string values), and no other.
func (c *check) jobParameters(what string, got *client.Job, sent client.NewJob) {
	if sent.Parameters == nil || maps.Equal(got.Parameters, sent.Parameters) {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(sent.Parameters)) {
		if v := sent.Parameters[k]; got.Parameters[k] != v {
			c.Errorf("%s of %q: parameter %s is %q; sent %q (parameters map names to string values)", what, sent.Name, k, got.Parameters[k], v)
		}
	}
	if len(got.Parameters) != len(sent.Parameters) {
		c.Errorf("%s of %q: %d parameters; sent %d", what, sent.Name, len(got.Parameters), len(sent.Parameters))
	}
}

// checkJobFound checks that GET /Job/{name} finds the job named name, and names it exactly, in
// every form a client may send the name in: as the project's client sends it; with the characters
// a path segment allows left raw (url.PathEscape: a '+' stays a '+', which in a path is a plus,
// not a space); and with every byte but the unreserved ones percent-encoded ('+' as %2B, a space
// as %20). It returns the job as the client read it, or nil.
func (c *check) checkJobFound(name string) *client.Job {
	got, err := c.client.GetJob(c.ctx, name)
	sent := c.last("Job_GetByName").Path
	switch {
	case err != nil:
		c.Errorf("GET /Job/{name} of %s, as the project's client sends it (%s): %v", describeLen(name), termsafeShort(sent), err)
		got = nil
	case got.Name != name:
		c.Errorf("GET /Job/{name} of %s (%s) names %s", describeLen(name), termsafeShort(sent), describeLen(got.Name))
	}
	if strings.Contains(name, "+") {
		c.Observe("the project's client sends the name %q as %s", name, sent)
	}
	for _, path := range []string{jobPath(name), "/Job/" + fullyEscaped(name)} {
		r := c.raw(http.MethodGet, path, nil, nil, withToken)
		var j client.Job
		switch {
		case !r.is2xx():
			c.Errorf("GET %s (job %s): answered %s; the job exists", termsafeShort(path), describeLen(name), r)
		case r.decode(&j) != nil:
			c.Errorf("GET %s: the answer is not a Job: %s", termsafeShort(path), r)
		case j.Name != name:
			c.Errorf("GET %s names the job %s; want %s", termsafeShort(path), describeLen(j.Name), describeLen(name))
		}
	}
	return got
}

// jobsListed checks that the job list holds each of the jobs named, once, and named exactly. It
// reads the list of the configured workflow (a filter that changes nothing is JOB-LIST-FILTERS'
// concern), at most 2,000 entries.
func (c *check) jobsListed(names []string) { c.jobsListedTimes(names, 1, 2000) }

// jobsListedTimes checks that the job list of the configured workflow, read up to max entries
// (most recent first), holds each job of names exactly times times.
func (c *check) jobsListedTimes(names []string, times, max int) {
	want := map[string]int{}
	for _, n := range names {
		want[n] = 0
	}
	read := 0
	for ref, err := range c.client.ListJobs(c.ctx, client.ListJobsOptions{Workflow: c.cfg.Workflow}) {
		if err != nil {
			c.Errorf("listing jobs: %v", err)
			return
		}
		if _, ok := want[ref.Name]; ok {
			want[ref.Name]++
		}
		if read++; read >= max {
			break
		}
	}
	for _, n := range names {
		switch {
		case want[n] == times:
		case times == 0:
			c.Errorf("the job list (%d most recent entries read) holds job %s %d times, whose start was refused: a refused start is no job", read, describeLen(n), want[n])
		default:
			c.Errorf("the job list (%d entries read) holds job %s %d times; want once, named as sent", read, describeLen(n), want[n])
		}
	}
}

// fullyEscaped percent-encodes every byte of s but the unreserved characters of RFC 3986
// (A-Z a-z 0-9 - . _ ~).
func fullyEscaped(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// termsafeShort shortens a path for a message.
func termsafeShort(p string) string {
	if len(p) <= 120 {
		return p
	}
	return p[:80] + "…" + p[len(p)-30:]
}

func caseJobNeedsComplete(c *check) {
	f := c.echo()
	// Incomplete with records, incomplete and empty, and the output dataset of an unfinished job
	// (incomplete while its job runs): none may be used.
	withRecords := c.newDataset("incomplete", seqColumns())
	c.upload(withRecords, seqRecords(0, 1, "i"), 0, 1000)
	empty := c.newDataset("incomplete_empty", seqColumns())
	outputsBefore := c.outputDatasets()
	targets := []struct{ what, name string }{{"incomplete input dataset " + withRecords, withRecords}, {"empty incomplete input dataset " + empty, empty}}
	running := c.jobName("incomplete output")
	started, err := c.client.StartJob(c.ctx, client.NewJob{Name: running, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	if err != nil {
		c.Fatalf("starting job %q: %v", running, err)
	}
	// An unfinished job may name no output yet (its slot empty or absent): no dataset is read then.
	out := started.OutputDatasets[c.cfg.WorkflowOutput]
	if ds, err := c.dataset(out); err == nil && !ds.Completed {
		// The output's name is the server's, and may differ from run to run: it stays out of the text.
		targets = append(targets, struct{ what, name string }{"the output dataset (completed false) of unfinished job " + running, out})
	} else {
		c.Observe("the answer to POST /Job names no incomplete output dataset of an unfinished job (%s): a job on one is not tried", c.last("Job_CreateJob"))
	}
	var refused []string
	refusedOn := map[string]bool{}
	for _, t := range targets {
		job := c.jobName("incomplete input")
		// Raw: an output dataset's name need not match the naming rule the client checks.
		r := c.raw(http.MethodPost, "/Job", nil, map[string]any{"name": job, "workflowName": c.cfg.Workflow, "inputDatasets": map[string]string{c.cfg.WorkflowInput: t.name}}, withToken)
		if r.is2xx() && t.name == out {
			if ds, derr := c.dataset(out); derr == nil && ds.Completed {
				c.Observe("a job on the output dataset of job %q was started; the output was complete by then", running)
				continue
			}
		}
		if !c.wantRefused400("a job on "+t.what, "D-13", "Job_CreateJob", http.MethodPost, "/Job", r) {
			continue
		}
		if _, gerr := c.client.GetJob(c.ctx, job); gerr == nil {
			c.Errorf("job %q exists after its start on %s (%s) was refused", job, t.what, t.name)
			continue
		}
		refused = append(refused, job)
		refusedOn[t.name] = true
	}
	c.noOrphanOutputs(outputsBefore, fmt.Sprintf("%d job starts refused for an incomplete input", len(refused)))
	c.jobsListedTimes(refused, 0, 100) // a refused start is no job: not among the most recent
	for _, job := range refused {
		c.jobNameFree(job, "its input dataset was incomplete")
	}
	if ds, err := c.dataset(empty); err == nil && (ds.Completed || ds.RecordCount != 0) {
		c.Errorf("incomplete dataset %s: completed %v, recordCount %d after a job was refused on it; want false, 0", empty, ds.Completed, ds.RecordCount)
	}
	// A refused start changes nothing: the dataset with records, incomplete still, takes a block
	// and its completion; the unfinished job's output, once the job is done, holds its results.
	if refusedOn[withRecords] {
		c.stillOpen(withRecords, seqRecords(0, 1, "i"), 1, "a job start naming it was refused")
	}
	if refusedOn[out] {
		c.jobOutputIs(running, f.records, fmt.Sprintf("the output of job %q on %s, named by a job start refused while it was incomplete", running, f.input))
	}
	// Once complete, the empty dataset may be used, also after a block refused since: the job's
	// output holds no record.
	if _, err := c.completeDataset(empty, 0); err != nil {
		c.Observe("completing empty dataset %s: %s; a job on a complete empty input is not tried", empty, outcome(err))
		return
	}
	if r := c.raw(http.MethodPatch, uploadPath(empty), nil, blockBody(0, seqRecords(0, 1, "late")), withToken); r.Status != http.StatusBadRequest {
		c.Errorf("a block for %s, complete with no record: answered %s; want 400 (\"Dataset must be an **incomplete input** dataset, else **400**\")", empty, r)
	}
	c.stillJobInput("empty input", empty, nil, "a job start on it while incomplete, and a block once complete, were refused")
}

// outputDatasets returns the names of the output datasets listed (includeInput=false), for
// noOrphanOutputs.
func (c *check) outputDatasets() map[string]bool {
	out := map[string]bool{}
	for ref, err := range c.client.ListDatasets(c.ctx, client.ListDatasetsOptions{ExcludeInput: true}) {
		if err != nil {
			c.Fatalf("listing output datasets: %v", err)
		}
		out[ref.Name] = true
	}
	return out
}

// noOrphanOutputs checks that refused job starts (what) made no output dataset: output datasets are
// only made by jobs, and a refused start is none. An output dataset listed now and not in before is
// one only when none of the run's jobs names it (another client's job may have made it: the message
// says so).
func (c *check) noOrphanOutputs(before map[string]bool, what string) {
	var added []string
	for name := range c.outputDatasets() {
		if !before[name] {
			added = append(added, name)
		}
	}
	if len(added) == 0 {
		return
	}
	named := map[string]bool{}
	for _, job := range c.traffic.createdJobs() {
		if j, err := c.client.GetJob(c.ctx, job); err == nil {
			for _, o := range j.OutputDatasets {
				named[o] = true
			}
		}
	}
	added = slices.DeleteFunc(added, func(n string) bool { return named[n] })
	if len(added) > 0 {
		slices.Sort(added)
		c.Errorf("after %s, the dataset list holds output datasets it did not hold before, named by none of the run's jobs: %q (output datasets are made by jobs; a refused start is no job, unless another client started jobs meanwhile)", what, added)
	}
}

func caseJobNameChars(c *check) {
	f := c.echo()
	var names []struct{ ch, name string }
	for _, ch := range []string{"/", ":", "*", "?", `"`, "<", ">", "|", `\`} {
		// The character in the middle, at the end and at the start of the name.
		names = append(names, struct{ ch, name string }{ch, c.jobName("bad " + ch + " char")},
			struct{ ch, name string }{ch, c.jobName("bad char at the end") + ch},
			struct{ ch, name string }{ch, ch + c.jobName("bad char at the start")})
		// And far into a long name: last, and a few characters before the end.
		for _, pos := range forbiddenPositions {
			r := []rune(ch)[0]
			names = append(names, struct{ ch, name string }{ch, withCharAt(c.jobName("long bad"), pos, pos, r, 'x')},
				struct{ ch, name string }{ch, withCharAt(c.jobName("long bad"), pos, pos+3, r, 'y')})
		}
		// And after a NUL, where a check that reads the name as a C string stops.
		names = append(names, struct{ ch, name string }{ch, c.jobName("after a nul") + "\x00" + ch + "x"})
	}
	for _, x := range names {
		ch, name := x.ch, x.name
		if err := client.ValidateJobName(name); !errors.Is(err, client.ErrValidation) {
			c.Errorf("client: ValidateJobName(%q) = %s; want ErrValidation", name, outcome(err))
		}
		before := len(c.exchangesOf(c.res.ID))
		if _, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}}); !errors.Is(err, client.ErrValidation) || len(c.exchangesOf(c.res.ID)) != before {
			c.Errorf("client: StartJob named %s = %s; want ErrValidation without sending", describeLen(name), outcome(err))
		}
		r := c.raw(http.MethodPost, "/Job", nil, map[string]any{"name": name, "workflowName": c.cfg.Workflow, "inputDatasets": map[string]string{c.cfg.WorkflowInput: f.input}}, withToken)
		if c.wantRefused400(fmt.Sprintf("job name %s (%q at character %d)", describeLen(name), ch, runePos(name, ch)), "D-13", "Job_CreateJob", http.MethodPost, "/Job", r) {
			if g := c.raw(http.MethodGet, jobPath(name), nil, nil, withToken); g.is2xx() {
				c.Errorf("job %s exists after its start was refused", describeLen(name))
			}
		}
	}
}

// runePos is the position (1-based, in characters) of the first sub in s, or 0.
func runePos(s, sub string) int {
	i := strings.Index(s, sub)
	if i < 0 {
		return 0
	}
	return utf8.RuneCountInString(s[:i]) + 1
}

func caseJobNameLong(c *check) {
	f := c.echo()
	start := func(name string) (*client.Job, bool) {
		j, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
		switch st := apiStatus(err); {
		case err == nil:
			return j, true
		case st >= 400 && st < 500:
			// No length limit is documented, and none is tested: a refusal is observed.
			c.Observe("a job name of %d characters is refused: %s", utf8.RuneCountInString(name), c.last("Job_CreateJob"))
		default:
			c.Errorf("starting a job named %s: %v", describeLen(name), err)
		}
		return nil, false
	}
	var kept []string
	var longest string
	for _, n := range longJobNameLengths {
		// ASCII only, so that a refusal can be put down to the length; a '+' near the end, sent raw
		// in the path.
		name := padTo(c.jobName(fmt.Sprintf("long %d", n))+" ", n-3, 'n') + " +x"
		name = padTo(name, n, 'n')
		j, ok := start(name)
		if !ok {
			continue
		}
		kept = append(kept, name)
		longest = name
		if j.Name != name {
			c.Errorf("the answer to POST /Job names the job %s; sent %s", describeLen(j.Name), describeLen(name))
		}
		c.checkJobFound(name)
	}
	if longest != "" {
		// A name that differs from the longest only in its last character is another name.
		r := []rune(longest)
		r[len(r)-1] = 'y'
		other := string(r)
		j, err := c.client.StartJob(c.ctx, client.NewJob{Name: other, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
		if err != nil {
			c.Errorf("a job named %s, which differs from the job %s only in its last character, was refused (%v): job names are unique, and a name of this length was taken", describeLen(other), describeLen(longest), err)
		} else {
			kept = append(kept, other)
			if j.Name != other {
				c.Errorf("the answer to POST /Job names the job %s; sent %s", describeLen(j.Name), describeLen(other))
			}
			c.checkJobFound(other)
			c.checkJobFound(longest)
		}
	}
	if len(kept) > 0 {
		c.jobsListed(kept)
	}
}

// zonedTime matches a time that ends with a zone: Z or an offset.
var zonedTime = regexp.MustCompile(`(Z|z|[+-]\d{2}:?\d{2})$`)

// wantRefused400 checks the answer to a request the documentation says is refused: a 2xx or a 5xx
// fails; a 4xx other than the 400 the contract decided (point) is a difference.
func (c *check) wantRefused400(what, point, op, method, path string, r *response) bool {
	switch {
	case !r.is4xx():
		c.Errorf("%s: answered %s; want a 4xx", what, r)
		return false
	case r.Status != http.StatusBadRequest:
		c.Differ(point, op, fmt.Sprintf("%s: refused with %d, not 400", what, r.Status), evidence(method, path, r))
	default:
		c.Observe("%s: %s", what, r)
	}
	return true
}

// wantRefusedErr is wantRefused400 for a call through the client.
func (c *check) wantRefusedErr(what, point, op string, err error) bool {
	st := apiStatus(err)
	switch {
	case st < 400 || st >= 500:
		c.Errorf("%s: %s; want a 4xx", what, outcome(err))
		return false
	case st != http.StatusBadRequest:
		c.Differ(point, op, fmt.Sprintf("%s: refused with %d, not 400", what, st), c.last(op).String())
	default:
		c.Observe("%s: %s", what, c.last(op))
	}
	return true
}

func caseJobUnique(c *check) {
	f := c.echo()
	_, err := c.client.StartJob(c.ctx, client.NewJob{Name: f.started.Name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	if err == nil {
		c.Errorf("a second job named %q was started; job names are unique", f.started.Name)
		return
	}
	c.wantRefusedErr(fmt.Sprintf("a second job named %q", f.started.Name), "D-13", "Job_CreateJob", err)
	c.refusedJobChangesNothing(f.started.Name, f.input)
	// Job names are unique among jobs: a dataset's name is a free job name.
	if _, err := c.client.StartJob(c.ctx, client.NewJob{Name: f.input, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}}); err != nil {
		c.Errorf("a job named %q, the name of a dataset and of no job: %s; want 2xx (job names are unique among jobs)", f.input, outcome(err))
	} else {
		c.checkJobFound(f.input)
	}
	// And a job's name is a free dataset name: a dataset named like a job (and no dataset) is
	// created, and the job is still found.
	both := c.datasetName("named_like_a_job")
	if _, err := c.client.StartJob(c.ctx, client.NewJob{Name: both, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}}); err != nil {
		c.Errorf("starting a job named %q: %s", both, outcome(err))
	} else if _, err := c.client.CreateDataset(c.ctx, both, map[string]int{"a": 0}); err != nil {
		c.Errorf("creating dataset %s, the name of a job and of no dataset: %s; want 2xx (dataset names are unique among datasets)", both, outcome(err))
	} else {
		if ds, err := c.dataset(both); err != nil || ds.Name != both || !ds.Input || ds.Completed {
			c.Errorf("GET /Dataset/%s of the dataset named like a job: %v (read %+v); want the new incomplete input dataset", both, err, ds)
		}
		c.checkJobFound(both)
	}
	at := c.jobName("at once")
	body := jsonText(map[string]any{"name": at, "workflowName": c.cfg.Workflow, "inputDatasets": map[string]string{c.cfg.WorkflowInput: f.input}})
	c.onlyOneCreated(fmt.Sprintf("POST /Job named %q", at), c.sendAtOnce(http.MethodPost, "/Job", []byte(body), 3))
}

func caseJobUnknownWorkflow(c *check) {
	f := c.echo()
	wf := c.cfg.Prefix + c.runID + "_no_such_workflow"
	name := c.jobName("unknown workflow")
	_, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: wf, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	c.decidedRefusal("a job on unknown workflow "+wf, "D-13", "Job_CreateJob", err)
	if st := apiStatus(err); st >= 400 && st < 500 {
		c.jobNameFree(name, "unknown workflow "+wf)
	}
}

func caseJobUnknownInput(c *check) {
	ds := c.datasetName("nosuch")
	name := c.jobName("unknown input")
	before := c.outputDatasets()
	_, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: ds}})
	if err == nil {
		c.Errorf("a job on unknown dataset %s was started: %s; the documentation says input datasets must be complete first, and a dataset that does not exist is not complete", ds, c.last("Job_CreateJob"))
		return
	}
	c.decidedRefusal("a job on unknown dataset "+ds, "D-13", "Job_CreateJob", err)
	if st := apiStatus(err); st >= 400 && st < 500 {
		c.noOrphanOutputs(before, "a job start refused for an unknown input dataset")
		c.jobNameFree(name, "unknown input dataset "+ds)
	}
}

// decidedRefusal checks the answer to a request that only the contract (point) refuses with 400:
// a 5xx or a failure to get an answer fails; success or another 4xx is a difference.
func (c *check) decidedRefusal(what, point, op string, err error) {
	st := apiStatus(err)
	switch {
	case err == nil:
		c.Differ(point, op, what+": accepted", c.last(op).String())
	case st == 0 || st >= 500:
		c.Errorf("%s: %s; want an answer, not a server error", what, outcome(err))
	case st != http.StatusBadRequest:
		c.Differ(point, op, fmt.Sprintf("%s: refused with %d, not 400", what, st), c.last(op).String())
	default:
		c.Observe("%s: %s", what, c.last(op))
	}
}

// decidedRefusalRaw is decidedRefusal for a raw request.
func (c *check) decidedRefusalRaw(what, point, op, method, path string, r *response) {
	switch {
	case r.Status >= 500:
		c.Errorf("%s: answered %s; a server error", what, r)
	case r.is2xx():
		c.Differ(point, op, what+": accepted", evidence(method, path, r))
	case r.Status != http.StatusBadRequest:
		c.Differ(point, op, fmt.Sprintf("%s: refused with %d, not 400", what, r.Status), evidence(method, path, r))
	default:
		c.Observe("%s: %s", what, r)
	}
}

func caseJobRequired(c *check) {
	f := c.echo()
	in := map[string]string{c.cfg.WorkflowInput: c.datasetName("nosuch")}
	good := map[string]string{c.cfg.WorkflowInput: f.input}
	for _, b := range []struct {
		what string
		body map[string]any
	}{
		{"no name", map[string]any{"workflowName": c.cfg.Workflow, "inputDatasets": in}},
		{"no workflowName", map[string]any{"name": c.jobName("no workflow"), "inputDatasets": in}},
		{"empty name", map[string]any{"name": "", "workflowName": c.cfg.Workflow, "inputDatasets": in}},
		{"a parameter value that is a number", map[string]any{"name": c.jobName("number parameter"), "workflowName": c.cfg.Workflow, "inputDatasets": good, "parameters": map[string]any{"MaxContactAge": 5}}},
	} {
		r := c.raw(http.MethodPost, "/Job", nil, b.body, withToken)
		c.decidedRefusalRaw(b.what, "D-13", "Job_CreateJob", http.MethodPost, "/Job", r)
		if name, _ := b.body["name"].(string); name != "" && r.is4xx() {
			c.jobNameFree(name, b.what)
		}
	}
}

func caseJob404(c *check) {
	f := c.echo()
	r := []rune(f.started.Name)
	names := []string{c.jobName("no such job")}
	for _, m := range nearMisses(string(r)) {
		names = append(names, m.name)
	}
	for _, name := range names {
		got, err := c.client.GetJob(c.ctx, name)
		if st := apiStatus(err); st != http.StatusNotFound {
			found := ""
			if err == nil {
				found = fmt.Sprintf(" (job %q)", got.Name)
			}
			c.Errorf("GET /Job/{name} of unknown %q: %s%s; want 404", name, outcome(err), found)
			continue
		}
		c.Observe("unknown job: %s", c.last("Job_GetByName"))
	}
}

// twinJobNames starts, on input, jobs whose names differ from another's only in a trailing space
// (documented: spaces are fine, and names are unique: these are two names), only in case and only
// in Unicode normalisation (a server may compare names ignoring case or normalised, as some file
// systems do: a refusal is observed), checks that GET /Job/{name} finds each as itself, and
// returns the names started.
func (c *check) twinJobNames(input string) []string {
	var kept []string
	trailing := c.jobName("twin trailing")
	for _, pair := range []struct {
		what   string
		names  [2]string
		strict bool
	}{
		{"only in a trailing space", [2]string{trailing + " ", trailing}, true},
		{onlyInCase, [2]string{c.jobName("Twin Case"), c.jobName("twin case")}, false},
		{"only in Unicode normalisation (é as one character, and as e and a combining acute)", [2]string{c.jobName("Twin Caf\u00e9"), c.jobName("Twin Cafe\u0301")}, false},
	} {
		ok := true
		for i, name := range pair.names {
			_, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: input}})
			switch st := apiStatus(err); {
			case err == nil:
				kept = append(kept, name)
				continue
			case i == 1 && !pair.strict && st >= 400 && st < 500:
				c.Observe("a job named %q while job %q exists (names differing %s) is refused: %s", name, pair.names[0], pair.what, c.last("Job_CreateJob"))
				c.Differ("D-13", "Job_CreateJob", fmt.Sprintf("job names differing %s are refused as duplicates (the server compares names as one, as a case-insensitive or normalising collation does)", pair.what), c.last("Job_CreateJob").String())
				c.twinRefused(pair.names[0], name, pair.what)
			case i == 1:
				c.Errorf("a job named %q while job %q exists (names differing %s: two names; spaces are fine): %s; want 2xx", name, pair.names[0], pair.what, outcome(err))
			default:
				c.Errorf("starting job %q: %s", name, outcome(err))
			}
			ok = false
		}
		if ok {
			for _, name := range pair.names {
				c.checkJobFound(name)
			}
		}
	}
	return kept
}

// onlyInCase says how two job names differ that differ only in letter case.
const onlyInCase = "only in case"

// twinRefused checks, after a job named twin was refused while job first exists (names differing
// only as what says, which the server compares as one name: observed), that the refusal changed
// nothing (first is found as itself: "Monitor by polling GET /Job/{name}") and what GET /Job/{twin}
// answers: job first (a lookup under the same collation as the refusal) is observed; 404 (no job
// of that name) is observed too, but for names differing only in case: a server comparing names
// ignoring case finds the one object of that name on every route (D-4), and one comparing them
// exactly takes both names, so a name taken at create and unknown to GET is neither. Any other job
// is the wrong job under every reading of the names.
func (c *check) twinRefused(first, twin, what string) {
	c.checkJobFound(first)
	r := c.raw(http.MethodGet, jobPath(twin), nil, nil, withToken)
	var j client.Job
	switch {
	case r.Status == http.StatusNotFound && what == onlyInCase:
		c.Errorf("GET /Job/{name} of %q, refused at create as a duplicate of job %q (names differing only in case), answers 404: a name differing from a taken one only in case is taken only where names are compared ignoring case, and then it finds the one job of that name on every route (D-4); want job %q, or the create taken (names compared exactly)", twin, first, first)
	case r.Status == http.StatusNotFound:
		c.Observe("GET /Job/{name} of the refused name %q answers 404: lookups compare names exactly", twin)
	case !r.is2xx() || r.decode(&j) != nil:
		c.Errorf("GET /Job/{name} of %q, refused as a duplicate of job %q (names differing %s): answered %s; want the job %q (one name to the server) or 404", twin, first, what, r, first)
	case j.Name == first:
		c.Observe("GET /Job/{name} of the refused name %q answers job %q: lookups compare names as the uniqueness check does", twin, first)
	default:
		c.Errorf("GET /Job/{name} of %q, refused as a duplicate of job %q (names differing %s), answers job %s; want job %q (one name to the server) or 404", twin, first, what, describeLen(j.Name), first)
	}
}

func caseCompleteOutput(c *check) {
	f := c.echo()
	ds, err := c.dataset(f.output)
	if err != nil {
		c.Fatalf("GET /Dataset/%s: %v", f.output, err)
	}
	before := c.state(f.output)
	_, err = c.client.CompleteDataset(c.ctx, f.output, ds.RecordCount)
	switch {
	case errors.Is(err, client.ErrValidation):
		c.clientRefused(f.output, err)
		r := c.raw(http.MethodPut, datasetPath(f.output), nil, map[string]any{"recordCount": ds.RecordCount, "completed": true}, withToken)
		if r.Status != http.StatusBadRequest {
			c.Errorf("completing output dataset %s: answered %s; want 400", f.output, r)
		}
	case apiStatus(err) != http.StatusBadRequest:
		c.Errorf("completing output dataset %s: %s; want 400", f.output, outcome(err))
		return
	default:
		c.Observe("completing an output dataset: %s", c.last("Dataset_UpdateByName"))
	}
	// Refused with another count too, and a refused completion changes nothing.
	if r := c.raw(http.MethodPut, datasetPath(f.output), nil, map[string]any{"recordCount": ds.RecordCount + 7, "completed": true}, withToken); r.Status != http.StatusBadRequest {
		c.Errorf("completing output dataset %s with recordCount %d: answered %s; want 400", f.output, ds.RecordCount+7, r)
	}
	c.unchanged("after refused completions of output dataset "+f.output, f.output, before)
	c.readsExactly(f.output, f.records, fmt.Sprintf("output dataset %s (the copy of %s) after refused completions", f.output, f.input))
}

func caseUploadOutput(c *check) {
	f := c.echo()
	before, err := c.dataset(f.output)
	if err != nil {
		c.Fatalf("GET /Dataset/%s: %v", f.output, err)
	}
	_, err = c.client.Upload(c.ctx, f.output, recordSource([]client.Record{{"first": "X"}}), client.UploadOptions{StartBlock: 1000, Concurrency: 1})
	if errors.Is(err, client.ErrValidation) {
		c.clientRefused(f.output, err)
		r := c.raw(http.MethodPatch, uploadPath(f.output), nil, blockBody(1000, []map[string]any{{"first": "X"}}), withToken)
		if r.Status != http.StatusBadRequest {
			c.Errorf("uploading to output dataset %s: answered %s; want 400", f.output, r)
		}
	} else if st := apiStatus(err); st != http.StatusBadRequest {
		c.Errorf("uploading to output dataset %s: %s; want 400", f.output, outcome(err))
	} else {
		c.Observe("upload to an output dataset: %s", c.last("Dataset_UploadBlock"))
	}
	if after := c.recordCount(f.output); after != before.RecordCount {
		c.Errorf("output dataset %s: recordCount %d after a refused upload, was %d", f.output, after, before.RecordCount)
	}
	c.readsExactly(f.output, f.records, fmt.Sprintf("output dataset %s (the copy of %s) after a refused upload", f.output, f.input))
}

func caseJobListRecent(c *check) {
	f := c.echo()
	var names []string
	var first time.Time
	for i := range 3 {
		j, err := c.client.StartJob(c.ctx, client.NewJob{Name: c.jobName(fmt.Sprintf("order %d", i+1)), WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
		if err != nil {
			c.Fatalf("starting job %d: %v", i+1, err)
		}
		if i == 0 {
			first = j.SubmittedAt.Time
		}
		names = append(names, j.Name)
	}
	pos := map[string]int{}
	var prev time.Time
	n := 0
	for ref, err := range c.client.ListJobs(c.ctx, client.ListJobsOptions{Workflow: c.cfg.Workflow, StartDate: first}) {
		if err != nil {
			c.Fatalf("listing jobs: %v", err)
		}
		ref = c.fullRef(ref)
		if n > 0 && ref.SubmittedAt.After(prev) {
			c.Errorf("job list entry %d (%q, submitted %s) is more recent than the entry before it (%s)", n, ref.Name, ref.SubmittedAt.Format(time.RFC3339Nano), prev.Format(time.RFC3339Nano))
		}
		prev = ref.SubmittedAt.Time
		if slices.Contains(names, ref.Name) {
			pos[ref.Name] = n
		}
		n++
		if len(pos) == len(names) || n >= 2000 {
			break
		}
	}
	if len(pos) != len(names) {
		c.Fatalf("the job list (%d entries read) holds %d of the 3 jobs just started", n, len(pos))
	}
	if !(pos[names[2]] < pos[names[1]] && pos[names[1]] < pos[names[0]]) {
		c.Errorf("jobs started in the order 1, 2, 3 are listed at positions %d, %d, %d; want newest first", pos[names[0]], pos[names[1]], pos[names[2]])
	}
}

func caseJobListPage(c *check) {
	var first, last *client.Job
	var input string
	var (
		startedMu sync.Mutex
		started   []string
	)
	if c.cfg.ManyJobs {
		f := c.echo()
		input = f.input
		start := func(i int) (*client.Job, error) {
			name := c.jobName(fmt.Sprintf("page %03d", i))
			startedMu.Lock()
			started = append(started, name)
			startedMu.Unlock()
			return c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
		}
		// The first job alone, then 99 at once, then the last alone: the first is the oldest of
		// the 101, and the last is the newest.
		var err error
		if first, err = start(0); err != nil {
			c.Fatalf("starting job 0 of 101: %v", err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		sem := make(chan struct{}, 4)
		for i := 1; i < 100; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if _, err := start(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			c.Fatalf("starting 101 jobs: %d failed, the first: %v", len(errs), errs[0])
		}
		time.Sleep(10 * time.Millisecond)
		if last, err = start(100); err != nil {
			c.Fatalf("starting job 100 of 101: %v", err)
		}
	}
	sizes := c.pageSizes("/Job", nil, 100, "D-12", "Job_GetList")
	if len(sizes) < 2 && first == nil {
		c.Skipf("the account lists %v jobs on one page; a full page cannot be checked (set Config.ManyJobs to start 101 jobs)", sizes)
	}
	if len(sizes) < 2 {
		c.Errorf("with the 101 jobs just started, the job list has one page of %v jobs; want pages of 100", sizes)
	}
	c.Observe("job list page sizes: %v", sizes)
	c.pastLastJobPage(len(sizes))
	if first == nil {
		return
	}
	c.checkWholeJobList(started, first, last)
	// Job names are unique against every job, not only those on the first page of the list: the
	// oldest of the 101 is past it now.
	if _, err := c.client.StartJob(c.ctx, client.NewJob{Name: first.Name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: input}}); err == nil {
		c.Errorf("a second job named %q was started while %q is past the first page of the job list; job names are unique", first.Name, first.Name)
	} else {
		c.wantRefusedErr(fmt.Sprintf("a second job named %q, past the first page of the list", first.Name), "D-13", "Job_CreateJob", err)
	}
	c.checkFilteredPages(last)
}

// pastLastJobPage checks that the page after the last page of the job list (last, 1-based) lists
// none of the jobs of the last page: each job is on one page (a server that serves a page past the
// end as the last page again lists them twice).
func (c *check) pastLastJobPage(last int) {
	get := func(page int) ([]client.JobRef, *response) {
		q := url.Values{"page": {fmt.Sprint(page)}}
		r := c.raw(http.MethodGet, "/Job", q, nil, withToken)
		var refs []client.JobRef
		switch {
		case page > last && r.Status == http.StatusNotFound:
			// "No such page": nothing listed, said otherwise than D-12 decides.
			c.Differ("D-12", "Job_GetList", fmt.Sprintf("page %d, past the last page (%d), is answered 404, not []", page, last), evidence(http.MethodGet, "/Job?"+q.Encode(), r))
		case !r.is2xx():
			c.Errorf("GET /Job?%s: answered %s; want 2xx", q.Encode(), r)
		case len(bytes.TrimSpace(r.Body)) == 0:
			// An empty body lists nothing (the page past the end; how it is said is D-4's, observed
			// elsewhere).
		case r.decode(&refs) != nil:
			c.Errorf("GET /Job?%s: answered %s; want a JSON array", q.Encode(), r)
		}
		return refs, r
	}
	lastRefs, _ := get(last)
	past, r := get(last + 1)
	c.Observe("page %d, past the end: %s (%d entries)", last+1, r, len(past))
	for _, p := range past {
		if slices.ContainsFunc(lastRefs, func(l client.JobRef) bool { return l.Name == p.Name }) {
			c.Errorf("GET /Job?page=%d (past the last page, %d) lists job %q of page %d again (%d entries); each job is on one page", last+1, last, p.Name, last, len(past))
			return
		}
	}
}

// checkWholeJobList reads the whole job list and checks it holds each of the jobs named once, most
// recent first throughout (submittedAt never increases from one entry to the next, across pages),
// and newest, started after the others, before oldest, started before them.
func (c *check) checkWholeJobList(names []string, oldest, newest *client.Job) {
	var all []client.JobRef
	for ref, err := range c.client.ListJobs(c.ctx, client.ListJobsOptions{}) {
		if err != nil {
			c.Fatalf("listing jobs: %v", err)
		}
		all = append(all, c.fullRef(ref))
	}
	count := map[string]int{}
	pos := map[string]int{}
	for i, r := range all {
		count[r.Name]++
		pos[r.Name] = i
		if i > 0 && r.SubmittedAt.After(all[i-1].SubmittedAt.Time) {
			c.Errorf("the job list (%d entries, pages of 100) has job %q (submitted %s) at entry %d (page %d), after job %q submitted before it (%s): most recent first", len(all), r.Name, r.SubmittedAt.Format(time.RFC3339Nano), i+1, i/100+1, all[i-1].Name, all[i-1].SubmittedAt.Format(time.RFC3339Nano))
			break
		}
	}
	var wrong []string
	for _, n := range names {
		if count[n] != 1 {
			wrong = append(wrong, fmt.Sprintf("%q %d times", n, count[n]))
		}
	}
	if len(wrong) > 0 {
		c.Errorf("the job list (%d entries) holds %d of the %d jobs just started (most of them at once) not once: %s", len(all), len(wrong), len(names), strings.Join(wrong[:min(5, len(wrong))], ", "))
	}
	if count[newest.Name] == 1 && count[oldest.Name] == 1 && pos[newest.Name] > pos[oldest.Name] {
		c.Errorf("the job list has job %q, started last, at entry %d (page %d) and job %q, started first, at entry %d (page %d): most recent first", newest.Name, pos[newest.Name]+1, pos[newest.Name]/100+1, oldest.Name, pos[oldest.Name]+1, pos[oldest.Name]/100+1)
	}
}

// fullRef returns ref with the members the job list is judged by, submittedAt and workflowName,
// read from GET /Job/{name} when the entry leaves them out: JobRef's members are decided (D-12)
// and only a job's name is relied on, so a list of names alone is judged by the jobs it names
// ("most recent first", the workflow filter are documented). An entry without them differs from
// D-12. A job's submission time and workflow never change: each job is read once a run.
func (c *check) fullRef(ref client.JobRef) client.JobRef {
	if !ref.SubmittedAt.IsZero() && ref.WorkflowName != "" {
		return ref
	}
	c.Differ("D-12", "Job_GetList", "job list entries leave out submittedAt or workflowName: the list is judged by the jobs GET /Job/{name} reads", fmt.Sprintf("GET /Job listed %q with submittedAt %q, workflowName %q", ref.Name, ref.SubmittedAt.Format(time.RFC3339Nano), ref.WorkflowName))
	c.mu.Lock()
	known, ok := c.jobFacts[ref.Name]
	c.mu.Unlock()
	if !ok {
		j, err := c.client.GetJob(c.ctx, ref.Name)
		if err != nil {
			c.Errorf("GET /Job/{name} of job %q, which GET /Job lists: %s", ref.Name, outcome(err))
			return ref
		}
		known = client.JobRef{SubmittedAt: j.SubmittedAt, WorkflowName: j.WorkflowName}
		c.mu.Lock()
		if c.jobFacts == nil {
			c.jobFacts = map[string]client.JobRef{}
		}
		c.jobFacts[ref.Name] = known
		c.mu.Unlock()
	}
	if ref.SubmittedAt.IsZero() {
		ref.SubmittedAt = known.SubmittedAt
	}
	if ref.WorkflowName == "" {
		ref.WorkflowName = known.WorkflowName
	}
	return ref
}

// checkFilteredPages checks that a filter applies to the whole list before it is cut into pages of
// 100: an endDate just before the newest job drops that job, and every other job is listed, most
// recent first, on pages of 100.
func (c *check) checkFilteredPages(newest *client.Job) {
	if newest == nil {
		return
	}
	list := func(o client.ListJobsOptions) []client.JobRef {
		var out []client.JobRef
		for ref, err := range c.client.ListJobs(c.ctx, o) {
			if err != nil {
				c.Fatalf("listing jobs with %+v: %v", o, err)
			}
			out = append(out, c.fullRef(ref))
		}
		return out
	}
	all := list(client.ListJobsOptions{})
	const margin = time.Millisecond // times may be rounded to the millisecond
	end := newest.SubmittedAt.Add(-margin)
	var want []string
	for _, r := range all {
		if r.SubmittedAt.After(newest.SubmittedAt.Time) {
			continue // a job of another client, started since
		}
		if r.SubmittedAt.Before(end) {
			want = append(want, r.Name)
		} else if r.Name != newest.Name {
			c.Observe("job %q was submitted within %s of the newest job: too close to filter between them", r.Name, margin)
			return
		}
	}
	if len(want) < 100 {
		c.Observe("%d jobs before the newest: too few to fill a filtered page", len(want))
		return
	}
	q := url.Values{"endDate": {end.UTC().Format(time.RFC3339Nano)}}
	c.pageSizes("/Job", q, 100, "D-12", "Job_GetList")
	var got []string
	for _, r := range list(client.ListJobsOptions{EndDate: end}) {
		if !r.SubmittedAt.After(newest.SubmittedAt.Time) {
			got = append(got, r.Name)
		}
	}
	if slices.Contains(got, newest.Name) && len(got) == len(want)+1 {
		c.Observe("endDate changes nothing: the server does not read it (JOB-LIST-FILTERS reports it)")
		return
	}
	if !slices.Equal(got, want) {
		c.Errorf("with endDate %s (just before the newest job) the list holds %d jobs; want the %d others, most recent first, on pages of 100 (the filter applies before the list is cut into pages)", q.Get("endDate"), len(got), len(want))
	}
}

// pageSizes reads the pages of a list from page 1 until a page shorter than per (or 1,000 pages),
// checks that every page but the last holds exactly per entries and that no page repeats the page
// before it (each entry is on one page: a server that serves a page past the end as the last page
// would otherwise never end a list of exactly 100, 200... entries), and returns the sizes.
func (c *check) pageSizes(path string, query url.Values, per int, point, op string) []int {
	var sizes []int
	var prev string
	for page := 1; page <= 1000; page++ {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("page", fmt.Sprint(page))
		r := c.raw(http.MethodGet, path, q, nil, withToken)
		var items []any
		if !r.is2xx() {
			c.Fatalf("GET %s?%s: answered %s; want 2xx", path, q.Encode(), r)
		}
		if r.decode(&items) != nil {
			c.Differ(point, op, "the page is not a bare JSON array", evidence(http.MethodGet, path+"?"+q.Encode(), r))
			c.Skipf("the pages are not bare JSON arrays (%s): their sizes cannot be read", r)
		}
		if text := jsonText(items); len(items) > 0 && text == prev {
			c.Errorf("GET %s?%s repeats page %d entry for entry (%d entries, the first %s): each entry is on one page of %d; a page past the end is not the last page again", path, q.Encode(), page-1, len(items), jsonText(items[0]), per)
			break
		}
		prev = jsonText(items)
		sizes = append(sizes, len(items))
		if len(items) > per {
			c.Errorf("GET %s page %d holds %d entries; pages hold %d", path, page, len(items), per)
		}
		if len(items) < per {
			break
		}
	}
	for i, n := range sizes[:len(sizes)-1] {
		if n != per {
			c.Errorf("GET %s page %d holds %d entries but is not the last page; pages hold %d", path, i+1, n, per)
		}
	}
	return sizes
}

func caseJobListFilters(c *check) {
	f := c.echo()
	// Three jobs one after another; their times are the server's own. A server that keeps times to
	// the whole second (the first job's has no fraction) gets them a second apart, to filter between.
	var jobs []*client.Job
	for i := range 3 {
		if i > 0 {
			gap := 10 * time.Millisecond
			if jobs[0].SubmittedAt.Nanosecond() == 0 {
				gap = 1100 * time.Millisecond
			}
			if err := sleepCtx(c.ctx, gap); err != nil {
				c.Fatalf("starting job %d: %v", i+1, err)
			}
		}
		j, err := c.client.StartJob(c.ctx, client.NewJob{Name: c.jobName(fmt.Sprintf("filter %d", i+1)), WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
		if err != nil {
			c.Fatalf("starting job %d: %v", i+1, err)
		}
		if j, err = c.client.GetJob(c.ctx, j.Name); err != nil {
			c.Fatalf("GET /Job/{name} of job %d: %v", i+1, err)
		}
		jobs = append(jobs, j)
	}
	a, b, cc := jobs[0], jobs[1], jobs[2]
	other := c.otherWorkflowJob(f.input)
	refs := func(o client.ListJobsOptions) []client.JobRef {
		var out []client.JobRef
		for ref, err := range c.client.ListJobs(c.ctx, o) {
			if err != nil {
				c.Fatalf("listing jobs with %+v: %v", o, err)
			}
			out = append(out, ref)
			if len(out) >= 500 {
				break
			}
		}
		return out
	}
	has := func(list []client.JobRef, j *client.Job) bool {
		return slices.ContainsFunc(list, func(r client.JobRef) bool { return r.Name == j.Name })
	}
	// Each filter's query name is decided (D-12), what it does is documented: a filter that changes
	// nothing is a name the server does not read (a difference); one that changes the list must do
	// what it says. startDate and endDate are read as a pair.
	const margin = time.Millisecond // times may be rounded to the millisecond
	mid := func(x, y *client.Job) (time.Time, bool) {
		gap := y.SubmittedAt.Sub(x.SubmittedAt.Time)
		return x.SubmittedAt.Add(gap / 2), gap >= 2*margin
	}
	mAB, okAB := mid(a, b)
	mBC, okBC := mid(b, cc)
	datesRead := false
	if !okAB || !okBC {
		c.Observe("the three jobs were submitted at %s, %s, %s: too close together to filter between them", a.SubmittedAt, b.SubmittedAt, cc.SubmittedAt)
	} else {
		since := refs(client.ListJobsOptions{StartDate: mAB})
		until := refs(client.ListJobsOptions{EndDate: mBC})
		both := refs(client.ListJobsOptions{StartDate: mAB, EndDate: mBC})
		if has(since, a) && has(until, cc) {
			c.Differ("D-12", "Job_GetList", "startDate and endDate change nothing: the server does not read these query names (or this form of time)", c.last("Job_GetList").String())
		} else {
			for _, x := range []struct {
				what      string
				list      []client.JobRef
				in, notIn []*client.Job
			}{
				{"startDate between jobs 1 and 2", since, []*client.Job{b, cc}, []*client.Job{a}},
				{"endDate between jobs 2 and 3", until, []*client.Job{a, b}, []*client.Job{cc}},
				{"startDate and endDate around job 2", both, []*client.Job{b}, []*client.Job{a, cc}},
			} {
				for _, j := range x.in {
					if !has(x.list, j) {
						c.Errorf("%s: job %q (submitted %s) is not listed", x.what, j.Name, j.SubmittedAt)
					}
				}
				for _, j := range x.notIn {
					if has(x.list, j) {
						c.Errorf("%s: job %q (submitted %s) is listed", x.what, j.Name, j.SubmittedAt)
					}
				}
			}
			c.checkDateBoundaries(refs, has, a, b, cc)
			c.checkDateOffsets(has, a, b, cc, mAB, mBC)
			datesRead = true
		}
	}
	wf := refs(client.ListJobsOptions{Workflow: c.cfg.Workflow})
	none := refs(client.ListJobsOptions{Workflow: c.cfg.Prefix + c.runID + "_no_such_workflow"})
	if has(none, a) {
		c.Differ("D-12", "Job_GetList", "workflow=<a workflow that does not exist> lists jobs of "+c.cfg.Workflow+": the server does not read this query name", c.last("Job_GetList").String())
		return
	}
	for _, j := range jobs {
		if !has(wf, j) {
			c.Errorf("workflow=%s does not list job %q of that workflow", c.cfg.Workflow, j.Name)
		}
	}
	for _, r := range wf {
		if r = c.fullRef(r); !strings.EqualFold(r.WorkflowName, c.cfg.Workflow) {
			c.Errorf("workflow=%s lists job %q of workflow %q", c.cfg.Workflow, r.Name, r.WorkflowName)
			break
		}
	}
	if len(none) > 0 {
		c.Errorf("workflow=<a workflow that does not exist> lists %d jobs (the first %q of %q)", len(none), none[0].Name, none[0].WorkflowName)
	}
	// A workflow filter keeps the workflow named, not every workflow whose name starts with it.
	if r := []rune(c.cfg.Workflow); len(r) > 1 {
		cut := string(r[:len(r)-1])
		for _, x := range refs(client.ListJobsOptions{Workflow: cut}) {
			if x = c.fullRef(x); !strings.EqualFold(x.WorkflowName, cut) {
				c.Errorf("workflow=%s (workflow %s without its last character) lists job %q of workflow %q", cut, c.cfg.Workflow, x.Name, x.WorkflowName)
				break
			}
		}
	}
	// Nor every workflow the name matches as a LIKE pattern: its last character replaced by '_'.
	if r := []rune(c.cfg.Workflow); len(r) > 1 && r[len(r)-1] != '_' {
		like := string(r[:len(r)-1]) + "_"
		for _, x := range refs(client.ListJobsOptions{Workflow: like}) {
			if x = c.fullRef(x); !strings.EqualFold(x.WorkflowName, like) {
				c.Errorf("workflow=%s (workflow %s with its last character replaced by '_', a LIKE pattern's any one character) lists job %q of workflow %q", like, c.cfg.Workflow, x.Name, x.WorkflowName)
				break
			}
		}
	}
	// Filters combined: each still applies.
	if datesRead {
		wfBoth := refs(client.ListJobsOptions{Workflow: c.cfg.Workflow, StartDate: mAB, EndDate: mBC})
		if !has(wfBoth, b) || has(wfBoth, a) || has(wfBoth, cc) {
			c.Errorf("workflow=%s with startDate and endDate around job 2: jobs 1, 2, 3 listed %v, %v, %v; want false, true, false (every filter applies)", c.cfg.Workflow, has(wfBoth, a), has(wfBoth, b), has(wfBoth, cc))
		}
		noneDated := refs(client.ListJobsOptions{Workflow: c.cfg.Prefix + c.runID + "_no_such_workflow", StartDate: mAB})
		if len(noneDated) > 0 {
			c.Errorf("workflow=<a workflow that does not exist> with startDate between jobs 1 and 2 lists %d jobs (the first %q of %q); want none (every filter applies)", len(noneDated), noneDated[0].Name, noneDated[0].WorkflowName)
		}
	}
	c.checkOtherWorkflow(other, refs(client.ListJobsOptions{Workflow: c.cfg.Workflow}), jobs, f.input)
}

// otherWorkflowJob starts a job of Config.OtherWorkflow on input, when one is configured, and
// returns it; nil when none is configured (the case says so) or the start failed (a failure).
func (c *check) otherWorkflowJob(input string) *client.Job {
	if c.cfg.OtherWorkflow == "" {
		c.Observe("a workflow filter with jobs of two workflows is not checked: no second workflow is configured (Config.OtherWorkflow, --other-workflow)")
		return nil
	}
	j, err := c.client.StartJob(c.ctx, client.NewJob{Name: c.jobName("filter other workflow"), WorkflowName: c.cfg.OtherWorkflow, InputDatasets: map[string]string{c.cfg.OtherWorkflowInput: input}})
	if err != nil {
		c.Errorf("starting a job of the second workflow %s (Config.OtherWorkflow) with input slot %s: %v", c.cfg.OtherWorkflow, c.cfg.OtherWorkflowInput, err)
		return nil
	}
	return j
}

// checkOtherWorkflow checks, with jobs of two workflows on the account, that a job of the configured
// workflow on input named like the other workflow's job (other) is refused (job names are unique,
// whatever the workflow), that workflow=<the configured workflow> (mine, as listed) leaves out the
// other job, and that workflow=<the other> lists it and none of the configured workflow's jobs.
func (c *check) checkOtherWorkflow(other *client.Job, mine []client.JobRef, jobs []*client.Job, input string) {
	if other == nil {
		return
	}
	// Job names are unique across workflows.
	_, err := c.client.StartJob(c.ctx, client.NewJob{Name: other.Name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: input}})
	if err == nil {
		c.Errorf("a job of workflow %s named %q, the name of a job of workflow %s, was started; job names are unique", c.cfg.Workflow, other.Name, c.cfg.OtherWorkflow)
	} else {
		c.wantRefusedErr(fmt.Sprintf("a job of workflow %s named like a job of workflow %s", c.cfg.Workflow, c.cfg.OtherWorkflow), "D-13", "Job_CreateJob", err)
	}
	if slices.ContainsFunc(mine, func(r client.JobRef) bool { return r.Name == other.Name }) {
		c.Errorf("workflow=%s lists job %q of workflow %s", c.cfg.Workflow, other.Name, c.cfg.OtherWorkflow)
	}
	var theirs []client.JobRef
	for ref, err := range c.client.ListJobs(c.ctx, client.ListJobsOptions{Workflow: c.cfg.OtherWorkflow}) {
		if err != nil {
			c.Fatalf("listing jobs of workflow %s: %v", c.cfg.OtherWorkflow, err)
		}
		theirs = append(theirs, c.fullRef(ref))
		if len(theirs) >= 2000 {
			break
		}
	}
	if !slices.ContainsFunc(theirs, func(r client.JobRef) bool { return r.Name == other.Name }) {
		c.Errorf("workflow=%s does not list job %q of that workflow (%d jobs listed)", c.cfg.OtherWorkflow, other.Name, len(theirs))
	}
	for _, r := range theirs {
		if !strings.EqualFold(r.WorkflowName, c.cfg.OtherWorkflow) || slices.ContainsFunc(jobs, func(j *client.Job) bool { return j.Name == r.Name }) {
			c.Errorf("workflow=%s lists job %q of workflow %q", c.cfg.OtherWorkflow, r.Name, r.WorkflowName)
			break
		}
	}
}

// checkDateOffsets checks that startDate and endDate are read with their offsets (RFC 3339, D-12;
// times are parsed in any RFC 3339 form, documented): the same instants around job b as before,
// written at +05:30 and at -07:00, keep b and drop a and cc.
func (c *check) checkDateOffsets(has func([]client.JobRef, *client.Job) bool, a, b, cc *client.Job, start, end time.Time) {
	q := url.Values{
		"startDate": {start.In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano)},
		"endDate":   {end.In(time.FixedZone("", -7*3600)).Format(time.RFC3339Nano)},
	}
	r := c.raw(http.MethodGet, "/Job", q, nil, withToken)
	var list []client.JobRef
	if !r.is2xx() || r.decode(&list) != nil {
		c.Errorf("GET /Job?%s: answered %s; want 2xx and a JSON array", q.Encode(), r)
		return
	}
	if !has(list, b) || has(list, a) || has(list, cc) {
		c.Errorf("GET /Job?%s (startDate and endDate around job 2, written with offsets): jobs 1, 2, 3 listed %v, %v, %v; want false, true, false (the same instants in UTC do that)", q.Encode(), has(list, a), has(list, b), has(list, cc))
	}
}

// checkDateBoundaries checks the date filters at their boundaries, once they are known to be read:
// startDate and endDate equal to job b's submittedAt, as the server gives it, keep b ("submitted at
// or after" / "at or before this time": both ends are inclusive, documented), and still drop the
// job on the other side.
func (c *check) checkDateBoundaries(refs func(client.ListJobsOptions) []client.JobRef, has func([]client.JobRef, *client.Job) bool, a, b, cc *client.Job) {
	at := b.SubmittedAt.Time
	for _, x := range []struct {
		what  string
		o     client.ListJobsOptions
		notIn []*client.Job
	}{
		{"startDate equal to job 2's submittedAt", client.ListJobsOptions{StartDate: at}, []*client.Job{a}},
		{"endDate equal to job 2's submittedAt", client.ListJobsOptions{EndDate: at}, []*client.Job{cc}},
		{"startDate and endDate both equal to job 2's submittedAt", client.ListJobsOptions{StartDate: at, EndDate: at}, []*client.Job{a, cc}},
	} {
		list := refs(x.o)
		if !has(list, b) {
			c.Errorf("%s (%s): job %q is not listed; the filters keep jobs submitted at or after startDate and at or before endDate (both ends inclusive). the list holds %d jobs (%s)", x.what, at.UTC().Format(time.RFC3339Nano), b.Name, len(list), c.last("Job_GetList").String())
		}
		for _, j := range x.notIn {
			if has(list, j) {
				c.Errorf("%s: job %q (submitted %s) is listed", x.what, j.Name, j.SubmittedAt)
			}
		}
	}
}

// jobCarries checks that a job's full details carry what it was started with: workflowName,
// inputDatasets and, when sent, inputFilename (GET /Job/{name}: "Full details ... inputDatasets{},
// ... inputFilename").
func (c *check) jobCarries(got *client.Job, sent client.NewJob) {
	if got.WorkflowName != sent.WorkflowName {
		c.Errorf("GET /Job/{name} of %q: workflowName %q; started with %q", sent.Name, got.WorkflowName, sent.WorkflowName)
	}
	if !maps.Equal(got.InputDatasets, sent.InputDatasets) {
		c.Errorf("GET /Job/{name} of %q: inputDatasets %v; started with %v", sent.Name, got.InputDatasets, sent.InputDatasets)
	}
	if sent.InputFilename != "" && got.InputFilename != sent.InputFilename {
		c.Errorf("GET /Job/{name} of %q: inputFilename %q; started with %q", sent.Name, got.InputFilename, sent.InputFilename)
	}
}

// refusedJobChangesNothing sends another start under the name of existing job name, with parameters
// and an inputFilename of its own, on input: it must be refused (job names are unique), and a
// refused start changes nothing of the job of that name: GET /Job/{name} reads the same
// workflowName, submittedAt, inputDatasets, parameters and inputFilename before and after it.
func (c *check) refusedJobChangesNothing(name, input string) {
	before, err := c.client.GetJob(c.ctx, name)
	if err != nil {
		c.Errorf("GET /Job/{name} of %q: %v", name, err)
		return
	}
	dup := client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: input},
		InputFilename: "/ToData8/" + c.cfg.Prefix + c.runID + " refused start.csv", Parameters: map[string]string{"Conformance": "refused start"}}
	_, refusal := c.client.StartJob(c.ctx, dup)
	if refusal == nil {
		c.Errorf("a second job named %q (with parameters and an inputFilename) was started; job names are unique", name)
		return
	}
	after, err := c.client.GetJob(c.ctx, name)
	if err != nil {
		c.Errorf("GET /Job/{name} of %q after a start under its name was refused: %v", name, err)
		return
	}
	show := func(j *client.Job) string {
		return jsonText(map[string]any{"workflowName": j.WorkflowName, "submittedAt": j.SubmittedAt.UTC().Format(time.RFC3339Nano),
			"inputDatasets": j.InputDatasets, "parameters": j.Parameters, "inputFilename": j.InputFilename})
	}
	if b, a := show(before), show(after); b != a {
		c.Errorf("job %q, after a second start under its name was refused (%s): GET /Job/{name} reads %s; before it, %s (a refused start changes nothing)", name, outcome(refusal), a, b)
	}
}
