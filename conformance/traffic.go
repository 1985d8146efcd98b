package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/data8-toolkit/data8/internal/specval"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// The bounds of what the suite keeps of the answers it received. A run against a working server
// receives a few thousand answers; a server that makes the client loop (a hot loop of throttling
// answers, say) could send millions, and the suite must not keep them all.
const (
	// keepExact is the number of answers kept one by one, in order, for the whole run.
	keepExact = 50_000
	// keepGrouped is the number of groups kept past keepExact: an answer past it is counted with the
	// first one of the same case, operation, status and findings.
	keepGrouped = 10_000
	// maxFindings is the number of findings kept of one answer: its documented ones first.
	maxFindings = 64
	// maxHeaderText is the length kept of a header an answer names (its content type).
	maxHeaderText = 200
)

// traffic is what the suite keeps of the answers it received: every answer as it came up to
// keepExact of them, then one of each group of alike answers with a count, up to keepGrouped groups;
// past both, answers are only counted (dropped), and the case that received them fails, since no
// one judged them.
type traffic struct {
	mu      sync.Mutex
	entries []entry
	groups  map[string]int // group key → index in entries, past keepExact
	total   int
	byTag   map[string]int // answers per tag, dropped ones included
	dropped map[string]int // answers per tag that were not kept
	// answers counts every answer per tag, the token endpoint's (which the spec check does not
	// see) included.
	answers map[string]int
	// created holds the names of the datasets POST /Dataset answered with a 2xx (no operation
	// deletes a dataset).
	created map[string]bool
	// jobs holds the names of the jobs POST /Job answered with a 2xx.
	jobs map[string]bool
	// locations holds, per tag, the entries of list pages (GET /Dataset, GET /Job) whose location
	// does not address their own dataset or job: the first few, and how many there were.
	locations map[string]*badLocations
	// throttle counts the answers that refused a request for load (429, 503), the client's and the
	// token endpoint's included, and what the suite did with those of its own requests (do).
	throttle Throttling
	// busyLeft counts the requests still answered 503 at the end of their waits.
	busyLeft int
}

// resent counts a request of the suite's own sent again after a refusal for load.
func (t *traffic) resent() {
	t.mu.Lock()
	t.throttle.Resent++
	t.mu.Unlock()
}

// gaveUp counts a request of the suite's own still refused for load (with status) at the end of its
// waits.
func (t *traffic) gaveUp(status int) {
	t.mu.Lock()
	t.throttle.GaveUp++
	if status == http.StatusServiceUnavailable {
		t.busyLeft++
	}
	t.mu.Unlock()
}

// stillBusy returns how many requests were still answered 503 at the end of their waits.
func (t *traffic) stillBusy() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.busyLeft
}

// throttling returns the counts of refusals for load.
func (t *traffic) throttling() Throttling {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.throttle
}

// badLocations are the entries of list pages a case read whose location addresses another
// dataset or job than their own: the first maxBadLocations of each list, and their counts.
type badLocations struct {
	datasets, jobs []string
	nDatasets      int
	nJobs          int
}

// maxBadLocations is how many wrong locations of each list a case keeps, to name in its result.
const maxBadLocations = 3

// entry is one exchange kept, and the number of answers it stands for.
type entry struct {
	specval.Exchange
	n int
}

func newTraffic() *traffic {
	return &traffic{groups: map[string]int{}, byTag: map[string]int{}, dropped: map[string]int{}, answers: map[string]int{}, created: map[string]bool{}, jobs: map[string]bool{},
		locations: map[string]*badLocations{}}
}

// record keeps one exchange, bounded.
func (t *traffic) record(e specval.Exchange) {
	e = bounded(e)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	t.byTag[e.Tag]++
	if len(t.entries) < keepExact {
		t.entries = append(t.entries, entry{e, 1})
		return
	}
	k := groupKey(e)
	if i, ok := t.groups[k]; ok {
		t.entries[i].n++
		return
	}
	if len(t.groups) < keepGrouped {
		t.groups[k] = len(t.entries)
		t.entries = append(t.entries, entry{e, 1})
		return
	}
	t.dropped[e.Tag]++
}

