package data8test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/internal/standin"
)

// holdWorkflow is a workflow whose jobs run until the server closes: a job on it stays running.
func holdWorkflow() Workflow {
	return NewWorkflow("Hold", []string{"Input"}, []string{"Output"},
		func(ctx context.Context, _ map[string][]Record, _ map[string]string) (map[string][]Record, map[string]any, error) {
			<-ctx.Done()
			return nil, nil, ctx.Err()
		})
}

// mutationServer starts a server for the mutation scenarios: short Echo jobs, and the Hold workflow.
// It serves on in-memory pipes (pipeListener), and the requests the tests send it share kept-alive
// connections (keptConns, through httpFor): the cross-check starts tens of thousands of servers and sends
// a few million requests.
func mutationServer(opts ...Option) *Server {
	ln := newPipeListener()
	s := NewServer(append([]Option{WithJobDuration(10 * time.Millisecond), WithWorkflow(holdWorkflow()), WithListener(ln)}, opts...)...)
	s.lifeMu.Lock()
	s.clients = append(s.clients, keptConns{&http.Client{Transport: &http.Transport{DialContext: ln.dial, MaxIdleConnsPerHost: 8}}})
	s.lifeMu.Unlock()
	return s
}

// keptConns is an HTTP client whose idle connections Server.Close closes.
type keptConns struct{ *http.Client }

// Close closes the client's idle connections.
func (k keptConns) Close() error {
	k.CloseIdleConnections()
	return nil
}

// httpFor returns the kept-alive client of a mutation server, or for any other server a client whose
// connections are closed when t ends.
func httpFor(t *testing.T, s *Server) *http.Client {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	for _, c := range s.clients {
		if k, ok := c.(keptConns); ok {
			return k.Client
		}
	}
	return testHTTP(t)
}

// startJob starts a job of workflow on one input dataset and returns the answer.
func startJob(t *testing.T, s *Server, tok, name, workflow, input string) rawResp {
	t.Helper()
	return do(t, s, tok, "POST", "/Job", map[string]any{"name": name, "workflowName": workflow, "inputDatasets": map[string]string{"Input": input}})
}

// finishedJob waits (at most 10 s) for a job to finish and returns its output dataset.
func finishedJob(t *testing.T, s *Server, name string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if j, ok := s.JobInfo(name); ok && j.CompletedAt != nil {
			return j.OutputDatasets["Output"]
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("job %q did not finish in 10 s", name)
	return ""
}

// seqBlock is a block of n records {"v": "<tag><i>"}.
func seqBlock(tag string, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"v": fmt.Sprint(tag, i)}
	}
	return out
}

// completeInput creates dataset name with column v, uploads blocks of the given sizes (block i holds
// sizes[i] records) and completes it.
func completeInput(t *testing.T, s *Server, tok, name string, sizes ...int) int {
	t.Helper()
	createDataset(t, s, tok, name, "v")
	total := 0
	for i, n := range sizes {
		wantStatus(t, upload(t, s, tok, name, i, seqBlock(fmt.Sprintf("b%d_", i), n)...), 200)
		total += n
	}
	wantStatus(t, complete(t, s, tok, name, total), 200)
	return total
}

// listNames lists the datasets with the query q.
func listNames(t *testing.T, s *Server, tok, q string) []string {
	t.Helper()
	r := do(t, s, tok, "GET", "/Dataset?"+q, nil)
	var refs []struct{ Name string }
	_ = json.Unmarshal(r.body, &refs)
	var out []string
	for _, x := range refs {
		out = append(out, x.Name)
	}
	return out
}

// keyReads creates an API key with body and reports whether GET /ApiKey/{key} reads member back as
// the JSON text want.
func keyReads(t *testing.T, s *Server, tok string, body map[string]any, member, want string) bool {
	t.Helper()
	k := newKey(t, s, tok, body)
	var got map[string]json.RawMessage
	_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body, &got)
	return string(got[member]) == want
}

// recordKept uploads one record {"v": text} to a new dataset and reports whether it reads back as
// sent.
func recordKept(t *testing.T, s *Server, tok, text string) bool {
	t.Helper()
	createDataset(t, s, tok, "ds", "v")
	wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", text)), 200)
	return reflect.DeepEqual(values(t, s, "ds", "v"), []any{text})
}

// newKey creates an API key with body and returns the key.
func newKey(t *testing.T, s *Server, tok string, body map[string]any) string {
	t.Helper()
	r := do(t, s, tok, "POST", "/ApiKey", body)
	wantStatus(t, r, 200)
	var k struct{ Key string }
	_ = json.Unmarshal(r.body, &k)
	return k.Key
}

