package soak

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// Soak parameters: 200,000 records, 20% of API requests failing with each of soakFaultKinds,
// tokens expiring every second, five fixed seeds.
const (
	soakRecords     = 200_000
	soakFaultRate   = 0.20
	soakTokenLife   = time.Second
	soakRetryAfter  = time.Second // the Retry-After of injected 429s
	soakConcurrency = 8
	// soakLatency is added to every API request so that each seed's upload outlives several tokens
	// (about 1.5 s a seed): tokens expire, and are revoked, while blocks are in flight.
	soakLatency = 40 * time.Millisecond
)

var soakSeeds = []int64{1, 2, 3, 4, 5}

// soakFaultKinds are the kinds the soak draws from, named so that its seeds keep their faults as
// data8test gains kinds: the five listed here.
var soakFaultKinds = []data8test.FaultKind{
	data8test.Fault500, data8test.Fault503, data8test.Fault429, data8test.FaultDrop, data8test.FaultStored503,
}

// soakPolicy is the retry policy of the soak: the client's own logic, with delays that fit a CI
// budget. Delays are chosen as usual (full jitter, Retry-After honoured) and recorded by the
// sleeper, which waits only a fiftieth of each (at most 20 ms). MaxAttempts is raised from 5 because
// with 20% of requests failing independently, 0.2⁵ = 1 in 3,125 calls would give up, about one per
// run of 1,000 blocks; 0.2¹⁰ is about 1 in 10 million. The retry budget keeps its default.
func soakPolicy(s *sleeper) client.RetryPolicy {
	return client.RetryPolicy{
		MaxAttempts: 10,
		BaseDelay:   2 * time.Millisecond,
		MaxDelay:    50 * time.Millisecond,
		Sleep:       s.sleep,
	}
}

// soakResult is what one seed's run survived.
type soakResult struct {
	seed      int64
	faults    map[data8test.FaultKind]int
	api, tok  map[string]int // answers the client received, by status ("transport error" for none)
	tokens    int            // tokens issued
	uploads   int            // block upload requests the server received
	creates   int            // CreateDataset calls the test made
	retryWait int            // delays of exactly Retry-After the client chose
	sleeps    int            // retry delays the client chose in all
	wall      time.Duration
}

// TestFaultSoak uploads 200,000 records through client.Upload to data8test with 20% of API requests
// failing — 500, 503, 429 with Retry-After, a dropped connection, and "block stored, then 503", drawn
// by a seeded generator — while every access token expires a second after it is issued. After
// CompleteDataset it compares the dataset with the input record by record and prints the faults
// survived. Five fixed seeds, one after the other.
func TestFaultSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: 1,000,000 records in all")
	}
	in := makeInput(soakRecords)
	var results []soakResult
	start := time.Now()
	for _, seed := range soakSeeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := soakOnce(t, in, seed)
			results = append(results, r)
			t.Logf("seed %d: %d records in %v; faults survived: %s; client saw: API %s, token endpoint %s; %d tokens issued; %d block requests for %d blocks; CreateDataset called %d times; retry delays chosen: %d (%d of them the 429s' Retry-After of %v)",
				seed, soakRecords, r.wall.Round(time.Millisecond), faultSummary(r.faults), countSummary(r.api), countSummary(r.tok),
				r.tokens, r.uploads, soakRecords/client.MaxBlockSize, r.creates, r.sleeps, r.retryWait, soakRetryAfter)
		})
	}
	if len(results) == 0 {
		return
	}
	// The summary: one line per seed, then the totals.
	total := map[data8test.FaultKind]int{}
	total401 := 0
	var lines []string
	for _, r := range results {
		for k, v := range r.faults {
			total[k] += v
		}
		total401 += r.api["401"]
		lines = append(lines, fmt.Sprintf("soak: seed %d: faults survived %s, expired-token 401=%d, %d tokens issued, %d block requests; %v",
			r.seed, faultSummary(r.faults), r.api["401"], r.tokens, r.uploads, r.wall.Round(time.Millisecond)))
	}
	lines = append(lines, fmt.Sprintf("soak: %d seeds × %d records, %.0f%% of API requests failing, tokens expiring every %v: faults survived %s, expired-token 401=%d, in %v",
		len(results), soakRecords, soakFaultRate*100, soakTokenLife, faultSummary(total), total401, time.Since(start).Round(time.Millisecond)))
	for _, l := range lines {
		t.Log(l)
		fmt.Println(l)
	}
	if total401 == 0 {
		t.Error("no request was refused with 401: token revocation was not tried")
	}
}