// bounded returns e with what a server controls cut to size: its content type, and its findings
// (documented ones first, as they decide the verdict).
func bounded(e specval.Exchange) specval.Exchange {
	e.ContentType = termsafe.Trim(e.ContentType, maxHeaderText)
	if len(e.Findings) > maxFindings {
		fs := slices.Clone(e.Findings)
		slices.SortStableFunc(fs, func(a, b specval.Finding) int {
			switch {
			case a.Inferred == b.Inferred:
				return 0
			case !a.Inferred:
				return -1
			}
			return 1
		})
		e.Findings = fs[:maxFindings]
	}
	if len(e.Violations) > maxFindings {
		e.Violations = e.Violations[:maxFindings]
	}
	return e
}

// groupKey says which answers are alike: same case, request operation, status, and findings of
// the same kind at the same rule. What tells them apart beyond that (the path, the body's size
// and shape, the message) is what the first of them shows.
func groupKey(e specval.Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s\x00%d\x00%v", e.Tag, e.Op, e.Method, e.Status, e.BodyLen == 0)
	for _, f := range e.Findings {
		fmt.Fprintf(&b, "\x00%s|%v|%s|%s|%s", f.Kind, f.Inferred, f.Point, f.Pointer, f.Keyword)
	}
	return b.String()
}

// of returns the entries kept under tag ("" for all), in the order they came.
func (t *traffic) of(tag string) []entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tag == "" {
		return slices.Clone(t.entries)
	}
	var out []entry
	for _, e := range t.entries {
		if e.Tag == tag {
			out = append(out, e)
		}
	}
	return out
}

// counts returns the number of answers received under tag, and how many of them were not kept.
func (t *traffic) counts(tag string) (received, dropped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byTag[tag], t.dropped[tag]
}

// totals returns the number of answers received in the run, and how many were not kept.
func (t *traffic) totals() (received, dropped int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, d := range t.dropped {
		n += d
	}
	return t.total, n
}

// answered returns the number of answers received under tag, from any endpoint.
func (t *traffic) answered(tag string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.answers[tag]
}

// silentLimit is the number of requests in a row that must get no answer (each bounded by
// Config.RequestTimeout) for the run to end: more than the client's attempts at one call, so that
// one lost connection does not end it.
const silentLimit = 6

// silence counts the requests in a row that got no answer, and ends the run at its limit.
type silence struct {
	limit int
	stop  func(error)

	mu sync.Mutex
	n  int
}

// answer notes an answer: the server speaks.
func (s *silence) answer() {
	s.mu.Lock()
	s.n = 0
	s.mu.Unlock()
}

// none notes a request that got no answer, err saying why.
func (s *silence) none(err error) {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	if n == s.limit {
		s.stop(fmt.Errorf("%w: %d requests in a row got no answer (the last: %v)", errSilent, n, err))
	}
}

// countingTransport counts every answer per case (the context's tag), and every request that got
// none. It also reads every page of GET /Dataset and GET /Job a case receives, however the case asked
// for it (the client's pager or a raw request, any page, any query), and notes each entry whose
// location does not address its own dataset or job (listLocations).
type countingTransport struct {
	base    http.RoundTripper
	traffic *traffic
	silence *silence
	api     *url.URL // the API's base URL
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		// A request the suite or the client gave up on (its context cancelled, not timed out) says
		// nothing of the server.
		if !errors.Is(req.Context().Err(), context.Canceled) {
			t.silence.none(err)
		}
		return resp, err
	}
	t.silence.answer()
	if list := listOf(t.api, req); list != "" && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			return nil, fmt.Errorf("conformance: reading the answer to GET %s: %w", req.URL.Redacted(), rerr)
		}
		t.traffic.listLocations(specval.Tag(req.Context()), t.api, list, body)
	}
	created, isJob := createdName(req, resp)
	t.traffic.mu.Lock()
	t.traffic.answers[specval.Tag(req.Context())]++
	if refusedForLoad(resp.StatusCode) {
		t.traffic.throttle.Refused++
	}
	switch {
	case created != "" && isJob:
		t.traffic.jobs[created] = true
	case created != "":
		t.traffic.created[created] = true
	}
	t.traffic.mu.Unlock()
	return resp, nil
}

