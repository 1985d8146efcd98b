package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/data8-toolkit/data8/internal/hostile"
	"github.com/data8-toolkit/data8/internal/opid"
)

// The attacks of a hostile server on the CLI (the client's own are in internal/hostile).

// checkTerminalSafe fails if out holds a character that could control a terminal (anything but
// newline that is a control, a line separator or a bidirectional control), or a line starting with
// forged (text a server tried to put on a line of its own).
func checkTerminalSafe(t *testing.T, what, out, forged string) {
	t.Helper()
	for i, r := range out {
		if r != '\n' && (unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control)) {
			t.Errorf("%s: character %U at byte %d reaches the terminal:\n%q", what, r, i, out)
			return
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), forged) {
			t.Errorf("%s: the server forged a line %q:\n%s", what, line, out)
		}
	}
}

// evil is server-supplied text that recolours the terminal, sets its title, rings, forges a line and
// reverses the text after it.
const evil = "evil\x1b[31m\x1b]0;owned\x07\r\nFORGED: all good\u202etxt.exe\u009b2J"

// TestHostileTextIsEscaped: names, columns, statistics, workflow names and problem details chosen by
// the server reach the terminal escaped, one line each, on every printing command.
func TestHostileTextIsEscaped(t *testing.T) {
	tg := newTarget(t)
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/Dataset":
			hostile.WriteJSON(w, http.StatusOK, []map[string]any{
				{"name": evil, "input": true, "completed": false, "location": tg.url + "/Dataset/x"},
			})
		case r.Method == http.MethodGet && r.URL.Path == "/Dataset/shown":
			hostile.WriteJSON(w, http.StatusOK, map[string]any{"name": evil, "columns": map[string]int{evil: 0}, "input": true, "recordCount": 1, "completed": true})
		case r.Method == http.MethodGet && r.URL.Path == "/Job/shown":
			hostile.WriteJSON(w, http.StatusOK, map[string]any{
				"name": evil, "workflowName": evil, "submittedAt": "2024-01-02T03:04:05Z", "status": 1,
				"statistics": map[string]any{evil: evil}, "inputDatasets": map[string]string{evil: evil},
				"outputDatasets": map[string]string{}, "parameters": map[string]string{evil: evil}, "inputFilename": evil,
			})
		case r.URL.Path == "/Dataset/refused":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"title": evil, "detail": evil, "status": 400, "errors": map[string][]string{evil: {evil}}})
		default:
			return false
		}
		return true
	})
	for _, args := range [][]string{
		{"dataset", "list"},
		{"dataset", "get", "shown"},
		{"job", "get", "shown"},
		{"job", "get", "shown", "--output", "json"},
		{"dataset", "get", "refused"},
	} {
		r := tg.run(t, args...)
		what := strings.Join(args, " ")
		if args[len(args)-1] == "refused" {
			if r.code != ExitFailure || !strings.Contains(r.stderr, `evil\x1b[31m\x1b]0;owned\a\r\nFORGED: all good\u202etxt.exe\u009b2J`) {
				t.Errorf("%s: want exit 1 and the problem escaped: %v", what, r)
			}
		} else if r.code != ExitOK || !strings.Contains(r.stdout, `evil\x1b[31m`) && !strings.Contains(r.stdout, `evil\u001b[31m`) {
			t.Errorf("%s: want exit 0 and the name escaped: %v", what, r)
		}
		checkTerminalSafe(t, what+" (stdout)", r.stdout, "FORGED")
		checkTerminalSafe(t, what+" (stderr)", r.stderr, "FORGED")
	}
}

