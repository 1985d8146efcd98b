package conformance

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// decisions are the contract's decided points (docs/contract.md), in a sentence each.
var decisions = map[string]string{
	"D-1":    `Token endpoint: client_id and client_secret in the form body (client_secret_post), HTTP Basic optional; the answer is {"access_token","token_type":"Bearer","expires_in","scope"}.`,
	"D-2":    "A missing, invalid or expired token gets 401 with WWW-Authenticate: Bearer and a problem body.",
	"D-3":    "Errors are RFC 9457 problem details, media type application/problem+json; validation errors add errors: {member: [messages]}.",
	"D-4":    "Success is 200 for every operation, with the JSON body shown where there is one (an empty body where none is shown); an unknown name in a path gets 404 with a problem body; names are compared exactly (a name in other letter case is unknown).",
	"D-5":    "The operation ids and routes the pages do not name (list, get, update and delete routes, client credentials), and the bodies of API key updates and client credential creation.",
	"D-6":    "GET /Dataset takes page (default 1), includeInput and includeOutput (default true), answers a bare JSON array, [] past the end; DatasetRef = {name, input, completed, location}; alphabetical is byte order.",
	"D-7":    "A bad or duplicate dataset name, a bad column name or no columns gets 400 with a validation problem; POST /Dataset answers the Dataset.",
	"D-8":    "recordCount is the number of records uploaded, and a mismatch may be refused with 400; PUT /Dataset/{name} answers the updated Dataset.",
	"D-9":    "blockNumber is an integer from 0, gaps allowed; an empty records array clears its block; more than 1,000 records, a negative number, a non-object record or an unknown column gets 400 with errors naming the member; the answer is 200 with an empty body.",
	"D-10":   "GET /Dataset/{name}/data?page=N reads records back, 1,000 per page from page 1, in processing order, as a bare JSON array; [] past the end.",
	"D-11":   "A record is a JSON object keyed by column name with string, number, boolean or null values; a column left out is null; column type codes are opaque integers.",
	"D-12":   "GET /Job takes page, workflow, startDate and endDate (RFC 3339); JobRef = {name, workflowName, submittedAt, status, location}; a bare JSON array.",
	"D-13":   "POST /Job: name and workflowName required, the rest optional; answers the Job; an unknown workflow, an unknown or incomplete input dataset, a bad or duplicate name gets 400; names are compared exactly (one differing only in case is another name).",
	"D-14":   "status is an undocumented integer; a job is finished when completedAt is present, not null and not before submittedAt (.NET sends 0001-01-01T00:00:00 for unset).",
	"times":  "Times carry a zone, in .NET round-trip form 2020-01-02T03:04:05.0000000Z as Data8's examples show; any RFC 3339 time is read.",
	"limits": "Rate limits are not documented: 429 with Retry-After is honoured when it comes.",
}

// pointOrder sorts the contract's points: D-1 … D-14, then the others.
func pointOrder(p string) int {
	if n, err := strconv.Atoi(strings.TrimPrefix(p, "D-")); err == nil && strings.HasPrefix(p, "D-") {
		return n
	}
	switch p {
	case "times":
		return 100
	case "limits":
		return 101
	}
	return 200
}

// PointResult is one row of the discovery table: a decided point, what the contract decided, and
// what the server did.
type PointResult struct {
	// Point is "D-1" to "D-14", or "times", "limits"; several points read "D-5/D-6".
	Point string `json:"point"`
	// Op is the operation, or Where the spec node, that a finer row concerns; Ops are the
	// operations whose answers showed it.
	Op    string   `json:"op,omitempty"`
	Where string   `json:"where,omitempty"`
	Ops   []string `json:"ops,omitempty"`
	// Decided is what the contract decided.
	Decided string `json:"decided"`
	// Result is "as decided", "differs" or "not checked".
	Result string `json:"result"`
	// Observed says what the server did.
	Observed string `json:"observed"`
	// Evidence is the requests and answers that show it (at most a few).
	Evidence []string `json:"evidence,omitempty"`
	// Cases are the cases that checked it or saw the difference.
	Cases []string `json:"cases,omitempty"`
}

