package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8time"
)

// echoFixture is a complete input dataset and a finished job of the configured copying workflow
// over it, shared by the cases that need a job or an output dataset. The first case that needs it
// builds it, under its own name.
type echoFixture struct {
	input         string
	records       []client.Record
	started       *client.Job // the answer to POST /Job
	startedAnswer string      // the answer to POST /Job, described
	job           *client.Job // as last polled: finished
	output        string      // the output dataset
	statuses      []int       // the status codes seen while polling, without repeats
	percents      []float64   // percentComplete values seen while polling
	err           string      // why it could not be built
}

// keyFixture is an API key shared by the API key cases, deleted by APIKEY-DELETE (or at the end).
// It is created with every member of the create body but isClientKey, so that the answer shows
// which of them the server takes by their documented names.
type keyFixture struct {
	*keyRecord
	sent    client.NewAPIKey
	created *client.APIKey // the answer to the create (or, when it had no body, the first read)
	err     string
}

// echoRecords are the records of the echo fixture's input.
func echoRecords() []client.Record {
	return []client.Record{
		{"first": "Jane", "last": "Smith", "n": 1},
		{"first": "John", "last": "Doe", "n": 2},
		{"first": "Ann", "last": "Lee", "n": 3},
	}
}

// echoColumns are the columns of the echo fixture's input.
func echoColumns() map[string]int { return map[string]int{"first": 0, "last": 0, "n": 1} }

// echo returns the echo fixture, building it on first use; a fixture that could not be built ends
// the case.
func (c *check) echo() *echoFixture {
	c.mu.Lock()
	f := c.echoFix
	c.mu.Unlock()
	if f == nil {
		f = c.buildEcho()
		c.mu.Lock()
		c.echoFix = f
		c.mu.Unlock()
	}
	if f.err != "" {
		c.Fatalf("the shared job fixture could not be built: %s", f.err)
	}
	return f
}

// buildEcho uploads the echo input, starts a job of the configured workflow on it and waits for it.
func (c *check) buildEcho() *echoFixture {
	f := &echoFixture{input: c.datasetName("echo_in"), records: echoRecords()}
	if _, _, err := c.client.UploadDataset(c.ctx, f.input, echoColumns(), recordSource(f.records), client.UploadOptions{Concurrency: 1}); err != nil {
		f.err = fmt.Sprintf("uploading input dataset %s: %v", f.input, err)
		return f
	}
	job, err := c.client.StartJob(c.ctx, client.NewJob{
		Name:          c.jobName("echo job"),
		WorkflowName:  c.cfg.Workflow,
		InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input},
	})
	if err != nil {
		f.err = fmt.Sprintf("starting a %s job: %v", c.cfg.Workflow, err)
		return f
	}
	f.started = job
	f.startedAnswer = c.last("Job_CreateJob").String()
	done, err := c.waitJob(job.Name, func(j *client.Job) {
		if n := len(f.statuses); n == 0 || f.statuses[n-1] != j.Status {
			f.statuses = append(f.statuses, j.Status)
		}
		f.percents = append(f.percents, j.PercentComplete)
	})
	if err != nil {
		f.err = fmt.Sprintf("waiting for job %q: %v", job.Name, err)
		return f
	}
	f.job = done
	f.output = done.OutputDatasets[c.cfg.WorkflowOutput]
	if f.output == "" {
		f.err = fmt.Sprintf("finished job %q has no output dataset for slot %q (outputDatasets %v)", job.Name, c.cfg.WorkflowOutput, done.OutputDatasets)
	}
	return f
}

