package data8test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// uploadModes runs a test against the hand-written upload path and against the strict handler's, which
// must behave the same.
func uploadModes(t *testing.T, f func(t *testing.T, opts ...Option)) {
	t.Run("fast", func(t *testing.T) { f(t) })
	t.Run("strict", func(t *testing.T) { f(t, set(func(c *config) { c.strictUpload = true })) })
}

// values returns the values of column col of the dataset's records, in processing order.
func values(t *testing.T, s *Server, name, col string) []any {
	t.Helper()
	recs, ok := s.Records(name)
	if !ok {
		t.Fatalf("no dataset %s", name)
	}
	out := []any{}
	for _, r := range recs {
		out = append(out, r[col])
	}
	return out
}

func TestUploadOrderAndOverwrite(t *testing.T) {
	uploadModes(t, func(t *testing.T, opts ...Option) {
		s := start(t, opts...)
		tok := fetchToken(t, s)
		createDataset(t, s, tok, "d", "v")
		// Out of order, with a gap.
		wantStatus(t, upload(t, s, tok, "d", 7, rec("v", "7a"), rec("v", "7b")), 200)
		wantStatus(t, upload(t, s, tok, "d", 0, rec("v", "0a"), rec("v", "0b"), rec("v", "0c")), 200)
		wantStatus(t, upload(t, s, tok, "d", 3, rec("v", "3a")), 200)
		if got, want := values(t, s, "d", "v"), []any{"0a", "0b", "0c", "3a", "7a", "7b"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("order: %v, want %v", got, want)
		}
		// Re-using a number replaces the block's records, whatever their count.
		wantStatus(t, upload(t, s, tok, "d", 0, rec("v", "0x")), 200)
		wantStatus(t, upload(t, s, tok, "d", 3, rec("v", "3x"), rec("v", "3y")), 200)
		if got, want := values(t, s, "d", "v"), []any{"0x", "3x", "3y", "7a", "7b"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after overwrite: %v, want %v", got, want)
		}
		// Re-sending a block is idempotent.
		wantStatus(t, upload(t, s, tok, "d", 3, rec("v", "3x"), rec("v", "3y")), 200)
		// An empty block clears its number.
		wantStatus(t, upload(t, s, tok, "d", 7), 200)
		if got, want := values(t, s, "d", "v"), []any{"0x", "3x", "3y"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after clearing: %v, want %v", got, want)
		}
		if nums, _ := s.BlockNumbers("d"); len(nums) != 3 {
			t.Errorf("%d block numbers, want 3", len(nums))
		}
		if nums, _ := s.BlockNumbers("d"); !reflect.DeepEqual(nums, []int32{0, 3, 7}) {
			t.Errorf("BlockNumbers %v", nums)
		}
		info, _ := s.DatasetInfo("d")
		if info.RecordCount != 3 {
			t.Errorf("recordCount %d, want 3", info.RecordCount)
		}
		// Records the client leaves a column out of keep it out (read as null).
		wantStatus(t, upload(t, s, tok, "d", 8, map[string]any{}, map[string]any{"v": nil}), 200)
		wantStatus(t, complete(t, s, tok, "d", 5), 200)
		raw, _ := s.RawRecords("d")
		if string(raw[3]) != "{}" || string(raw[4]) != `{"v":null}` {
			t.Fatalf("raw %s", raw)
		}
	})
}

func TestUploadLimits(t *testing.T) {
	uploadModes(t, func(t *testing.T, opts ...Option) {
		s := start(t, opts...)
		tok := fetchToken(t, s)
		createDataset(t, s, tok, "d", "n")
		block := func(n int) []map[string]any {
			out := make([]map[string]any, n)
			for i := range out {
				out[i] = map[string]any{"n": i}
			}
			return out
		}
		wantStatus(t, upload(t, s, tok, "d", 0, block(1000)...), 200)
		r := upload(t, s, tok, "d", 1, block(1001)...)
		wantStatus(t, r, 400)
		if _, ok := errorKeys(r.problem(t))["records"]; !ok {
			t.Fatalf("1,001 records: %s", r.body)
		}
		if nums, _ := s.BlockNumbers("d"); len(nums) != 1 {
			t.Fatalf("a rejected block was stored")
		}
		// The largest block number is fine; one more is not.
		wantStatus(t, do(t, s, tok, "PATCH", "/Dataset/d/data", `{"blockNumber":2147483647,"records":[]}`), 200)
		r = do(t, s, tok, "PATCH", "/Dataset/d/data", `{"blockNumber":2147483648,"records":[]}`)
		wantStatus(t, r, 400)
	})
}

