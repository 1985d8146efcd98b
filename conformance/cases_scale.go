package conformance

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/data8-toolkit/data8/client"
)

// scaleCases are the scale tier: the upload and job rules at the sizes and concurrency a real
// batch has. They run with Config.Scale (DATA8_CONFORMANCE_SCALE=1; the in-process tests set it).
func scaleCases() []Case {
	return []Case{
		{
			ID: "SCALE-UPLOAD-ORDER", Kind: Documented,
			Quote:   `**At most 1,000 records per block.** Many uploads per dataset; each block has a unique number; **re-using a block number overwrites** that block's earlier records [...]. Records are **processed in ascending block number, then in the order given inside the block**.`,
			Rule:    "24 blocks of 1 to 1,000 records (4 full) sent 8 at once in a scrambled order, then 3 full blocks overwritten by full blocks and one block re-sent twice, all at once: recordCount and the records read back are every block's last upload, in ascending block number; the dataset then completes with that count (documented).",
			Creates: "1 complete dataset (4,620 records, 29 uploads)",
			Cost:    Cost{Datasets: 1, Records: 4620},
			spend:   onlyIf(scaleTier),
			run:     caseScaleUploadOrder,
		},
		{
			ID: "SCALE-CLIENT-JOB", Kind: Documented,
			Quote:   `Records are **processed in ascending block number, then in the order given inside the block**. [...] Input datasets **must be complete** first. [...] ` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from.`,
			Rule:    "5,003 records uploaded by the project's client at its defaults (blocks of 1,000, 8 at once), numbered from block 5 (blocks 5 to 10: \"10\" sorts before \"5\" as text), and completed, and a job of the copying workflow on them: the input and the job's output both read back whole, in ascending block order, the last partial thousand included (documented).",
			Creates: "1 complete dataset (5,003 records), 1 job and its output",
			Cost:    Cost{Datasets: 1, Jobs: 1, Records: 5003},
			spend:   onlyIf(scaleTier),
			run:     caseScaleClientJob,
		},
		{
			ID: "SCALE-JOB-FULL-PAGES", Kind: Documented,
			Quote:   `Output dataset, or already complete: **400**. Once complete it can be used by a job. [...] ` + "`" + `outputDatasets` + "`" + ` maps output slot → dataset name, where the results are read from.`,
			Rule:    "An input of exactly 2,000 records (two full blocks, two full pages of records), completed, then refused a second completion and a block with 400 (documented), which change nothing: it reads back whole, and a job of the copying workflow on it has an output that holds all 2,000 records in order, the last full page included (documented); the page after the last full page is [] (D-10).",
			Creates: "1 complete dataset (2,000 records), 1 job and its output",
			Cost:    Cost{Datasets: 1, Jobs: 1, Records: 2000},
			spend:   onlyIf(scaleTier),
			run:     caseScaleJobFullPages,
		},
		{
			ID: "SCALE-APIKEY-LIST", Kind: Documented, Decision: "D-5",
			Quote:   `GET /ApiKey: All API keys of the account: array of ` + "`" + `ApiKey` + "`" + `.`,
			Rule:    fmt.Sprintf("%d API keys created one after the other take the account past 100 keys: each is generated in the form ABCD-1234-EFGH-5678 (documented), and every key of the run, read by its key once the newest exists (GET /ApiKey/{key}, D-5), reads back as the server last gave it; GET /ApiKey lists every one of them exactly once, as its create's answer gave it, with the run's other keys (documented); they are deleted again, and a key GET /ApiKey/{key} then says is gone is no longer listed. (A refusal to create more keys, a quota no page states, is observed and the list checked with the keys made.)", scaleKeys),
			Creates: fmt.Sprintf("%d API keys, deleted again by the case (or at the end of the run)", scaleKeys),
			run:     caseScaleKeyList,
		},
		{
			ID: "SCALE-CLIENTCRED-LIST", Kind: Documented, Decision: "D-5",
			Quote:   `GET /ClientCredential: The account's OAuth clients; ` + "`" + `secrets` + "`" + ` is always null in the list.`,
			Rule:    fmt.Sprintf("%d OAuth clients created one after the other (POST /ClientCredential, each with a description of its own) take the run's clients to at least %d, past lists cut at 10, 20 or 25: GET /ClientCredential, the account's OAuth clients (documented), lists every client the run created exactly once, with the description its create's answer gave; and each of them, and the run's own client, read by its id once the newest exists (GET /ClientCredential/{id}: one client credential, documented), gives its own clientId and description, not another client's. (A refusal to create more clients, a quota no page states, is observed and the list checked with the clients made.)", scaleClients, scaleClients),
			Creates: fmt.Sprintf("%d OAuth client credentials (the API cannot delete them)", scaleClients),
			Cost:    Cost{Clients: scaleClients},
			spend:   onlyIf(scaleTier),
			run:     caseScaleClientList,
		},
		{
			ID: "SCALE-SHORT-NAMES", Kind: Documented, Decision: "D-7",
			Quote:   `Name is **unique**, matches ` + "`" + `^[a-z][a-z0-9_]*$` + "`" + `.`,
			Rule:    "Short names that match ^[a-z][a-z0-9_]*$ are taken (documented): a one-letter dataset name, a letter and an underscore, and a letter and a digit, each the first such name the dataset list does not hold, are created, and GET /Dataset/{name} reads each back as sent; a refusal is \"taken\" only when the list then holds the name. A job name of one character ('+' first, then a letter: the first that GET /Job/{name} does not find) is valid too: the job starts, and GET /Job/{name} finds it in every path form. Datasets and jobs cannot be deleted, and these names carry no run prefix: each run leaves 3 datasets and 1 job of short names on the account (26 one-letter names exist; when every one is taken, that kind is not tried).",
			Creates: "3 datasets of short names (a, a_, a0, or the first ones the account does not hold), 1 job of a one-character name",
			Cost:    Cost{Datasets: 3, Jobs: 1},
			fixture: true,
			spend:   onlyIf(scaleTier),
			run:     caseScaleShortNames,
		},
	}
}