// waitJob polls a job until it is finished by the contract's rule (D-14), calling progress after
// every poll. A job done (percentComplete 100) whose completedAt is a time before its
// submittedAt, but less than an hour before it (no placeholder for "unset", as 0001-01-01,
// 1900-01-01 or 1970-01-01 are), at polls 3
// seconds apart or more, is not waited for until Config.JobTimeout: it completed before it was
// submitted, and reads unfinished by D-14's rule however long it is polled.
func (c *check) waitJob(name string, progress func(*client.Job)) (*client.Job, error) {
	ctx, cancel := context.WithTimeoutCause(c.ctx, c.cfg.JobTimeout, fmt.Errorf("not finished after %s (Config.JobTimeout)", c.cfg.JobTimeout))
	defer cancel()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var early time.Time // the first poll that read completedAt before submittedAt
	job, err := c.client.WaitJob(ctx, name, client.WaitOptions{
		Interval:    c.cfg.JobPollInterval,
		MaxInterval: 8 * c.cfg.JobPollInterval,
		Progress: func(j *client.Job) {
			if progress != nil {
				progress(j)
			}
			if !completedBeforeSubmitted(j) {
				early = time.Time{}
				return
			}
			if early.IsZero() {
				early = time.Now()
			} else if time.Since(early) >= 3*time.Second {
				stop(fmt.Errorf("its completedAt, %s, is before its submittedAt, %s, at every poll for %s: a job does not complete before it is submitted, and by D-14's rule (finished when completedAt is not before submittedAt) it reads unfinished", j.CompletedAt.Format(time.RFC3339Nano), j.SubmittedAt.Format(time.RFC3339Nano), time.Since(early).Round(time.Second)))
			}
		},
	})
	return job, err // an error of the wait names the cause of its end
}

// completedBeforeSubmitted reports whether j's completedAt is set to a time before its submittedAt
// but less than an hour before it, while its percentComplete reads 100: a completion time, not a
// placeholder for "unset" (a running job's completedAt may be any time before its submittedAt, even
// a tick before it, as a row stamped twice in a row has it: D-14 reads the job unfinished then).
func completedBeforeSubmitted(j *client.Job) bool {
	if !j.CompletedAt.IsSet() || j.SubmittedAt.IsZero() || j.PercentComplete < 100 {
		return false
	}
	d := j.SubmittedAt.Sub(j.CompletedAt.Time)
	return d > 0 && d < time.Hour
}

// runEchoJob starts a job labelled label of the copying workflow on the complete dataset input,
// waits for it to finish, and returns it with the name of its output dataset; any failure ends the
// case.
func (c *check) runEchoJob(label, input string) (*client.Job, string) {
	job, err := c.client.StartJob(c.ctx, client.NewJob{Name: c.jobName(label), WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: input}})
	if err != nil {
		c.Fatalf("starting a job on %s: %v", input, err)
	}
	done, err := c.waitJob(job.Name, nil)
	if err != nil {
		c.Fatalf("waiting for job %q: %v", job.Name, err)
	}
	out := done.OutputDatasets[c.cfg.WorkflowOutput]
	if out == "" {
		c.Fatalf("finished job %q has no output dataset for slot %q", job.Name, c.cfg.WorkflowOutput)
	}
	return done, out
}

// key returns the shared API key, creating it on first use.
func (c *check) key() *keyFixture {
	c.mu.Lock()
	k := c.apiKey
	c.mu.Unlock()
	if k == nil {
		limit := 1000
		k = &keyFixture{sent: client.NewAPIKey{
			Description:            c.cfg.Prefix + c.runID + " conformance key" + hardDescription,
			Username:               "conformance",
			ExpiresOn:              fixtureExpiry,
			MaxRequestsPerIPPerDay: &limit,
		}}
		created, err := c.client.CreateAPIKey(c.ctx, k.sent)
		if st := apiStatus(err); st >= 400 && st < 500 && st != http.StatusUnauthorized {
			// The optional members are documented, but a server may hold them to rules no page
			// states (a username of the account's users): the key is made with its description
			// alone, and nothing shows the server takes the others.
			c.Observe("creating the shared key with username, expiresOn and maxRequestsPerIPPerDay: %v; it is created with a description alone", err)
			k.sent = client.NewAPIKey{Description: k.sent.Description}
			created, err = c.client.CreateAPIKey(c.ctx, k.sent)
		}
		switch {
		case err != nil:
			k.err = err.Error()
		case c.last("ApiKey_CreateApiKey").BodyLen == 0 && created.Key != "":
			// A success without a body: what the server says of the key is what it reads back.
			if created, err = c.client.GetAPIKey(c.ctx, created.Key); err != nil {
				k.err = err.Error()
				break
			}
			fallthrough
		default:
			k.created = created
			k.keyRecord = c.generatedKey("POST /ApiKey without a key (the run's shared key)", *created)
			// The members the server took by their documented names: the answer shows what was sent.
			sentKey := client.APIKey{Description: k.sent.Description, Username: k.sent.Username,
				ExpiresOn: &data8time.Time{Time: k.sent.ExpiresOn}, MaxRequestsPerIPPerDay: k.sent.MaxRequestsPerIPPerDay}
			c.mu.Lock()
			for _, m := range updatable {
				if _, v := keyMember(sentKey, m); v != "" && v != "null" && len(keyDiffs(sentKey, *created, m)) == 0 {
					c.keyTook[m] = true
				}
			}
			c.mu.Unlock()
		}
		c.mu.Lock()
		c.apiKey = k
		c.mu.Unlock()
	}
	if k.err != "" {
		c.Fatalf("the shared API key could not be created: %s", k.err)
	}
	if k.deleted {
		c.Fatalf("the shared API key was already deleted")
	}
	return k
}