// Each mutation breaks its one rule, and the same scenario passes on an unmutated server.
func TestMutations(t *testing.T) {
	type check func(t *testing.T, s *Server, tok string) bool // reports whether the rule held
	cases := map[standin.Mutation]check{
		standin.Accept1001Records: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "n")
			wantStatus(t, upload(t, s, tok, "ds", 0, map[string]any{"n": -1}), 200)
			recs := make([]map[string]any, 1001)
			for i := range recs {
				recs[i] = map[string]any{"n": i}
			}
			return upload(t, s, tok, "ds", 1, recs...).status == 400
		},
		standin.AppendInsteadOfOverwrite: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			upload(t, s, tok, "ds", 0, rec("v", "a"))
			upload(t, s, tok, "ds", 0, rec("v", "b"))
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"b"})
		},
		standin.IgnoreBlockOrder: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			upload(t, s, tok, "ds", 1, rec("v", "1"))
			upload(t, s, tok, "ds", 0, rec("v", "0"))
			r := do(t, s, tok, "GET", "/Dataset/ds/data", nil)
			var got []map[string]any
			_ = json.Unmarshal(r.body, &got)
			return len(got) == 2 && got[0]["v"] == "0"
		},
		standin.AcceptUploadToCompleted: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "x")), 200)
			wantStatus(t, complete(t, s, tok, "ds", 1), 200)
			return upload(t, s, tok, "ds", 1, rec("v", "y")).status == 400
		},
		standin.SkipAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/Dataset", nil).status == 401
		},
		standin.UnsortedDatasetList: func(t *testing.T, s *Server, tok string) bool {
			for _, n := range []string{"bb", "aa", "cc"} {
				createDataset(t, s, tok, n, "v")
			}
			return slices.Equal(listNames(t, s, tok, ""), []string{"aa", "bb", "cc"})
		},
		standin.DatasetNameTrailingNewline: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "nl\n", "columns": map[string]int{"v": 0}}).status == 400
		},
		standin.ColumnNameUnicodeLetters: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "uc", "columns": map[string]int{"café": 0}}).status == 400
		},
		standin.JobNameLastCharUnchecked: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, "report|", "Echo", "in").status == 400
		},
		standin.JobNameTrimmed: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, " padded job ", "Echo", "in"), 200)
			_, ok := s.JobInfo(" padded job ")
			return ok
		},
		standin.DatasetUniqueAmongInputs: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo one", "Echo", "in"), 200)
			out := finishedJob(t, s, "echo one")
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": out, "columns": map[string]int{"v": 0}}).status == 400
		},
		standin.JobUniqueAmongFinished: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "held", "Hold", "in"), 200)
			return startJob(t, s, tok, "held", "Hold", "in").status == 400
		},
		standin.CreateTakesCompleted: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "ds", "columns": map[string]int{"v": 0}, "completed": true, "recordCount": 5}), 200)
			d, _ := s.DatasetInfo("ds")
			return !d.Completed && d.RecordCount == 0
		},
		standin.OverwriteCompleted: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "ds", 2)
			return upload(t, s, tok, "ds", 0, rec("v", "changed")).status == 400 && len(values(t, s, "ds", "v")) == 2
		},
		standin.UploadToIncompleteOutput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			r := startJob(t, s, tok, "held", "Hold", "in")
			var j struct{ OutputDatasets map[string]string }
			_ = json.Unmarshal(r.body, &j)
			return upload(t, s, tok, url.PathEscape(j.OutputDatasets["Output"]), 0).status == 400
		},
		standin.JobTakesEmptyIncompleteInput: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "empty", "v")
			return startJob(t, s, tok, "on empty", "Echo", "empty").status == 400
		},
		standin.JobReopensInput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			finishedJob(t, s, "echo")
			d, _ := s.DatasetInfo("in")
			return d.Completed
		},
		standin.BlockOrderAsText: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			for _, b := range []int{2, 10} {
				wantStatus(t, upload(t, s, tok, "ds", b, rec("v", fmt.Sprint(b))), 200)
			}
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"2", "10"})
		},
		standin.ConcurrentUploadLost: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			var wg sync.WaitGroup
			for b := range 16 {
				wg.Go(func() { upload(t, s, tok, "ds", b, rec("v", fmt.Sprint(b))) })
			}
			wg.Wait()
			d, _ := s.DatasetInfo("ds")
			return d.RecordCount == 16
		},
		standin.OverwriteCountsOldRecords: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, seqBlock("a", 1000)...), 200)
			return upload(t, s, tok, "ds", 0, seqBlock("b", 1000)...).status == 200
		},
		standin.JobInputWholeThousands: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1000, 3)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			out, _ := s.DatasetInfo(finishedJob(t, s, "echo"))
			return out.RecordCount == 1003
		},
		standin.IncludeOutputIgnored: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			finishedJob(t, s, "echo")
			return slices.Equal(listNames(t, s, tok, "includeOutput=false"), []string{"in"})
		},
		standin.JobListEndDateIgnored: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			j, _ := s.JobInfo("echo")
			end := j.SubmittedAt.Add(-time.Millisecond).Format(time.RFC3339Nano)
			r := do(t, s, tok, "GET", "/Job?endDate="+url.QueryEscape(end), nil)
			return strings.TrimSpace(string(r.body)) == "[]"
		},
		standin.AllowedIPPrefixIgnored: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"description": "k"})
			var k struct{ Key string }
			_ = json.Unmarshal(r.body, &k)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k.Key+"/allowedIPs/10.1.0.0/16", nil), 200)
			got := do(t, s, tok, "GET", "/ApiKey/"+k.Key, nil)
			return strings.Contains(string(got.body), `"10.1.0.0/16"`)
		},
		standin.AllowedDomainReplaces: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"description": "k"})
			var k struct{ Key string }
			_ = json.Unmarshal(r.body, &k)
			for _, d := range []string{"one.example.com", "two.example.com"} {
				wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k.Key+"/allowedDomains/"+d, nil), 200)
			}
			got := do(t, s, tok, "GET", "/ApiKey/"+k.Key, nil)
			return strings.Contains(string(got.body), "one.example.com") && strings.Contains(string(got.body), "two.example.com")
		},
		standin.BlockDropsEqualRecords: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "x"), rec("v", "x"), rec("v", "y")), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"x", "x", "y"})
		},
		standin.JobUniqueFirstPage: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			for i := range 101 {
				wantStatus(t, startJob(t, s, tok, fmt.Sprintf("job %03d", i), "Echo", "in"), 200)
			}
			finishedJob(t, s, "job 000") // past the first page, and not running (JobUniqueIgnoresRunning)
			return startJob(t, s, tok, "job 000", "Echo", "in").status == 400
		},
		standin.JobListFilterAfterPaging: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			for i := range 101 {
				wantStatus(t, startJob(t, s, tok, fmt.Sprintf("job %03d", i), "Echo", "in"), 200)
			}
			wantStatus(t, startJob(t, s, tok, "newest", "Hold", "in"), 200)
			var page []struct{ Name string }
			if err := json.Unmarshal(do(t, s, tok, "GET", "/Job?workflow=Echo", nil).body, &page); err != nil {
				t.Fatal(err)
			}
			return len(page) == 100 && page[0].Name == "job 100"
		},
		standin.OutputLocationWrong: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			out := finishedJob(t, s, "echo")
			var refs []struct{ Name, Location string }
			if err := json.Unmarshal(do(t, s, tok, "GET", "/Dataset", nil).body, &refs); err != nil {
				t.Fatal(err)
			}
			for _, r := range refs {
				if r.Name == out {
					return strings.HasSuffix(r.Location, "/Dataset/"+url.PathEscape(out))
				}
			}
			t.Fatalf("output dataset %s is not listed", out)
			return false
		},
		standin.GivenAPIKeyIgnored: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "GIVE-1234-KEYS-5678", "description": "k"})
			wantStatus(t, r, 200)
			return do(t, s, tok, "GET", "/ApiKey/GIVE-1234-KEYS-5678", nil).status == 200
		},
		standin.DeletedKeyListed: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"description": "k"})
			var k struct{ Key string }
			_ = json.Unmarshal(r.body, &k)
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/"+k.Key, nil), 200)
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey", nil).body), k.Key)
		},
		standin.JobSkipsGapBlocks: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "in", "v")
			wantStatus(t, upload(t, s, tok, "in", 0, rec("v", "x")), 200)
			wantStatus(t, upload(t, s, tok, "in", 2, rec("v", "y")), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/Dataset/in", map[string]any{"recordCount": 2, "completed": true}), 200)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			return reflect.DeepEqual(values(t, s, finishedJob(t, s, "echo"), "v"), []any{"x", "y"})
		},
		standin.BlockNumberInt16: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			upload(t, s, tok, "ds", 0, rec("v", "0"))
			upload(t, s, tok, "ds", 40000, rec("v", "big"))
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"0", "big"})
		},
		standin.DatasetCreateRace: func(t *testing.T, s *Server, tok string) bool {
			return holdsAtOnce(func(round int) bool {
				name := fmt.Sprintf("same%d", round)
				statuses := twoAtOnce(func() int {
					return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": name, "columns": map[string]int{"v": 0}}).status
				})
				return slices.Contains(statuses, 200) && slices.Contains(statuses, 400)
			})
		},
		standin.JobCreateRace: func(t *testing.T, s *Server, tok string) bool {
			return holdsAtOnce(func(round int) bool {
				in := fmt.Sprintf("in%d", round)
				completeInput(t, s, tok, in, 1)
				statuses := twoAtOnce(func() int { return startJob(t, s, tok, fmt.Sprintf("same %d", round), "Echo", in).status })
				return slices.Contains(statuses, 200) && slices.Contains(statuses, 400)
			})
		},
		standin.JobNameASCIIOnly: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, "Café check", "Echo", "in").status == 200
		},
		standin.JobInputFilenameLost: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "file", "workflowName": "Echo", "inputFilename": "/ToData8/in.csv", "inputDatasets": map[string]string{"Input": "in"}}), 200)
			j, ok := s.JobInfo("file")
			return ok && j.InputFilename == "/ToData8/in.csv"
		},
		standin.DatasetListPageSkipsOne: func(t *testing.T, s *Server, tok string) bool {
			var want []string
			for i := range 101 {
				n := fmt.Sprintf("d%03d", i)
				createDataset(t, s, tok, n, "v")
				want = append(want, n)
			}
			return slices.Equal(slices.Sorted(slices.Values(append(listNames(t, s, tok, "page=1"), listNames(t, s, tok, "page=2")...))), want)
		},
		standin.ClientListSkipsOldest: func(t *testing.T, s *Server, tok string) bool {
			var ids []string
			for _, d := range []string{"one", "two"} {
				var cc struct{ ClientID string }
				_ = json.Unmarshal(do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": d}).body, &cc)
				ids = append(ids, cc.ClientID)
			}
			var list []struct{ ClientID string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ClientCredential", nil).body, &list)
			var got []string
			for _, c := range list {
				got = append(got, c.ClientID)
			}
			return slices.Contains(got, ids[0]) && slices.Contains(got, ids[1])
		},
		standin.APIKeyListFirst100: func(t *testing.T, s *Server, tok string) bool {
			var made []string
			for i := range 101 {
				made = append(made, newKey(t, s, tok, map[string]any{"description": fmt.Sprint("k", i)}))
			}
			var list []struct{ Key string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey", nil).body, &list)
			var got []string
			for _, k := range list {
				got = append(got, k.Key)
			}
			return slices.Equal(got, made)
		},
		standin.KeyUpdateClearsAllowed: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/www.example.com", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/10.1.2.0/24", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "k2"}), 200)
			got := string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body)
			return strings.Contains(got, `"www.example.com"`) && strings.Contains(got, `"10.1.2.0/24"`)
		},
		standin.KeyUpdateIgnoresLimit: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k", "maxRequestsPerIPPerDay": 100})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "k2", "maxRequestsPerIPPerDay": 250}), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `"maxRequestsPerIPPerDay":250`)
		},
		standin.DomainLeaksToPreviousKey: func(t *testing.T, s *Server, tok string) bool {
			a := newKey(t, s, tok, map[string]any{"description": "a"})
			b := newKey(t, s, tok, map[string]any{"description": "b"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+b+"/allowedDomains/www.example.com", nil), 200)
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+a, nil).body), "www.example.com")
		},
		standin.AllowedIPv6Refused: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			if do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/2001:db8::/32", nil).status != 200 {
				return false
			}
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `"2001:db8::/32"`)
		},
		standin.ClientDescriptionLost: func(t *testing.T, s *Server, tok string) bool {
			var cc struct{ ClientID, Description string }
			_ = json.Unmarshal(do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "nightly"}).body, &cc)
			var got struct{ Description string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ClientCredential/"+cc.ClientID, nil).body, &got)
			return cc.Description == "nightly" && got.Description == "nightly"
		},
		standin.KeyUpdateDescriptionNotStored: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "k2"}), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `"description":"k2"`)
		},
		standin.KeyUsernameLost: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k", "username": "ops"})
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `"username":"ops"`)
		},
		standin.CompleteRace: func(t *testing.T, s *Server, tok string) bool {
			return holdsAtOnce(func(round int) bool {
				name := fmt.Sprintf("dd%d", round)
				createDataset(t, s, tok, name, "v")
				wantStatus(t, upload(t, s, tok, name, 0, rec("v", "x")), 200)
				statuses := twoAtOnce(func() int { return complete(t, s, tok, name, 1).status })
				return slices.Contains(statuses, 200) && slices.Contains(statuses, 400)
			})
		},
		standin.UploadStoredAfterComplete: func(t *testing.T, s *Server, tok string) bool {
			// A block sent just before the completion: once the completion is answered, the
			// dataset holds what it will always hold, and the block is there only if it was
			// answered 200. Five tries, each block counted as arrived before its completion.
			for i := range 5 {
				name := fmt.Sprintf("d%d", i)
				createDataset(t, s, tok, name, "v")
				wantStatus(t, upload(t, s, tok, name, 0, rec("v", "old")), 200)
				arrived := s.RequestCounts()["Dataset_UploadBlock"] + 1
				var up rawResp
				var wg sync.WaitGroup
				wg.Go(func() { up = upload(t, s, tok, name, 0, rec("v", "new")) })
				for deadline := time.Now().Add(5 * time.Second); s.RequestCounts()["Dataset_UploadBlock"] < arrived; time.Sleep(100 * time.Microsecond) {
					if time.Now().After(deadline) {
						t.Fatal("the upload did not arrive in 5 s")
					}
				}
				wantStatus(t, complete(t, s, tok, name, 1), 200)
				first := values(t, s, name, "v")
				wg.Wait()
				last := values(t, s, name, "v")
				want := []any{"old"}
				if up.status == 200 {
					want = []any{"new"}
				}
				if !reflect.DeepEqual(first, last) || !reflect.DeepEqual(last, want) {
					return false
				}
			}
			return true
		},
		standin.SameBlockRaceAppends: func(t *testing.T, s *Server, tok string) bool {
			return holdsAtOnce(func(round int) bool {
				name := fmt.Sprintf("dd%d", round)
				createDataset(t, s, tok, name, "v")
				var wg sync.WaitGroup
				for _, v := range []string{"a", "b"} {
					wg.Go(func() { wantStatus(t, upload(t, s, tok, name, 0, rec("v", v)), 200) })
				}
				wg.Wait()
				got := values(t, s, name, "v")
				return reflect.DeepEqual(got, []any{"a"}) || reflect.DeepEqual(got, []any{"b"})
			})
		},
		standin.JobsShareOutput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "one", 1)
			completeInput(t, s, tok, "two", 2)
			wantStatus(t, startJob(t, s, tok, "job one", "Echo", "one"), 200)
			wantStatus(t, startJob(t, s, tok, "job two", "Echo", "two"), 200)
			a, b := finishedJob(t, s, "job one"), finishedJob(t, s, "job two")
			ra, _ := s.Records(a)
			rb, _ := s.Records(b)
			return a != b && len(ra) == 1 && len(rb) == 2
		},
		standin.FailedJobReservesName: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "open", "v")
			wantStatus(t, upload(t, s, tok, "open", 0, rec("v", "x")), 200)
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "named", "Echo", "open"), 400)
			return startJob(t, s, tok, "named", "Echo", "in").status == 200
		},
		standin.FailedUploadClearsBlock: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "dd", "v")
			wantStatus(t, upload(t, s, tok, "dd", 0, rec("v", "kept")), 200)
			wantStatus(t, upload(t, s, tok, "dd", 0, rec("nosuch", "x")), 400)
			return reflect.DeepEqual(values(t, s, "dd", "v"), []any{"kept"})
		},
		standin.BlockTableCap128: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "dd", "v")
			for b := range 130 {
				wantStatus(t, upload(t, s, tok, "dd", b, rec("v", fmt.Sprint(b))), 200)
			}
			return len(values(t, s, "dd", "v")) == 130
		},
		standin.FailedCreateReservesName: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "named", "columns": map[string]int{"Bad": 0}}), 400)
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "named", "columns": map[string]int{"v": 0}}).status == 200
		},
		standin.HeadSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "HEAD", "/Dataset", nil).status == 401
		},
		standin.TokenMatchedButLast: func(t *testing.T, s *Server, tok string) bool {
			last := byte('A')
			if tok[len(tok)-1] == 'A' {
				last = 'B'
			}
			return do(t, s, tok[:len(tok)-1]+string(last), "GET", "/Dataset", nil).status == 401
		},
		standin.GivenAPIKeyUppercased: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "Abcd-1234-efgh-5678", "description": "k"}), 200)
			return do(t, s, tok, "GET", "/ApiKey/Abcd-1234-efgh-5678", nil).status == 200
		},
		standin.DeletedKeyReserved: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "ABCD-1234-EFGH-5678", "description": "k"}), 200)
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/ABCD-1234-EFGH-5678", nil), 200)
			return do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "ABCD-1234-EFGH-5678", "description": "k2"}).status == 200
		},
		standin.KeyUpdateUpserts: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "PUT", "/ApiKey/NONE-0000-NONE-0000", map[string]any{"description": "u"}).status == 404 &&
				do(t, s, tok, "GET", "/ApiKey/NONE-0000-NONE-0000", nil).status == 404
		},
		standin.ConcurrentKeyCreateDup: func(t *testing.T, s *Server, tok string) bool {
			var wg sync.WaitGroup
			var mu sync.Mutex
			ok := 0
			for i := range 2 {
				wg.Go(func() {
					r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "DUPE-0000-DUPE-0000", "description": fmt.Sprint(i)})
					mu.Lock()
					defer mu.Unlock()
					if r.status == 200 {
						ok++
					}
				})
			}
			wg.Wait()
			return ok == 1
		},
		standin.ConcurrentDomainLost: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "DOMS-0000-DOMS-0000", "description": "k"}), 200)
			var wg sync.WaitGroup
			for _, d := range []string{"a.example.net", "b.example.net"} {
				wg.Go(func() { wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/DOMS-0000-DOMS-0000/allowedDomains/"+d, nil), 200) })
			}
			wg.Wait()
			got := do(t, s, tok, "GET", "/ApiKey/DOMS-0000-DOMS-0000", nil)
			return strings.Contains(string(got.body), "a.example.net") && strings.Contains(string(got.body), "b.example.net")
		},
		standin.ClientCredListedAsKey: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "c"}), 200)
			var keys []any
			return json.Unmarshal(do(t, s, tok, "GET", "/ApiKey", nil).body, &keys) == nil && len(keys) == 0
		},
		standin.KeyExpiryOffsetDropped: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "EXPY-0000-EXPY-0000", "description": "k"}), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/EXPY-0000-EXPY-0000", map[string]any{"expiresOn": "2036-07-01T12:00:00+02:00"}), 200)
			var k struct{ ExpiresOn time.Time }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/EXPY-0000-EXPY-0000", nil).body, &k)
			return k.ExpiresOn.Equal(time.Date(2036, 7, 1, 10, 0, 0, 0, time.UTC))
		},
		standin.CompleteEmptyRefused: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "empty", "v")
			return complete(t, s, tok, "empty", 0).status == 200
		},
		standin.JobBlockOrderAsText: func(t *testing.T, s *Server, tok string) bool {
			// Blocks 0 to 10, sent in ascending order, without gaps: only their text order differs.
			createDataset(t, s, tok, "ds", "v")
			var want []any
			for b := range 11 {
				wantStatus(t, upload(t, s, tok, "ds", b, rec("v", fmt.Sprint(b))), 200)
				want = append(want, fmt.Sprint(b))
			}
			wantStatus(t, complete(t, s, tok, "ds", 11), 200)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "ds"), 200)
			return reflect.DeepEqual(values(t, s, finishedJob(t, s, "echo"), "v"), want)
		},
		standin.JobPathPlusAsSpace: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "C++ check", "Echo", "in"), 200)
			return do(t, s, tok, "GET", "/Job/C++%20check", nil).status == 200
		},
		standin.JobNameBMPOnly: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, "check 😀 𝔘 1", "Echo", "in").status == 200
		},
		standin.JobNameCheckFirst64: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, strings.Repeat("x", 70)+"/y", "Echo", "in").status == 400
		},
		standin.JobNameCut100: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			name := strings.Repeat("long ", 30) + "end"
			wantStatus(t, startJob(t, s, tok, name, "Echo", "in"), 200)
			_, ok := s.JobInfo(name)
			return ok
		},
		standin.DatasetNameOneCharRefused: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "a", "columns": map[string]int{"v": 0}}).status == 200
		},
		standin.RecordTextBMPOnly: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "smile 😀 𝔘")), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"smile 😀 𝔘"})
		},
		standin.RecordLineBreaksToSpace: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "a\r\nb\nc\rd")), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"a\r\nb\nc\rd"})
		},
		standin.JobListNameCut64: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			name := strings.Repeat("long ", 16) + "end"
			wantStatus(t, startJob(t, s, tok, name, "Echo", "in"), 200)
			var list []struct{ Name string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/Job", nil).body, &list)
			return len(list) == 1 && list[0].Name == name
		},
		standin.DatasetNameCheckFirst64: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": strings.Repeat("x", 70) + "-y", "columns": map[string]int{"v": 0}}).status == 400
		},
		standin.ColumnNameCheckFirst64: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "dc", "columns": map[string]int{strings.Repeat("x", 70) + "-y": 0}}).status == 400
		},
		standin.DatasetNameCut100: func(t *testing.T, s *Server, tok string) bool {
			name := strings.Repeat("x", 150)
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": name, "columns": map[string]int{"v": 0}}), 200)
			_, ok := s.DatasetInfo(name)
			return ok
		},
		standin.JobParametersBMPOnly: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "params", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}, "parameters": map[string]string{"p": "smile 😀 𝔘"}}), 200)
			j, ok := s.JobInfo("params")
			return ok && j.Parameters["p"] == "smile 😀 𝔘"
		},
		standin.RecordEmptyStringNull: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "")), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{""})
		},
		standin.RecordNumbersAsFloat32: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, map[string]any{"v": json.Number("9007199254740991")}), 200)
			return strings.TrimSpace(string(do(t, s, tok, "GET", "/Dataset/ds/data", nil).body)) == `[{"v":9007199254740991}]`
		},
		standin.JobInputDistinct: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "same"), rec("v", "same")), 200)
			wantStatus(t, complete(t, s, tok, "ds", 2), 200)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "ds"), 200)
			return reflect.DeepEqual(values(t, s, finishedJob(t, s, "echo"), "v"), []any{"same", "same"})
		},
		standin.ColumnsCap64: func(t *testing.T, s *Server, tok string) bool {
			cols := make([]string, 65)
			for i := range cols {
				cols[i] = fmt.Sprintf("c%03d", i)
			}
			createDataset(t, s, tok, "wide", cols...)
			info, _ := s.DatasetInfo("wide")
			return len(info.Columns) == 65
		},
		standin.EmptyBlockKeepsOld: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "old")), 200)
			wantStatus(t, upload(t, s, tok, "ds", 0), 200)
			return len(values(t, s, "ds", "v")) == 0
		},
		standin.ColumnCodeClamped: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "codes", "columns": map[string]int{"a": 0, "b": 1, "c": 7}}), 200)
			info, _ := s.DatasetInfo("codes")
			return info.Columns["a"] == 0 && info.Columns["b"] == 1 && info.Columns["c"] == 7
		},
		standin.DatasetListClampLastPage: func(t *testing.T, s *Server, tok string) bool {
			for i := range 100 {
				createDataset(t, s, tok, fmt.Sprintf("d%03d", i), "v")
			}
			return len(listNames(t, s, tok, "page=2")) == 0
		},
		standin.DatasetNameUnderscoreWildcard: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "like_ab", "v")
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "like__b", "columns": map[string]int{"v": 0}}).status == 200
		},
		standin.ColumnNameCompatFolded: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "fw", "columns": map[string]int{"\uff46\uff55\uff4c\uff4c": 0}}).status == 400
		},
		standin.ColumnCodeByte: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "codes", "columns": map[string]int{"a": 300}}), 200)
			info, _ := s.DatasetInfo("codes")
			return info.Columns["a"] == 300
		},
		standin.RefusedCompleteStoresCount: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "ds", 1)
			wantStatus(t, complete(t, s, tok, "ds", 5), 400)
			info, _ := s.DatasetInfo("ds")
			return info.RecordCount == 1
		},
		standin.OutputInputUntilFinished: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			var j struct{ OutputDatasets map[string]string }
			_ = json.Unmarshal(startJob(t, s, tok, "held", "Hold", "in").body, &j)
			var ds struct{ Input bool }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/Dataset/"+url.PathEscape(j.OutputDatasets["Output"]), nil).body, &ds)
			return !ds.Input
		},
		standin.CompletedEmptyTakesBlocks: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "empty", "v")
			wantStatus(t, complete(t, s, tok, "empty", 0), 200)
			return upload(t, s, tok, "empty", 0, rec("v", "late")).status == 400
		},
		standin.RecordBooleansAsNumbers: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, map[string]any{"v": true}, map[string]any{"v": false}), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{true, false})
		},
		standin.RecordNullAsText: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, map[string]any{"v": nil}), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{nil})
		},
		standin.RecordNumericTextAsNumber: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "007")), 200)
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"007"})
		},
		standin.CompleteLeavesStaleDetails: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "x")), 200)
			wantStatus(t, do(t, s, tok, "GET", "/Dataset/ds", nil), 200)
			wantStatus(t, complete(t, s, tok, "ds", 1), 200)
			var ds struct{ Completed bool }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/Dataset/ds", nil).body, &ds)
			return ds.Completed
		},
		standin.ColumnIDOverwritten: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "id")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("id", "A7")), 200)
			return reflect.DeepEqual(values(t, s, "ds", "id"), []any{"A7"})
		},
		standin.DatasetUniqueFirstPage: func(t *testing.T, s *Server, tok string) bool {
			for i := range 101 {
				createDataset(t, s, tok, fmt.Sprintf("d%03d", i), "v")
			}
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "d100", "columns": map[string]int{"v": 0}}).status == 400
		},
		standin.ListFlagsFirstPageOnly: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "aa_in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "aa_in"), 200)
			out := finishedJob(t, s, "echo")
			for i := range 100 {
				createDataset(t, s, tok, fmt.Sprintf("z%03d", i), "v")
			}
			return !slices.Contains(listNames(t, s, tok, "includeInput=false&page=2"), "z099") && !slices.Contains(listNames(t, s, tok, "includeOutput=false&page=2"), out)
		},
		standin.CompleteInfersColumnCodes: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "ds", "columns": map[string]int{"v": 7}}), 200)
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "x")), 200)
			wantStatus(t, complete(t, s, tok, "ds", 1), 200)
			info, _ := s.DatasetInfo("ds")
			return info.Columns["v"] == 7
		},
		standin.FirstBlockUncapped: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			return upload(t, s, tok, "ds", 0, seqBlock("x", 1001)...).status == 400
		},
		standin.UniqueCollapsesUnderscores: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ab_c", "v")
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "ab__c", "columns": map[string]int{"v": 0}}).status == 200
		},
		standin.DatasetLookupCaseInsensitive: func(t *testing.T, s *Server, tok string) bool {
			// Not found, or found under its own name (a case-insensitive collation, D-4).
			createDataset(t, s, tok, "lower", "v")
			r := do(t, s, tok, "GET", "/Dataset/LOWER", nil)
			var got struct{ Name string }
			return r.status == 404 || json.Unmarshal(r.body, &got) == nil && got.Name == "lower"
		},
		standin.DatasetPathTrimmed: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "plain", "v")
			return do(t, s, tok, "GET", "/Dataset/%20plain", nil).status == 404
		},
		standin.ColumnSQLKeywordRefused: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "kw", "columns": map[string]int{"order": 0, "select": 1}}).status == 200
		},
		standin.CompleteFalseReopens: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "ds", 1)
			r := do(t, s, tok, "PUT", "/Dataset/ds", map[string]any{"recordCount": 1, "completed": false})
			info, _ := s.DatasetInfo("ds")
			return r.status == 400 && info.Completed
		},
		standin.ColumnCodeUnsigned: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "neg", "columns": map[string]int{"a": -1}})
			return r.status == 200 && strings.Contains(string(do(t, s, tok, "GET", "/Dataset/neg", nil).body), `"a":-1`)
		},
		standin.UploadsShareTarget: func(t *testing.T, s *Server, tok string) bool {
			return holdsAtOnce(func(round int) bool {
				a, b := fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)
				createDataset(t, s, tok, a, "v")
				createDataset(t, s, tok, b, "v")
				var wg sync.WaitGroup
				for _, n := range []string{a, b} {
					wg.Go(func() { upload(t, s, tok, n, 0, rec("v", n)) })
				}
				wg.Wait()
				return reflect.DeepEqual(values(t, s, a, "v"), []any{a}) && reflect.DeepEqual(values(t, s, b, "v"), []any{b})
			})
		},
		standin.ColumnCodesSortedMismatch: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", `{"name":"cols","columns":{"zeta":1,"alpha":0}}`), 200)
			var ds struct{ Columns map[string]int }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/Dataset/cols", nil).body, &ds)
			return reflect.DeepEqual(ds.Columns, map[string]int{"zeta": 1, "alpha": 0})
		},
		standin.BlockOrderKeyInt32: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			upload(t, s, tok, "ds", 0, rec("v", "zero"))
			upload(t, s, tok, "ds", 2147484, rec("v", "wide"))
			return reflect.DeepEqual(values(t, s, "ds", "v"), []any{"zero", "wide"})
		},
		standin.UploadSchemaLastCreated: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "old", "v")
			createDataset(t, s, tok, "new", "w")
			return upload(t, s, tok, "old", 0, rec("v", "x")).status == 200 && reflect.DeepEqual(values(t, s, "old", "v"), []any{"x"})
		},
		standin.JobReads100Blocks: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "in", "v")
			for b := range 101 {
				wantStatus(t, upload(t, s, tok, "in", b, rec("v", fmt.Sprint(b))), 200)
			}
			wantStatus(t, complete(t, s, tok, "in", 101), 200)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			return len(values(t, s, finishedJob(t, s, "echo"), "v")) == 101
		},
		standin.JobListEndDateExclusive: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			j, _ := s.JobInfo("echo")
			r := do(t, s, tok, "GET", "/Job?endDate="+url.QueryEscape(j.SubmittedAt.Format(time.RFC3339Nano)), nil)
			var list []struct{ Name string }
			_ = json.Unmarshal(r.body, &list)
			return len(list) == 1
		},
		standin.JobNameCheckToNUL: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, "abc\x00/x", "Echo", "in").status == 400
		},
		standin.JobNameTrailingSpacesEqual: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 1)
			wantStatus(t, startJob(t, s, tok, "check ", "Echo", "in1"), 200)
			return startJob(t, s, tok, "check", "Echo", "in2").status == 200 && jobNamed(t, s, tok, "check") == "check"
		},
		standin.JobLookupIgnoresCase: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 1)
			wantStatus(t, startJob(t, s, tok, "Check", "Echo", "in1"), 200)
			if startJob(t, s, tok, "check", "Echo", "in2").status != 200 {
				return jobNamed(t, s, tok, "Check") == "Check" // one name to the server: the one job is found
			}
			return jobNamed(t, s, tok, "check") == "check"
		},
		standin.JobUniqueIgnoresRunning: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "held", "Hold", "in"), 200)
			deadline := time.Now().Add(10 * time.Second)
			for j, _ := s.JobInfo("held"); j.Status != StatusRunning; j, _ = s.JobInfo("held") {
				if time.Now().After(deadline) {
					t.Fatal("job held did not run in 10 s")
				}
				time.Sleep(time.Millisecond)
			}
			return startJob(t, s, tok, "held", "Hold", "in").status == 400
		},
		standin.JobTakesIncompleteOutput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			var j struct{ OutputDatasets map[string]string }
			_ = json.Unmarshal(startJob(t, s, tok, "held", "Hold", "in").body, &j)
			return startJob(t, s, tok, "on output", "Echo", j.OutputDatasets["Output"]).status == 400
		},
		standin.FailedJobLeavesOutput: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "inc", "v")
			wantStatus(t, upload(t, s, tok, "inc", 0, rec("v", "x")), 200)
			return startJob(t, s, tok, "refused", "Echo", "inc").status == 400 && len(listNames(t, s, tok, "includeInput=false")) == 0
		},
		standin.JobEmptyInputNoOutput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "empty")
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "empty"), 200)
			out := finishedJob(t, s, "echo")
			_, ok := s.DatasetInfo(out)
			return out != "" && ok
		},
		standin.JobListPagesFromOldest: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			for i := range 101 {
				wantStatus(t, startJob(t, s, tok, fmt.Sprintf("job %03d", i), "Echo", "in"), 200)
			}
			return slices.Equal(jobNames(t, s, tok, "page=1")[:1], []string{"job 100"})
		},
		standin.JobListClampLastPage: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			// Nothing on the page past the end: [] or, as some servers say it, 404.
			r := do(t, s, tok, "GET", "/Job?page=2", nil)
			var refs []any
			return r.status == 404 || r.status == 200 && json.Unmarshal(r.body, &refs) == nil && len(refs) == 0
		},
		standin.JobListWorkflowIgnoredWithDates: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			return len(jobNames(t, s, tok, "workflow=Nope&startDate=2000-01-01T00:00:00Z")) == 0
		},
		standin.JobListDatesIgnoredWithWorkflow: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			return len(jobNames(t, s, tok, "workflow=Echo&startDate=2100-01-01T00:00:00Z")) == 0
		},
		standin.JobListWorkflowPrefix: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			return len(jobNames(t, s, tok, "workflow=Ech")) == 0
		},
		standin.JobListDateOffsetDropped: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			j, _ := s.JobInfo("echo")
			start := j.SubmittedAt.Add(-time.Hour).In(time.FixedZone("", 5*3600+1800)).Format(time.RFC3339Nano)
			return slices.Equal(jobNames(t, s, tok, "startDate="+url.QueryEscape(start)), []string{"echo"})
		},
		standin.JobListLosesConcurrent: func(t *testing.T, s *Server, tok string) bool {
			return holdsAtOnce(func(round int) bool {
				names := []string{fmt.Sprintf("a %d", round), fmt.Sprintf("b %d", round)}
				for _, n := range names {
					completeInput(t, s, tok, strings.ReplaceAll(n, " ", "_"), 1)
				}
				i := atomic.Int32{}
				twoAtOnce(func() int {
					n := names[i.Add(1)-1]
					return startJob(t, s, tok, n, "Echo", strings.ReplaceAll(n, " ", "_")).status
				})
				listed := jobNames(t, s, tok, "")
				return slices.Contains(listed, names[0]) && slices.Contains(listed, names[1])
			})
		},
		standin.JobNameTakenByDataset: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, "in", "Echo", "in").status == 200
		},
		standin.JobListWorkflowExistsOnly: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in1"), 200)
			wantStatus(t, startJob(t, s, tok, "held", "Hold", "in2"), 200)
			return slices.Equal(jobNames(t, s, tok, "workflow=Echo"), []string{"echo"})
		},
		standin.JobGetPrefixMatch: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "abcdef", "Echo", "in"), 200)
			return do(t, s, tok, "GET", "/Job/abc", nil).status == 404
		},
		standin.JobUniquePerWorkflow: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 1)
			wantStatus(t, startJob(t, s, tok, "same", "Echo", "in1"), 200)
			finishedJob(t, s, "same")
			return startJob(t, s, tok, "same", "Hold", "in2").status == 400
		},
		standin.JobDropsNullRecords: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, map[string]any{}, rec("v", "a")), 200)
			return jobCopies(t, s, tok, "ds")
		},
		standin.JobStopsAtEmptyBlock: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			for b, v := range []string{"a", "b", "c"} {
				wantStatus(t, upload(t, s, tok, "ds", b, rec("v", v)), 200)
			}
			wantStatus(t, upload(t, s, tok, "ds", 1), 200)
			return jobCopies(t, s, tok, "ds")
		},
		standin.TrailingSlashSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/ApiKey/", nil).status/100 == 4
		},
		standin.PathCaseSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/apikey", nil).status/100 == 4
		},
		standin.QueryTokenAccepted: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/ApiKey?access_token="+url.QueryEscape(tok), nil).status == 401
		},
		standin.AuthSchemeIgnored: func(t *testing.T, s *Server, tok string) bool {
			return withAuthorization(t, s, "Token "+tok, "GET", "/ApiKey") == 401
		},
		standin.TokenCaseFolded: func(t *testing.T, s *Server, tok string) bool {
			return withAuthorization(t, s, "Bearer "+strings.ToUpper(tok), "GET", "/ApiKey") == 401
		},
		standin.CIDRRouteSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, "", "PUT", "/ApiKey/"+k+"/allowedIPs/10.0.0.0%2F8/", nil).status == 401
		},
		standin.AuthAfterValidation: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "POST", "/Dataset", `{"name": 1}`).status == 401
		},
		standin.OptionsServesGet: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "OPTIONS", "/ApiKey", nil).status/100 == 4
		},
		standin.ClientSecretMatchedButLast: func(t *testing.T, s *Server, tok string) bool {
			return tokenStatus(t, s, s.ClientID, s.ClientSecret[:len(s.ClientSecret)-1], false, "BatchApi") != 200
		},
		standin.BasicSecretUnchecked: func(t *testing.T, s *Server, tok string) bool {
			return tokenStatus(t, s, s.ClientID, "wrong-secret", true, "BatchApi") != 200
		},
		standin.OtherScopeAccepted: func(t *testing.T, s *Server, tok string) bool {
			return tokenStatus(t, s, s.ClientID, s.ClientSecret, false, "Other") != 200
		},
		standin.DeletedKeyWritable: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "GONE-0000-GONE-0000", "description": "k"}), 200)
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/GONE-0000-GONE-0000", nil), 200)
			return do(t, s, tok, "PUT", "/ApiKey/GONE-0000-GONE-0000/allowedDomains/a.example.net", nil).status == 404
		},
		standin.RecreatedKeyKeepsOld: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "AGIN-0000-AGIN-0000", "description": "k"}), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/AGIN-0000-AGIN-0000/allowedDomains/a.example.net", nil), 200)
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/AGIN-0000-AGIN-0000", nil), 200)
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "AGIN-0000-AGIN-0000", "description": "k2"}), 200)
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/AGIN-0000-AGIN-0000", nil).body), "a.example.net")
		},
		standin.FailedKeyCreateOverwrites: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "TWCE-0000-TWCE-0000", "description": "first"}), 200)
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "TWCE-0000-TWCE-0000", "description": "second"}), 400)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/TWCE-0000-TWCE-0000", nil).body), `"first"`)
		},
		standin.DomainAddToggles: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			for range 2 {
				wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/a.example.net", nil), 200)
			}
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), "a.example.net")
		},
		standin.ConcurrentIPLost: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			var wg sync.WaitGroup
			for _, n := range []string{"10.1.0.0", "10.2.0.0"} {
				wg.Go(func() { wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/"+n+"/24", nil), 200) })
			}
			wg.Wait()
			got := string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body)
			return strings.Contains(got, "10.1.0.0/24") && strings.Contains(got, "10.2.0.0/24")
		},
		standin.KeyListedAsClientCred: func(t *testing.T, s *Server, tok string) bool {
			newKey(t, s, tok, map[string]any{"description": "k"})
			var list []any
			return json.Unmarshal(do(t, s, tok, "GET", "/ClientCredential", nil).body, &list) == nil && len(list) == 1
		},
		standin.BasicClientCredentialsAccepted: func(t *testing.T, s *Server, tok string) bool {
			basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(s.ClientID+":"+s.ClientSecret))
			return withAuthorization(t, s, basic, "GET", "/ApiKey") == 401
		},
		standin.DatasetLookupPrefix: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "prefixed", "v")
			return do(t, s, tok, "GET", "/Dataset/prefix", nil).status == 404
		},
		standin.ClientCredentialUnknownFirst: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "GET", "/ClientCredential/no-such-client", nil).status == 404
		},
		standin.DomainSuffixDeduplicated: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			for _, d := range []string{"www.example.com", "example.com"} {
				wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/"+d, nil), 200)
			}
			got := do(t, s, tok, "GET", "/ApiKey/"+k, nil)
			return strings.Contains(string(got.body), `"example.com"`)
		},
		standin.IPShortPrefixRefused: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/128.0.0.0/1", nil).status == 200
		},
		standin.KeyUpdatePartialOnRefusal: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "before"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "after", "maxRequestsPerIPPerDay": -1}), 400)
			got := do(t, s, tok, "GET", "/ApiKey/"+k, nil)
			return strings.Contains(string(got.body), `"before"`)
		},
		standin.KeyLookupPrefix: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, tok, "GET", "/ApiKey/"+k[:len(k)-1], nil).status == 404
		},
		standin.CookieTokenAccepted: func(t *testing.T, s *Server, tok string) bool {
			return withHeaders(t, s, "GET", "/ApiKey", map[string]string{"Cookie": "access_token=" + tok}, "") == 401
		},
		standin.HeaderTokenAccepted: func(t *testing.T, s *Server, tok string) bool {
			return withHeaders(t, s, "GET", "/ApiKey", map[string]string{"X-Access-Token": tok}, "") == 401
		},
		standin.QueryTokenOtherName: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/ApiKey?token="+url.QueryEscape(tok), nil).status == 401
		},
		standin.BearerExtraWordsIgnored: func(t *testing.T, s *Server, tok string) bool {
			return withAuthorization(t, s, "Bearer "+tok+" x", "GET", "/ApiKey") == 401
		},
		standin.GrantTypeUnchecked: func(t *testing.T, s *Server, tok string) bool {
			return tokenForm(t, s, url.Values{"grant_type": {"password"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}}) != 200
		},
		standin.ScopeCaseFolded: func(t *testing.T, s *Server, tok string) bool {
			return tokenStatus(t, s, s.ClientID, s.ClientSecret, false, "batchapi") != 200
		},
		standin.SecretMissingAccepted: func(t *testing.T, s *Server, tok string) bool {
			return tokenForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}}) != 200
		},
		standin.ClientFoundBySecret: func(t *testing.T, s *Server, tok string) bool {
			return tokenForm(t, s, url.Values{"grant_type": {"client_credentials"}, "client_secret": {s.ClientSecret}}) != 200
		},
		standin.EncodedPathSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/%41piKey", nil).status == 401
		},
		standin.DotSegmentSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/./ApiKey", nil).status/100 != 2
		},
		standin.OtherVerbServesGet: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "DELETE", "/ClientCredential", nil).status/100 == 4
		},
		standin.ProblemStatusFixed: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "GET", "/ClientCredential/none", nil)
			if !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
				return true // no problem body: nothing to hold to its status
			}
			return bytes.Contains(r.body, []byte(fmt.Sprintf(`"status":%d`, r.status)))
		},
		standin.JSONCharsetRefused: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			return withHeaders(t, s, "PATCH", "/Dataset/ds/data", map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json; charset=utf-8"},
				`{"blockNumber":0,"records":[{"v":"a"}]}`) == 200
		},
		standin.WriteTokenMatchedButLast: func(t *testing.T, s *Server, tok string) bool {
			near := tok[:len(tok)-1] + string("AB"[btoi(tok[len(tok)-1] == 'A')])
			return withAuthorization(t, s, "Bearer "+near, "DELETE", "/ApiKey/NONE-0000-NONE-0000") == 401
		},
		standin.CachedReadSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "GET", "/ApiKey", nil), 200)
			return do(t, s, "", "GET", "/ApiKey", nil).status == 401
		},
		standin.RefusedCreateApplied: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, "", "POST", "/Dataset", map[string]any{"name": "anon", "columns": map[string]int{"v": 0}}), 401)
			return do(t, s, tok, "GET", "/Dataset/anon", nil).status == 404
		},
		standin.OriginalURLRouted: func(t *testing.T, s *Server, tok string) bool {
			return withHeaders(t, s, "GET", "/nowhere", map[string]string{"X-Original-URL": "/ApiKey"}, "")/100 == 4
		},
		standin.LaterPageSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/Dataset?page=2", nil).status == 401
		},
		standin.CompleteAnswersOld: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, rec("v", "a")), 200)
			r := complete(t, s, tok, "ds", 1)
			var got struct {
				Completed   bool
				RecordCount int
			}
			_ = json.Unmarshal(r.body, &got)
			return r.status == 200 && got.Completed && got.RecordCount == 1
		},
		standin.JobPathDoubleDecode: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "Rate %41", "Echo", "in"), 200)
			return do(t, s, tok, "GET", "/Job/"+url.PathEscape("Rate %41"), nil).status == 200
		},
		standin.KeyLookupFindsClient: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "GET", "/ApiKey/"+s.ClientID, nil).status == 404
		},
		standin.ConcurrentGeneratedKeyDup: func(t *testing.T, s *Server, tok string) bool {
			keys := make([]string, 2)
			var wg sync.WaitGroup
			for i := range keys {
				wg.Go(func() { keys[i] = newKey(t, s, tok, map[string]any{"description": "k"}) })
			}
			wg.Wait()
			return keys[0] != keys[1]
		},
		standin.ConcurrentClientIDDup: func(t *testing.T, s *Server, tok string) bool {
			ids := make([]string, 2)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Go(func() {
					r := do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "c"})
					var c struct{ ClientID string }
					_ = json.Unmarshal(r.body, &c)
					ids[i] = c.ClientID
				})
			}
			wg.Wait()
			return ids[0] != ids[1]
		},
		standin.KeyDescriptionBMPOnly: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "smile 😀"})
			var got struct{ Description string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body, &got)
			return got.Description == "smile 😀"
		},
		standin.ClientDescriptionHTMLEscaped: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "<b> & co"})
			var got struct{ ClientID, Description string }
			_ = json.Unmarshal(r.body, &got)
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ClientCredential/"+got.ClientID, nil).body, &got)
			return got.Description == "<b> & co"
		},
		standin.CreateExpiryOffsetDropped: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k", "expiresOn": "2036-07-01T12:00:00+02:00"})
			var got struct{ ExpiresOn time.Time }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body, &got)
			return got.ExpiresOn.Equal(time.Date(2036, 7, 1, 10, 0, 0, 0, time.UTC))
		},
		standin.CIDRUnknownKeyOK: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, tok, "PUT", "/ApiKey/NONE-0000-NONE-0000/allowedIPs/10.0.0.0%2F8/", nil).status == 404
		},
		standin.KeyLimitInt16: func(t *testing.T, s *Server, tok string) bool {
			return keyReads(t, s, tok, map[string]any{"description": "k", "maxRequestsPerIPPerDay": 40000}, "maxRequestsPerIPPerDay", `40000`)
		},
		standin.KeyExpiryUnix32: func(t *testing.T, s *Server, tok string) bool {
			return keyReads(t, s, tok, map[string]any{"description": "k", "expiresOn": "2040-02-29T23:59:59Z"}, "expiresOn", `"2040-02-29T23:59:59Z"`)
		},
		standin.KeyExpiryUKLocal: func(t *testing.T, s *Server, tok string) bool {
			return keyReads(t, s, tok, map[string]any{"description": "k", "expiresOn": "2036-10-26T01:30:00Z"}, "expiresOn", `"2036-10-26T01:30:00Z"`)
		},
		standin.KeyUsernameLowercased: func(t *testing.T, s *Server, tok string) bool {
			return keyReads(t, s, tok, map[string]any{"description": "k", "username": "Ann"}, "username", `"Ann"`)
		},
		standin.KeyUpdateEmptyKeepsOld: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k", "username": "ann"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"username": ""}), 200)
			var got struct{ Username string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body, &got)
			return got.Username == ""
		},
		standin.DomainHyphenRefused: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/my-shop.example.com", nil).status == 200
		},
		standin.DomainCut100: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + ".example.com"
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/"+long, nil), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `"`+long+`"`)
		},
		standin.IPHostBitsAsHost: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/192.0.2.77/24", nil), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `"192.0.2.0/24"`)
		},
		standin.IPv6UpperHexRefused: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/2001:DB8:C::/48", nil).status == 200
		},
		standin.RecordControlCharsStripped: func(t *testing.T, s *Server, tok string) bool {
			return recordKept(t, s, tok, "bell\x07 esc\x1b")
		},
		standin.RecordBOMStripped: func(t *testing.T, s *Server, tok string) bool {
			return recordKept(t, s, tok, "\ufeffBOM")
		},
		standin.RecordLineSeparatorsToSpace: func(t *testing.T, s *Server, tok string) bool {
			return recordKept(t, s, tok, "a\u2028b\u2029c\u0085d")
		},
		standin.KeyDescriptionCut255: func(t *testing.T, s *Server, tok string) bool {
			long := strings.Repeat("d", 300)
			return keyReads(t, s, tok, map[string]any{"description": long}, "description", `"`+long+`"`)
		},
		standin.ColumnCodeFloat32: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "codes", "columns": map[string]int{"a": 16777217}}), 200)
			info, _ := s.DatasetInfo("codes")
			return info.Columns["a"] == 16777217
		},
		standin.IPMappedPrefixClamped: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedIPs/::ffff:192.0.2.0/120", nil), 200)
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body), `/32"`)
		},
		standin.DomainUpperCaseRefused: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/Shop.Example.ORG", nil).status == 200
		},
		standin.JobLookupLike: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "abc def", "Echo", "in"), 200)
			return do(t, s, tok, "GET", "/Job/abc_def", nil).status == 404
		},
		standin.KeyLookupLike: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			return do(t, s, tok, "GET", "/ApiKey/"+k[:len(k)-1]+"_", nil).status == 404
		},
		standin.DataReadIgnoresCase: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "cased", "v")
			return do(t, s, tok, "GET", "/Dataset/CASED/data", nil).status == 404
		},
		standin.DatasetLookupCompatFolded: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "abc", "v")
			return do(t, s, tok, "GET", "/Dataset/"+url.PathEscape("\uff41bc"), nil).status == 404
		},
		standin.ClientLookupFindsKey: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			r := do(t, s, tok, "GET", "/ClientCredential/"+k, nil)
			var got struct{ ClientID string }
			_ = json.Unmarshal(r.body, &got)
			return r.status == 404 || got.ClientID != k // another client answered is another rule's
		},
		standin.JobOutputNameReused: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 2)
			// Two names that are one dataset name ("job_x") once made one.
			wantStatus(t, startJob(t, s, tok, "job x", "Echo", "in1"), 200)
			a := finishedJob(t, s, "job x")
			wantStatus(t, startJob(t, s, tok, "job  x", "Echo", "in2"), 200)
			b := finishedJob(t, s, "job  x")
			ra, _ := s.Records(a)
			return a != b && len(ra) == 1
		},
		standin.JobUniqueBySlug: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 1)
			wantStatus(t, startJob(t, s, tok, "a b", "Echo", "in1"), 200)
			return startJob(t, s, tok, "a_b", "Echo", "in2").status == 200
		},
		standin.JobLookupNormalized: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in1", 1)
			completeInput(t, s, tok, "in2", 1)
			wantStatus(t, startJob(t, s, tok, "Caf\u00e9 1", "Echo", "in1"), 200)
			wantStatus(t, startJob(t, s, tok, "Cafe\u0301 1", "Echo", "in2"), 200)
			return jobNamed(t, s, tok, "Cafe\u0301 1") == "Cafe\u0301 1"
		},
		standin.KeyLookupIgnoresCase: func(t *testing.T, s *Server, tok string) bool {
			newKey(t, s, tok, map[string]any{"key": "Twin-1", "description": "mixed"})
			r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "TWIN-1", "description": "upper"})
			var k struct{ Key, Description string }
			if r.status != 200 || json.Unmarshal(r.body, &k) != nil {
				return true // refused as the same key: nothing to look up
			}
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/"+k.Key, nil).body, &k)
			return k.Description == "upper"
		},
		standin.KeyDeleteByPrefix: func(t *testing.T, s *Server, tok string) bool {
			short := newKey(t, s, tok, map[string]any{"key": "PFX-1", "description": "short"})
			long := newKey(t, s, tok, map[string]any{"key": "PFX-12", "description": "long"})
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/"+short, nil), 200)
			return do(t, s, tok, "GET", "/ApiKey/"+long, nil).status == 200
		},
		standin.DatasetNameTakenByJob: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "later_dataset", "Echo", "in"), 200)
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "later_dataset", "columns": map[string]int{"v": 0}}).status == 200
		},
		standin.DatasetUniqueFirst64: func(t *testing.T, s *Server, tok string) bool {
			long := strings.Repeat("a", 70)
			createDataset(t, s, tok, long, "v")
			return do(t, s, tok, "POST", "/Dataset", map[string]any{"name": long[:69] + "b", "columns": map[string]int{"v": 0}}).status == 200
		},
		standin.JobListWorkflowLike: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			return len(jobNames(t, s, tok, "workflow=Ech_")) == 0
		},
		standin.KeyUpdateByPrefix: func(t *testing.T, s *Server, tok string) bool {
			short := newKey(t, s, tok, map[string]any{"key": "PFX-1", "description": "short"})
			long := newKey(t, s, tok, map[string]any{"key": "PFX-12", "description": "long"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+short, map[string]any{"description": "updated"}), 200)
			var got struct{ Description string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ApiKey/"+long, nil).body, &got)
			return got.Description == "long"
		},
		standin.DatasetListCached: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			listNames(t, s, tok, "includeInput=false")
			wantStatus(t, startJob(t, s, tok, "job", "Echo", "in"), 200)
			return slices.Contains(listNames(t, s, tok, "includeInput=false"), finishedJob(t, s, "job"))
		},
		standin.ClientListCached: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "GET", "/ClientCredential", nil), 200)
			wantStatus(t, do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "new client"}), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ClientCredential", nil).body), `"new client"`)
		},
		standin.DuplicateJobReplacesParameters: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "job", "Echo", "in"), 200)
			wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "job", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}, "parameters": map[string]string{"P": "refused"}}), 400)
			return !strings.Contains(string(do(t, s, tok, "GET", "/Job/job", nil).body), "refused")
		},
		standin.ConcurrentKeyUpdateLost: func(t *testing.T, s *Server, tok string) bool {
			keys := []string{newKey(t, s, tok, map[string]any{"description": "a"}), newKey(t, s, tok, map[string]any{"description": "b"})}
			var wg sync.WaitGroup
			for _, k := range keys {
				wg.Go(func() { do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "updated"}) })
			}
			wg.Wait()
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey", nil).body), `"description":"a"`) &&
				!strings.Contains(string(do(t, s, tok, "GET", "/ApiKey", nil).body), `"description":"b"`)
		},
		standin.NewKeyTakesDeletedSlot: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "old"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/old.example.com", nil), 200)
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/"+k, nil), 200)
			n := newKey(t, s, tok, map[string]any{"description": "new"})
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+n, nil).body), "old.example.com")
		},
		standin.KeyListStaleAfterUpdate: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "before"})
			wantStatus(t, do(t, s, tok, "GET", "/ApiKey", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "after"}), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey", nil).body), `"after"`)
		},
		standin.RefusedKeyCreateStored: func(t *testing.T, s *Server, tok string) bool {
			newKey(t, s, tok, map[string]any{"key": "GIVN-0001-GIVN-0001", "description": "first"})
			wantStatus(t, do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "GIVN-0001-GIVN-0001", "description": "refused"}), 400)
			return !strings.Contains(string(do(t, s, tok, "GET", "/ApiKey", nil).body), `"refused"`)
		},
		standin.DomainAddDropsConcurrentIP: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			var wg sync.WaitGroup
			for _, p := range []string{"/allowedDomains/at.example.com", "/allowedIPs/192.0.2.0/24"} {
				wg.Go(func() { do(t, s, tok, "PUT", "/ApiKey/"+k+p, nil) })
			}
			wg.Wait()
			body := string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body)
			return strings.Contains(body, "at.example.com") && strings.Contains(body, "192.0.2.0/24")
		},
		standin.UpdateDropsConcurrentDomain: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "k"})
			var wg sync.WaitGroup
			wg.Go(func() { do(t, s, tok, "PUT", "/ApiKey/"+k, map[string]any{"description": "updated"}) })
			wg.Go(func() { do(t, s, tok, "PUT", "/ApiKey/"+k+"/allowedDomains/at.example.com", nil) })
			wg.Wait()
			body := string(do(t, s, tok, "GET", "/ApiKey/"+k, nil).body)
			return strings.Contains(body, "at.example.com") && strings.Contains(body, `"updated"`)
		},
		standin.JobParametersLastStarted: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "first", "workflowName": "Echo", "inputDatasets": map[string]string{"Input": "in"}, "parameters": map[string]string{"P": "first"}}), 200)
			wantStatus(t, startJob(t, s, tok, "second", "Echo", "in"), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/Job/first", nil).body), `"P":"first"`)
		},
		standin.RefusedJobListed: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "open", "v")
			wantStatus(t, startJob(t, s, tok, "refused", "Echo", "open"), 400)
			return !strings.Contains(string(do(t, s, tok, "GET", "/Job", nil).body), `"refused"`)
		},
		standin.OutputNamedByInput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "one", "Echo", "in"), 200)
			wantStatus(t, startJob(t, s, tok, "two", "Echo", "in"), 200)
			return finishedJob(t, s, "one") != finishedJob(t, s, "two")
		},
		standin.ConcurrentDeleteLosesCreate: func(t *testing.T, s *Server, tok string) bool {
			old := newKey(t, s, tok, map[string]any{"description": "old"})
			var made string
			var wg sync.WaitGroup
			wg.Go(func() { do(t, s, tok, "DELETE", "/ApiKey/"+old, nil) })
			wg.Go(func() { made = newKey(t, s, tok, map[string]any{"description": "new"}) })
			wg.Wait()
			return do(t, s, tok, "GET", "/ApiKey/"+made, nil).status == 200
		},
		standin.RefusedCreateListed: func(t *testing.T, s *Server, tok string) bool {
			wantStatus(t, do(t, s, tok, "POST", "/Dataset", map[string]any{"name": "refused", "columns": map[string]int{"Bad": 0}}), 400)
			return !slices.Contains(listNames(t, s, tok, ""), "refused")
		},
		standin.DatasetListCacheIgnoresFlags: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "in", "v")
			listNames(t, s, tok, "includeInput=false")
			return slices.Contains(listNames(t, s, tok, ""), "in")
		},
		standin.SubnetUniqueAcrossKeys: func(t *testing.T, s *Server, tok string) bool {
			a := newKey(t, s, tok, map[string]any{"description": "a"})
			b := newKey(t, s, tok, map[string]any{"description": "b"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+a+"/allowedIPs/10.1.2.0/24", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+b+"/allowedIPs/10.1.2.0/24", nil), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+b, nil).body), `"10.1.2.0/24"`)
		},
		standin.DomainUniqueAcrossKeys: func(t *testing.T, s *Server, tok string) bool {
			a := newKey(t, s, tok, map[string]any{"description": "a"})
			b := newKey(t, s, tok, map[string]any{"description": "b"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+a+"/allowedDomains/www.example.com", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+b+"/allowedDomains/www.example.com", nil), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+b, nil).body), `"www.example.com"`)
		},
		standin.KeyFoundByDescription: func(t *testing.T, s *Server, tok string) bool {
			a := newKey(t, s, tok, map[string]any{"description": "same"})
			return newKey(t, s, tok, map[string]any{"description": "same"}) != a
		},
		standin.ClientFoundByDescription: func(t *testing.T, s *Server, tok string) bool {
			var ids []string
			for range 2 {
				var cc struct{ ClientID string }
				_ = json.Unmarshal(do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "same"}).body, &cc)
				ids = append(ids, cc.ClientID)
			}
			return ids[0] != ids[1]
		},
		standin.ClientListFirst25: func(t *testing.T, s *Server, tok string) bool {
			var made []string
			for i := range 25 { // with the server's own client, 26
				var cc struct{ ClientID string }
				_ = json.Unmarshal(do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": fmt.Sprint("c", i)}).body, &cc)
				made = append(made, cc.ClientID)
			}
			var list []struct{ ClientID string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ClientCredential", nil).body, &list)
			got := map[string]bool{}
			for _, c := range list {
				got[c.ClientID] = true
			}
			return !slices.ContainsFunc(made, func(id string) bool { return !got[id] })
		},
		standin.ThirdGeneratedKeyLowerCase: func(t *testing.T, s *Server, tok string) bool {
			for range 2 {
				newKey(t, s, tok, map[string]any{"description": "k"})
			}
			k := newKey(t, s, tok, map[string]any{"description": "third"})
			return k == strings.ToUpper(k)
		},
		standin.ClientReadNewestDescription: func(t *testing.T, s *Server, tok string) bool {
			var ids []string
			for _, d := range []string{"older", "newer"} {
				var cc struct{ ClientID string }
				_ = json.Unmarshal(do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": d}).body, &cc)
				ids = append(ids, cc.ClientID)
			}
			var got struct{ Description string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/ClientCredential/"+url.PathEscape(ids[0]), nil).body, &got)
			return got.Description == "older"
		},
		standin.LaterPageLocationWrong: func(t *testing.T, s *Server, tok string) bool {
			for i := range 101 {
				createDataset(t, s, tok, fmt.Sprintf("d%03d", i), "v")
			}
			var refs []struct{ Name, Location string }
			_ = json.Unmarshal(do(t, s, tok, "GET", "/Dataset?page=2", nil).body, &refs)
			// Every entry of page 2 (a page that skips entries is another rule's) addresses its own dataset.
			return !slices.ContainsFunc(refs, func(r struct{ Name, Location string }) bool {
				return !strings.HasSuffix(r.Location, "/Dataset/"+r.Name)
			})
		},
		standin.JobListFilterSkipsAuth: func(t *testing.T, s *Server, tok string) bool {
			return do(t, s, "", "GET", "/Job?workflow=Echo", nil).status == 401
		},
		standin.RefusedCompleteHoldsInput: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, complete(t, s, tok, "in", 1), 400)
			return startJob(t, s, tok, "echo", "Echo", "in").status == 200
		},
		standin.RefusedJobHoldsInput: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "in", "v")
			wantStatus(t, upload(t, s, tok, "in", 0, rec("v", "a")), 200)
			wantStatus(t, startJob(t, s, tok, "early", "Echo", "in"), 400)
			return upload(t, s, tok, "in", 1, rec("v", "b")).status == 200
		},
		standin.JobInputLastFullPageLost: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1000)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			out, _ := s.DatasetInfo(finishedJob(t, s, "echo"))
			return out.RecordCount == 1000
		},
		standin.CaseTwinRenamesJob: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "Case Job", "Echo", "in"), 200)
			startJob(t, s, tok, "case job", "Echo", "in") // taken or refused: both readings are valid
			return jobNamed(t, s, tok, "Case Job") == "Case Job"
		},
		standin.DataReadLastFullPageLost: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			wantStatus(t, upload(t, s, tok, "ds", 0, seqBlock("r", 1000)...), 200)
			var got []map[string]any
			_ = json.Unmarshal(do(t, s, tok, "GET", "/Dataset/ds/data?page=1", nil).body, &got)
			return len(got) == 1000
		},
		standin.DeletedKeyReadable: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "deleted"})
			wantStatus(t, do(t, s, tok, "DELETE", "/ApiKey/"+url.PathEscape(k), nil), 200)
			return do(t, s, tok, "GET", "/ApiKey/"+url.PathEscape(k), nil).status == 404
		},
		standin.UnknownColumnFirstRecordOnly: func(t *testing.T, s *Server, tok string) bool {
			createDataset(t, s, tok, "ds", "v")
			recs := append(seqBlock("r", 12), rec("nosuch", "x"))
			return upload(t, s, tok, "ds", 0, recs...).status == 400
		},
		standin.JobUnknownInputAccepted: func(t *testing.T, s *Server, tok string) bool {
			return startJob(t, s, tok, "on nothing", "Echo", "nosuch").status == 400
		},
		standin.CompletedBeforeSubmitted: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "echo", "Echo", "in"), 200)
			finishedJob(t, s, "echo")
			j, _ := s.JobInfo("echo")
			return !j.CompletedAt.Before(j.SubmittedAt.Time)
		},
		standin.JobNameBackslashAccepted: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			return startJob(t, s, tok, `a\b`, "Echo", "in").status == 400
		},
		standin.EmptyGivenKeyStored: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ApiKey", map[string]any{"key": "", "description": "empty key"})
			var k struct{ Key string }
			return r.status >= 400 && r.status < 500 || json.Unmarshal(r.body, &k) == nil && k.Key != ""
		},
		standin.ExpiredKeysUnlisted: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "expired", "expiresOn": "2001-01-01T00:00:00Z"})
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey", nil).body), k)
		},
		standin.SameNetworkSubnetReplaces: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"description": "subnets"})
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+url.PathEscape(k)+"/allowedIPs/10.20.0.0/16", nil), 200)
			wantStatus(t, do(t, s, tok, "PUT", "/ApiKey/"+url.PathEscape(k)+"/allowedIPs/10.20.0.0/24", nil), 200)
			return strings.Contains(string(do(t, s, tok, "GET", "/ApiKey/"+url.PathEscape(k), nil).body), "10.20.0.0/16")
		},
		standin.GivenClientIDTaken: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ClientCredential", map[string]any{"description": "chosen", "clientId": "chosen-id"})
			var c struct{ ClientID string }
			return r.status >= 400 && r.status < 500 || json.Unmarshal(r.body, &c) == nil && c.ClientID != "chosen-id"
		},
		standin.TokenFormCharsetRefused: func(t *testing.T, s *Server, tok string) bool {
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}, "scope": {"BatchApi"}}
			return tokenFormAs(t, s, form, "application/x-www-form-urlencoded; charset=utf-8") == 200
		},
		standin.LaterListPagesNotFound: func(t *testing.T, s *Server, tok string) bool {
			for i := range 101 {
				createDataset(t, s, tok, fmt.Sprintf("ds%03d", i), "v")
			}
			r := do(t, s, tok, "GET", "/Dataset?page=2", nil)
			var refs []any
			return r.status == 200 && json.Unmarshal(r.body, &refs) == nil && len(refs) == 1
		},
		standin.LaterDataPagesNotFound: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1000, 1)
			r := do(t, s, tok, "GET", "/Dataset/in/data?page=2", nil)
			return r.status == 200 && strings.Contains(string(r.body), "b1_0")
		},
		standin.TokenFormOnlyChecked: func(t *testing.T, s *Server, tok string) bool {
			forged := []byte(tok)
			for i, c := range forged {
				switch {
				case '0' <= c && c <= '8', 'a' <= c && c <= 'e':
					forged[i] = c + 1
				case c == '9':
					forged[i] = '0'
				case c == 'f':
					forged[i] = 'a'
				}
			}
			return do(t, s, string(forged), "GET", "/Dataset", nil).status == 401
		},
		standin.APIKeyDotSuffixDropped: func(t *testing.T, s *Server, tok string) bool {
			k := newKey(t, s, tok, map[string]any{"key": "Dot.Key-1", "description": "dotted"})
			r := do(t, s, tok, "GET", "/ApiKey/"+url.PathEscape(k), nil)
			return r.status == 200 && strings.Contains(string(r.body), strconv.Quote(k))
		},
		standin.JobDotSuffixDropped: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "report.csv", "Echo", "in"), 200)
			return do(t, s, tok, "GET", "/Job/report.csv", nil).status == 200
		},
		standin.ClientWithoutDescriptionUnlisted: func(t *testing.T, s *Server, tok string) bool {
			r := do(t, s, tok, "POST", "/ClientCredential", map[string]any{})
			var c struct{ ClientID string }
			if r.status/100 != 2 || json.Unmarshal(r.body, &c) != nil {
				return true // refused: nothing to list
			}
			return strings.Contains(string(do(t, s, tok, "GET", "/ClientCredential", nil).body), strconv.Quote(c.ClientID))
		},
		standin.CaseTwinTakenUnfound: func(t *testing.T, s *Server, tok string) bool {
			completeInput(t, s, tok, "in", 1)
			wantStatus(t, startJob(t, s, tok, "Case Job", "Echo", "in"), 200)
			// Taken (names compared exactly), or refused and then found (compared ignoring case).
			return startJob(t, s, tok, "case job", "Echo", "in").status == 200 || do(t, s, tok, "GET", "/Job/"+url.PathEscape("case job"), nil).status == 200
		},
	}
	// A mutation that breaks a rule more widely breaks the narrower one's scenario too.
	// JobReopensInput stops every job but the first on one input, which the scenarios of 101 jobs
	// start. AppendInsteadOfOverwrite appends every re-sent block, the two sent at once of
	// SameBlockRaceAppends' scenario too, and makes the block that UploadStoredAfterComplete's
	// scenario overwrites as the dataset is completed two records, so that its completion is
	// refused. JobUniqueAmongFinished lets a second start of an unfinished job's name through, as
	// JobCreateRace does for two starts at once. BlockOrderAsText orders a job's input as text too
	// (the job reads the dataset in its order), and JobNameASCIIOnly refuses every name
	// JobNameBMPOnly does (and the accented ones of JobLookupNormalized's scenario).
	// AppendInsteadOfOverwrite keeps an emptied block's records too, and
	// BlockDropsEqualRecords drops the equal records JobInputDistinct's scenario sends in one block.
	wider := map[standin.Mutation][]standin.Mutation{
		// A page that skips its first entry leaves page 2 of 101 datasets empty.
		standin.DatasetListPageSkipsOne: {standin.LaterListPagesNotFound},
		// Pages after the first answered 404 list none of the datasets past the first 100.
		standin.LaterListPagesNotFound: {standin.DatasetListPageSkipsOne},
		// A token matched on all but its last character is one matched so on writes too, and one
		// followed by a second word; any scope granted is one of another case too.
		standin.TokenMatchedButLast:     {standin.WriteTokenMatchedButLast, standin.BearerExtraWordsIgnored},
		standin.OtherScopeAccepted:      {standin.ScopeCaseFolded},
		standin.AcceptUploadToCompleted: {standin.OverwriteCompleted, standin.CompletedEmptyTakesBlocks},
		// UploadStoredAfterComplete's scenario overwrites a block as the dataset is completed.
		standin.AppendInsteadOfOverwrite: {standin.UploadStoredAfterComplete, standin.SameBlockRaceAppends, standin.EmptyBlockKeepsOld},
		// The two equal records of JobInputDistinct's scenario are in one block.
		standin.BlockDropsEqualRecords: {standin.JobInputDistinct},
		standin.JobUniqueAmongFinished: {standin.JobCreateRace, standin.JobUniqueIgnoresRunning, standin.DuplicateJobReplacesParameters},
		standin.JobReopensInput:        {standin.JobUniqueFirstPage, standin.JobListFilterAfterPaging, standin.JobListPagesFromOldest, standin.OutputNamedByInput, standin.JobParametersLastStarted, standin.DuplicateJobReplacesParameters},
		// A running job is an unfinished one; pages cut from the oldest, and a workflow filter that
		// lists every workflow, break the first filtered page of JobListFilterAfterPaging's scenario;
		// a trimmed name is the name without its trailing space; an empty incomplete dataset is what
		// a new job's output is.
		standin.JobUniqueIgnoresRunning:      {standin.JobUniqueAmongFinished, standin.JobCreateRace, standin.DuplicateJobReplacesParameters},
		standin.JobListPagesFromOldest:       {standin.JobListFilterAfterPaging},
		standin.JobListWorkflowExistsOnly:    {standin.JobListFilterAfterPaging},
		standin.JobNameTrimmed:               {standin.JobNameTrailingSpacesEqual},
		standin.JobTakesEmptyIncompleteInput: {standin.JobTakesIncompleteOutput, standin.RefusedJobListed},
		standin.CompleteEmptyRefused:         {standin.JobEmptyInputNoOutput, standin.CompletedEmptyTakesBlocks},
		standin.BlockOrderAsText:             {standin.JobBlockOrderAsText},
		// Block 2,147,484 kept in 16 bits is negative too.
		standin.BlockNumberInt16: {standin.BlockOrderKeyInt32},
		standin.JobNameASCIIOnly: {standin.JobNameBMPOnly, standin.JobLookupNormalized},
		// A given key ignored is no given key at all; a domain add that replaces the list loses one
		// added at once too.
		standin.GivenAPIKeyIgnored: {standin.GivenAPIKeyUppercased, standin.ConcurrentKeyCreateDup, standin.DeletedKeyReserved, standin.KeyExpiryOffsetDropped, standin.ConcurrentDomainLost,
			standin.DeletedKeyWritable, standin.RecreatedKeyKeepsOld, standin.FailedKeyCreateOverwrites, standin.RefusedKeyCreateStored},
		// A deleted key's value held back cannot be given again.
		standin.DeletedKeyReserved:    {standin.RecreatedKeyKeepsOld},
		standin.AllowedDomainReplaces: {standin.ConcurrentDomainLost},
		// Codes clamped to 1 or kept in a byte are not kept, whatever the code; fullwidth letters are
		// lower-case letters of Unicode; a dataset that holds no record cannot be completed.
		standin.ColumnCodeClamped:        {standin.ColumnCodeByte, standin.ColumnCodeUnsigned, standin.CompleteInfersColumnCodes, standin.ColumnCodeFloat32},
		standin.ColumnCodeByte:           {standin.ColumnCodeUnsigned, standin.ColumnCodeFloat32},
		standin.ColumnNameUnicodeLetters: {standin.ColumnNameCompatFolded},
		// A block of 1,001 is taken whatever blocks came before it.
		standin.Accept1001Records: {standin.FirstBlockUncapped},
		// A username not stored is not stored in its case either; an IPv6 network refused in any
		// form is refused in upper case and IPv4-mapped too.
		standin.KeyUsernameLost:    {standin.KeyUsernameLowercased},
		standin.AllowedIPv6Refused: {standin.IPv6UpperHexRefused, standin.IPMappedPrefixClamped},
		// The block-order scenarios tell blocks apart by texts of digits, which this stores as numbers.
		standin.RecordNumericTextAsNumber: {standin.IgnoreBlockOrder, standin.BlockNumberInt16, standin.BlockOrderAsText, standin.JobBlockOrderAsText},

		// A lookup that folds case on every route folds it on GET data too; jobs started together
		// share an output whatever their names.
		standin.DatasetLookupCaseInsensitive: {standin.DataReadIgnoresCase},
		standin.JobsShareOutput:              {standin.JobOutputNameReused, standin.OutputNamedByInput},
		// The scenarios of generated keys and clientIds sent at once send one description twice,
		// which a find-or-create by description answers with one key or client.
		standin.KeyFoundByDescription:    {standin.ConcurrentGeneratedKeyDup},
		standin.ClientFoundByDescription: {standin.ConcurrentClientIDDup},
		// A list that leaves out the oldest client leaves one of 25 out too.
		standin.ClientListSkipsOldest: {standin.ClientListFirst25, standin.ClientListCached},
		// The sixth round's narrower mutations (a refused call that leaves something, a list cached, a
		// write lost at once) are broken too by the wider ones that refuse nothing, store no description
		// or update, share an output, or list an output dataset as input. A client that keeps no
		// description reads none back for the older of two clients either.
		standin.OutputInputUntilFinished:      {standin.DatasetListCached},
		standin.FailedKeyCreateOverwrites:     {standin.RefusedKeyCreateStored},
		standin.KeyUpdateDescriptionNotStored: {standin.UpdateDropsConcurrentDomain, standin.KeyListStaleAfterUpdate, standin.ConcurrentKeyUpdateLost},
		standin.ClientDescriptionLost:         {standin.ClientListCached, standin.ClientReadNewestDescription},
		standin.KeyUpdateClearsAllowed:        {standin.UpdateDropsConcurrentDomain},
		// JobLookupIgnoresCase's scenario takes a refused case twin as valid and then finds the one
		// job: the name a refused twin wrote over is lost there too.
		standin.CaseTwinRenamesJob: {standin.JobLookupIgnoresCase},
		// Every prefix read as /24: the /16 of the scenario is never stored.
		standin.AllowedIPPrefixIgnored: {standin.SameNetworkSubnetReplaces},
	}
	if len(cases) != len(standin.Mutations()) {
		t.Fatalf("%d cases for %d mutations", len(cases), len(standin.Mutations()))
	}
	for _, m := range standin.Mutations() {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			plain := mutationServer()
			defer plain.Close()
			if !cases[m](t, plain, fetchToken(t, plain)) {
				t.Fatal("the rule does not hold on an unmutated server")
			}
			// No WithValidation here: a mutated server breaks the spec on purpose.
			broken := mutationServer(standin.WithMutation(m))
			defer broken.Close()
			if cases[m](t, broken, fetchToken(t, broken)) {
				t.Fatalf("mutation %v did not break its rule", m)
			}
			// And only that rule: the other scenarios still hold. Most of a scenario's time is spent
			// waiting (jobs, race windows), so several run at once, each a subtest of its own. The
			// pairs grow with the square of the mutations: they run without the race detector
			// (`make test` runs this test both ways), which has seen every mutation's code above.
			if raceDetector {
				return
			}
			sem := make(chan struct{}, crossCheckers)
			var wg sync.WaitGroup
			for other, c := range cases {
				if other == m || m == standin.SkipAuth || slices.Contains(wider[m], other) {
					continue
				}
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					t.Run(other.String(), func(t *testing.T) {
						srv := mutationServer(standin.WithMutation(m))
						defer srv.Close()
						if !c(t, srv, fetchToken(t, srv)) {
							t.Errorf("mutation %v also broke the rule of %v", m, other)
						}
					})
				})
			}
			wg.Wait()
		})
	}
}

