package batch_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/client/batch"
	"github.com/data8-toolkit/data8/internal/names"
)

// TestPlanMapsHeaders: headers are mapped with names.Column and de-duplicated in the order met: the
// second header that maps to "email" becomes "email_2", the third "email_3", skipping any name
// already taken.
func TestPlanMapsHeaders(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
	}{
		{[]string{"First Name", "Last Name", "Email", "Address Line 1"}, []string{"first_name", "last_name", "email", "address_line_1"}},
		{[]string{"  Post--Code  ", "E-mail/Address", "a__b"}, []string{"post_code", "e_mail_address", "a__b"}},
		{[]string{"2nd Line", "_x", "###", "Zoë"}, []string{"c_2nd_line", "x", "c_3", "zo"}},
		{[]string{"Email", "EMAIL", "e mail", "email_2"}, []string{"email", "email_2", "e_mail", "email_2_2"}},
	}
	for _, c := range cases {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write(c.in)
		w.Write(make([]string, len(c.in)))
		w.Flush()
		path := filepath.Join(t.TempDir(), "f.csv")
		os.WriteFile(path, b.Bytes(), 0o644)
		p, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{MapColumns: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Columns, c.want) || !reflect.DeepEqual(p.Headers, c.in) {
			t.Errorf("%q maps to %q, want %q", c.in, p.Columns, c.want)
		}
		for _, name := range p.Columns {
			if !names.Valid(name) {
				t.Errorf("%q is not a valid column name", name)
			}
		}
	}
}

// TestScanJSONLines checks the validation pass over JSON Lines: keys (escaped or not) in the order first met,
// and one error, naming the file and line, for each kind of bad line.
func TestScanJSONLines(t *testing.T) {
	path := writeFile(t, t.TempDir(), "f.jsonl", ` {"a":"x\u0041","b":1.50,"c":true,"d":null,"e":-0,"f\u0041":""} `+"\n")
	plan, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{Format: batch.JSONLines, MapColumns: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "c", "d", "e", "fA"}; !reflect.DeepEqual(plan.Headers, want) || plan.Records != 1 {
		t.Errorf("keys %q, %d records; want %q, 1", plan.Headers, plan.Records, want)
	}
	for bad, want := range map[string]string{
		`{"a":[1]}`:          `JSON Lines line 2: value of key "a" is an array; values must be strings, numbers, booleans or null`,
		`{"a":{}}`:           `JSON Lines line 2: value of key "a" is an object; values must be strings, numbers, booleans or null`,
		`[1]`:                `JSON Lines line 2: not a JSON object (it starts with an array)`,
		`{"a":1,"a":2}`:      `JSON Lines line 2: key "a" appears twice`,
		`{"a":1,"\u0061":2}`: `JSON Lines line 2: key "a" appears twice`,
		`{"a":1} 2`:          `JSON Lines line 2: invalid JSON at byte 8: want the end of the record`,
		`{"a":}`:             `JSON Lines line 2: invalid JSON at byte 5: want a value`,
		"{\"a\":\"\xff\"}":   `JSON Lines line 2: not valid UTF-8`,
	} {
		path := writeFile(t, t.TempDir(), "f.jsonl", "{\"a\":1}\n"+bad+"\n")
		_, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{Format: batch.JSONLines})
		if err == nil || err.Error() != path+": "+want {
			t.Errorf("%q: error %v, want %q", bad, err, want)
		}
	}
}

// sourceRecords reads every record a recordSource produces for a validated file.
func sourceRecords(t testing.TB, plan *batch.Plan) ([]map[string]any, error) {
	src, err := plan.Open()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var out []map[string]any
	var buf []byte
	for {
		buf, err = src.Next(buf[:0])
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(buf))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("source produced invalid JSON %q: %v", buf, err)
		}
		out = append(out, m)
	}
}

