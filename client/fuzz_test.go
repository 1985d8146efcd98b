package client

// Fuzz targets of the client's parsers. They live in package client because two of the
// functions fuzzed, newAPIError and retryAfter, are unexported. Plain go test runs the f.Add seeds
// and the corpora in testdata/fuzz/<FuzzName>/; go test -fuzz=^FuzzX$ explores further.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/internal/redact"
	"github.com/data8-toolkit/data8/internal/retryafter"
)

// fuzzNamePattern is the documented pattern of dataset and column names.
var fuzzNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// fuzzCheckErrorText fails when an error's text is not one line of valid UTF-8.
func fuzzCheckErrorText(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error text is not one line of UTF-8: %q", msg)
	}
}

// FuzzCSVSource feeds arbitrary bytes to NewCSVSource and reads every record, comparing with
// encoding/csv read with the same settings: a header is accepted exactly when its names are valid
// and unique column names; each row accepted is a JSON object whose keys are the header's names in
// order and whose values are the cells as strings; a row is refused (with ErrInvalidRecord, in one
// line) exactly when encoding/csv refuses it or a cell is not valid UTF-8. Next appends to dst.
func FuzzCSVSource(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n",
		"\uFEFFname,city\r\n\"Smith, J\",\"say \"\"hi\"\"\"\r\n,\n",
		"a\n\n\nx\n",
		"a,b,c\n1,2,3\n4,5\n",
		"a,b\nok,caf\xe9\n",
		"a,a\n1,2\n",
		"A,b\n1,2\n",
		"a,\n1,2\n",
		"a,b\n1,x\"y\n",
		"a,b\n1,\"open\n2,3\n",
		"",
		"\n\n",
		"a\n\"multi\nline\"\n\"tab\there\"\n\"\x00\x1f\x7f\"\n",
		"col_1,c2\n\u2028,\U0001F600\n",
		"a,b\n\"1\"x,2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := NewCSVSource(bytes.NewReader(data))
		ref := csv.NewReader(bytes.NewReader(data))
		header, refErr := ref.Read()
		goodHeader := refErr == nil && fuzzHeaderOK(header)
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("NewCSVSource error %v does not match ErrInvalidRecord", err)
			}
			fuzzCheckErrorText(t, err)
			if goodHeader {
				t.Fatalf("NewCSVSource refused the header %q: %v", header, err)
			}
			return
		}
		if !goodHeader {
			t.Fatalf("NewCSVSource accepted the header %q (encoding/csv: %v)", header, refErr)
		}
		want := append([]string(nil), header...)
		want[0] = strings.TrimPrefix(want[0], "\uFEFF")
		if got := src.Columns(); !fuzzEqualStrings(got, want) {
			t.Fatalf("Columns() = %q, want %q", got, want)
		}
		prefix := []byte("prefix")
		for row := 1; ; row++ {
			out, err := src.Next(append([]byte(nil), prefix...))
			cells, refErr := ref.Read()
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("row %d: Next did not append to dst: %q", row, out)
			}
			if err == io.EOF {
				if refErr != io.EOF {
					t.Fatalf("row %d: EOF, but encoding/csv read %q, %v", row, cells, refErr)
				}
				if len(out) != len(prefix) {
					t.Fatalf("row %d: EOF changed dst: %q", row, out)
				}
				return
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidRecord) {
					t.Fatalf("row %d: error %v does not match ErrInvalidRecord", row, err)
				}
				fuzzCheckErrorText(t, err)
				if refErr == nil && fuzzAllValidUTF8(cells) {
					t.Fatalf("row %d: refused %q, which encoding/csv reads: %v", row, cells, err)
				}
				return
			}
			if refErr != nil {
				t.Fatalf("row %d: accepted a row encoding/csv refuses (%v): %q", row, refErr, out)
			}
			if !fuzzAllValidUTF8(cells) {
				t.Fatalf("row %d: accepted invalid UTF-8 %q", row, cells)
			}
			keys, vals := fuzzDecodeObject(t, out[len(prefix):])
			if !fuzzEqualStrings(keys, want) {
				t.Fatalf("row %d: keys %q, want the header %q", row, keys, want)
			}
			for i, v := range vals {
				if s, ok := v.(string); !ok || s != cells[i] {
					t.Fatalf("row %d, column %q: value %#v, want the cell %q", row, keys[i], v, cells[i])
				}
			}
		}
	})
}