func soakOnce(t *testing.T, in *input, seed int64) soakResult {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	begin := time.Now()
	srv := data8test.NewServer(
		data8test.WithFaultRate(soakFaultRate, seed, soakFaultKinds...),
		data8test.WithTokenLifetime(soakTokenLife),
		data8test.WithRetryAfter(soakRetryAfter),
		data8test.WithLatency(soakLatency),
	)
	defer srv.Close()

	// Every second, expire every token issued so far as well (data8test's ExpireTokens), so that
	// requests in flight are refused with 401 and the client must renew its token and retry. The
	// transport holds a revocation back while a call's retry after a 401 is in flight (see
	// countingTransport).
	tr := newCountingTransport()
	defer tr.base.CloseIdleConnections()
	tr.revokeFunc = srv.ExpireTokens
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(soakTokenLife)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				tr.revoke()
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	sl := newSleeper(20 * time.Millisecond)
	c := srv.Client(
		client.WithHTTPClient(&http.Client{Transport: tr, Timeout: time.Minute}),
		client.WithRetryPolicy(soakPolicy(sl)),
	)
	defer c.Close()

	name := fmt.Sprintf("soak_seed_%d", seed)
	creates := createDataset(t, c, name)

	var progress progressCheck
	res, err := c.Upload(t.Context(), name, in.source(), client.UploadOptions{
		Concurrency: soakConcurrency,
		Columns:     columnNames,
		Progress:    progress.check(t),
	})
	if err != nil {
		t.Fatalf("Upload: %v (result %+v; faults so far %s)", err, res, faultSummary(srv.FaultCounts()))
	}
	blocks := soakRecords / client.MaxBlockSize
	if res.Records != soakRecords || res.Blocks != int64(blocks) || res.FirstBlock != 0 || res.LastBlock != blocks-1 || res.Checkpoint != blocks || res.SkippedRecords != 0 {
		t.Errorf("Upload result %+v, want %d records in blocks 0..%d, checkpoint %d", res, soakRecords, blocks-1, blocks)
	}
	if last := progress.last(); last.Checkpoint != blocks || last.Records != soakRecords || last.TotalRecords != soakRecords {
		t.Errorf("last progress %+v, want checkpoint %d and %d records", last, blocks, soakRecords)
	}
	ds, err := c.CompleteDataset(t.Context(), name, res.Records)
	if err != nil {
		t.Fatalf("CompleteDataset: %v", err)
	}
	if ds.RecordCount != soakRecords || !ds.Completed {
		t.Errorf("CompleteDataset answered recordCount %d, completed %v; want %d, true", ds.RecordCount, ds.Completed, soakRecords)
	}
	checkDataset(t, srv, name, in, true)
	if nums, _ := srv.BlockNumbers(name); len(nums) != blocks || nums[0] != 0 || int(nums[len(nums)-1]) != blocks-1 {
		t.Errorf("the server holds %d blocks, want 0..%d", len(nums), blocks-1)
	}

	if n := srv.TokenCount(); n < 2 {
		t.Errorf("%d tokens issued: the upload did not outlive its first token, so expiry was not tried", n)
	} else if up := srv.RequestCounts()[opid.DatasetUploadBlock]; n*4 > up {
		t.Errorf("%d tokens issued for %d block uploads: the client does not reuse its token", n, up)
	}

	faults := srv.FaultCounts()
	for _, k := range soakFaultKinds {
		if faults[k] == 0 {
			t.Errorf("no fault of kind %v was injected: the soak did not try it", k)
		}
	}
	retryWait, sleeps := sl.count(soakRetryAfter)
	if retryWait != faults[data8test.Fault429] {
		t.Errorf("the client waited Retry-After (%v) %d times for %d injected 429s", soakRetryAfter, retryWait, faults[data8test.Fault429])
	}
	api, tok := tr.counts()
	return soakResult{
		seed: seed, faults: faults, api: api, tok: tok, tokens: srv.TokenCount(),
		uploads: srv.RequestCounts()[opid.DatasetUploadBlock], creates: creates,
		retryWait: retryWait, sleeps: sleeps, wall: time.Since(begin),
	}
}

// progressCheck checks the Progress calls of an upload: one at a time, never going backwards, the
// checkpoint never past the blocks acknowledged.
type progressCheck struct {
	mu    sync.Mutex
	busy  bool
	prev  client.UploadProgress
	calls int
}

func (p *progressCheck) check(t *testing.T) func(client.UploadProgress) {
	return func(u client.UploadProgress) {
		p.mu.Lock()
		if p.busy {
			t.Error("Progress called while a call is running")
		}
		p.busy = true
		prev := p.prev
		p.mu.Unlock()
		if u.Blocks < prev.Blocks || u.Records < prev.Records || u.Bytes < prev.Bytes || u.Checkpoint < prev.Checkpoint || int64(u.Checkpoint) > u.Blocks {
			t.Errorf("progress went wrong: %+v after %+v", u, prev)
		}
		p.mu.Lock()
		p.prev, p.busy = u, false
		p.calls++
		p.mu.Unlock()
	}
}

func (p *progressCheck) last() client.UploadProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.prev
}

// faultSummary formats fault counts as "500=n 503=n ... (total n)".
func faultSummary(m map[data8test.FaultKind]int) string {
	var b strings.Builder
	total := 0
	for _, k := range soakFaultKinds {
		fmt.Fprintf(&b, "%v=%d ", k, m[k])
		total += m[k]
	}
	fmt.Fprintf(&b, "(total %d)", total)
	return b.String()
}

// countSummary formats answer counts in key order.
func countSummary(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}
