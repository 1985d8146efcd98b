package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/data8test"
)

// TestEnvironmentValuesAreTrimmed: the base URL, token URL and client id are read from the
// environment without the spaces and line break around them (a value pasted from a file ends in
// one); the client secret is taken exactly as it is, spaces included, as a flag gives it.
func TestEnvironmentValuesAreTrimmed(t *testing.T) {
	const secret = "  s3cret with spaces \t"
	tg := newTarget(t, data8test.WithCredentials("trim-client", secret))
	e := env{
		"DATA8_BASE_URL":      " " + tg.url + "\n",
		"DATA8_TOKEN_URL":     "\t" + tg.url + "/connect/token \r\n",
		"DATA8_CLIENT_ID":     " trim-client\n",
		"DATA8_CLIENT_SECRET": secret,
	}
	if r := runCLI(t, t.Context(), e, hooks{}, "dataset", "list"); r.code != 0 {
		t.Fatalf("values with spaces around them, and a secret with its own spaces: %v; want exit 0", r)
	}
	// The secret trimmed is another secret: the server refuses it.
	e["DATA8_CLIENT_SECRET"] = strings.TrimSpace(secret)
	if r := runCLI(t, t.Context(), e, hooks{}, "dataset", "list"); r.code != 1 {
		t.Fatalf("the secret without its spaces: %v; want exit 1 (refused)", r)
	}
}

// TestParameterWithABlankName: a --param or --input whose name before = is blank (spaces only)
// is a usage error, exit 2, and nothing is sent.
func TestParameterWithABlankName(t *testing.T) {
	tg := newTarget(t)
	requests := tg.countRequests()
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "email\nA@B.COM\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "o.csv"), "--param", " =x"},
			"data8 run: bad --param \" =x\": the name before = is empty\nRun 'data8 run --help' for usage.\n"},
		{[]string{"job", "start", "blank", "--workflow", "Echo", "--input", "Input=people", "--param", "\t=x"},
			"data8 job start: bad --param \"\\t=x\": the name before = is empty\nRun 'data8 job start --help' for usage.\n"},
		{[]string{"job", "start", "blank", "--workflow", "Echo", "--input", "  =people"},
			"data8 job start: bad --input \"  =people\": the name before = is empty\nRun 'data8 job start --help' for usage.\n"},
	} {
		if r := tg.run(t, tc.args...); r.code != 2 || r.stderr != tc.want || r.stdout != "" {
			t.Errorf("%q: %v; want exit 2 and %q", tc.args, r, tc.want)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}
