package data8test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/gen"
)

// benchColumns are the six text columns of the ingest benchmark.
var benchColumns = []string{"firstname", "lastname", "email", "address", "town", "postcode"}

// benchBlock encodes one block of 1,000 six-column records, as an uploader would send it.
func benchBlock(num int) []byte {
	recs := make([]map[string]any, maxBlockRecords)
	for i := range recs {
		n := num*maxBlockRecords + i
		recs[i] = map[string]any{
			"firstname": fmt.Sprintf("Firstname%d", n),
			"lastname":  fmt.Sprintf("Lastname%d", n),
			"email":     fmt.Sprintf("person%d@example.com", n),
			"address":   fmt.Sprintf("%d High Street", n%500+1),
			"town":      "Chester",
			"postcode":  "CH1 1AA",
		}
	}
	b, err := json.Marshal(map[string]any{"blockNumber": num, "records": recs})
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkIngest uploads blocks of 1,000 six-column records over loopback HTTP with 8 concurrent
// uploaders (WithValidation off, no latency) and reports records per second: how fast the server ingests, so a
// client benchmark can tell it is not the bottleneck. "fast" is the hand-written upload path the server
// uses; "strict" serves uploads through the generated strict handler (decoding each block into
// []map[string]any) with the spec check in front that it needs to enforce the same rules: what the
// server would cost without the hand-written path.
//
//	go test -run '^$' -bench 'Ingest|Scan' -benchtime 3s -count 5 ./data8test/
func BenchmarkIngest(b *testing.B) {
	for _, mode := range []struct {
		name   string
		strict bool
	}{{"fast", false}, {"strict", true}} {
		b.Run(mode.name, func(b *testing.B) {
			s := NewServer(set(func(c *config) { c.strictUpload = mode.strict }))
			defer s.Close()
			tok := benchToken(b, s)
			cols := gen.Columns{}
			for _, c := range benchColumns {
				cols[c] = 0
			}
			body, _ := json.Marshal(gen.NewDataset{Name: "bench", Columns: cols})
			req, _ := http.NewRequest("POST", s.URL+"/Dataset", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("create: %v %v", err, resp)
			}
			resp.Body.Close()

			const distinct = 64
			blocks := make([][]byte, distinct)
			for i := range blocks {
				blocks[i] = benchBlock(i)
			}
			tr := &http.Transport{MaxIdleConnsPerHost: 16}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			url := s.URL + "/Dataset/bench/data"
			var next atomic.Int64
			var bytesSent atomic.Int64
			const workers = 8
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						blk := blocks[i%distinct]
						req, _ := http.NewRequest("PATCH", url, bytes.NewReader(blk))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+tok)
						resp, err := hc.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
						bytesSent.Add(int64(len(blk)))
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*maxBlockRecords)/el.Seconds(), "records/s")
			b.ReportMetric(float64(bytesSent.Load())/el.Seconds()/1e6, "MB/s")
		})
	}
}

// BenchmarkScan measures the upload scanner alone on one block of 1,000 six-column records.
func BenchmarkScan(b *testing.B) {
	body := benchBlock(0)
	cols := map[string]int32{}
	for _, c := range benchColumns {
		cols[c] = 0
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		sc := blockScan{b: body, cols: cols}
		if err := sc.parse(); err != nil || len(sc.errs) > 0 || len(sc.recs) != maxBlockRecords {
			b.Fatal(err, sc.errs)
		}
	}
	b.ReportMetric(float64(b.N*maxBlockRecords)/b.Elapsed().Seconds(), "records/s")
}

// benchToken fetches a token for a benchmark.
func benchToken(b *testing.B, s *Server) string {
	resp, err := http.PostForm(s.TokenURL, map[string][]string{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.ClientSecret}})
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		b.Fatal(err)
	}
	return tok.AccessToken
}