// scaleKeys is the number of API keys SCALE-APIKEY-LIST creates: past the 100 of a page of the
// dataset and job lists, whatever the account held before.
const scaleKeys = 101

// scaleClients is the number of OAuth clients SCALE-CLIENTCRED-LIST creates: past lists cut at
// 10, 20 or 25, whatever the account held before. The API cannot delete them.
const scaleClients = 26

// shortNames are the short valid dataset names SCALE-SHORT-NAMES chooses from, by kind, in order.
func shortNames() [][]string {
	var one, under, digit []string
	for l := 'a'; l <= 'z'; l++ {
		one = append(one, string(l))
		under = append(under, string(l)+"_")
		for d := '0'; d <= '9'; d++ {
			digit = append(digit, string(l)+string(d))
		}
	}
	return [][]string{one, under, digit}
}

func caseScaleShortNames(c *check) {
	c.scaleOn()
	listed := func() map[string]bool {
		out := map[string]bool{}
		for ref, err := range c.client.ListDatasets(c.ctx, client.ListDatasetsOptions{}) {
			if err != nil {
				c.Fatalf("listing datasets: %v", err)
			}
			out[ref.Name] = true
		}
		return out
	}
	have := listed()
	for _, kind := range shortNames() {
		name := ""
		for _, n := range kind {
			if !have[n] {
				name = n
				break
			}
		}
		if name == "" {
			c.Observe("every name from %q to %q is listed on the account: none of this kind tried", kind[0], kind[len(kind)-1])
			continue
		}
		r := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": name, "columns": map[string]int{"a": 0}}, withToken)
		switch {
		case r.is2xx():
			var ds client.Dataset
			if g := c.raw(http.MethodGet, datasetPath(name), nil, nil, withToken); !g.is2xx() {
				c.Errorf("GET /Dataset/%s of the dataset just created: answered %s", name, g)
			} else if g.decode(&ds) != nil || ds.Name != name {
				c.Errorf("GET /Dataset/%s names the dataset %q; want %q (%s)", name, ds.Name, name, g)
			}
			c.Observe("dataset %q created: %s", name, r)
		case r.is4xx() && listed()[name]:
			c.Observe("dataset name %q refused (%s), and the list now holds it: taken meanwhile", name, r)
		default:
			c.Errorf("POST /Dataset named %q, which matches ^[a-z][a-z0-9_]*$ and which the dataset list does not hold: answered %s; want 2xx", name, r)
		}
	}
	// A job name of one character: the first that no job has.
	f := c.echo()
	name := ""
	for _, n := range append([]string{"+"}, shortNames()[0]...) {
		r := c.raw(http.MethodGet, jobPath(n), nil, nil, withToken)
		if r.Status == http.StatusNotFound {
			name = n
			break
		}
		if !r.is2xx() {
			c.Errorf("GET %s: answered %s; want the job or 404", jobPath(n), r)
			return
		}
	}
	if name == "" {
		c.Observe("every one-character job name tried is taken: none started")
		return
	}
	j, err := c.client.StartJob(c.ctx, client.NewJob{Name: name, WorkflowName: c.cfg.Workflow, InputDatasets: map[string]string{c.cfg.WorkflowInput: f.input}})
	if err != nil {
		c.Errorf("starting a job named %q, a name of one character that GET /Job/{name} did not find: %v", name, err)
		return
	}
	if j.Name != name {
		c.Errorf("the answer to POST /Job names the job %q; sent %q", j.Name, name)
	}
	c.checkJobFound(name)
}

