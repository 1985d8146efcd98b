package cli

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestJobWaitJudgesByTheOutputUnlessFailureCodesAreGiven: job wait of a finished job (status 2)
// whose output dataset no longer exists judges the job by its output unless the workflow's failure
// codes are given: with no codes, and with --done-status 2 alone, the job failed (exit 3, naming
// the missing output); with --failed-status 3, alone or with --done-status 2, the codes judge and
// the job succeeded (exit 0).
func TestJobWaitJudgesByTheOutputUnlessFailureCodesAreGiven(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "email\nA@B.COM\n")
	r := tg.mustRun(t, "run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "out.csv"), "--poll", "10ms")
	m := regexp.MustCompile(`(?m)^job (\S+) finished with status 2; output dataset (\S+)$`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no finished job in:\n%s", r.stdout)
	}
	job, output := m[1], m[2]
	// The output dataset is gone: the server answers for it as for a dataset it never held.
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || r.URL.Path != "/Dataset/"+output {
			return false
		}
		gone := r.Clone(r.Context())
		gone.URL.Path, gone.URL.RawPath, gone.RequestURI = "/Dataset/"+output+"_gone", "", ""
		tg.hook.next.ServeHTTP(w, gone)
		return true
	})
	missing := "its output dataset " + output + " (slot Output) does not exist"
	for _, tc := range []struct {
		flags []string
		code  int
	}{
		{nil, 3},
		{[]string{"--done-status", "2"}, 3},
		{[]string{"--failed-status", "3"}, 0},
		{[]string{"--done-status", "2", "--failed-status", "3"}, 0},
	} {
		r := tg.run(t, append([]string{"job", "wait", job, "--poll", "10ms"}, tc.flags...)...)
		if r.code != tc.code || (tc.code == 3) != strings.Contains(r.stderr, missing) {
			t.Errorf("job wait %q: %v; want exit %d", tc.flags, r, tc.code)
		}
		if !regexp.MustCompile(`(?m)^status +2$`).MatchString(r.stdout) {
			t.Errorf("job wait %q: the job is not shown with its status:\n%s", tc.flags, r.stdout)
		}
	}
}
