package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// listCases are the cases of the dataset list.
func listCases() []Case {
	return []Case{
		{
			ID: "DATASET-LIST-ALPHA-100", Kind: Documented,
			Quote:   `Paged list of datasets, **100 per page, alphabetical**, page numbers start at **1**`,
			Rule:    "GET /Dataset lists datasets 100 per page, alphabetically, pages from 1 (documented): with 101 new datasets (every seventh name longer, so that alphabetical order is not the order of lengths), every page but the last holds 100 and the names run in order, by one collation across every page (byte order as decided, D-6; case-insensitive ordinal or a culture collation is observed, the order seen reported; no alphabetical order fails); read to the end, the pages hold every dataset the run has seen exist exactly once (a name a server comparing names ignoring case found in other letter case is the dataset's own, not another); read with includeOutput=false, every page holds input datasets only (the 101 once each, in order; no output dataset); the name of the 101st, past the first page, is taken (a create of it is refused, 400 or 409, and changes nothing).",
			Creates: "101 datasets (empty, incomplete) named <prefix><run>_alpha_000 to _100",
			Cost:    Cost{Datasets: 101},
			fixture: true,
			run:     caseDatasetListAlpha,
		},
		{
			ID: "DATASET-LIST-PAGING", Kind: Documented, Decision: "D-6",
			Quote:   `Paged list of datasets, **100 per page, alphabetical**, page numbers start at **1**`,
			Rule:    "Query names page (default 1), includeInput and includeOutput (default true); a bare JSON array; a page past the end is [] (D-6): other entries there differ. Each dataset is on one page (documented): with at least one dataset (the case creates one), the page past the end does not list the last page's datasets again, and no page repeats the page before it.",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			run:     caseDatasetListPaging,
		},
		{
			ID: "DATASET-LIST-FLAGS", Kind: Documented, Decision: "D-6",
			Quote:   `Two flags choose whether input and whether output datasets are included.`,
			Rule:    "Two flags choose whether input and whether output datasets are listed (documented): includeInput=false lists no input dataset, complete or not, and every output dataset; includeOutput=false the reverse; both false neither; the full list, read right after includeInput=false, lists every dataset. The names includeInput and includeOutput are decided (D-6): a server that reads neither differs; one that reads either must apply both.",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			fixture: true,
			run:     caseDatasetListFlags,
		},
		{
			ID: "DATASET-LIST-LOCATION", Kind: Documented,
			Quote:   `each carries a ` + "`" + `location` + "`" + ` with the URL of ` + "`" + `GET /Dataset/{name}` + "`" + ``,
			Rule:    "Each listed DatasetRef carries a location with the URL of GET /Dataset/{name} (documented): an incomplete input, a complete input and an output dataset's, followed. Every entry of every page of GET /Dataset any case reads (any page, any flags, through the client or raw) is held to it too: a location that, resolved against the base URL, does not end in /Dataset/{the entry's name} fails the case that read it; so for GET /Job a location that does not address GET /Job/{name} differs from D-12 (JobRef's members are decided).",
			Creates: "1 dataset",
			Cost:    Cost{Datasets: 1},
			fixture: true,
			run:     caseDatasetListLocation,
		},
	}
}

