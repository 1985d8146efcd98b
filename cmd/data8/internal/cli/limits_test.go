package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/data8test"
)

// TestRunColumnLimitsBoundWhatTheySay: the result of a run whose workflow adds columns x1 and x2,
// which the server does not list for its output dataset, brings 2 new columns, 3 in all.
// --max-new-columns bounds the first figure and --max-columns the second, each whatever the other
// is; at both figures the run writes the whole result.
func TestRunColumnLimitsBoundWhatTheySay(t *testing.T) {
	widen := data8test.NewWorkflow("Widen", []string{"Input"}, []string{"Output"}, func(_ context.Context, in map[string][]data8test.Record, _ map[string]string) (map[string][]data8test.Record, map[string]any, error) {
		var out []data8test.Record
		for _, r := range in["Input"] {
			out = append(out, data8test.Record{"email": r["email"], "x1": "a", "x2": "b"})
		}
		return map[string][]data8test.Record{"Output": out}, nil, nil
	})
	tg := newTarget(t, data8test.WithWorkflow(widen))
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/Dataset/") || strings.HasSuffix(r.URL.Path, "/data") {
			return false
		}
		rec := httptest.NewRecorder()
		tg.hook.next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var d map[string]any
		if rec.Code == http.StatusOK && json.Unmarshal(body, &d) == nil && d["input"] == false {
			cols, _ := d["columns"].(map[string]any)
			delete(cols, "x1")
			delete(cols, "x2")
			body, _ = json.Marshal(d)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(body)
		return true
	})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "email\nA@B.COM\n")
	for i, tc := range []struct {
		newCols, allCols string
		code             int
		want             string // stderr holds it (exit 1), or the result (exit 0)
	}{
		{"1", "100", 1, "brings the columns its records hold and the dataset does not list to 2, more than the limit of 1 (--max-new-columns 1; raise it to allow a wider file)"},
		{"100", "2", 1, "brings 3 columns, more than the limit of 2 (--max-columns 2; raise it to allow a wider file)"},
		{"2", "3", 0, "email,x1,x2\nA@B.COM,a,b\n"},
	} {
		out := filepath.Join(dir, fmt.Sprintf("out%d.csv", i))
		r := tg.run(t, "run", in, "--workflow", "Widen", "--out", out, "--poll", "10ms", "--max-new-columns", tc.newCols, "--max-columns", tc.allCols)
		switch {
		case r.code != tc.code:
			t.Errorf("--max-new-columns %s --max-columns %s: %v; want exit %d", tc.newCols, tc.allCols, r, tc.code)
		case tc.code != 0 && !strings.Contains(r.stderr, tc.want):
			t.Errorf("--max-new-columns %s --max-columns %s: stderr lacks %q:\n%s", tc.newCols, tc.allCols, tc.want, r.stderr)
		case tc.code == 0:
			if got, err := os.ReadFile(out); err != nil || string(got) != tc.want {
				t.Errorf("--max-new-columns %s --max-columns %s: result %q (%v), want %q", tc.newCols, tc.allCols, got, err, tc.want)
			}
		}
	}
}