func TestUploadBadBlocks(t *testing.T) {
	uploadModes(t, func(t *testing.T, opts ...Option) {
		fast := len(opts) == 0
		s := start(t, opts...)
		tok := fetchToken(t, s)
		createDataset(t, s, tok, "d", "firstname", "foo_ok")
		twelve := strings.Repeat(`{"firstname":"x"},`, 12)
		cases := []struct {
			name string
			body string
			keys []string // members the errors must name
			more []string // and, on the fast path, which does not stop at the spec's first complaint
		}{
			{"negative block", `{"blockNumber":-1,"records":[]}`, []string{"blockNumber"}, nil},
			{"fractional block", `{"blockNumber":1.5,"records":[]}`, []string{"blockNumber"}, nil},
			{"string block", `{"blockNumber":"1","records":[]}`, []string{"blockNumber"}, nil},
			{"missing block", `{"records":[]}`, []string{"blockNumber"}, nil},
			{"null block", `{"blockNumber":null,"records":[]}`, []string{"blockNumber"}, nil},
			{"missing records", `{"blockNumber":0}`, []string{"records"}, nil},
			{"records not array", `{"blockNumber":0,"records":{}}`, []string{"records"}, nil},
			{"record not object", `{"blockNumber":0,"records":[{"firstname":"a"},42]}`, []string{"records[1]"}, nil},
			{"record is array", `{"blockNumber":0,"records":[["a"]]}`, []string{"records[0]"}, nil},
			{"unknown column", `{"blockNumber":0,"records":[` + twelve + `{"firstname":"y","foo":"z"}]}`, []string{"records[12].foo"}, nil},
			{"nested value", `{"blockNumber":0,"records":[{"firstname":{"a":1}}]}`, []string{"records[0].firstname"}, nil},
			{"array value", `{"blockNumber":0,"records":[{"firstname":[1]}]}`, []string{"records[0].firstname"}, nil},
			{"two errors", `{"blockNumber":-3,"records":[{"bar":1}]}`, []string{"blockNumber"}, []string{"records[0].bar"}},
			{"number out of range", `{"blockNumber":0,"records":[{"firstname":1e400}]}`, nil, []string{"records[0].firstname"}},
			{"truncated", `{"blockNumber":0,"records":[{"firstname":"a"}`, []string{"$"}, nil},
			{"trailing data", `{"blockNumber":0,"records":[]} x`, []string{"$"}, nil},
			{"not an object", `[]`, []string{"$"}, nil},
			{"empty body", ``, []string{"$"}, nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := do(t, s, tok, "PATCH", "/Dataset/d/data", c.body)
				wantStatus(t, r, 400)
				errs := errorKeys(r.problem(t))
				keys := c.keys
				if fast {
					keys = append(keys, c.more...)
				}
				for _, k := range keys {
					if _, ok := errs[k]; !ok {
						t.Fatalf("errors %v, want a message for %q", errs, k)
					}
				}
			})
		}
		if nums, _ := s.BlockNumbers("d"); len(nums) != 0 {
			t.Fatalf("%d bad blocks were stored", len(nums))
		}
		// Wrong content type.
		req, _ := http.NewRequest("PATCH", s.URL+"/Dataset/d/data", strings.NewReader(`{"blockNumber":0,"records":[]}`))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := httpFor(t, s).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("text/plain upload: %d", resp.StatusCode)
		}
	})
}

func TestUploadFastPathMatchesStrict(t *testing.T) {
	// The same bodies through both paths get the same status and name the same members.
	bodies := []string{
		`{"blockNumber":0,"records":[{"a":"x","b":1,"c":true,"d":null}]}`,
		`{"blockNumber":0,"records":[{"a":"x"},{"zz":1}]}`,
		`{"blockNumber":-1,"records":[{"a":"x"}]}`,
		`{"blockNumber":0,"records":[1,2,{"a":{}}]}`,
		`{"blockNumber":0,"records":[],"extra":{"ignored":[1,2,3]}}`,
		`{"blockNumber":0}`,
		`{"records":[]}`,
		`{"blockNumber":0,"records":[{"a":"\ud800"}]}`,
	}
	type outcome struct {
		status int
		keys   string
	}
	run := func(opts ...Option) []outcome {
		s := start(t, opts...)
		tok := fetchToken(t, s)
		createDataset(t, s, tok, "d", "a", "b", "c", "d")
		var out []outcome
		for _, b := range bodies {
			r := do(t, s, tok, "PATCH", "/Dataset/d/data", b)
			o := outcome{status: r.status}
			if r.status == 400 {
				var p struct {
					Errors map[string]any `json:"errors"`
				}
				_ = json.Unmarshal(r.body, &p)
				o.keys = fmt.Sprint(slices.Sorted(maps.Keys(p.Errors)))
			}
			out = append(out, o)
		}
		return out
	}
	fast, strict := run(), run(set(func(c *config) { c.strictUpload = true }))
	for i := range bodies {
		if fast[i] != strict[i] {
			t.Errorf("%s: fast path %+v, strict handler %+v", bodies[i], fast[i], strict[i])
		}
	}
}