func caseDatasetListAlpha(c *check) {
	// An output dataset on the account, for the flags read past the first page.
	f := c.echo()
	// 101 datasets, created in a scrambled order so that insertion order is not alphabetical; every
	// seventh name is longer ("_x"), so that alphabetical order is not the order of lengths.
	names := make([]string, 101)
	for i := range names {
		names[i] = fmt.Sprintf("%s%s_alpha_%03d", c.cfg.Prefix, c.runID, i)
		if i%7 == 0 {
			names[i] += "_x"
		}
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = (i * 37) % len(names)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	sem := make(chan struct{}, 4)
	for _, i := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.client.CreateDataset(c.ctx, names[i], map[string]int{"a": 0}); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		c.Fatalf("creating 101 datasets: %d failed, the first: %s", len(errs), errs[0])
	}

	// Page sizes, read raw: 100 on every page but the last.
	sizes := c.pageSizes("/Dataset", nil, 100, "D-6", "Dataset_GetList")
	if len(sizes) < 2 {
		c.Errorf("with at least 101 datasets the list has %d page(s) of sizes %v; want pages of 100", len(sizes), sizes)
	}

	// Order, read through the client. The account may change while the pages are read (a job
	// finishing makes its output dataset, which shifts every later name by one place, so that the
	// last name of a page comes again first on the next): a listing that holds one of ours twice or
	// leaves one out is read again, up to 8 times while the account keeps changing between listings
	// (the names listed differ); a listing that repeats the one before it is conclusive, as a server
	// whose pages overlap or skip does so every time. No operation deletes a dataset, so a change can
	// list a name twice but never leave one out: when the account changed at every listing, names
	// listed twice are not judged, names left out still are.
	// Every dataset the run has seen exist before the listing (created, or a 2xx answer about it:
	// details, records, a block, a completion) must be listed exactly once.
	known := c.knownDatasets()
	for _, n := range names {
		known[n] = true
	}
	var ours, missing, twice []string
	all, settled := c.settledListing(client.ListDatasetsOptions{}, func(all []string) (bool, string) {
		ours = nil
		for _, n := range all {
			if strings.HasPrefix(n, c.cfg.Prefix+c.runID+"_alpha_") {
				ours = append(ours, n)
			}
		}
		missing, twice = listedOnce(all, known)
		return len(ours) == len(names) && len(missing) == 0 && len(twice) == 0,
			fmt.Sprintf("it holds %d of the 101 datasets just created, leaves out %d and lists %d twice of the %d the run knows exist", len(ours), len(missing), len(twice), len(known))
	})
	if !settled && len(twice) > 0 {
		c.Observe("the account changed between every two of 8 listings: %d names listed twice (e.g. %q) are not judged", len(twice), twice[0])
		twice = nil
		all = firstOfEach(all)
		ours = firstOfEach(ours)
	}
	if len(ours) != len(names) {
		c.Errorf("the list holds %d of the 101 datasets just created", len(ours))
	}
	if len(missing) > 0 {
		c.Errorf("the list (%d datasets, pages of %v) leaves out %d of the %d datasets the run knows exist, e.g. %q", len(all), sizes, len(missing), len(known), missing[0])
	}
	if len(twice) > 0 {
		c.Errorf("the list (%d datasets, pages of %v) holds %d names more than once, e.g. %q", len(all), sizes, len(twice), twice[0])
	}
	if !slices.Equal(ours, names) {
		c.Errorf("the 101 datasets _alpha_000.._100 are listed out of order: first %v", ours[:min(5, len(ours))])
	}
	c.listedWithoutOutputs(names, f)
	// The last of them, past the first page of the list: its name is taken.
	last := names[len(names)-1]
	before := c.state(last)
	r := c.raw(http.MethodPost, "/Dataset", nil, map[string]any{"name": last, "columns": map[string]int{"other": 0}}, withToken)
	if r.is2xx() {
		c.Errorf("creating a dataset named %s, the 101st of the datasets just created (past the first page of the list), succeeded: %s; names are unique", last, r)
	} else {
		c.wantRefused400("creating a dataset named like the 101st of the datasets just created", "D-7", "Dataset_Create", http.MethodPost, "/Dataset", r)
		c.unchanged("after the refused create", last, before)
	}
	c.judgeListOrder(all, sizes)
}

// judgeListOrder judges the order of the whole dataset list, read on pages of sizes: alphabetical
// (documented) by one order throughout, byte order as decided (D-6) or another plausible collation
// (listOrders), which is observed; a list in no alphabetical order fails.
func (c *check) judgeListOrder(all []string, sizes []int) {
	order, ok := alphabeticalOrder(all)
	switch {
	case !ok:
		i := firstOutOfOrder(all)
		c.Errorf("the dataset list is not alphabetical by any one collation (byte order, case-insensitive ordinal, culture-aware): %q is listed before %q (position %d)", all[max(i-1, 0)], all[i], i)
	case order == listOrders[0].name:
		c.Observe("%d datasets on %d pages (sizes %v), in %s", len(all), len(sizes), sizes, order)
	default:
		c.Observe("%d datasets on %d pages (sizes %v), in %s", len(all), len(sizes), sizes, order)
		c.Differ("D-6", "Dataset_GetList", "the dataset list is alphabetical by "+order+", not by byte order", fmt.Sprintf("GET /Dataset?page=1..%d → %d names", len(sizes), len(all)))
	}
}

