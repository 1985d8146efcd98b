package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/internal/opid"
)

// TestBadInput tries every kind of bad input through the CLI: each gets its specific error (file and line
// where there is one), the right exit code, and nothing reaches the server's datasets.
func TestBadInput(t *testing.T) {
	tg := newTarget(t)
	dir := t.TempDir()
	file := func(name, content string) string { return writeFile(t, dir, name, content) }
	out := filepath.Join(dir, "out.csv")

	good := file("good.csv", "a,b\n1,2\n")
	ragged := file("ragged.csv", "a,b,c\n1,2,3\n4,5\n")
	badUTF8 := file("utf8.csv", "a,b\nok,caf\xe9\n")
	dupHeader := file("dup.csv", "a,b,a\n1,2,3\n")
	emptyHeader := file("emptyhdr.csv", "a,,c\n1,2,3\n")
	badQuote := file("quote.csv", "a,b\n1,x\"y\n")
	unclosed := file("unclosed.csv", "a,b\n1,\"open\n2,3\n")
	empty := file("empty.csv", "")
	headerOnly := file("header.csv", "a,b\n")
	notObject := file("arr.jsonl", "{\"a\":1}\n[1,2]\n")
	badJSON := file("bad.jsonl", "{\"a\":1}\n\n{\"a\":}\n")
	nested := file("nested.jsonl", "{\"a\":{\"x\":1}}\n")
	dupKey := file("dupkey.jsonl", "{\"a\":1,\"a\":2}\n")
	blank := file("blank.jsonl", "\n  \n")
	trailing := file("trailing.jsonl", "{\"a\":1} {\"a\":2}\n")
	utf8JSON := file("utf8.jsonl", "{\"a\":\"caf\xe9\"}\n")
	upperHeader := file("upper.csv", "a,First Name\n1,2\n")
	unknownCol := file("unknown.csv", "a,zzz\n1,2\n")
	unknownKey := file("unknown.jsonl", "{\"a\":\"1\",\"zzz\":\"2\"}\n")
	txt := file("data.txt", "a,b\n1,2\n")

	tg.mustRun(t, "dataset", "create", "target", "--columns", "a,b")
	tg.mustRun(t, "dataset", "create", "done", "--columns", "a,b")
	tg.mustRun(t, "dataset", "upload", "done", good, "--complete")
	base := tg.srv.RequestCounts()

	cases := []struct {
		name string
		env  env // nil: the target's
		args []string
		code int
		want string
	}{
		{"missing file", nil, []string{"run", filepath.Join(dir, "nope.csv"), "--workflow", "Echo", "--out", out}, 1, "nope.csv: file does not exist"},
		{"empty file", nil, []string{"run", empty, "--workflow", "Echo", "--out", out}, 1, "empty.csv: file is empty"},
		{"directory", nil, []string{"dataset", "upload", "target", dir}, 2, "cannot tell the format of"},
		{"header only", nil, []string{"run", headerOnly, "--workflow", "Echo", "--out", out}, 1, "header.csv: no records after the header"},
		{"ragged row", nil, []string{"run", ragged, "--workflow", "Echo", "--out", out}, 1, "ragged.csv: CSV line 3: 2 cells, but the header has 3 columns"},
		{"invalid UTF-8 (CSV)", nil, []string{"run", badUTF8, "--workflow", "Echo", "--out", out}, 1, `utf8.csv: CSV line 2, column "b": not valid UTF-8`},
		{"duplicate header", nil, []string{"run", dupHeader, "--workflow", "Echo", "--out", out}, 1, `dup.csv: CSV header: column "a" appears twice (columns 1 and 3)`},
		{"empty header cell", nil, []string{"run", emptyHeader, "--workflow", "Echo", "--out", out}, 1, "emptyhdr.csv: CSV header, column 2: no name"},
		{"bare quote", nil, []string{"run", badQuote, "--workflow", "Echo", "--out", out}, 1, `quote.csv: CSV line 2, column 4: bare " in a cell that does not start with a quote (quote the whole cell and double the ")`},
		{"unclosed quote", nil, []string{"run", unclosed, "--workflow", "Echo", "--out", out}, 1, `unclosed.csv: CSV line 2: a quoted cell is not closed, or holds a single " (the row starts on this line; reading stopped at line 3, column 5)`},
		{"JSON Lines: not an object", nil, []string{"run", notObject, "--workflow", "Echo", "--out", out}, 1, "arr.jsonl: JSON Lines line 2: not a JSON object (it starts with an array)"},
		{"JSON Lines: invalid JSON", nil, []string{"run", badJSON, "--workflow", "Echo", "--out", out}, 1, "bad.jsonl: JSON Lines line 3: invalid JSON at byte 5: want a value"},
		{"JSON Lines: nested value", nil, []string{"run", nested, "--workflow", "Echo", "--out", out}, 1, `nested.jsonl: JSON Lines line 1: value of key "a" is an object; values must be strings, numbers, booleans or null`},
		{"JSON Lines: duplicate key", nil, []string{"run", dupKey, "--workflow", "Echo", "--out", out}, 1, `dupkey.jsonl: JSON Lines line 1: key "a" appears twice`},
		{"JSON Lines: only blank lines", nil, []string{"run", blank, "--workflow", "Echo", "--out", out}, 1, "blank.jsonl: no records (only blank lines)"},
		{"JSON Lines: two values on a line", nil, []string{"run", trailing, "--workflow", "Echo", "--out", out}, 1, "trailing.jsonl: JSON Lines line 1: invalid JSON at byte 8: want the end of the record"},
		{"JSON Lines: invalid UTF-8", nil, []string{"run", utf8JSON, "--workflow", "Echo", "--out", out}, 1, "utf8.jsonl: JSON Lines line 1: not valid UTF-8"},
		{"upload: header not a column name", nil, []string{"dataset", "upload", "target", upperHeader}, 1, `upper.csv: CSV header: column 2 "First Name" is not a valid column name (a lower-case letter, then a-z, 0-9 or _); pass --map-columns to map names as data8 run does`},
		{"upload: header not a column of the dataset", nil, []string{"dataset", "upload", "target", unknownCol}, 1, `unknown.csv: CSV header: column 2 "zzz" is not a column of dataset "target" (its columns: a, b)`},
		{"upload: mapped header not a column", nil, []string{"dataset", "upload", "target", upperHeader, "--map-columns"}, 1, `upper.csv: CSV header: column 2 "First Name" (mapped to "first_name") is not a column of dataset "target" (its columns: a, b)`},
		{"upload: JSON key not a column", nil, []string{"dataset", "upload", "target", unknownKey}, 1, `unknown.jsonl: JSON Lines line 1: key "zzz" is not a column of dataset "target" (its columns: a, b)`},
		{"upload: complete dataset", nil, []string{"dataset", "upload", "done", good}, 1, `dataset "done" is complete: a complete dataset cannot be changed`},
		{"upload: unknown dataset", nil, []string{"dataset", "upload", "nope", good}, 1, "Dataset_GetByName: 404 Not Found"},
		{"upload: unknown extension", nil, []string{"dataset", "upload", "target", txt}, 2, `cannot tell the format of "` + txt + `" from its extension (want .csv, .jsonl or .ndjson): pass --format csv|jsonl`},
		{"upload: start block past the end", nil, []string{"dataset", "upload", "target", good, "--start-block", "5"}, 2, "bad --start-block 5: " + good + " has 1 records, 1 blocks of 1000 (last block 0)"},
		{"block size over 1000", nil, []string{"run", good, "--workflow", "Echo", "--out", out, "--block-size", "1001"}, 2, "bad --block-size 1001: a block holds 1 to 1000 records"},
		{"block size 0", nil, []string{"dataset", "upload", "target", good, "--block-size", "0"}, 2, "bad --block-size 0: a block holds 1 to 1000 records"},
		{"concurrency 0", nil, []string{"run", good, "--workflow", "Echo", "--out", out, "--concurrency", "0"}, 2, "bad --concurrency 0: must be 1 to 64"},
		{"param without =", nil, []string{"run", good, "--workflow", "Echo", "--out", out, "--param", "novalue"}, 2, `bad --param "novalue": want NAME=VALUE`},
		{"param given twice", nil, []string{"run", good, "--workflow", "Echo", "--out", out, "--param", "a=1", "--param", "a=2"}, 2, `bad --param "a=2": "a" is given twice`},
		{"columns: bad type code", nil, []string{"dataset", "create", "x", "--columns", "a:text"}, 2, `bad --columns "a:text": type code "text" of column "a" is not an integer`},
		{"columns: bad name", nil, []string{"dataset", "create", "x", "--columns", "a,First Name"}, 2, `bad --columns "a,First Name": "First Name" is not a valid column name (lower-case letter first, then a-z, 0-9 or _)`},
		{"columns: duplicate", nil, []string{"dataset", "create", "x", "--columns", "a,a:1"}, 2, `bad --columns "a,a:1": column "a" appears twice`},
		{"columns: not in the file", nil, []string{"run", good, "--workflow", "Echo", "--out", out, "--columns", "c:1"}, 2, `bad --columns: "c" is not a column of ` + good + ` (its columns: a, b)`},
		{"bad dataset name", nil, []string{"dataset", "create", "Bad-Name", "--columns", "a"}, 2, `bad dataset name "Bad-Name": want a lower-case letter, then lower-case letters, digits or _`},
		{"bad job name", nil, []string{"job", "start", "a/b", "--workflow", "Echo"}, 2, `bad job name "a/b": must not contain '/' (no / : * ? " < > | or backslash)`},
		{"job name with a control character", nil, []string{"job", "start", "a\x1fb", "--workflow", "Echo"}, 2, `bad job name "a\x1fb": must not contain control characters (it holds U+001F)`},
		{"job name with a C1 control character", nil, []string{"job", "start", "a\u0085b", "--workflow", "Echo"}, 2, `bad job name "a\u0085b": must not contain control characters (it holds U+0085)`},
		{"unknown flag", nil, []string{"run", good, "--bogus"}, 2, "data8 run: unknown flag --bogus"},
		{"flag without value", nil, []string{"run", good, "--workflow"}, 2, "data8 run: flag --workflow needs a value"},
		{"flag with a bad number", nil, []string{"run", good, "--block-size", "ten"}, 2, `invalid value "ten" for flag --block-size`},
		{"concurrency over 64", nil, []string{"dataset", "upload", "target", good, "--concurrency", "65"}, 2, "bad --concurrency 65: must be 1 to 64"},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown subcommand", nil, []string{"dataset", "frob"}, 2, `unknown subcommand "frob"`},
		{"missing argument", nil, []string{"dataset", "upload", "target"}, 2, "missing arguments: want NAME FILE"},
		{"bad --output", nil, []string{"dataset", "list", "--output", "xml"}, 2, `bad --output "xml": want table or json`},
		{"bad --since", nil, []string{"job", "list", "--since", "yesterday"}, 2, `bad --since "yesterday"`},
		{"job wait --poll 0", nil, []string{"job", "wait", "somejob", "--poll", "0s"}, 2, "bad --poll 0s: must be more than 0"},
		{"run --poll 0", nil, []string{"run", good, "--workflow", "Echo", "--out", out, "--poll", "0s"}, 2, "bad --poll 0s: must be more than 0"},
		{"job list --limit -1", nil, []string{"job", "list", "--limit", "-1"}, 2, "bad --limit -1: must be 0 or more"},
		{"missing workflow", nil, []string{"run", good, "--out", out}, 2, "--workflow is required"},
		{"no credentials", env{}, []string{"dataset", "upload", "target", good}, 2, "no credentials: set DATA8_CLIENT_ID (or --client-id) and DATA8_CLIENT_SECRET (data8 serve prints a sandbox's)"},
		{"base URL without token URL", env{"DATA8_BASE_URL": tg.url, "DATA8_CLIENT_ID": "x", "DATA8_CLIENT_SECRET": "y"}, []string{"dataset", "list"}, 2, "no token URL is set: set DATA8_TOKEN_URL"},
		{"http on a remote host", env{"DATA8_BASE_URL": "http://example.com", "DATA8_TOKEN_URL": "http://example.com/t", "DATA8_CLIENT_ID": "x", "DATA8_CLIENT_SECRET": "y"}, []string{"dataset", "list"}, 2, "uses http:// on a host that is not loopback"},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d bad inputs", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := c.env
			if e == nil {
				e = tg.env
			}
			r := runCLI(t, t.Context(), e, hooks{}, c.args...)
			if r.code != c.code {
				t.Errorf("exit %d, want %d: %v", r.code, c.code, r)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout is not empty:\n%s", r.stdout)
			}
		})
	}
	after := tg.srv.RequestCounts()
	for _, op := range []string{opid.DatasetCreate, opid.DatasetUploadBlock, opid.DatasetUpdateByName, opid.JobCreateJob} {
		if after[op] != base[op] {
			t.Errorf("bad input reached the server: %s called %d times", op, after[op]-base[op])
		}
	}
	if got, _ := tg.srv.Records("target"); len(got) != 0 {
		t.Errorf("dataset target holds %d records", len(got))
	}
}