// hardDescription ends the descriptions of the run's shared key and OAuth clients, which read back
// exactly as sent: letters beyond ASCII, characters outside the Basic Multilingual Plane, HTML and
// JSON specials, quotes and a backslash.
const hardDescription = ` «ünï» 😀 𝔘 <b>&amp;</b> "q" \`

// fixtureExpiry is the shared key's expiry: midnight, so that a server keeping dates only keeps it.
var fixtureExpiry = time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)

// secondKey returns a second API key of the run, made after the shared one, creating it on first
// use: the cases that change one key check that the other is left as it was.
func (c *check) secondKey() *keyRecord {
	c.key()
	c.mu.Lock()
	r := c.apiKey2
	c.mu.Unlock()
	if r != nil && !r.deleted {
		return r
	}
	created, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Description: c.cfg.Prefix + c.runID + " conformance second key"})
	if err != nil {
		c.Fatalf("creating a second API key: %v", err)
	}
	if c.last("ApiKey_CreateApiKey").BodyLen == 0 && created.Key != "" {
		if created, err = c.client.GetAPIKey(c.ctx, created.Key); err != nil {
			c.Fatalf("GET /ApiKey/{key} of the second key: %v", err)
		}
	}
	if created.Key == "" {
		c.Fatalf("creating a second API key: the answer names no key")
	}
	r = c.generatedKey("POST /ApiKey without a key (the run's second key)", *created)
	c.mu.Lock()
	c.apiKey2 = r
	c.mu.Unlock()
	return r
}

// recordSource returns a client.Source of recs.
func recordSource(recs []client.Record) client.Source {
	return client.Records(seqOf(recs))
}

// seqOf returns an iter.Seq2 over recs.
func seqOf(recs []client.Record) iter.Seq2[client.Record, error] {
	return func(yield func(client.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// newDataset creates an input dataset, ending the case on failure. The columns are sent with their
// members in reverse alphabetical order (JSON member order carries no meaning, and a Go map would
// send them sorted), and the dataset's details are read back: each column must keep exactly the
// code sent for it (documented: columns "maps column name ... to an integer type code").
func (c *check) newDataset(label string, cols map[string]int) string {
	name := c.datasetName(label)
	r, body := c.createDataset(name, cols)
	if !r.is2xx() {
		c.Fatalf("creating dataset %s (%s): answered %s; want 2xx", name, body, r)
	}
	c.checkColumnsKept(name, body, cols)
	return name
}

// createDataset creates dataset name with columns cols as createWithColumns does, for a case whose
// subject is not the column codes: once the server is seen to refuse codes other than 0 and 1 (the
// codes Data8's example shows) and to take a create with those, every later create sends odd codes
// as 1 and even ones as 0, a D-11 difference observed where it was seen. cols is rewritten to the
// codes sent, which the dataset must then keep.
func (c *check) createDataset(name string, cols map[string]int) (*response, string) {
	maps.Copy(cols, c.sentCodes(cols))
	r, body := c.createWithColumns(name, cols)
	if r.Status != http.StatusBadRequest || maps.Equal(cols, shownCodes(cols)) {
		return r, body
	}
	shown := shownCodes(cols)
	r2, body2 := c.createWithColumns(name, shown)
	if !r2.is2xx() {
		return r, body
	}
	c.mu.Lock()
	c.codes01 = true
	c.mu.Unlock()
	c.Differ("D-11", "Dataset_Create", fmt.Sprintf("column codes other than 0 and 1 are refused (%s), codes 0 and 1 taken: the run sends only those from here", body), evidence(http.MethodPost, "/Dataset", r))
	maps.Copy(cols, shown)
	return r2, body2
}

// sentCodes returns cols as createDataset sends them: shownCodes(cols) once the server is seen to
// take only codes 0 and 1, cols itself before.
func (c *check) sentCodes(cols map[string]int) map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codes01 {
		return shownCodes(cols)
	}
	return cols
}

// shownCodes returns cols with every odd code 1 and every even one 0: the codes Data8's example
// shows (0 for names, 1 for a priority), each column keeping its kind.
func shownCodes(cols map[string]int) map[string]int {
	out := make(map[string]int, len(cols))
	for k, v := range cols {
		out[k] = v & 1
	}
	return out
}

// createWithColumns sends POST /Dataset for name with cols, their members in reverse alphabetical
// order (columnsJSON), and returns the answer and the body sent.
func (c *check) createWithColumns(name string, cols map[string]int) (*response, string) {
	body := fmt.Sprintf(`{"name":%s,"columns":%s}`, jsonText(name), columnsJSON(cols))
	return c.raw(http.MethodPost, "/Dataset", nil, body, withToken), body
}

// columnsJSON writes cols as a JSON object whose members are in reverse alphabetical order, so that
// a server which pairs codes with names by position in a sorted list gets them wrong.
func columnsJSON(cols map[string]int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range slices.Backward(slices.Sorted(maps.Keys(cols))) {
		if i < len(cols)-1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", jsonText(n), cols[n])
	}
	b.WriteByte('}')
	return b.String()
}

// checkColumnsKept reads dataset name's details and reports, with the create body sent, any column
// whose code is not exactly the one sent, and any column added or lost.
func (c *check) checkColumnsKept(name, sent string, cols map[string]int) {
	got, err := c.dataset(name)
	if err != nil {
		c.Errorf("GET /Dataset/%s after creating it with %s: %v", name, sent, err)
		return
	}
	if !maps.Equal(got.Columns, cols) {
		c.Errorf("dataset %s created with %s (members not in alphabetical order): GET /Dataset/{name} gives columns %s; want each column with exactly the code sent for it", name, sent, jsonText(got.Columns))
	}
}

// upload uploads recs into dataset in blocks of blockSize numbered from startBlock, one block at a
// time (so blocks arrive in ascending order), ending the case on failure.
func (c *check) upload(dataset string, recs []client.Record, startBlock, blockSize int) {
	if _, err := c.client.Upload(c.ctx, dataset, recordSource(recs), client.UploadOptions{StartBlock: startBlock, BlockSize: blockSize, Concurrency: 1}); err != nil {
		c.Fatalf("uploading %d records to %s from block %d: %v", len(recs), dataset, startBlock, err)
	}
}

// completeInput creates, uploads and completes an input dataset, ending the case on failure.
func (c *check) completeInput(label string, cols map[string]int, recs []client.Record) string {
	name := c.datasetName(label)
	ds, _, err := c.client.UploadDataset(c.ctx, name, cols, recordSource(recs), client.UploadOptions{Concurrency: 1})
	if err != nil {
		c.Fatalf("uploading complete dataset %s: %v", name, err)
	}
	c.checkCompletionAnswer(fmt.Sprintf(`PUT /Dataset/%s {"recordCount":%d,"completed":true}`, name, len(recs)), ds)
	return name
}

// readAll reads a dataset's records with the client (D-10), or raw when the client refuses the
// dataset's name locally (see clientRefused); the error says why the server would not give them.
func (c *check) readAll(dataset string) ([]client.Record, error) {
	if dataset == "" {
		return nil, errNoDatasetName
	}
	var out []client.Record
	for r, err := range c.client.ReadRecords(c.ctx, dataset) {
		if errors.Is(err, client.ErrValidation) && len(out) == 0 {
			c.clientRefused(dataset, err)
			recs, _, _, rerr := c.readRaw(dataset, 1<<20)
			return recs, rerr
		}
		var cm *client.CountMismatchError
		if errors.As(err, &cm) && cm.Want == 0 && c.countsAtCompletion(dataset) {
			recs, _, _, rerr := c.readRaw(dataset, 1<<20)
			return recs, rerr
		}
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// countsAtCompletion reports whether dataset is an incomplete input dataset whose recordCount is 0,
// and notes the difference when it is: what recordCount says before completion is decided (D-8:
// the number of records the caller uploaded), and a server that counts them only when the dataset
// is completed (the caller states the count then) differs from that decision but breaks no
// documented rule. The records themselves are then read without the count to check them against.
func (c *check) countsAtCompletion(dataset string) bool {
	ds, err := c.dataset(dataset)
	if err != nil || !ds.Input || ds.Completed || ds.RecordCount != 0 {
		return false
	}
	c.Differ("D-8", "Dataset_GetByName", "an incomplete input dataset's recordCount is 0 while it holds records: the server counts them when the dataset is completed", c.last("Dataset_GetByName").String())
	return true
}

// readRaw reads a dataset's records page by page, raw, until an empty page (or more records than
// max): the records, the first page's answer, and the page sizes.
func (c *check) readRaw(dataset string, max int) ([]client.Record, *response, []int, error) {
	if dataset == "" {
		return nil, nil, nil, errNoDatasetName
	}
	var got []client.Record
	var first *response
	var pages []int
	for page := 1; ; page++ {
		r := c.raw(http.MethodGet, uploadPath(dataset), url.Values{"page": {fmt.Sprint(page)}}, nil, withToken)
		if page == 1 {
			first = r
		}
		if !r.is2xx() {
			return got, first, pages, &client.APIError{StatusCode: r.Status}
		}
		var recs []client.Record
		if err := r.decodeExact(&recs); err != nil {
			return got, first, pages, fmt.Errorf("page %d is not a JSON array of records (%s)", page, r)
		}
		pages = append(pages, len(recs))
		got = append(got, recs...)
		if len(recs) == 0 || len(got) > max {
			return got, first, pages, nil
		}
	}
}

// errNoDatasetName is the error of a read of a dataset with no name: an empty slot of a job's
// outputDatasets names no dataset (an unfinished job's output may not exist yet), and a request for
// it would read something else (GET /Dataset/ may well be the list).
var errNoDatasetName = errors.New("no dataset name to read (the server named none)")

// dataset gets a dataset's details with the client, or raw when the client refuses the name
// locally. An empty name is no dataset's: nothing is sent.
func (c *check) dataset(name string) (*client.Dataset, error) {
	if name == "" {
		return nil, errNoDatasetName
	}
	ds, err := c.client.GetDataset(c.ctx, name)
	if !errors.Is(err, client.ErrValidation) {
		return ds, err
	}
	c.clientRefused(name, err)
	r := c.raw(http.MethodGet, datasetPath(name), nil, nil, withToken)
	if !r.is2xx() {
		return nil, &client.APIError{StatusCode: r.Status}
	}
	ds = &client.Dataset{}
	if err := r.decode(ds); err != nil {
		return nil, fmt.Errorf("GET /Dataset/{name}: %s: %w", r, err)
	}
	return ds, nil
}

// clientRefused notes that the project's client refused, without sending, a name the server gave:
// the name pattern is documented for creating input datasets only (output datasets are named by
// jobs), so this is the client's limit, not the server's; the suite goes on with raw requests.
func (c *check) clientRefused(name string, err error) {
	c.Observe("the project's client refuses the server's dataset name %q locally (%v); read raw instead", name, err)
}

// sameRecords reports whether got holds the same records as want in the same order, each value
// compared as the contract guarantees it (sameValue): a server that reads values back as text
// ("0" for 0) keeps its records. exact is false when some value came back in another form, which
// is a difference from D-11 (the caller says so), not a broken rule.
func sameRecords(got, want []client.Record) (ok bool, why string, exact bool) {
	if len(got) != len(want) {
		return false, fmt.Sprintf("%d records, want %d", len(got), len(want)), false
	}
	exact = true
	for i := range got {
		same, ex := sameRecord(got[i], want[i])
		if !same {
			return false, fmt.Sprintf("record %d is %s, want %s", i, jsonText(got[i]), jsonText(want[i])), false
		}
		exact = exact && ex
	}
	return true, "", exact
}

// sameRecord compares two records as sameRecords does: every column of either, an absent member
// equal to null.
func sameRecord(got, want client.Record) (same, exact bool) {
	exact = true
	for k, w := range want {
		s, ex := sameValue(got[k], w)
		if !s {
			return false, false
		}
		exact = exact && ex
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			s, ex := sameValue(g, nil)
			if !s {
				return false, false
			}
			exact = exact && ex
		}
	}
	return true, exact
}

// sameValue compares a value read back (got) with the value sent (want). D-11 decides that values
// are JSON strings, numbers, booleans or null; the documentation says nothing of their form, so a
// value that reads back as its text (0 as "0", true as "true" or "True", null as "") is the same
// value in another form: same, but not exact. Numbers compare by value (1e-3 is 0.001). A string
// sent that reads back as a string must be the same string, character for character: no other form
// of a text is a text; a string that reads back as a number or boolean must have been its JSON text
// ("7", not "007" or "1e3": a store that infers types from texts changes them).
func sameValue(got, want any) (same, exact bool) {
	gt, wt := jsonText(got), jsonText(want)
	if gt == wt {
		return true, true
	}
	gv, wv := plainValue(got), plainValue(want)
	if gs, ok := gv.(string); ok {
		if ws, ok := wv.(string); ok {
			return gs == ws, gs == ws
		}
	}
	if gv == nil || wv == nil {
		if gv == nil && wv == nil {
			return true, true
		}
		if s, ok := gv.(string); ok && wv == nil && s == "" {
			return true, false
		}
		return false, false
	}
	if ws, ok := wv.(string); ok {
		// A text read back as a number or a boolean is the same value only when the text was that
		// value's own JSON text ("7" as 7): "007" read back as 7, or "1e3" as 1000, is another text.
		return gt == ws, false
	}
	if gn, ok := exactNumber(gv); ok {
		if wn, ok := exactNumber(wv); ok && gn.Cmp(wn) == 0 {
			_, gIsStr := gv.(string)
			_, wIsStr := wv.(string)
			return true, gIsStr == wIsStr
		}
	}
	if gb, ok := boolean(gv); ok {
		if wb, ok := boolean(wv); ok && gb == wb {
			return true, false
		}
	}
	return false, false
}

// plainValue decodes v's JSON text: nil, string, json.Number or bool (an object or array stays
// one). Numbers keep their digits: 9007199254740993 is not 9007199254740992.
func plainValue(v any) any {
	var x any
	dec := json.NewDecoder(strings.NewReader(jsonText(v)))
	dec.UseNumber()
	if dec.Decode(&x) != nil {
		return v
	}
	return x
}

// number reads v as a float64: a JSON number, or a string holding one.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// exactNumber reads v as an exact rational value: a JSON number (its digits, not the nearest
// float64), or a string holding a decimal number. 1e3 and 1000 are the same value.
func exactNumber(v any) (*big.Rat, bool) {
	var text string
	switch x := v.(type) {
	case json.Number:
		text = string(x)
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(x) == nil {
			return nil, false
		}
		return r, true
	case string:
		text = strings.TrimSpace(x)
	default:
		return nil, false
	}
	if text == "" || strings.ContainsAny(text, "/xXoObB_") {
		return nil, false
	}
	return new(big.Rat).SetString(text)
}

// boolean reads v as a boolean: a JSON boolean, or a string "true" or "false" in any case.
func boolean(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// compareRecords checks records read back (got) against those sent (want): a record lost, added,
// changed or out of order fails the case with what (the documented rule at stake); values that came
// back in another form (D-11) are a difference. It reports whether the records held.
func (c *check) compareRecords(what string, got, want []client.Record) bool {
	ok, why, exact := sameRecords(got, want)
	if !ok {
		c.Errorf("%s: %s", what, why)
		return false
	}
	if !exact {
		c.Differ("D-11", "Dataset_GetData", "values read back in another form than they were sent (for example a number as text); the records and their order are right", c.last("Dataset_GetData").String())
	}
	return true
}

// jsonText returns v as JSON text.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// seqRecords returns n records {"seq": from+i, "tag": tag}.
func seqRecords(from, n int, tag string) []client.Record {
	out := make([]client.Record, n)
	for i := range out {
		out[i] = client.Record{"seq": from + i, "tag": tag}
	}
	return out
}

// seqColumns are the columns of seqRecords.
func seqColumns() map[string]int { return map[string]int{"seq": 1, "tag": 0} }

// nearMiss is a name near an existing one that names nothing, with what it is for messages.
type nearMiss struct{ name, what string }

// nearMisses returns names near name (an existing dataset, job, key or client) that are other
// names: name without its last character (a prefix of it), with a character added (it a prefix
// of them), with its last character changed, with its last character other than '_' replaced by
// '_' (a SQL LIKE pattern's any one character), and with its last two characters replaced by '%'
// (a LIKE pattern's any run of characters). A server that finds an object by a prefix, by a LIKE
// pattern, by its first characters or by anything but the exact name answers one of them with the
// object name names, or with the first it comes to.
func nearMisses(name string) []nearMiss {
	r := []rune(name)
	if len(r) == 0 {
		return nil
	}
	last := 'x'
	if r[len(r)-1] == 'x' || r[len(r)-1] == 'X' {
		last = 'y'
	}
	changed := string(r[:len(r)-1]) + string(last)
	out := []nearMiss{{name + "x", "it with a character added"}, {changed, "it with its last character changed"}}
	if len(r) > 1 {
		out = append([]nearMiss{{string(r[:len(r)-1]), "it without its last character"}}, out...)
	}
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] != '_' {
			w := slices.Clone(r)
			w[i] = '_'
			out = append(out, nearMiss{string(w), fmt.Sprintf("it with its character %d (%q) replaced by '_', a LIKE pattern's any one character", i+1, r[i])})
			break
		}
	}
	if len(r) > 2 {
		out = append(out, nearMiss{string(r[:len(r)-2]) + "%", "it with its last two characters replaced by '%', a LIKE pattern's any run of characters"})
	}
	return out
}

// completeDataset completes dataset name with recordCount n through the client and, when it
// succeeds, checks its answer against the dataset read right after it (checkCompletionAnswer):
// PUT /Dataset/{name} "Answers the updated Dataset". Every completion the suite expects to succeed
// goes through here.
func (c *check) completeDataset(name string, n int64) (*client.Dataset, error) {
	ds, err := c.client.CompleteDataset(c.ctx, name, n)
	if err != nil {
		return ds, err
	}
	c.checkCompletionAnswer(fmt.Sprintf(`PUT /Dataset/%s {"recordCount":%d,"completed":true}`, name, n), ds)
	return ds, nil
}

// checkCompletionAnswer checks the dataset a completion (sent, for the message) answered against the
// dataset read right after it: PUT /Dataset/{name} answers the dataset as it is after the write, not
// as it was read before (completed must be true, and name, input, recordCount and columns those of
// the read-back; what recordCount
// means before completion is decided, D-8, so it is compared with what the server reads back, not
// with a number of the suite's). An answer without a body (a 204, read by the client with a GET)
// is the read-back itself.
func (c *check) checkCompletionAnswer(sent string, ds *client.Dataset) {
	if ds == nil {
		return
	}
	answer := c.last("Dataset_UpdateByName").String()
	name := ds.Name
	if name == "" {
		c.Errorf("%s answered %s: a Dataset without a name; want the dataset written", sent, answer)
		return
	}
	got, err := c.dataset(name)
	if err != nil {
		c.Errorf("GET /Dataset/%s right after %s (answered %s): %v", name, sent, answer, err)
		return
	}
	if !ds.Completed || !got.Completed || ds.RecordCount != got.RecordCount || ds.Input != got.Input || !maps.Equal(ds.Columns, got.Columns) {
		c.Errorf("%s answered %s: completed %v, recordCount %d, input %v, columns %s; the GET /Dataset/%s right after it reads completed %v, recordCount %d, input %v, columns %s; want the answer to be the dataset after the write (completed true, as read back; \"Answers the updated Dataset\")",
			sent, answer, ds.Completed, ds.RecordCount, ds.Input, jsonText(ds.Columns), name, got.Completed, got.RecordCount, got.Input, jsonText(got.Columns))
	}
}

// stillOpen checks that dataset name, an incomplete input dataset of seqColumns holding held, still
// is one after the refused requests what: a refused request changes nothing, so it takes a block (of
// one record, numbered block, after the blocks it holds) and a completion with its true count, and
// then reads back held and that record, in order.
func (c *check) stillOpen(name string, held []client.Record, block int, what string) {
	c.stillOpenWith(name, held, block, seqRecords(7000+block, 1, "after"), what)
}

// stillOpenWith is stillOpen with the records more of the block sent (for datasets of other columns).
func (c *check) stillOpenWith(name string, held []client.Record, block int, more []client.Record, what string) {
	if r := c.raw(http.MethodPatch, uploadPath(name), nil, blockBody(block, more), withToken); !r.is2xx() {
		c.Errorf("after %s: block %d of %d records for %s, an incomplete input dataset still: answered %s; want 2xx (a refused request changes nothing; \"Dataset must be an **incomplete input** dataset\")", what, block, len(more), name, r)
		return
	}
	want := append(slices.Clone(held), more...)
	if _, err := c.completeDataset(name, int64(len(want))); err != nil {
		c.Errorf("after %s and a block: completing %s, an incomplete input dataset still, with its %d records: %s; want it complete (a refused request changes nothing; \"Marks an **incomplete input** dataset complete\")", what, name, len(want), outcome(err))
		return
	}
	c.readsExactly(name, want, fmt.Sprintf("%s, completed after %s and a block of %d records", name, what, len(more)))
}

// stillJobInput checks that complete input dataset name, holding recs, can still be used by a job
// after the refused requests what: a refused request changes nothing, so a job of the copying
// workflow starts on it, and its output holds exactly recs, in order.
func (c *check) stillJobInput(label, name string, recs []client.Record, what string) {
	job, err := c.client.StartJob(c.ctx, client.NewJob{Name: c.jobName(label), WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: name}})
	if err != nil {
		c.Errorf("after %s: a job on %s, a complete input dataset still: %s; want it started (a refused request changes nothing; \"Once complete it can be used by a job.\")", what, name, outcome(err))
		return
	}
	c.jobOutputIs(job.Name, recs, fmt.Sprintf("the output of job %q on %s (%d records) after %s", job.Name, name, len(recs), what))
}

// jobOutputIs waits for job to finish and checks that its output dataset holds exactly want, in
// order (readsExactly); what describes the output for messages.
func (c *check) jobOutputIs(job string, want []client.Record, what string) {
	done, err := c.waitJob(job, nil)
	if err != nil {
		c.Errorf("waiting for job %q: %v", job, err)
		return
	}
	out := done.OutputDatasets[c.cfg.WorkflowOutput]
	if out == "" {
		c.Errorf("finished job %q has no output dataset for slot %q (outputDatasets %v); outputDatasets names where the results are read from", job, c.cfg.WorkflowOutput, done.OutputDatasets)
		return
	}
	c.readsExactly(out, want, what)
}

// readsExactly reads dataset name back and checks that it holds exactly want, in order
// (compareRecords: outputDatasets names "where the results are read from", and records are
// "processed in ascending block number, then in the order given inside the block"), then that the
// page after the last page of records is [] (pageAfterLastEmpty). It reports whether the records
// held.
func (c *check) readsExactly(name string, want []client.Record, what string) bool {
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return false
	}
	if !c.compareRecords(what, got, want) {
		return false
	}
	c.pageAfterLastEmpty(name, len(want))
	return true
}

// pageAfterLastEmpty reads, raw, the page of dataset name's records after the last page that holds
// some of its n records (at the page size page 1 shows): a page past the end is [] (D-10), also when
// n is a whole number of pages, where a reader learns of the end only from it. A page past the end
// that holds records, or is refused, differs from D-10.
func (c *check) pageAfterLastEmpty(name string, n int) {
	page := func(p int) (*response, []client.Record, bool) {
		r := c.raw(http.MethodGet, uploadPath(name), url.Values{"page": {fmt.Sprint(p)}}, nil, withToken)
		var recs []client.Record
		return r, recs, r.is2xx() && r.decodeExact(&recs) == nil
	}
	after := 1
	if n > 0 {
		r, recs, ok := page(1)
		if !ok || len(recs) == 0 {
			c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("page 1 of the %d records of %s, read a second time, holds none", n, name), evidence(http.MethodGet, uploadPath(name)+"?page=1", r))
			return
		}
		after = (n+len(recs)-1)/len(recs) + 1
	}
	path := fmt.Sprintf("%s?page=%d", uploadPath(name), after)
	switch r, recs, ok := page(after); {
	case r.Status >= 500:
		c.Errorf("GET %s, the page after the last of the %d records of %s: answered %s", path, n, name, r)
	case r.Status == http.StatusNotFound:
		c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("the page after the last of the %d records of %s is answered 404, not []", n, name), evidence(http.MethodGet, path, r))
	case !ok:
		c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("the page after the last of the %d records of %s is refused or not an array of records", n, name), evidence(http.MethodGet, path, r))
	case len(recs) > 0:
		c.Differ("D-10", "Dataset_GetData", fmt.Sprintf("page %d, after the last of the %d records of %s, holds %d records; a page past the end is []", after, n, name, len(recs)), evidence(http.MethodGet, path, r))
	}
}