// crossCheckers is how many scenarios of other rules run at once against one mutation.
const crossCheckers = 6

// withAuthorization sends a request without a body with the Authorization header given, and returns
// the answer's status.
func withAuthorization(t *testing.T, s *Server, authorization, method, path string) int {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// withHeaders sends a request with the given headers (and body, when not empty) and returns the
// answer's status.
func withHeaders(t *testing.T, s *Server, method, path string, headers map[string]string, body string) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// tokenForm posts form to the token endpoint as is and returns the answer's status.
func tokenForm(t *testing.T, s *Server, form url.Values) int {
	t.Helper()
	return tokenFormAs(t, s, form, "application/x-www-form-urlencoded")
}

// tokenFormAs posts form to the token endpoint with Content-Type ct and returns the answer's status.
func tokenFormAs(t *testing.T, s *Server, form url.Values, ct string) int {
	t.Helper()
	req, err := http.NewRequest("POST", s.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// tokenStatus asks the token endpoint for a token of scope with client id and secret, in the form
// body or with HTTP Basic, and returns the answer's status.
func tokenStatus(t *testing.T, s *Server, id, secret string, basic bool, scope string) int {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequest("POST", s.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := httpFor(t, s).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// holdsAtOnce runs a scenario of requests sent at once for several rounds and reports whether its
// rule held in every round: a mutation that breaks the rule only when the requests meet inside the
// server shows in some round even on a loaded machine, and a server that keeps the rule holds it in
// all of them.
func holdsAtOnce(round func(n int) bool) bool {
	for n := range 5 {
		if !round(n) {
			return false
		}
	}
	return true
}

// twoAtOnce sends two requests at once, each made by send, and returns their statuses.
func twoAtOnce(send func() int) []int {
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() { statuses[i] = send() })
	}
	wg.Wait()
	return statuses
}

// jobNamed returns the name of the job GET /Job/{name} answers with, or "" when it answers no job.
func jobNamed(t *testing.T, s *Server, tok, name string) string {
	t.Helper()
	r := do(t, s, tok, "GET", "/Job/"+url.PathEscape(name), nil)
	var j struct{ Name string }
	if r.status != 200 || json.Unmarshal(r.body, &j) != nil {
		return ""
	}
	return j.Name
}

// jobNames lists the jobs with the query q and returns their names in list order.
func jobNames(t *testing.T, s *Server, tok, q string) []string {
	t.Helper()
	r := do(t, s, tok, "GET", "/Job?"+q, nil)
	var refs []struct{ Name string }
	if err := json.Unmarshal(r.body, &refs); err != nil {
		t.Fatalf("GET /Job?%s: %d %s", q, r.status, r.body)
	}
	names := []string{}
	for _, x := range refs {
		names = append(names, x.Name)
	}
	return names
}

// jobCopies completes dataset ds with the count it holds, runs an Echo job on it and reports whether
// the job's output holds the records ds reads back, in order.
func jobCopies(t *testing.T, s *Server, tok, ds string) bool {
	t.Helper()
	d, _ := s.DatasetInfo(ds)
	wantStatus(t, complete(t, s, tok, ds, int(d.RecordCount)), 200)
	in, _ := s.Records(ds)
	wantStatus(t, startJob(t, s, tok, "copy", "Echo", ds), 200)
	out, _ := s.Records(finishedJob(t, s, "copy"))
	return reflect.DeepEqual(out, in)
}
