package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/internal/retryafter"
)

func TestJSONByteTable(t *testing.T) {
	if len(jsonByte) != 256 {
		t.Fatalf("table has %d entries", len(jsonByte))
	}
	for c := range 256 {
		want := byte(0)
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			want = 1
		case c >= 0x80:
			want = 2
		}
		if jsonByte[c] != want {
			t.Errorf("jsonByte[%#x] = %d, want %d", c, jsonByte[c], want)
		}
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", `q"b\s/`, "\x00\x01\x1f\x7f", "\n\r\t\b\f", "ünïcødé ✓ 𝄞", "\u2028\u2029", "<&>", strings.Repeat("ab\"", 50)}
	for c := range 256 {
		if c < 0x80 {
			inputs = append(inputs, "x"+string(rune(c))+"y")
		}
	}
	for _, s := range inputs {
		got, ok := appendValidJSONString([]byte("prefix"), s)
		if !ok {
			t.Fatalf("%q refused", s)
		}
		got = got[len("prefix"):]
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("%q encoded as %s, which decodes to %q (%v)", s, got, back, err)
		}
	}
	for _, s := range []string{"\xff", "ok\xc3", "\xed\xa0\x80", "a\x80b"} {
		if _, ok := appendValidJSONString(nil, s); ok {
			t.Errorf("invalid UTF-8 %q accepted", s)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\x00é")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendValidJSONString(nil, s)
		if ok != utf8.ValidString(s) {
			t.Fatalf("ok = %v for %q", ok, s)
		}
		if !ok {
			return
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Fatalf("%q → %s → %q (%v)", s, got, back, err)
		}
	})
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 1.5, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, -2.5e-9} {
		want, _ := json.Marshal(f)
		got, err := appendFloat(nil, f, 64)
		if err != nil || string(got) != string(want) {
			t.Errorf("%v: got %s, want %s", f, got, want)
		}
		want32, _ := json.Marshal(float32(f))
		got32, err := appendFloat(nil, float64(float32(f)), 32)
		if !math.IsInf(float64(float32(f)), 0) && (err != nil || string(got32) != string(want32)) {
			t.Errorf("float32 %v: got %s, want %s", float32(f), got32, want32)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := appendFloat(nil, f, 64); err == nil {
			t.Errorf("%v accepted", f)
		}
	}
}

func TestCheckObject(t *testing.T) {
	known := map[string]struct{}{"a": {}, "b": {}, "é": {}}
	good := []string{`{}`, ` { } `, `{"a":1}`, `{"a":"x","b":null}`, `{"a":true,"b":false}`, `{"a":-0.5e+10}`, `{"\u00e9":"x"}`, `{"a":"\"\\\/\b\f\n\r\t\u12aB"}`, "{\"a\":\n1}"}
	for _, s := range good {
		if err := checkObject([]byte(s), known); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := []string{``, `[]`, `"a"`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`,
		`{"a":nul}`, `{"a":"x}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}", `{"a":{}}`, `{"a":[]}`, `{"c":1}`, `{a:1}`, `{"a":1}x`, `{"a":1}{}`}
	for _, s := range bad {
		if err := checkObject([]byte(s), known); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
	if err := checkObject([]byte(`{"c":1}`), nil); err != nil {
		t.Errorf("unknown key refused without known columns: %v", err)
	}
}

func FuzzCheckObject(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":1}}`, `{"a":"\u0041"}`, `{"a":1e5,"b":null}`, `[1]`, `{"a":01}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		err := checkObject([]byte(s), nil)
		var m map[string]any
		jerr := json.Unmarshal([]byte(s), &m)
		scalars := jerr == nil && m != nil
		for _, v := range m {
			switch v.(type) {
			case map[string]any, []any:
				scalars = false
			}
		}
		if (err == nil) != scalars {
			t.Fatalf("%q: checkObject %v, encoding/json %v (scalars %v)", s, err, jerr, scalars)
		}
	})
}

func TestFullJitter(t *testing.T) {
	base, max := 100*time.Millisecond, 20*time.Second
	for retry, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 8: 12800 * time.Millisecond, 9: 20 * time.Second, 50: 20 * time.Second} {
		if got := fullJitter(base, max, retry, 0); got != 0 {
			t.Errorf("retry %d, r=0: %v", retry, got)
		}
		if got := fullJitter(base, max, retry, 0.5); got != ceil/2 {
			t.Errorf("retry %d, r=0.5: %v, want %v", retry, got, ceil/2)
		}
		if got := fullJitter(base, max, retry, 0.999999); got >= ceil || got < ceil*99/100 {
			t.Errorf("retry %d, r→1: %v, want just under %v", retry, got, ceil)
		}
	}
}

// TestThrottleBackoffRange: after the n-th refusal for load, the wait is uniform in
// [max(base, c/2), c) with c = min(max, base·2ⁿ): r=0 gives the bottom, r=0.5 the middle, r→1 just
// under c; c capped at max; base itself when max is below base.
func TestThrottleBackoffRange(t *testing.T) {
	base, max := 100*time.Millisecond, 5*time.Second
	for n, c := range map[int]time.Duration{1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 3: 800 * time.Millisecond, 5: 3200 * time.Millisecond, 6: 5 * time.Second, 40: 5 * time.Second} {
		lo := c / 2
		if got := throttleBackoff(base, max, n, 0); got != lo {
			t.Errorf("refusal %d, r=0: %v, want %v", n, got, lo)
		}
		if got := throttleBackoff(base, max, n, 0.5); got != lo+(c-lo)/2 {
			t.Errorf("refusal %d, r=0.5: %v, want %v", n, got, lo+(c-lo)/2)
		}
		if got := throttleBackoff(base, max, n, 0.999999); got >= c || got < c*99/100 {
			t.Errorf("refusal %d, r→1: %v, want just under %v", n, got, c)
		}
	}
	if got := throttleBackoff(base, 150*time.Millisecond, 1, 0.5); got != 125*time.Millisecond {
		t.Errorf("max 150ms, r=0.5: %v, want 125ms, in [base, max)", got)
	}
	if got := throttleBackoff(base, 50*time.Millisecond, 3, 0.5); got != base {
		t.Errorf("max below base: %v, want base %v", got, base)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"5": 5 * time.Second, " 5 ": 5 * time.Second, "-3": 0, "999999999999": time.Minute,
		"-99999999999999999999": 0, "99999999999999999999": time.Minute, // beyond int64: 0 (the floor applies) and the limit
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		"Wed, 01 Jan 2025 00:00:10 GMT":                   10 * time.Second, // RFC 1123
		"Wednesday, 01-Jan-25 00:00:20 GMT":               20 * time.Second, // RFC 850
		"Wed Jan  1 00:00:40 2025":                        40 * time.Second, // asctime
	} {
		got, ok := retryafter.Parse(http.Header{"Retry-After": {v}}, now, time.Minute)
		if !ok || got != want {
			t.Errorf("Retry-After %q: %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "1.5"} {
		if _, ok := retryafter.Parse(http.Header{"Retry-After": {v}}, now, time.Minute); ok {
			t.Errorf("Retry-After %q accepted", v)
		}
	}
}

func TestBudget(t *testing.T) {
	b := newBudget(RetryPolicy{Budget: 2, BudgetRefill: 0.5}.withDefaults())
	if !b.spend() || !b.spend() || b.spend() {
		t.Fatal("a budget of 2 did not allow exactly 2 retries")
	}
	b.earn()
	if b.spend() {
		t.Fatal("half a token allowed a retry")
	}
	b.earn()
	b.earn()
	if !b.spend() {
		t.Fatal("a token earned by two successes was not spendable")
	}
	for range 100 {
		b.earn()
	}
	if !b.spend() || !b.spend() || b.spend() {
		t.Fatal("the budget grew past its maximum")
	}
	if nb := newBudget(RetryPolicy{Budget: -1}.withDefaults()); !nb.spend() {
		t.Fatal("a disabled budget refused")
	}
}

func TestValidateNames(t *testing.T) {
	for _, ok := range []string{"a", "sample_dataset_1", "z9_"} {
		if ValidateDatasetName(ok) != nil || ValidateColumnName(ok) != nil {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "A", "_a", "9a", "a-b", "a b", "é"} {
		if ValidateDatasetName(bad) == nil || ValidateColumnName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, ok := range []string{"Contact Deceased Check 3124", "a.b-c_(1)", "ünï"} {
		if err := ValidateJobName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "a/b", "a:b", "a*b", "a?b", `a"b`, "a<b", "a>b", "a|b", `a\b`, "a\tb", "\xff"} {
		if ValidateJobName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestJSONLinesSourceRenamedChecksKnownColumns checks that the known columns are checked against the
// renamed keys, not the keys as written.
func TestJSONLinesSourceRenamedChecksKnownColumns(t *testing.T) {
	known := map[string]struct{}{"first_name": {}, "age": {}}
	src := NewJSONLinesSourceRenamed(strings.NewReader("{\"First Name\":\"x\",\"age\":1}\n{\"First Name\":\"y\",\"zzz\":2}\n"), map[string]string{"First Name": "first_name"})
	if err := src.(columnChecker).checkColumns(known); err != nil {
		t.Fatal(err)
	}
	got, err := src.Next(nil)
	if err != nil || string(got) != `{"first_name":"x","age":1}` {
		t.Fatalf("first record %s, %v", got, err)
	}
	if _, err := src.Next(nil); err == nil || err.Error() != `data8: JSON Lines line 2: key "zzz" is not a column of the dataset` {
		t.Fatalf("second record: %v", err)
	}
}

// FuzzRenameKeys checks that renameKeys, on any object checkObject accepts, gives valid JSON that decodes
// to the same object with the keys renamed.
func FuzzRenameKeys(f *testing.F) {
	for _, seed := range []string{`{"a":1}`, ` { "a" : "x" , "b\u0061":true,"c":null, "d":-1.5e3 } `, `{}`, `{"a":"\"","a":2}`} {
		f.Add(seed)
	}
	rename := map[string]string{"a": "first_name", "ba": "b_a"}
	f.Fuzz(func(t *testing.T, line string) {
		if !utf8.ValidString(line) || checkObject([]byte(line), nil) != nil {
			return
		}
		src := &jsonLinesSource{rename: rename}
		got, err := renameKeys([]byte("x"), []byte(line), src.column)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != 'x' {
			t.Fatalf("dst overwritten: %s", got)
		}
		var in, out map[string]any
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			t.Fatalf("checked line %q does not decode: %v", line, err)
		}
		if err := json.Unmarshal(got[1:], &out); err != nil {
			t.Fatalf("renameKeys(%q) = %s: %v", line, got[1:], err)
		}
		want := map[string]any{}
		for k, v := range in {
			if r, ok := rename[k]; ok {
				if _, clash := in[r]; clash {
					return // two keys renamed to one: which value wins is not renameKeys's business
				}
				k = r
			}
			want[k] = v
		}
		if len(out) != len(want) {
			t.Fatalf("renameKeys(%q) = %s, want %v", line, got[1:], want)
		}
		for k, v := range want {
			if _, ok := out[k]; !ok || !jsonEqual(out[k], v) {
				t.Fatalf("renameKeys(%q) = %s, want %v", line, got[1:], want)
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestListEndsAtTheBound(t *testing.T) {
	// A server answering full pages of new entries for ever: the list ends at the bound (here 20
	// pages; 10,000 in ListDatasets) with an error matching ErrPaging, after handing on what it read.
	var requests atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var b strings.Builder
		b.WriteByte('[')
		for i := range 100 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"ds_%d","input":true,"completed":true,"location":"x"}`, (page-1)*100+i)
		}
		b.WriteByte(']')
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, b.String())
	}))
	defer hs.Close()
	c, err := New(WithBaseURL(hs.URL), WithBearerToken("test-token-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := 0
	var last error
	for _, err := range c.listDatasets(context.Background(), ListDatasetsOptions{}, 20) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if !errors.Is(last, ErrPaging) || n != 2000 {
		t.Errorf("%d datasets, then %v; want 2,000 then ErrPaging", n, last)
	}
	if got := requests.Load(); got != 20 {
		t.Errorf("%d requests, want 20", got)
	}
}
