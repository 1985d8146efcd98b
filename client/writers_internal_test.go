package client

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// The page writers are checked against the simple path they replace: decode the page as ReadRecords
// does (a map per record, numbers as json.Number), then encode with encoding/csv and encoding/json.

var (
	diffColumns = []string{"a", "b", "é"}
	diffHeader  = []string{"A", "b,x", " é"}
	diffNames   = []string{"A", "b", "é"}
)

// simpleDecode decodes a page as encoding/json does for a []Record.
func simpleDecode(body []byte) ([]Record, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var recs []Record
	if err := dec.Decode(&recs); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data: %v", err)
	}
	return recs, nil
}

func simpleCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func simpleCSV(recs []Record) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(diffHeader)
	for _, r := range recs {
		for k := range r {
			if !slices.Contains(diffColumns, k) {
				return nil, fmt.Errorf("unknown column %q", k)
			}
		}
		row := make([]string, len(diffColumns))
		for i, c := range diffColumns {
			row[i] = simpleCell(r[c])
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func simpleJSON(v any) []byte {
	switch x := v.(type) {
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(x)
		return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	case json.Number:
		return []byte(x)
	}
	b, _ := json.Marshal(v)
	return b
}

func simpleJSONLines(recs []Record) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		var parts []string
		for i, c := range diffColumns {
			if v, ok := r[c]; ok {
				parts = append(parts, string(simpleJSON(diffNames[i]))+":"+string(simpleJSON(v)))
			}
		}
		var extra []string
		for k := range r {
			if !slices.Contains(diffColumns, k) {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		for _, k := range extra {
			parts = append(parts, string(simpleJSON(k))+":"+string(simpleJSON(r[k])))
		}
		b.WriteString("{" + strings.Join(parts, ",") + "}\n")
	}
	return b.Bytes()
}

// fastWrite splits body and writes it through the page writers, as Download hands a page on (its
// members noted by the split), and checks that a page without them (a caller's own) is written the
// same.
func fastWrite(body []byte) (csvOut, jsonl []byte, csvErr, splitErr error) {
	var pm pageMembers
	recs, err := splitPage(body, nil, &pm)
	if err != nil {
		return nil, nil, nil, err
	}
	csvOut, jsonl, csvErr, err = writePage(&Page{Number: 1, Records: recs, members: &pm})
	if err != nil {
		return nil, nil, nil, err
	}
	c2, j2, e2, err := writePage(&Page{Number: 1, Records: recs})
	if err != nil || !bytes.Equal(c2, csvOut) || !bytes.Equal(j2, jsonl) || fmt.Sprint(e2) != fmt.Sprint(csvErr) {
		return nil, nil, nil, fmt.Errorf("a page without its members is written otherwise: %q %q %v %v", c2, j2, e2, err)
	}
	return csvOut, jsonl, csvErr, nil
}

// writePage writes p through the page writers.
func writePage(p *Page) (csvOut, jsonl []byte, csvErr, err error) {
	var cb, jb bytes.Buffer
	cw, err := NewCSVWriter(&cb, diffColumns, diffHeader)
	if err != nil {
		return nil, nil, nil, err
	}
	csvErr = cw.WritePage(p)
	if csvErr == nil {
		csvErr = cw.Flush()
	}
	jw, err := NewJSONLinesWriter(&jb, diffColumns, diffNames)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := jw.WritePage(p); err != nil {
		return nil, nil, nil, err
	}
	return cb.Bytes(), jb.Bytes(), csvErr, nil
}

// checkWriters compares both paths on one page body.
func checkWriters(t *testing.T, body []byte) {
	t.Helper()
	recs, simpleErr := simpleDecode(body)
	csvOut, jsonl, csvErr, splitErr := fastWrite(body)
	if simpleErr != nil {
		if splitErr == nil {
			t.Fatalf("page %q: encoding/json refuses it (%v), the page reader accepts it", body, simpleErr)
		}
		return
	}
	if splitErr != nil {
		t.Fatalf("page %q: encoding/json accepts it, the page reader refuses it: %v", body, splitErr)
	}
	if n, _ := splitRecords(body, nil); len(n) != len(recs) {
		t.Fatalf("page %q: %d records, encoding/json reads %d", body, len(n), len(recs))
	}
	if got, want := jsonl, simpleJSONLines(recs); !bytes.Equal(got, want) {
		t.Fatalf("page %q: JSON Lines\n got %q\nwant %q", body, got, want)
	}
	want, wantErr := simpleCSV(recs)
	var uc *UnknownColumnError
	switch {
	case wantErr != nil:
		if !errors.As(csvErr, &uc) {
			t.Fatalf("page %q: CSV error %v, want an *UnknownColumnError (%v)", body, csvErr, wantErr)
		}
	case csvErr != nil:
		t.Fatalf("page %q: CSV error %v", body, csvErr)
	case !bytes.Equal(csvOut, want):
		t.Fatalf("page %q: CSV\n got %q\nwant %q", body, csvOut, want)
	}
}

// writerSeeds are pages that exercise the writers: quoting, escapes, bad UTF-8, U+2028, numbers,
// nested values, duplicate keys, nulls, white space, and invalid pages.
var writerSeeds = []string{
	`[]`, `null`, ` [ ] `, `[null]`, `[{}]`,
	`[{"a":"x","b":"y","é":"z"}]`,
	`[{"a":"","b":" lead","é":"trail "},{"a":"q\"uote","b":"com,ma","é":"new\nline"}]`,
	`[{"a":"cr\rlf","b":"\\.","é":"\t tab"}]`,
	`[{"a":"\u00e9\u2028\u2029","b":"<&>","é":"\ud83d\ude00"}]`,
	"[{\"a\":\"bad \xff utf8\",\"b\":\"\xe2\x80\xa8 raw sep\",\"é\":\"ok\"}]",
	"[{\"a\\u0000\":1}]",
	`[{"a":-0.5e+10,"b":0,"é":123456789012345678901234567890}]`,
	`[{"a":true,"b":false,"é":null}]`,
	`[{"a":{"x":[1,"<"]},"b":[],"é":{}}]`,
	`[{"a":1,"a":2,"b":"x","b":null}]`,
	`[{"\u0061":"escaped key","z":"extra","y":1,"z":"extra again"}]`,
	`[{"A":"renamed clash"}]`,
	"[\n\t{ \"a\" : \"x\" } ,\r\n null ]\n",
	`[{"a":1}] x`, `[{"a":1},]`, `[1]`, `["a"]`, `{"a":1}`, `[{"a":01}]`, `[{"a":1.}]`, `[{"a":"\x"}]`,
	"[{\"a\":\"ctl\x01\"}]", `[{"a":tru}]`, `[{"a" 1}]`, `[{"a":1`, `[{"a":[1,2}]`, `[{"a":{"b":1]}]`, ``, `  `,
	`[{"a":"\ud800"}]`, `[{"a":"\uDFFF\uD800x"}]`,
}

func TestPageWritersMatchSimplePath(t *testing.T) {
	for _, s := range writerSeeds {
		checkWriters(t, []byte(s))
	}
}

func FuzzPageWriters(f *testing.F) {
	for _, s := range writerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkWriters(t, body)
	})
}