func fuzzHeaderOK(header []string) bool {
	seen := map[string]bool{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		if !fuzzNamePattern.MatchString(name) || seen[name] {
			return false
		}
		seen[name] = true
	}
	return len(header) > 0
}

func fuzzAllValidUTF8(ss []string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

func fuzzEqualStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fuzzDecodeObject decodes one JSON object, keeping its keys in order, and fails unless b is exactly
// that object.
func fuzzDecodeObject(t *testing.T, b []byte) (keys []string, vals []any) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatalf("record is not valid JSON: %q", b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("record is not an object: %q", b)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("record %q: %v", b, err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("record %q: %v", b, err)
		}
		keys, vals = append(keys, k.(string)), append(vals, v)
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("record %q: %v", b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("record %q: more after the object", b)
	}
	return keys, vals
}

// FuzzJSONLinesSource feeds arbitrary bytes to NewJSONLinesSource, with and without known columns,
// and compares with a reference built on encoding/json: each non-blank line is accepted, and copied
// exactly (trimmed of white space), when it is valid UTF-8 and one JSON object whose values are all
// scalars (every value, duplicate keys included) and, with known columns, whose keys are all
// known; otherwise Next fails with ErrInvalidRecord naming that line's number.
func FuzzJSONLinesSource(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"b\":\"x\",\"name\":null}\n",
		"{\"a\":1}\r\n\r\n  {\"a\":true}  \n",
		"{\"a\":{\"x\":1}}\n",
		"{\"a\":[1]}\n",
		"[1,2]\n",
		"{\"a\":1,\"a\":{}}\n",
		"{\"a\":{},\"a\":1}\n",
		"{\"a\":1} {\"a\":2}\n",
		"{\"a\":\"caf\xe9\"}\n",
		"{\"\\u0061\":\"\\ud800\"}\n",
		"{\"zzz\":1}\n",
		"{\"a\":-0.5e+10,\"b\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
		"{\"a\":01}\n",
		"{\"a\":1.}\n",
		"{\"a\":\"\t\"}\n",
		"\u00a0{\"a\":1}\u0085\n",
		"{}\n{ }\n",
		"{\"a\":nul}\n",
		"\n\n\n",
		"",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, withColumns bool) {
		src := NewJSONLinesSource(bytes.NewReader(data))
		var known map[string]struct{}
		if withColumns {
			known = map[string]struct{}{"a": {}, "b": {}, "name": {}}
			if err := src.(columnChecker).checkColumns(known); err != nil {
				t.Fatal(err)
			}
		}
		lines := bytes.Split(data, []byte("\n"))
		prefix := []byte("prefix")
		for n, line := range lines {
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			out, err := src.Next(append([]byte(nil), prefix...))
			if !bytes.HasPrefix(out, prefix) {
				t.Fatalf("line %d: Next did not append to dst: %q", n+1, out)
			}
			if fuzzJSONLineOK(line, known) {
				if err != nil {
					t.Fatalf("line %d %q: refused: %v", n+1, line, err)
				}
				if !bytes.Equal(out[len(prefix):], line) {
					t.Fatalf("line %d: got %q, want the line %q", n+1, out[len(prefix):], line)
				}
				continue
			}
			if err == nil {
				t.Fatalf("line %d %q: accepted", n+1, line)
			}
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("line %d: error %v does not match ErrInvalidRecord", n+1, err)
			}
			fuzzCheckErrorText(t, err)
			if want := fmt.Sprintf("JSON Lines line %d:", n+1); !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not name the line (%q)", err, want)
			}
			return
		}
		if out, err := src.Next(append([]byte(nil), prefix...)); err != io.EOF || !bytes.Equal(out, prefix) {
			t.Fatalf("after the last line: %q, %v; want io.EOF and dst unchanged", out, err)
		}
	})
}