func caseDatasetListPaging(c *check) {
	c.newDataset("paging", map[string]int{"a": 0}) // the list is not empty: it has a last page
	get := func(q url.Values) ([]map[string]any, *response) {
		r := c.raw(http.MethodGet, "/Dataset", q, nil, withToken)
		var items []map[string]any
		if !r.is2xx() {
			if r.Status >= 500 {
				c.Errorf("GET /Dataset?%s: answered %s", q.Encode(), r)
			} else {
				c.Differ("D-6", "Dataset_GetList", fmt.Sprintf("GET /Dataset?%s is refused", q.Encode()), evidence(http.MethodGet, "/Dataset?"+q.Encode(), r))
			}
			return nil, r
		}
		if err := r.decode(&items); err != nil {
			c.Differ("D-6", "Dataset_GetList", "the list is not a bare JSON array of datasets", evidence(http.MethodGet, "/Dataset?"+q.Encode(), r))
		}
		return items, r
	}
	first, r := get(nil)
	c.Observe("GET /Dataset without parameters: %s", r)
	page1, r1 := get(url.Values{"page": {"1"}})
	if namesOf(first) != namesOf(page1) {
		c.Differ("D-6", "Dataset_GetList", "the list without page differs from page=1: the default page is not 1", evidence(http.MethodGet, "/Dataset?page=1", r1))
	}
	// The last page, the page after it, and the last page again: a dataset made meanwhile (a job
	// finishing makes its output) shifts later names by one place, so that the last page's last name
	// comes first on the page after it. That is judged only when the last page read the same
	// before and after; while the account changes, the three reads are made again, up to 8 times.
	var (
		sizes          []int
		lastPage, past string
		items          []map[string]any
		repeated       bool
	)
	for try := 1; try <= 8; try++ {
		sizes = c.pageSizes("/Dataset", nil, 100, "D-6", "Dataset_GetList")
		lastPage, past = fmt.Sprint(len(sizes)), fmt.Sprint(len(sizes)+1)
		last, _ := get(url.Values{"page": {lastPage}})
		items, r = get(url.Values{"page": {past}})
		onLast := map[any]bool{}
		for _, it := range last {
			onLast[it["name"]] = true
		}
		repeated = r.is2xx() && len(items) > 0 && !slices.ContainsFunc(items, func(it map[string]any) bool { return !onLast[it["name"]] })
		if !repeated {
			break
		}
		if again, _ := get(url.Values{"page": {lastPage}}); namesOf(again) == namesOf(last) {
			break
		} else if try == 8 {
			c.Observe("page %s, past the end of %d pages, listed datasets of page %s again, and page %s changed meanwhile at each of 8 tries: the account changed while its list was read; not judged", past, len(sizes), lastPage, lastPage)
			repeated = false
			break
		}
		if err := sleepCtx(c.ctx, 200*time.Millisecond); err != nil {
			c.Fatalf("listing datasets: %v", err)
		}
	}
	c.Observe("page %s, past the end: %s (%d entries)", past, r, len(items))
	if repeated {
		c.Errorf("page %s, past the end of %d pages of sizes %v, lists %d datasets of page %s again (the first %v), page %s reading the same before and after it: each dataset is on one page", past, len(sizes), sizes, len(items), lastPage, items[0]["name"], lastPage)
	} else if r.is2xx() && len(items) > 0 {
		c.Differ("D-6", "Dataset_GetList", fmt.Sprintf("page %s, past the end, holds %d entries, not []", past, len(items)), evidence(http.MethodGet, "/Dataset?page="+past, r))
	}
	both, rb := get(url.Values{"includeInput": {"true"}, "includeOutput": {"true"}})
	if namesOf(both) != namesOf(first) {
		c.Differ("D-6", "Dataset_GetList", "includeInput=true&includeOutput=true lists differently from no flags: the defaults are not true", evidence(http.MethodGet, "/Dataset?includeInput=true&includeOutput=true", rb))
	}
}