func TestSplitRecordsDeepNesting(t *testing.T) {
	// A deeply nested value is refused (as encoding/json refuses it) without exhausting the stack.
	body := `[{"a":` + strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20) + `}]`
	if _, err := splitRecords([]byte(body), nil); err == nil {
		t.Error("a value nested a million deep was accepted")
	}
}

// TestPlainASCIICell checks the CSV writer's one-pass test of a common cell against the rule it
// stands for: ASCII, and not quoted by appendCSVField.
func TestPlainASCIICell(t *testing.T) {
	cells := []string{"", "a", "Firstname1", " a", "a ", "\ta", "\va", "\fa", "\ra", "\na", "a\nb", "a\rb",
		`a"b`, "a,b", `\.`, `\.x`, `x\.`, `\`, ".", "café", "\u00a0a", "\u0085a", "\u2028", "a\x00b", "\x7f",
		"a;b", "a'b", "a+b", "-"}
	for _, c := range cells {
		want := utf8.ValidString(c) && !strings.ContainsFunc(c, func(r rune) bool { return r >= utf8.RuneSelf }) &&
			!csvNeedsQuotes([]byte(c))
		if got := plainASCIICell([]byte(c)); got != want {
			t.Errorf("plainASCIICell(%q) = %v, want %v", c, got, want)
		}
	}
}