// fuzzJSONLineOK is the reference check of one trimmed JSON Lines line.
func fuzzJSONLineOK(line []byte, known map[string]struct{}) bool {
	if !utf8.Valid(line) || !json.Valid(line) || line[0] != '{' {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil || seen[k.(string)] {
			return false
		}
		seen[k.(string)] = true
		if known != nil {
			if _, ok := known[k.(string)]; !ok {
				return false
			}
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil || v[0] == '{' || v[0] == '[' {
			return false
		}
	}
	return true
}

// The secrets FuzzAPIError plants in bodies: a client secret and a bearer token.
const (
	fuzzSecret = "S3cr3t-0f-the-client"
	fuzzToken  = "eyJ-bearer-token-42"
)

// FuzzAPIError builds the error of a non-2xx answer from an arbitrary status, Content-Type and body
// (newAPIError, as every call does) and checks it: Error() is one line of valid UTF-8 of bounded
// length that holds neither the secret nor the token, nor the raw body of an answer that is not
// problem details; no decoded text holds a secret; the sentinels follow the status code; a
// problem+json body is decoded into Problem and FieldErrors, any other body kept raw in Body.
func FuzzAPIError(f *testing.F) {
	seeds := []struct {
		status int
		ct     string
		body   string
	}{
		{404, "application/problem+json", `{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"detail":"Dataset x does not exist.","instance":"/Dataset/x"}`},
		{400, "application/problem+json; charset=utf-8", `{"title":"One or more validation errors occurred.","status":400,"errors":{"records[12].foo":["The column foo does not exist."],"name":["bad","worse"],"a":[],"b":["x"],"c":["y"]}}`},
		{401, "application/problem+json", `{"title":"Unauthorized","status":401,"detail":"token Bearer ` + fuzzToken + ` was refused","errors":{"` + fuzzSecret + `":["` + fuzzToken + `"]}}`},
		{400, "application/json", `{"error":"invalid_client","error_description":"secret ` + fuzzSecret + ` is wrong"}`},
		{400, "application/json", `{"title":"t","detail":"secret \u0053` + fuzzSecret[1:] + `"}`},
		{502, "text/html", `<html>bad gateway ` + fuzzSecret + `</html>`},
		{500, "", ``},
		{503, "application/problem+json", `not json ` + fuzzToken},
		{429, "application/problem+json", `{"title":"multi\nline\r\ttitle\u0000\u2028","detail":"` + strings.Repeat("long ", 200) + `"}`},
		{422, "APPLICATION/PROBLEM+JSON", `{"status":"not a number"}`},
		{400, "application/problem+json", `{"errors":{"x":"not a list"}}`},
		{418, "application/problem+json", `[]`},
		{599, "application/json;;", `{"title":"\ud800"}`},
		{302, "application/problem+json", `{"title":"caf\xe9"}`},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		// newAPIError is called for every answer outside 2xx: 1xx is taken by net/http, so 300..999.
		if status < 300 || status > 999 {
			status = 300 + (status%700+700)%700
		}
		header := http.Header{}
		header.Set("Content-Type", contentType)
		secrets := &redact.Set{}
		secrets.Add(fuzzSecret, fuzzToken)
		e := newAPIError("Dataset_GetByName", status, header, body, secrets)
		if e.StatusCode != status || e.Operation != "Dataset_GetByName" {
			t.Fatalf("APIError %+v for status %d", e, status)
		}
		msg := e.Error()
		fuzzCheckErrorText(t, e)
		for _, r := range msg {
			if unicode.IsControl(r) {
				t.Fatalf("Error() holds control character %U: %q", r, msg)
			}
		}
		if n := utf8.RuneCountInString(msg); n > 2000 {
			t.Fatalf("Error() is %d runes long", n)
		}
		texts := []string{msg, e.Problem.Type, e.Problem.Title, e.Problem.Detail, e.Problem.Instance}
		for k, msgs := range e.FieldErrors {
			texts = append(texts, k)
			texts = append(texts, msgs...)
		}
		for _, text := range texts {
			if strings.Contains(text, fuzzSecret) || strings.Contains(text, fuzzToken) {
				t.Fatalf("a secret survives in %q", text)
			}
		}
		for sentinel, want := range map[error]bool{
			ErrNotFound:     status == 404,
			ErrUnauthorized: status == 401,
			ErrValidation:   status == 400 || status == 422,
			ErrRateLimited:  status == 429,
		} {
			if errors.Is(e, sentinel) != want {
				t.Fatalf("errors.Is(status %d, %v) = %v", status, sentinel, !want)
			}
		}
		// The reference: problem details are decoded from an application/problem+json body that is a
		// JSON object of the problem shape, or from an application/json one with a title, type or
		// status; any other body is kept raw in Body (nil when empty).
		var p struct {
			Type     string              `json:"type"`
			Title    string              `json:"title"`
			Status   int                 `json:"status"`
			Detail   string              `json:"detail"`
			Instance string              `json:"instance"`
			Errors   map[string][]string `json:"errors"`
		}
		mt, _, _ := mime.ParseMediaType(contentType)
		decodes := (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(body, &p) == nil &&
			(mt == "application/problem+json" || p.Title != "" || p.Type != "" || p.Status != 0)
		if decodes {
			if e.Body != nil {
				t.Fatalf("problem details %q kept as a raw body", body)
			}
			if e.Problem.Status != p.Status || e.Problem.Title != secrets.String(p.Title) || e.Problem.Detail != secrets.String(p.Detail) ||
				len(e.FieldErrors) > len(p.Errors) || (len(p.Errors) > 0 && len(e.FieldErrors) == 0) {
				t.Fatalf("problem %+v %v, want it decoded from %q", e.Problem, e.FieldErrors, body)
			}
			return
		}
		if e.Problem != (Problem{}) || e.FieldErrors != nil {
			t.Fatalf("problem %+v %v decoded from %q (Content-Type %q)", e.Problem, e.FieldErrors, body, contentType)
		}
		if want := secrets.String(string(body)); string(e.Body) != want || (len(body) == 0) != (e.Body == nil) {
			t.Fatalf("Body %q, want the raw body %q with the secrets redacted", e.Body, want)
		}
		if want := fmt.Sprintf("data8: Dataset_GetByName: %d %s", status, http.StatusText(status)); msg != want {
			t.Fatalf("Error() = %q for a body that is not problem details, want %q", msg, want)
		}
	})
}

// FuzzNames checks ValidateDatasetName and ValidateColumnName against the documented pattern
// ^[a-z][a-z0-9_]*$ (exactly), and ValidateJobName against its documented rule: a job name is refused
// when it is blank, not valid UTF-8, or holds an ASCII control character or one of
// / : * ? " < > | \, and accepted otherwise. Refusals match ErrValidation, in one line.
func FuzzNames(f *testing.F) {
	for _, s := range []string{
		"sample_dataset_1", "a", "a_", "z9", "", "A", "_a", "1a", "a-b", "a b", "a\n", "ab\x00", "é", "aé",
		"Contact Deceased Check 3124", "a/b", "a:b", "a*b", "a?b", `a"b`, "a<b", "a>b", "a|b", `a\b`,
		" ", "\t", "\u00a0", "a\x7fb", "a\u0085b", "\xff", "名前 job", "job\u2028name",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := fuzzNamePattern.MatchString(name)
		for what, validate := range map[string]func(string) error{"dataset": ValidateDatasetName, "column": ValidateColumnName} {
			err := validate(name)
			if (err == nil) != want {
				t.Fatalf("%s name %q: error %v, but the pattern says valid=%v", what, name, err, want)
			}
			if err != nil {
				if !errors.Is(err, ErrValidation) {
					t.Fatalf("%s name %q: %v does not match ErrValidation", what, name, err)
				}
				fuzzCheckErrorText(t, err)
			}
		}
		wantJob := strings.TrimSpace(name) != "" && utf8.ValidString(name) &&
			!strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || strings.ContainsRune(`/:*?"<>|\`, r) })
		err := ValidateJobName(name)
		if (err == nil) != wantJob {
			t.Fatalf("job name %q: error %v, want valid=%v", name, err, wantJob)
		}
		if err != nil {
			if !errors.Is(err, ErrValidation) {
				t.Fatalf("job name %q: %v does not match ErrValidation", name, err)
			}
			fuzzCheckErrorText(t, err)
		}
	})
}

// FuzzRetryAfter checks retryAfter, the Retry-After parser of the retry policy, on arbitrary header
// values, clocks and limits: the delay is always within [0, limit] (0 when the value is not used);
// delay-seconds (RFC 9110: 1*DIGIT) is always understood and clamped to the limit, however large;
// an HTTP date is always understood, as the time from now, clamped to [0, limit]; an empty value
// is not used.
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC).Unix()
	for _, s := range []string{
		"0", "1", "120", "  5 ", "-1", "+3", "1.5", "", "abc", "Sat, 01 Jun 2024 12:00:30 GMT",
		"Sat, 01 Jun 2024 11:00:00 GMT", "Saturday, 01-Jun-24 12:01:00 GMT", "Sat Jun  1 12:02:00 2024",
		"Fri, 31 Dec 9999 23:59:59 GMT", "9223372036", "9223372036854775807", "99999999999999999999",
		"00000000000000000000007", "1e3", "0x10",
	} {
		f.Add(s, now, uint32(60_000))
		f.Add(s, now, uint32(1_500))
	}
	f.Fuzz(func(t *testing.T, value string, nowUnix int64, limitMs uint32) {
		limit := time.Duration(limitMs%3_600_000+1) * time.Millisecond
		// Clocks from 1970 to about 2500.
		clock := time.Unix((nowUnix%16_725_225_600+16_725_225_600)%16_725_225_600, 0)
		h := http.Header{}
		h.Set("Retry-After", value)
		d, ok := retryafter.Parse(h, clock, limit)
		if d < 0 || d > limit || (!ok && d != 0) {
			t.Fatalf("retryAfter(%q, limit %v) = %v, %v: out of [0, limit]", value, limit, d, ok)
		}
		v := strings.TrimSpace(value)
		if v == "" {
			if ok {
				t.Fatalf("retryAfter(%q) used an empty value", value)
			}
			return
		}
		if fuzzIsDigits(v) {
			secs, _ := new(big.Int).SetString(v, 10)
			want := limit
			if lim := big.NewInt(int64(limit / time.Second)); secs.Cmp(lim) <= 0 {
				want = time.Duration(secs.Int64()) * time.Second
			}
			if !ok || d != want {
				t.Fatalf("retryAfter(%q, limit %v) = %v, %v; want %v, true (delay-seconds, clamped)", value, limit, d, ok, want)
			}
			return
		}
		if at, err := http.ParseTime(v); err == nil {
			want := min(max(at.Sub(clock), 0), limit)
			if !ok || d != want {
				t.Fatalf("retryAfter(%q at %v, limit %v) = %v, %v; want %v, true (HTTP date)", value, clock, limit, d, ok, want)
			}
		}
	})
}

func fuzzIsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// TestRetryAfterDelaySecondsBeyondInt64 is the case FuzzRetryAfter found: delay-seconds too large for
// an int64 is valid Retry-After (RFC 9110: delay-seconds = 1*DIGIT) and asks for a long wait, which
// the policy must clamp to MaxRetryAfter. retryAfter used to report the value unreadable (strconv
// failed with a range error, then http.ParseTime), so the client retried after its short jittered
// backoff, far sooner than the server asked.
func TestRetryAfterDelaySecondsBeyondInt64(t *testing.T) {
	const limit = time.Minute
	for _, v := range []string{"9223372036854775808", "99999999999999999999"} {
		h := http.Header{"Retry-After": {v}}
		if d, ok := retryafter.Parse(h, time.Now(), limit); !ok || d != limit {
			t.Errorf("retryAfter(%q, limit %v) = %v, %v; want %v, true", v, limit, d, ok, limit)
		}
	}
}