// FuzzCSVInput checks, for any file, that the validation pass and the upload pass agree: a file the
// validation pass accepts streams as exactly the records encoding/csv reads, every cell a string; a file it
// refuses gets an error naming the file.
func FuzzCSVInput(f *testing.F) {
	for _, seed := range []string{
		"a,b\n1,2\n", "a,b\n1,2\n3\n", "\xef\xbb\xbfa\n\"x\"\"y\"\n", "a\n\"multi\nline\"\n", "a,b\r\n1,\r\n",
		"a\n\xff\n", "a,a\n1,2\n", "a\n", "", "a,b\n\"1,2\n", "First Name,e-mail\n x , y \n", "a\n\n\n1\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		plan, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{Format: batch.CSV, MapColumns: true})
		if err != nil {
			var ie *batch.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		got, err := sourceRecords(t, plan)
		if err != nil {
			t.Fatalf("validated file failed to stream: %v", err)
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(content, "\xEF\xBB\xBF")))
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("validated file is not CSV: %v", err)
		}
		if int64(len(rows)-1) != plan.Records || len(got) != len(rows)-1 {
			t.Fatalf("%d rows, plan says %d, source gave %d", len(rows)-1, plan.Records, len(got))
		}
		for i, row := range rows[1:] {
			for j, cell := range row {
				if got[i][plan.Columns[j]] != cell {
					t.Fatalf("record %d column %s = %q, want %q", i, plan.Columns[j], got[i][plan.Columns[j]], cell)
				}
			}
		}
	})
}

// FuzzJSONLinesInput checks that a JSON Lines file the validation pass accepts streams as the same objects
// (values as given), and that a refused one gets an error naming the file.
func FuzzJSONLinesInput(f *testing.F) {
	for _, seed := range []string{
		"{\"a\":1}\n", "{\"a\":\"x\",\"b\":null}\n\n{\"b\":true}\n", "[1]\n", "{\"a\":{}}\n", "{\"a\":1,\"a\":2}\n",
		"{\"First Name\":\"x\",\"first_name\":\"y\"}\n", "{\"a\":1e400}\n", "{\"a\":\"\\ud800\"}\n", "{} {}\n", "\xef\xbb\xbf{\"a\":-0.0}\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "f.jsonl")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		plan, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{Format: batch.JSONLines, MapColumns: true})
		if err != nil {
			if !strings.HasPrefix(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		got, err := sourceRecords(t, plan)
		if err != nil {
			t.Fatalf("validated file failed to stream: %v", err)
		}
		rename := map[string]string{}
		for i := range plan.Headers {
			rename[plan.Headers[i]] = plan.Columns[i]
		}
		var want []map[string]any
		for _, line := range strings.Split(strings.TrimPrefix(content, "\xEF\xBB\xBF"), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatalf("validated line %q does not decode: %v", line, err)
			}
			r := map[string]any{}
			for k, v := range m {
				r[rename[k]] = v
			}
			want = append(want, r)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("source gave %v, want %v", got, want)
		}
		for _, rec := range got {
			for k, v := range rec {
				if !names.Valid(k) {
					t.Fatalf("key %q is not a valid column name", k)
				}
				if s, ok := v.(string); ok && !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 value %q", s)
				}
			}
		}
	})
}

// TestSourceRefusesAChangedFile checks that the upload pass fails, naming the file, when the file no longer
// holds what the validation pass checked.
func TestSourceRefusesAChangedFile(t *testing.T) {
	for _, tc := range []struct {
		format        batch.Format
		before, after string
		want          string
	}{
		{batch.CSV, "First Name,b\n1,2\n", "First Name,b\n1,2\n3,4\n", "file changed while it was being uploaded (the validation pass counted 1 records)"},
		{batch.CSV, "First Name,b\n1,2\n3,4\n", "First Name,b\n1,2\n", "file changed while it was being uploaded (the validation pass counted 2 records)"},
		{batch.CSV, "First Name,b\n1,2\n3,4\n", "First Name,b\n1,2\n3\n", "CSV line 3: 1 cell, but the header has 2 columns"},
		{batch.CSV, "First Name,b\n1,2\n", "First Name\n1\n", "CSV header has 1 cell, but 2 columns are given"},
		{batch.JSONLines, "{\"Odd Key\":1}\n{\"b\":2}\n", "{\"Odd Key\":1}\n", "file changed while it was being uploaded (the validation pass counted 2 records)"},
		{batch.JSONLines, "{\"Odd Key\":1}\n", "{\"Odd Key\":[1]}\n", `JSON Lines line 1: value of key "Odd Key" is an array; values must be strings, numbers, booleans or null`},
	} {
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
			t.Fatal(err)
		}
		plan, err := batch.PlanFile(context.Background(), path, batch.PlanOptions{Format: tc.format, MapColumns: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(tc.after), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = sourceRecords(t, plan)
		if !errors.As(err, new(*batch.InputError)) || err.Error() != path+": "+tc.want {
			t.Errorf("%q → %q: error %v, want %q", tc.before, tc.after, err, path+": "+tc.want)
		}
	}
}

// writeFile writes content to name in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