// TestHostileJobTextInRunIsEscaped: a run whose job comes back with a hostile workflow name and
// statistics prints them escaped, while the result file keeps the records byte for byte.
func TestHostileJobTextInRunIsEscaped(t *testing.T) {
	tg := newTarget(t)
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/Job") || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			return false
		}
		rec := httptest.NewRecorder()
		tg.hook.next.ServeHTTP(rec, r)
		var job map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &job) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return true
		}
		job["workflowName"] = evil
		job["statistics"] = map[string]any{evil: evil}
		hostile.WriteJSON(w, http.StatusOK, job)
		return true
	})
	dir := t.TempDir()
	in := writeFile(t, dir, "in.csv", "name,notes\nAnn,\"esc \x1b[31m kept\"\n")
	out := filepath.Join(dir, "out.csv")
	r := tg.run(t, "run", in, "--workflow", "Echo", "--out", out, "--block-size", "1")
	if r.code != ExitOK {
		t.Fatalf("run: %v", r)
	}
	checkTerminalSafe(t, "run (stdout)", r.stdout, "FORGED")
	checkTerminalSafe(t, "run (stderr)", r.stderr, "FORGED")
	if !strings.Contains(r.stdout, `\x1b]0;owned\a`) {
		t.Errorf("the statistics are not printed escaped:\n%s", r.stdout)
	}
	if rows := readCSV(t, out); len(rows) != 2 || rows[1][1] != "esc \x1b[31m kept" {
		t.Errorf("result file rows %q: the data must stay byte-exact", rows)
	}
}

// TestUploadRedirectIsRefused: a server answering a block upload with 307 to another host gets no
// record sent there, and the CLI fails naming both origins instead of reporting the upload done.
func TestUploadRedirectIsRefused(t *testing.T) {
	tg := newTarget(t)
	thief := hostile.New(t, nil)
	tg.mustRun(t, "dataset", "create", "moved", "--columns", "name")
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPatch {
			return false
		}
		hostile.Redirect(http.StatusTemporaryRedirect, thief.OtherHost())(w, r)
		return true
	})
	in := writeFile(t, t.TempDir(), "in.csv", "name\nAnn\nBob\n")
	r := tg.run(t, "dataset", "upload", "moved", in)
	if r.code != ExitFailure || strings.Contains(r.stdout, "uploaded") {
		t.Fatalf("want exit 1 and no upload reported: %v", r)
	}
	for _, want := range []string{"follows no redirect", hostile.Origin(tg.url), hostile.Origin(thief.OtherHost())} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
	for _, req := range thief.Requests() {
		t.Errorf("the other host received %s %s with body %q", req.Method, req.Path, req.Body)
	}
	if got, _ := tg.srv.Records("moved"); len(got) != 0 {
		t.Errorf("the dataset holds %d records", len(got))
	}
}

// signalWriter is a syncBuffer that closes seen once its text contains want.
type signalWriter struct {
	syncBuffer
	want string
	once sync.Once
	seen chan struct{}
}

func (s *signalWriter) Write(p []byte) (int, error) {
	n, err := s.syncBuffer.Write(p)
	if strings.Contains(s.String(), s.want) {
		s.once.Do(func() { close(s.seen) })
	}
	return n, err
}

// TestStallPrintsWaitingLine: while the server sends nothing, data8 says so on standard error (every 30 s;
// every few milliseconds here). The server answers only once the line is printed, so the command
// succeeds only if it was.
func TestStallPrintsWaitingLine(t *testing.T) {
	tg := newTarget(t)
	tg.mustRun(t, "dataset", "create", "slow", "--columns", "name")
	stderr := &signalWriter{want: "data8: still waiting for the server (", seen: make(chan struct{})}
	tg.hook.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/Dataset/slow" {
			select {
			case <-stderr.seen:
			case <-r.Context().Done():
			}
		}
		return false
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout syncBuffer
	code := mainWith(ctx, []string{"dataset", "get", "slow"}, strings.NewReader(""), &stdout, stderr, tg.env.get, hooks{stallEvery: 10 * time.Millisecond})
	if code != ExitOK || !strings.Contains(stdout.String(), "slow") {
		t.Fatalf("exit %d (no waiting line?)\n--- stdout\n%s--- stderr\n%s", code, stdout.String(), stderr.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if !strings.HasPrefix(line, "data8: still waiting for the server (") || !strings.HasSuffix(line, " s)") {
			t.Errorf("unexpected stderr line %q", line)
		}
	}
}

