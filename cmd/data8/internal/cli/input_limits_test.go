package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/internal/opid"
)

// TestInputLimitsBeforeAnythingIsCreated runs data8 run and dataset upload on files that break an input
// limit (a CSV cell over 1 MiB, a JSON Lines line over 4 MiB), on a UTF-16 file, and on standard input:
// each gets its one message, naming the file, the line and the limit, and the server sees no dataset
// created, no block and no job.
func TestInputLimitsBeforeAnythingIsCreated(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	big := writeFile(t, dir, "big.csv", "a,b\n1,2\n3,"+strings.Repeat("x", 1<<20+1)+"\n5,6\n")
	// x,"" and a newline, 5 bytes as written, are 4 once read: the quoted cell is 1 MiB + 4 bytes.
	quoted := writeFile(t, dir, "quoted.csv", "a,b\n1,2\n3,\""+strings.Repeat("x,\"\"\n", 1<<18+1)+"\"\n")
	atLimit := writeFile(t, dir, "atlimit.csv", "a,b\n1,"+strings.Repeat("x", 1<<20)+"\n")
	longLine := writeFile(t, dir, "long.jsonl", "{\"a\":\"1\"}\n{\"a\":\""+strings.Repeat("x", 4<<20)+"\"}\n")
	utf16 := writeFile(t, dir, "u16.csv", "\xFF\xFEa\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00")
	tg.mustRun(t, "dataset", "create", "target", "--columns", "a,b")
	base := tg.srv.RequestCounts()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"run: cell over the limit", []string{"run", big, "--workflow", "Echo", "--out", out}, 1, big + `: CSV line 3, column "b": cell is longer than the 1 MiB limit`},
		{"upload: cell over the limit", []string{"dataset", "upload", "target", big}, 1, big + `: CSV line 3, column "b": cell is longer than the 1 MiB limit`},
		{"run: quoted cell over the limit", []string{"run", quoted, "--workflow", "Echo", "--out", out}, 1, quoted + `: CSV line 3, column "b": cell is longer than the 1 MiB limit`},
		{"run: JSON Lines line over the limit", []string{"run", longLine, "--workflow", "Echo", "--out", out}, 1, longLine + ": JSON Lines line 2: longer than the 4 MiB limit"},
		{"run: UTF-16", []string{"run", utf16, "--workflow", "Echo", "--out", out}, 1, utf16 + ": CSV input looks like UTF-16; save it as UTF-8"},
		{"upload: standard input", []string{"dataset", "upload", "target", "-", "--format", "csv"}, 2, "records cannot be read from standard input"},
		{"run: standard input", []string{"run", "-", "--format", "csv", "--workflow", "Echo", "--out", out}, 2, "records cannot be read from standard input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tg.run(t, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d, and stderr with %q: %v", r.code, tc.code, tc.want, r)
			}
		})
	}
	after := tg.srv.RequestCounts()
	for _, op := range []string{opid.DatasetCreate, opid.DatasetUploadBlock, opid.DatasetUpdateByName, opid.JobCreateJob} {
		if after[op] != base[op] {
			t.Errorf("bad input reached the server: %s called %d times", op, after[op]-base[op])
		}
	}
	// A cell of exactly 1 MiB is accepted.
	tg.mustRun(t, "dataset", "upload", "target", atLimit, "--complete")
	if got, _ := tg.srv.Records("target"); len(got) != 1 || len(got[0]["b"].(string)) != 1<<20 {
		t.Errorf("the 1 MiB cell was not stored whole")
	}
}