// namesOf joins the names of listed datasets.
func namesOf(items []map[string]any) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%v,", it["name"])
	}
	return b.String()
}

func caseDatasetListFlags(c *check) {
	f := c.echo()
	incomplete := c.newDataset("flags_incomplete", map[string]int{"a": 0})
	list := func(o client.ListDatasetsOptions) []client.DatasetRef {
		var out []client.DatasetRef
		for ref, err := range c.client.ListDatasets(c.ctx, o) {
			if err != nil {
				c.Fatalf("listing datasets with %+v: %v", o, err)
			}
			out = append(out, ref)
		}
		return out
	}
	has := func(refs []client.DatasetRef, name string) bool {
		return slices.ContainsFunc(refs, func(r client.DatasetRef) bool { return r.Name == name })
	}
	inputs := []string{f.input, incomplete} // a complete and an incomplete input dataset
	// The flagged list first: each query's answer is its own, whatever query came just before it.
	noIn := list(client.ListDatasetsOptions{ExcludeInput: true})
	all := list(client.ListDatasetsOptions{})
	for _, n := range append(slices.Clone(inputs), f.output) {
		if !has(all, n) {
			c.Fatalf("the full list lacks dataset %s", n)
		}
	}
	if ref := all[slices.IndexFunc(all, func(r client.DatasetRef) bool { return r.Name == f.output })]; ref.Input {
		c.Differ("D-6", "Dataset_GetList", fmt.Sprintf("output dataset %s is listed with input true", f.output), c.last("Dataset_GetList").String())
	}
	noOut := list(client.ListDatasetsOptions{ExcludeOutput: true})
	neither := list(client.ListDatasetsOptions{ExcludeInput: true, ExcludeOutput: true})
	c.Observe("lists: all %d, includeInput=false %d, includeOutput=false %d, both false %d", len(all), len(noIn), len(noOut), len(neither))

	// The query names are decided (D-6); what the flags do is documented. A server that reads
	// neither name is told apart from one that reads them wrongly by whether either flag changes
	// the list at all: when one does, the server reads these names, and both must work.
	inRead := len(noIn) != len(all) || !has(noIn, f.input)
	outRead := len(noOut) != len(all) || !has(noOut, f.output)
	if !inRead && !outRead {
		c.Differ("D-6", "Dataset_GetList", "includeInput=false and includeOutput=false change nothing: the server does not read these query names", c.last("Dataset_GetList").String())
		return
	}
	for _, n := range inputs {
		if has(noIn, n) {
			c.Errorf("includeInput=false lists input dataset %s", n)
		}
		if !has(noOut, n) {
			c.Errorf("includeOutput=false does not list input dataset %s", n)
		}
		if has(neither, n) {
			c.Errorf("includeInput=false&includeOutput=false lists input dataset %s", n)
		}
	}
	if !has(noIn, f.output) {
		c.Errorf("includeInput=false does not list output dataset %s", f.output)
	}
	if has(noOut, f.output) {
		c.Errorf("includeOutput=false lists output dataset %s", f.output)
	}
	if has(neither, f.output) {
		c.Errorf("includeInput=false&includeOutput=false lists output dataset %s", f.output)
	}
}