// TestInsecureHTTPRefusalNamesFlag: the refusal of http:// off loopback names the CLI's flag, not the Go
// option.
func TestInsecureHTTPRefusalNamesFlag(t *testing.T) {
	r := runCLI(t, context.Background(), env{"DATA8_BASE_URL": "http://api.example.com", "DATA8_TOKEN_URL": "https://auth.example.com/t",
		"DATA8_CLIENT_ID": "id", "DATA8_CLIENT_SECRET": "secret-value"}, hooks{}, "dataset", "list")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "--insecure-http") || strings.Contains(r.stderr, "WithInsecureHTTP") ||
		!strings.Contains(r.stderr, `base URL "http://api.example.com"`) {
		t.Fatalf("want exit 2 naming --insecure-http and the base URL: %v", r)
	}
}

// TestOutputFileModes: on a shared machine a result file is never more open than the user asked: an
// existing 0600 file stays 0600 when a download replaces it, and a new file gets 0666 less the umask
// (the mode of a file the test creates the same way), not a fixed 0644.
func TestOutputFileModes(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	tg.mustRun(t, "dataset", "create", "private", "--columns", "name")
	tg.mustRun(t, "dataset", "upload", "private", writeFile(t, dir, "in.csv", "name\nAnn\n"), "--complete")

	existing := filepath.Join(dir, "existing.csv")
	if err := os.WriteFile(existing, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(existing, 0o600); err != nil {
		t.Fatal(err)
	}
	tg.mustRun(t, "dataset", "download", "private", "--out", existing)
	if fi, err := os.Stat(existing); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("existing 0600 file after download: mode %v; want 0600", fi.Mode())
	}
	if rows := readCSV(t, existing); len(rows) != 2 || rows[1][0] != "Ann" {
		t.Errorf("existing file holds %q, want the dataset", rows)
	}

	probe, err := os.OpenFile(filepath.Join(dir, "probe"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	pfi, _ := probe.Stat()
	probe.Close()
	fresh := filepath.Join(dir, "fresh.csv")
	tg.mustRun(t, "dataset", "download", "private", "--out", fresh)
	if fi, err := os.Stat(fresh); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != pfi.Mode().Perm() {
		t.Errorf("new file: mode %v; want %v, 0666 less the umask", fi.Mode(), pfi.Mode().Perm())
	}
}

// TestShellQuoteOfHostileName: a resume command quoting a server-supplied name with control characters
// prints it in ANSI-C quotes, escaped, so that the line is safe and still pastes into bash as the same name.
func TestShellQuoteOfHostileName(t *testing.T) {
	for in, want := range map[string]string{
		"plain_name":          "plain_name",
		"with space":          "'with space'",
		"it's":                `'it'\''s'`,
		"a\x1b]0;x\x07'b\\\n": `$'a\x1b]0;x\a\'b\\\n'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestHugeCellRefusedBeforeAnythingIsCreated: a CSV file with a 200 MB cell is refused by data8 run with
// a message naming the line and the limit, before any dataset, block or job reaches the server, and
// without reading the cell whole.
func TestHugeCellRefusedBeforeAnythingIsCreated(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "huge.csv")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("name,notes\nAnn,")
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 200 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	f.WriteString("\nBob,short\n")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	before := tg.srv.RequestCounts()
	r := tg.run(t, "run", in, "--workflow", "Echo", "--out", filepath.Join(dir, "out.csv"))
	if r.code != ExitFailure || !strings.Contains(r.stderr, in+": CSV line 2") || !strings.Contains(r.stderr, "longer than the 1 MiB limit") {
		t.Fatalf("want exit 1 and a message naming the file, line 2 and the 1 MiB limit: %v", r)
	}
	after := tg.srv.RequestCounts()
	for _, op := range []string{opid.DatasetCreate, opid.DatasetUploadBlock, opid.JobCreateJob} {
		if after[op] != before[op] {
			t.Errorf("%s reached the server %d times", op, after[op]-before[op])
		}
	}
}
