package data8test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var scanSeeds = []string{
	`{"blockNumber":0,"records":[]}`,
	`{"blockNumber":3,"records":[{"a":"x","b":1.5e-3,"c":true,"d":null},{}]}`,
	` { "records" : [ { "a" : "sp ace" } ] , "blockNumber" : 12 } `,
	`{"blockNumber":0,"records":[{"a":"\u00e9\n\"\\\/"},{"\u0061":"escaped key"}]}`,
	`{"blockNumber":0,"records":[{"a":"ünïcödé 😀 long enough to use the eight-byte loop"}]}`,
	`{"blockNumber":0,"records":[1,"x",[],{"a":{}}]}`,
	`{"blockNumber":-0,"records":[],"other":{"deep":[[[{"x":[1,2,{"y":null}]}]]]}}`,
	`{"blockNumber":0,"records":[{"a":"bad \x01 control"}]}`,
	"{\"blockNumber\":0,\"records\":[{\"a\":\"bad utf8 \xff\"}]}",
	`{"blockNumber":0,"records":[{"a":01}]}`,
	`{"blockNumber":0,"records":[{"a":1e400,"b":-1e-400}]}`,
	`{"blockNumber":0,"records":[{"a":123456789012345678901234567890}]}`,
	`{"blockNumber":0,"records":[{"a":1.}]}`,
	`{"blockNumber":0,"records":[{"a":"\x"}]}`,
	`{"blockNumber":0,"records":[{"a":tru}]}`,
	`{"blockNumber":0,"records":[{"a":"x",}]}`,
	`{"blockNumber":0,"records":[{"a":"x"}]`,
	`{"blockNumber":0,"records":[{"a":"x"}]}}`,
	`[{"blockNumber":0}]`,
	`"x"`,
	``,
}

func TestScanMatchesEncodingJSON(t *testing.T) {
	for _, s := range scanSeeds {
		checkScan(t, []byte(s))
	}
}

func FuzzBlockScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScan(t, body)
	})
}

// depth is the deepest nesting of arrays and objects in valid JSON b.
func depth(b []byte) int {
	d, most, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '{' || c == '['):
			d++
			most = max(most, d)
		case !inStr && (c == '}' || c == ']'):
			d--
		}
	}
	return most
}

// checkScan checks the scanner against encoding/json on one body (with the columns a and b known): it
// accepts exactly the JSON objects encoding/json accepts (that are valid UTF-8), and the records it keeps
// decode to what encoding/json decodes.
func checkScan(t *testing.T, body []byte) {
	t.Helper()
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	valid := json.Valid(body) && utf8.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
	if valid && depth(body) > maxDepth-5 {
		return
	}
	sc := blockScan{b: body, cols: map[string]int32{"a": 0, "b": 0}}
	err := sc.parse()
	if (err == nil) != valid {
		t.Fatalf("%q: scanner error %v, encoding/json valid %v", body, err, valid)
	}
	if err != nil {
		return
	}
	var top map[string]json.RawMessage
	if e := json.Unmarshal(body, &top); e != nil {
		t.Fatalf("%q: %v", body, e)
	}
	raw, ok := top["records"]
	if sc.hasRecords != ok {
		t.Fatalf("%q: hasRecords %v", body, sc.hasRecords)
	}
	var recs []json.RawMessage
	if !ok || json.Unmarshal(raw, &recs) != nil {
		return
	}
	if len(recs) != len(sc.recs) {
		t.Fatalf("%q: %d records, encoding/json %d", body, len(sc.recs), len(recs))
	}
	for i, r := range recs {
		var want map[string]any
		if json.Unmarshal(r, &want) != nil {
			// Not an object, or a number out of float64's range.
			named := false
			for k := range sc.errs {
				named = named || k == sprintf("records[%d]", i) || strings.HasPrefix(k, sprintf("records[%d].", i))
			}
			if !named {
				t.Fatalf("%q: record %d does not decode but errors are %v", body, i, sc.errs)
			}
			continue
		}
		var got map[string]any
		sp := sc.recs[i]
		if e := json.Unmarshal(body[sp.start:sp.end], &got); e != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: record %d kept as %q", body, i, body[sp.start:sp.end])
		}
		for k, v := range want {
			_, isCol := sc.cols[k]
			_, scalar := v.(map[string]any)
			_, arr := v.([]any)
			scalar = !scalar && !arr
			if _, named := sc.errs[sprintf("records[%d].%s", i, k)]; named == (isCol && scalar) {
				t.Fatalf("%q: record %d member %s: errors %v", body, i, k, sc.errs)
			}
		}
	}
}