// listOf returns "Dataset" or "Job" when req is GET /Dataset or GET /Job below the API's base URL
// (any query), else "".
func listOf(api *url.URL, req *http.Request) string {
	if api == nil || req.Method != http.MethodGet || !strings.EqualFold(req.URL.Host, api.Host) {
		return ""
	}
	switch strings.TrimPrefix(req.URL.EscapedPath(), strings.TrimSuffix(api.EscapedPath(), "/")) {
	case "/Dataset":
		return "Dataset"
	case "/Job":
		return "Job"
	}
	return ""
}

// listLocations notes, for the case tag, the entries of a page of list ("Dataset" or "Job") whose
// location is there and does not address GET /{list}/{name} of the entry's own name: resolved
// against the API's base URL (absolute or relative, as the spec allows), its path must end in the
// entry's. A page that is no JSON array of objects is the spec check's to judge; an entry without a
// location, DATASET-LIST-LOCATION's (D-6).
func (t *traffic) listLocations(tag string, api *url.URL, list string, body []byte) {
	var refs []struct {
		Name     string  `json:"name"`
		Location *string `json:"location"`
	}
	if json.Unmarshal(body, &refs) != nil {
		return
	}
	var bad []string
	for _, r := range refs {
		if r.Location == nil || *r.Location == "" || r.Name == "" {
			continue
		}
		u, err := api.Parse(*r.Location)
		if err == nil && strings.HasSuffix(u.Path, "/"+list+"/"+r.Name) {
			continue
		}
		bad = append(bad, fmt.Sprintf("%s %q with location %q", strings.ToLower(list), r.Name, termsafe.Trim(*r.Location, 200)))
	}
	if len(bad) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.locations[tag]
	if b == nil {
		b = &badLocations{}
		t.locations[tag] = b
	}
	kept, n := &b.datasets, &b.nDatasets
	if list == "Job" {
		kept, n = &b.jobs, &b.nJobs
	}
	*n += len(bad)
	*kept = append(*kept, bad[:min(len(bad), maxBadLocations-len(*kept))]...)
}

// locationsOf returns the wrong locations the case tag received, or nil.
func (t *traffic) locationsOf(tag string) *badLocations {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.locations[tag]
}

// createdName returns the name of the dataset or job (isJob) a POST /Dataset or POST /Job answered
// with a 2xx created (the name its body sent), or "".
func createdName(req *http.Request, resp *http.Response) (name string, isJob bool) {
	isJob = strings.HasSuffix(req.URL.Path, "/Job")
	if req.Method != http.MethodPost || !(isJob || strings.HasSuffix(req.URL.Path, "/Dataset")) || resp.StatusCode < 200 || resp.StatusCode >= 300 || req.GetBody == nil {
		return "", false
	}
	body, err := req.GetBody()
	if err != nil {
		return "", false
	}
	defer body.Close()
	var b struct {
		Name string `json:"name"`
	}
	if json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&b) != nil {
		return "", false
	}
	return b.Name, isJob
}

// createdDatasets returns the names of the datasets the run's POST /Dataset requests created.
func (t *traffic) createdDatasets() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Collect(maps.Keys(t.created))
}

// createdJobs returns the names of the jobs the run's POST /Job requests started.
func (t *traffic) createdJobs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Sorted(maps.Keys(t.jobs))
}