// label is the row's first cell.
func (p PointResult) label() string {
	l := p.Point
	if p.Op != "" {
		l += " " + p.Op
	} else if p.Where != "" {
		l += " " + p.Where
	}
	return l
}

// The results of a discovery row.
const (
	asDecided  = "as decided"
	differs    = "differs"
	notChecked = "not checked"
)

// discover builds the discovery table from the results: a row for each decided point the server
// met as decided (naming the cases that checked it), or not checked; and, where it differed, one
// row per point and operation (or spec node) and difference, with the evidence.
func discover(results []CaseResult) []PointResult {
	checked := map[string][]string{}
	for _, r := range results {
		if r.Status == Skipped {
			continue
		}
		for _, p := range strings.Split(r.Decision, "/") {
			if p = strings.TrimSpace(p); p != "" {
				checked[p] = append(checked[p], r.ID)
			}
		}
	}
	type group struct {
		row   PointResult
		count int
	}
	groups := map[string]*group{}
	var order []string
	for _, r := range results {
		for _, d := range r.Deviations {
			// A finding of the spec check is one row per spec node (a shared response or schema
			// gathers every operation using it); any other difference one row per operation.
			k := d.Point + "\x00" + d.Op + "\x00\x00" + d.Observed
			if d.SpecPointer != "" {
				k = d.Point + "\x00\x00" + d.SpecPointer + "\x00" + d.Observed
			}
			g := groups[k]
			if g == nil {
				g = &group{row: PointResult{Point: d.Point, Decided: d.Decided, Result: differs, Observed: d.Observed}}
				if d.SpecPointer != "" {
					g.row.Where = d.SpecPointer
				} else {
					g.row.Op = d.Op
				}
				groups[k] = g
				order = append(order, k)
			}
			if d.Op != "" && !slices.Contains(g.row.Ops, d.Op) {
				g.row.Ops = append(g.row.Ops, d.Op)
			}
			g.count += d.Count
			if !slices.Contains(g.row.Cases, r.ID) {
				g.row.Cases = append(g.row.Cases, r.ID)
			}
			if len(g.row.Evidence) < 3 && !slices.Contains(g.row.Evidence, d.Evidence) {
				g.row.Evidence = append(g.row.Evidence, d.Evidence)
			}
		}
	}
	differing := map[string]bool{}
	var rows []PointResult
	for _, k := range order {
		g := groups[k]
		in := "in " + strings.Join(g.row.Cases, ", ")
		if g.row.Where != "" && len(g.row.Ops) > 0 {
			in = "answers of " + strings.Join(g.row.Ops, ", ") + "; " + in
		}
		if g.count > 1 {
			g.row.Observed += fmt.Sprintf(" (%d times; %s)", g.count, in)
		} else {
			g.row.Observed += fmt.Sprintf(" (%s)", in)
		}
		for _, p := range strings.Split(g.row.Point, "/") {
			differing[p] = true
		}
		rows = append(rows, g.row)
	}
	for _, p := range slices.Collect(maps.Keys(decisions)) {
		if differing[p] {
			continue
		}
		row := PointResult{Point: p, Decided: decisions[p], Result: notChecked, Observed: "not checked by any case that ran"}
		if cs := checked[p]; len(cs) > 0 {
			row.Result, row.Cases = asDecided, cs
			row.Observed = "as decided"
			row.Evidence = []string{"checked by " + strings.Join(cs, ", ")}
		} else if p == "times" || p == "limits" {
			row.Result, row.Observed = asDecided, "no answer differed"
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b PointResult) int {
		return cmp.Or(cmp.Compare(pointOrder(firstPoint(a.Point)), pointOrder(firstPoint(b.Point))), strings.Compare(a.Op+a.Where, b.Op+b.Where))
	})
	return rows
}

// firstPoint is the first of several points, "D-5" of "D-5/D-6".
func firstPoint(p string) string {
	first, _, _ := strings.Cut(p, "/")
	return first
}

// decidedText returns what the contract decided at point (several points joined).
func decidedText(point string) string {
	var parts []string
	for _, p := range strings.Split(point, "/") {
		if d, ok := decisions[p]; ok {
			parts = append(parts, p+": "+d)
		}
	}
	if len(parts) == 0 {
		return point
	}
	return strings.Join(parts, " ")
}
