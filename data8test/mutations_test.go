package data8test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/data8-toolkit/data8/internal/standin"
)

// Each mutation breaks its one rule, and the same scenario passes on an unmutated server.
func TestMutations(t *testing.T) {
	type check func(t *testing.T, s *Server, tok string) bool // reports whether the rule held
	cases := map[standin.Mutation]check{
		standin.Accept1001Records: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "d", "n")
			recs := make([]map[string]any, 1001)
			for i := range recs {
				recs[i] = map[string]any{"n": i}
			}
			return upload(t, s, tok, "d", 0, recs...).status == 400
		},
		standin.AppendInsteadOfOverwrite: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "d", "v")
			upload(t, s, tok, "d", 0, rec("v", "a"))
			upload(t, s, tok, "d", 0, rec("v", "b"))
			return reflect.DeepEqual(values(t, s, "d", "v"), []any{"b"})
		},
		standin.IgnoreBlockOrder: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "d", "v")
			upload(t, s, tok, "d", 1, rec("v", "1"))
			upload(t, s, tok, "d", 0, rec("v", "0"))
			r := do(t, s, tok, "GET", "/Dataset/d/data", nil)
			var got []map[string]any
			_ = json.Unmarshal(r.body, &got)
			return len(got) == 2 && got[0]["v"] == "0"
		},
		standin.AcceptUploadToCompleted: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "d", "v")
			complete(t, s, tok, "d", 0)
			return upload(t, s, tok, "d", 0, rec("v", "x")).status == 400
		},
		standin.SkipAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/Dataset", nil).status == 401
		},
		standin.UnsortedDatasetList: func(t *testing.T, s *Server, tok string) bool {
			for _, n := range []string{"b", "a", "c"} {
				createDataset(t, s, tok, n, "v")
			}
			r := do(t, s, tok, "GET", "/Dataset", nil)
			var refs []struct{ Name string }
			_ = json.Unmarshal(r.body, &refs)
			return len(refs) == 3 && refs[0].Name == "a" && refs[1].Name == "b" && refs[2].Name == "c"
		},
	}
	if len(cases) != len(standin.Mutations()) {
		t.Fatalf("%d cases for %d mutations", len(cases), len(standin.Mutations()))
	}
	for _, m := range standin.Mutations() {
		t.Run(m.String(), func(t *testing.T) {
			plain := NewServer()
			defer plain.Close()
			if !cases[m](t, plain, fetchToken(t, plain)) {
				t.Fatal("the rule does not hold on an unmutated server")
			}
			// No WithValidation here: a mutated server breaks the spec on purpose.
			broken := NewServer(standin.WithMutation(m))
			defer broken.Close()
			if cases[m](t, broken, fetchToken(t, broken)) {
				t.Fatalf("mutation %v did not break its rule", m)
			}
			// And only that rule: the other scenarios still hold.
			for other, c := range cases {
				if other == m || m == standin.SkipAuth {
					continue
				}
				srv := NewServer(standin.WithMutation(m))
				if !c(t, srv, fetchToken(t, srv)) {
					t.Errorf("mutation %v also broke the rule of %v", m, other)
				}
				srv.Close()
			}
		})
	}
}