func caseDatasetListLocation(c *check) {
	// Every kind and state of dataset: an incomplete input, a complete input and an output dataset.
	f := c.echo()
	name := c.newDataset("location", map[string]int{"a": 0})
	want := []string{name, f.input, f.output}
	refs := map[string]client.DatasetRef{}
	for r, err := range c.client.ListDatasets(c.ctx, client.ListDatasetsOptions{}) {
		if err != nil {
			c.Fatalf("listing datasets: %v", err)
		}
		if slices.Contains(want, r.Name) {
			refs[r.Name] = r
		}
	}
	for i, n := range want {
		what := []string{"incomplete input", "complete input", "output"}[i]
		ref, ok := refs[n]
		if !ok {
			c.Errorf("%s dataset %s is not listed", what, n)
			continue
		}
		if ref.Location == "" {
			// The documentation shows a location in every entry; a serializer set to skip empty
			// members leaves it out, which cannot be told from a server that has none: a difference
			// at the list's members (D-6), not a failure.
			c.Differ("D-6", "Dataset_GetList", "a listed dataset carries no location", c.last("Dataset_GetList").String())
			return
		}
		c.checkLocation(ref.Location, n)
	}
}

// checkLocation checks that a listed dataset's location is the URL of GET /Dataset/{name}: absolute,
// or relative to the base URL (the spec allows both), it must address the dataset. When it resolves
// to the base URL's origin, GET on it must give the dataset.
func (c *check) checkLocation(location, name string) {
	u, err := c.base.Parse(location)
	if err != nil {
		c.Errorf("location %q of dataset %s is not a URL: %v", location, name, err)
		return
	}
	c.Observe("location: %s", location)
	if !u.IsAbs() {
		c.Observe("location %q is relative; resolved against the base URL", location)
	}
	if !strings.HasSuffix(u.EscapedPath(), datasetPath(name)) {
		c.Errorf("location %q does not address GET /Dataset/%s", location, name)
		return
	}
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) {
		c.Observe("location names %s://%s, not the base URL's origin (a proxy in between?); not followed", u.Scheme, u.Host)
		return
	}
	path := strings.TrimPrefix(u.EscapedPath(), strings.TrimSuffix(c.base.EscapedPath(), "/"))
	r := c.raw(http.MethodGet, path, nil, nil, withToken)
	var ds struct {
		Name string `json:"name"`
	}
	if !r.is2xx() || r.decode(&ds) != nil || ds.Name != name {
		c.Errorf("GET on location %q of dataset %s: answered %s; want the dataset", location, name, r)
	}
}

// knownDatasets returns the datasets the run has seen exist so far: those a POST /Dataset created,
// the output datasets of the run's finished jobs, and those named in the path of a 2xx answer to a dataset's details, records, block upload or
// completion (output datasets among them).
func (c *check) knownDatasets() map[string]bool {
	known := map[string]bool{}
	for _, n := range c.traffic.createdDatasets() {
		known[n] = true
	}
	// A finished job's output datasets exist: the run's jobs are read once more for them (a job
	// that cannot be read is other cases' to judge).
	for _, name := range c.traffic.createdJobs() {
		if j, err := c.client.GetJob(c.ctx, name); err == nil && client.JobFinished(j) {
			for _, out := range j.OutputDatasets {
				if out != "" {
					known[out] = true
				}
			}
		}
	}
	var named []string
	for _, e := range c.traffic.of("") {
		switch e.Op {
		case "Dataset_GetByName", "Dataset_GetData", "Dataset_UploadBlock", "Dataset_UpdateByName":
		default:
			continue
		}
		if e.Status < 200 || e.Status >= 300 {
			continue
		}
		rest, ok := strings.CutPrefix(e.Path, "/Dataset/")
		if !ok {
			continue
		}
		rest, _, _ = strings.Cut(rest, "?")
		rest = strings.TrimSuffix(rest, "/data")
		if name, err := url.PathUnescape(rest); err == nil && name != "" && !strings.Contains(name, "/") {
			named = append(named, name)
		}
	}
	// A name found in other letter case than a known dataset's is that dataset, named so by a server
	// that compares names ignoring case (D-4), not a dataset of its own.
	folded := map[string]bool{}
	for k := range known {
		folded[strings.ToLower(k)] = true
	}
	for _, name := range named {
		if !folded[strings.ToLower(name)] {
			known[name] = true
		}
	}
	return known
}