// scaleSizes are the record counts of SCALE-UPLOAD-ORDER's 24 blocks: every sixth block full, the
// others of 1 to 60 records.
func scaleSizes() []int {
	sizes := make([]int, 24)
	for b := range sizes {
		if b%6 == 0 {
			sizes[b] = 1000
		} else {
			sizes[b] = 1 + (b*37)%60
		}
	}
	return sizes
}

// scaleBlock encodes block b, version v, of n records {"seq": b*100000 + v*10000 + i, "tag": "s"}
// straight to JSON, and returns the records it holds.
func scaleBlock(b, v, n int) ([]byte, []client.Record) {
	body := make([]byte, 0, 32+n*28)
	body = append(body, `{"blockNumber":`...)
	body = strconv.AppendInt(body, int64(b), 10)
	body = append(body, `,"records":[`...)
	recs := make([]client.Record, n)
	for i := range n {
		seq := b*100000 + v*10000 + i
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"seq":`...)
		body = strconv.AppendInt(body, int64(seq), 10)
		body = append(body, `,"tag":"s"}`...)
		recs[i] = client.Record{"seq": seq, "tag": "s"}
	}
	return append(body, "]}"...), recs
}

// scaleOn skips the case unless the scale tier is on.
func (c *check) scaleOn() {
	if !c.cfg.Scale {
		c.Skipf("the scale tier is off (Config.Scale, %s=1)", EnvScale)
	}
}

func caseScaleUploadOrder(c *check) {
	c.scaleOn()
	name := c.newDataset("scale_order", seqColumns())
	sizes := scaleSizes()
	held := make([][]client.Record, len(sizes))
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = (i*11 + 7) % len(sizes) // every block once, scrambled
	}
	bodies := make([][]byte, len(order))
	for i, b := range order {
		bodies[i], held[b] = scaleBlock(b, 0, sizes[b])
	}
	if bad := c.patchAtOnce(name, bodies, 8); len(bad) > 0 {
		c.Fatalf("24 blocks sent 8 at once: %d refused, the first %s", len(bad), bad[0])
	}
	c.checkScale(name, held, "24 blocks sent 8 at once in a scrambled order")

	// Full blocks 0, 6 and 12 overwritten by full blocks, and block 5 sent twice, all at once.
	var again [][]byte
	for _, b := range []int{12, 0, 6} {
		var body []byte
		body, held[b] = scaleBlock(b, 1, 1000)
		again = append(again, body)
	}
	five, _ := scaleBlock(5, 0, sizes[5])
	again = append(again, five, five)
	if bad := c.patchAtOnce(name, again, 8); len(bad) > 0 {
		c.Fatalf("full blocks overwritten by full blocks and a block re-sent, at once: %d refused, the first %s", len(bad), bad[0])
	}
	total := c.checkScale(name, held, "full blocks 0, 6 and 12 overwritten by full blocks and block 5 re-sent twice, at once")
	ds, err := c.completeDataset(name, int64(total))
	if err != nil {
		c.Fatalf("completing %s with its %d records: %v", name, total, err)
	}
	if got := c.state(name); !got.completed || got.count != int64(total) {
		c.Errorf("after completing %s with %d records: completed %v, recordCount %d (the answer said %v, %d)", name, total, got.completed, got.count, ds.Completed, ds.RecordCount)
	}
}

// checkScale checks a dataset's recordCount and records against its blocks, and returns the count.
func (c *check) checkScale(name string, blocks [][]client.Record, what string) int {
	var want []client.Record
	for _, b := range blocks {
		want = append(want, b...)
	}
	if n := c.recordCount(name); n != int64(len(want)) {
		c.Errorf("%s: recordCount %d, want %d", what, n, len(want))
	}
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return len(want)
	}
	c.compareRecords(what, got, want)
	return len(want)
}

func caseScaleKeyList(c *check) {
	c.scaleOn()
	var made []*keyRecord
	for i := range scaleKeys {
		k, err := c.client.CreateAPIKey(c.ctx, client.NewAPIKey{Description: fmt.Sprintf("%s%s scale key %d", c.cfg.Prefix, c.runID, i+1)})
		if st := apiStatus(err); st >= 400 && st < 500 && st != http.StatusUnauthorized && i > 0 {
			c.Observe("creating key %d of %d: %v; the list is checked with the %d made", i+1, scaleKeys, err, i)
			break
		}
		if err != nil {
			c.Fatalf("creating key %d of %d: %v", i+1, scaleKeys, err)
		}
		if c.last("ApiKey_CreateApiKey").BodyLen == 0 && k.Key != "" {
			if k, err = c.client.GetAPIKey(c.ctx, k.Key); err != nil {
				c.Fatalf("GET /ApiKey/{key} of key %d of %d: %v", i+1, scaleKeys, err)
			}
		}
		if k.Key == "" {
			c.Fatalf("creating key %d of %d: the answer names no key", i+1, scaleKeys)
		}
		made = append(made, c.generatedKey(fmt.Sprintf("POST /ApiKey without a key (key %d of %d)", i+1, scaleKeys), *k))
	}
	// Every key of the run, read by its key once the newest exists: as the server last gave it.
	c.rereadKeys(fmt.Sprintf("%d keys made by this case", len(made)), nil, nil)
	listed := c.checkKeyList(fmt.Sprintf("with %d keys made by this case", len(made)))
	c.Observe("GET /ApiKey with %d keys of this case: %d keys listed", len(made), len(listed))
	for _, r := range made {
		c.deleteTracked(r, "made by this case")
	}
	// A deleted key still listed must be gone for GET /ApiKey/{key} too before the list is wrong.
	after, err := c.client.ListAPIKeys(c.ctx)
	if err != nil {
		c.decidedCall("GET /ApiKey", "ApiKey_GetList", err)
	}
	for _, k := range after {
		for _, r := range made {
			if r.key == k.Key && r.deleted {
				if _, err := c.client.GetAPIKey(c.ctx, r.key); apiStatus(err) == http.StatusNotFound {
					c.mu.Lock()
					r.gone = true
					c.mu.Unlock()
				}
			}
		}
	}
	c.checkKeyList(fmt.Sprintf("after deleting the %d keys made by this case", len(made)))
}

func caseScaleClientJob(c *check) {
	c.scaleOn()
	recs := seqRecords(0, 5003, "j")
	name := c.datasetName("scale_job")
	// Blocks 5 to 10: their ascending order differs from the order of their decimal text ("10"
	// before "5"), through the job as well as on read-back.
	_, res, err := c.client.UploadDataset(c.ctx, name, seqColumns(), recordSource(recs), client.UploadOptions{StartBlock: 5})
	if err != nil {
		c.Fatalf("uploading %d records to %s with the client's defaults: %v", len(recs), name, err)
	}
	c.Observe("uploaded %d records in %d blocks, at most 8 at once (smallest window %d)", res.Records, res.Blocks, res.SmallestWindow)
	got, err := c.readAll(name)
	if err != nil {
		c.cannotRead(name, err)
		return
	}
	if !c.compareRecords(fmt.Sprintf("the %d records the client uploaded to %s", len(recs), name), got, recs) {
		return
	}
	_, out := c.runEchoJob("scale", name)
	if r := c.raw(http.MethodGet, datasetPath(out), nil, nil, withToken); !r.is2xx() {
		c.Errorf("GET /Dataset/{name} of output dataset %s: answered %s", out, r)
	}
	if got, err = c.readAll(out); err != nil {
		c.cannotRead(out, err)
		return
	}
	c.compareRecords(fmt.Sprintf("the output of %s over %d records", c.cfg.Workflow, len(recs)), got, recs)
}

func caseScaleJobFullPages(c *check) {
	c.scaleOn()
	recs := seqRecords(0, 2000, "p")
	name := c.completeInput("scale_pages", seqColumns(), recs)
	for _, try := range []struct {
		what         string
		method, path string
		body         any
	}{
		{"a second completion", http.MethodPut, datasetPath(name), map[string]any{"recordCount": len(recs), "completed": true}},
		{"a block", http.MethodPatch, uploadPath(name), blockBody(2, seqRecords(2000, 1, "late"))},
	} {
		if r := c.raw(try.method, try.path, nil, try.body, withToken); r.Status != http.StatusBadRequest {
			c.Errorf("complete input dataset %s, %s: answered %s; want 400", name, try.what, r)
		}
	}
	if !c.readsExactly(name, recs, fmt.Sprintf("complete dataset %s of 2,000 records after a second completion and a block were refused", name)) {
		return
	}
	c.stillJobInput("full pages", name, recs, "a second completion and a block were refused")
}

func caseScaleClientList(c *check) {
	c.scaleOn()
	made := 0
	for i := range scaleClients {
		desc := fmt.Sprintf("%s%s scale client %d of %d", c.cfg.Prefix, c.runID, i+1, scaleClients)
		cc, err := c.createClient(desc)
		if st := apiStatus(err); st >= 400 && st < 500 && st != http.StatusUnauthorized && i > 0 {
			c.Observe("creating OAuth client %d of %d: %v; the list is checked with the %d made", i+1, scaleClients, err, made)
			break
		}
		if err != nil {
			c.Fatalf("creating OAuth client %d of %d: %v", i+1, scaleClients, err)
		}
		if cc == nil {
			c.Fatalf("creating OAuth client %d of %d: the answer names no clientId (%s)", i+1, scaleClients, c.last("ClientCredential_Create"))
		}
		made++
	}
	list, created := c.checkClientList(fmt.Sprintf("with %d clients made by this case", made))
	c.Observe("GET /ClientCredential with %d clients of the run (%d made by this case): %d clients listed", len(created), made, len(list))
	c.rereadClients(fmt.Sprintf("%d clients were made by this case", made), list)
}