// listedOnce returns, sorted, the known names the listing all leaves out, and the names it holds
// more than once.
func listedOnce(all []string, known map[string]bool) (missing, twice []string) {
	seen := map[string]int{}
	for _, n := range all {
		seen[n]++
		if seen[n] == 2 {
			twice = append(twice, n)
		}
	}
	for n := range known {
		if seen[n] == 0 {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	return missing, twice
}

// listedWithoutOutputs reads the list with includeOutput=false to its end (pages past the first
// among them) and checks that it holds each of names exactly once, in order, and not the fixture's
// output dataset: the flags choose the datasets of every page (documented). Read again up to 3 times
// when one of names is missing or twice (the account may change between pages). The flags' names are
// decided (D-6): a server whose first page with includeInput=false still lists input datasets does
// not read them, which DATASET-LIST-FLAGS notes, and is not judged here.
func (c *check) listedWithoutOutputs(names []string, f *echoFixture) {
	output := f.output
	r := c.raw(http.MethodGet, "/Dataset", url.Values{"includeInput": {"false"}}, nil, withToken)
	var first []client.DatasetRef
	if !r.is2xx() || r.decode(&first) != nil || slices.ContainsFunc(first, func(ref client.DatasetRef) bool {
		return ref.Name == f.input || slices.Contains(names, ref.Name)
	}) {
		c.Observe("the first page with includeInput=false (%s) lists input datasets: the flags are not read; the pages past the first are not judged", r)
		return
	}
	var ours []string
	var outputListed bool
	all, settled := c.settledListing(client.ListDatasetsOptions{ExcludeOutput: true}, func(all []string) (bool, string) {
		ours, outputListed = nil, slices.Contains(all, output)
		for _, n := range all {
			if slices.Contains(names, n) {
				ours = append(ours, n)
			}
		}
		return slices.Equal(ours, names) && !outputListed, fmt.Sprintf("with includeOutput=false it holds %d of the 101 input datasets just created", len(ours))
	})
	pages := (len(all) + 99) / 100
	if !settled && !slices.Equal(ours, names) && slices.Equal(firstOfEach(ours), names) {
		c.Observe("the account changed between every two of 8 listings with includeOutput=false: names listed twice are not judged")
		ours = names
	}
	if outputListed {
		c.Errorf("the list with includeOutput=false (%d pages) holds output dataset %s", pages, output)
	}
	if !slices.Equal(ours, names) {
		_, twice := listedOnce(ours, nil)
		c.Errorf("the list with includeOutput=false (%d pages) holds %d of the 101 input datasets just created (%d of them more than once); want each once, in order", pages, len(ours), len(twice))
	}
}

// settledListing reads the whole dataset list with opts, and again, up to 8 times in all, while
// clean says a listing is not what the run expects (its note says how) and the account changes
// between listings (the names listed differ). The account may change while the pages are read (a
// job finishing makes its output dataset, which shifts every later name by one place, so that the
// last name of a page comes again first on the next). A listing that repeats the one before it is
// conclusive: a server whose pages overlap or skip does so every time. It returns the last listing,
// and settled false when the account changed between every two listings.
func (c *check) settledListing(opts client.ListDatasetsOptions, clean func(all []string) (bool, string)) (all []string, settled bool) {
	var prev []string
	for try := 1; try <= 8; try++ {
		all = nil
		for ref, err := range c.client.ListDatasets(c.ctx, opts) {
			if err != nil {
				c.Fatalf("listing datasets: %v", err)
			}
			all = append(all, ref.Name)
		}
		ok, note := clean(all)
		if ok || (try > 1 && sameNames(all, prev)) {
			return all, true
		}
		if try == 8 {
			break
		}
		c.Observe("listing %d: %s; read again (the account may have changed between pages)", try, note)
		if err := sleepCtx(c.ctx, 200*time.Millisecond); err != nil {
			c.Fatalf("listing datasets: %v", err)
		}
		prev = all
	}
	return all, false
}

// sameNames reports whether two listings hold the same names, each as many times.
func sameNames(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// firstOfEach returns names without the second and later occurrences of each.
func firstOfEach(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
