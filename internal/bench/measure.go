package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/gen"
)

// sample is what one measured run did.
type sample struct {
	elapsed  time.Duration
	records  int64
	bytes    int64  // request-body (or encoded-body) bytes
	written  int64  // bytes this process passed to write and send system calls (-1: unknown)
	mallocs  uint64 // heap allocations made by this process during the run
	peakHeap uint64 // highest heap in use seen during the run, bytes
}

// measure runs fn once, timing it, counting this process's allocations and sampling its heap in use
// (heap objects plus the unused part of in-use spans, as MemStats.HeapInuse) every few milliseconds.
// The garbage of earlier runs is collected first.
func measure(fn func() (records, bytes int64, err error)) (sample, error) {
	runtime.GC()
	hs := startHeapSampler(2 * time.Millisecond)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w0 := writtenBytes()
	start := time.Now()
	recs, n, err := fn()
	el := time.Since(start)
	w1 := writtenBytes()
	runtime.ReadMemStats(&after)
	peak := hs.stop()
	written := int64(-1)
	if w0 >= 0 && w1 >= 0 {
		written = w1 - w0
	}
	return sample{elapsed: el, records: recs, bytes: n, written: written, mallocs: after.Mallocs - before.Mallocs, peakHeap: peak}, err
}

// writtenBytes returns the bytes this process has passed to write and send system calls (wchar in
// /proc/self/io), or -1 when it cannot tell. During an upload the process writes nothing but its
// requests, so the difference over the upload is the HTTP requests' bytes on the wire, headers
// included (TCP/IP framing excluded).
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "wchar:"); ok {
			v, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
			if err != nil {
				return -1
			}
			return v
		}
	}
	return -1
}

// heapSampler records the highest heap in use seen by a goroutine polling runtime/metrics.
type heapSampler struct {
	done chan struct{}
	peak chan uint64
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{done: make(chan struct{}), peak: make(chan uint64, 1)}
	ready := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		var peak uint64
		read := func() {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64()+s[1].Value.Uint64())
		}
		t := time.NewTicker(every)
		defer t.Stop()
		read()
		close(ready)
		for {
			select {
			case <-t.C:
				read()
			case <-h.done:
				read()
				h.peak <- peak
				return
			}
		}
	}()
	<-ready
	return h
}

func (h *heapSampler) stop() uint64 {
	close(h.done)
	return <-h.peak
}

// oneCore runs fn with GOMAXPROCS=1, so that the garbage collector shares the one core too.
func oneCore(fn func() (int64, int64, error)) func() (int64, int64, error) {
	return func() (int64, int64, error) {
		prev := runtime.GOMAXPROCS(1)
		defer runtime.GOMAXPROCS(prev)
		return fn()
	}
}

// encodeBodies reads the CSV file at path with the client's CSVSource and frames its records into
// block bodies of 1,000 as client.Upload does (one reused buffer, no HTTP), returning the records and
// body bytes.
func encodeBodies(path string) (records, n int64, err error) {
	src, f, err := openCSV(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var body []byte
	for num := 0; ; num++ {
		body = append(body[:0], `{"blockNumber":`...)
		body = strconv.AppendInt(body, int64(num), 10)
		body = append(body, `,"records":[`...)
		k, eof := 0, false
		for ; k < client.MaxBlockSize; k++ {
			mark := len(body)
			if k > 0 {
				body = append(body, ',')
			}
			if body, err = src.Next(body); err == io.EOF {
				body, eof = body[:mark], true
				break
			} else if err != nil {
				return records, n, err
			}
		}
		body = append(body, ']', '}')
		if k > 0 {
			records += int64(k)
			n += int64(len(body))
		}
		if eof {
			return records, n, nil
		}
	}
}

// naiveRecords reads the CSV file at path as a user of the generated client alone would (encoding/csv,
// one map[string]any per record) and hands each block of 1,000 to send.
func naiveRecords(path string, send func(gen.RecordBlock) error) (records int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	hdr, err := r.Read()
	if err != nil {
		return 0, err
	}
	var recs []gen.Record
	num := int32(0)
	flush := func() error {
		if err := send(gen.RecordBlock{BlockNumber: num, Records: recs}); err != nil {
			return err
		}
		num++
		recs = nil
		return nil
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return records, err
		}
		rec := make(gen.Record, len(hdr))
		for i, h := range hdr {
			rec[h] = row[i]
		}
		recs = append(recs, rec)
		records++
		if len(recs) == client.MaxBlockSize {
			if err := flush(); err != nil {
				return records, err
			}
		}
	}
	if len(recs) > 0 {
		return records, flush()
	}
	return records, nil
}

// baselineEncode is the encoding baseline: naiveRecords with encoding/json.Marshal of each block.
func baselineEncode(path string) (records, n int64, err error) {
	records, err = naiveRecords(path, func(b gen.RecordBlock) error {
		body, err := json.Marshal(b)
		n += int64(len(body))
		return err
	})
	return records, n, err
}

// countingTransport counts the request-body bytes of the PATCH requests it carries.
type countingTransport struct {
	base  *http.Transport
	bytes atomic.Int64
}

// RoundTrip sends req through the base transport.
func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch {
		t.bytes.Add(req.ContentLength)
	}
	return t.base.RoundTrip(req)
}

// naiveUpload uploads the CSV file at path into dataset with the generated client alone: a
// gen.RecordBlock of maps per call (encoded by the generated code with encoding/json), one block after
// the other, through an OAuth2 client-credentials http.Client.
func naiveUpload(ctx context.Context, sb *sandbox, dataset, path string) (sample, error) {
	ct := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	defer ct.base.CloseIdleConnections()
	cc := clientcredentials.Config{ClientID: sb.env["DATA8_CLIENT_ID"], ClientSecret: sb.env["DATA8_CLIENT_SECRET"],
		TokenURL: sb.tokenURL(), Scopes: []string{client.DefaultScope}}
	hc := cc.Client(context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: ct}))
	gc, err := gen.NewClientWithResponses(sb.baseURL(), gen.WithHTTPClient(hc))
	if err != nil {
		return sample{}, err
	}
	// The token and the first connection, outside the timing (as for ours).
	if resp, err := gc.DatasetGetByNameWithResponse(ctx, dataset); err != nil || resp.StatusCode() != http.StatusOK {
		return sample{}, fmt.Errorf("naive: reading dataset: %v %v", err, resp)
	}
	return measure(func() (int64, int64, error) {
		recs, err := naiveRecords(path, func(b gen.RecordBlock) error {
			resp, err := gc.DatasetUploadBlockWithResponse(ctx, dataset, b)
			if err != nil {
				return err
			}
			if resp.StatusCode() != http.StatusOK {
				return fmt.Errorf("naive: block %d: %s: %s", b.BlockNumber, resp.Status(), resp.Body)
			}
			return nil
		})
		return recs, ct.bytes.Load(), err
	})
}

// oursUpload uploads the CSV file at path into dataset with client.Upload and a CSVSource, at the
// client's default settings apart from concurrency (0: the default).
func oursUpload(ctx context.Context, sb *sandbox, dataset, path string, concurrency int) (sample, error) {
	c, err := sb.client()
	if err != nil {
		return sample{}, err
	}
	defer c.Close()
	// The token and the first connection, outside the timing.
	if _, err := c.GetDataset(ctx, dataset); err != nil {
		return sample{}, err
	}
	return measure(func() (int64, int64, error) {
		src, f, err := openCSV(path)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		res, err := c.Upload(ctx, dataset, src, client.UploadOptions{Concurrency: concurrency})
		if res == nil {
			return 0, 0, err
		}
		return res.Records, res.Bytes, err
	})
}

// ingestBlocks is the number of distinct pre-encoded blocks the ingest measurement sends in turn.
const ingestBlocks = 64

// rawIngest sends blocks pre-encoded blocks of 1,000 records of the file at path (blocks 0 to 63 in
// turn, overwriting) to the sandbox from workers goroutines, with a plain http.Client: how fast the
// sandbox ingests when the client costs next to nothing.
func rawIngest(ctx context.Context, sb *sandbox, dataset, path string, blocks, workers int) (sample, error) {
	bodies, err := firstBodies(path, ingestBlocks)
	if err != nil {
		return sample{}, err
	}
	cc := clientcredentials.Config{ClientID: sb.env["DATA8_CLIENT_ID"], ClientSecret: sb.env["DATA8_CLIENT_SECRET"],
		TokenURL: sb.tokenURL(), Scopes: []string{client.DefaultScope}}
	tok, err := cc.Token(ctx)
	if err != nil {
		return sample{}, err
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * workers}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	url := sb.baseURL() + "/Dataset/" + dataset + "/data"
	return measure(func() (int64, int64, error) {
		var next, sent atomic.Int64
		var wg sync.WaitGroup
		var once sync.Once
		var failure error
		for range workers {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(blocks) {
						return
					}
					body := bodies[i%int64(len(bodies))]
					req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, url, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
					resp, err := hc.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("ingest: status %s", resp.Status)
						}
					}
					if err != nil {
						once.Do(func() { failure = err })
						next.Store(int64(blocks))
						return
					}
					sent.Add(int64(len(body)))
				}
			})
		}
		wg.Wait()
		return int64(blocks) * client.MaxBlockSize, sent.Load(), failure
	})
}

// firstBodies encodes the first n blocks of the file at path, numbered from 0, each full.
func firstBodies(path string, n int) ([][]byte, error) {
	bodies, records, err := encodeBlocks(path, n)
	if err == nil && records < n*client.MaxBlockSize {
		err = io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("ingest needs %d records: %w", n*client.MaxBlockSize, err)
	}
	return bodies, nil
}
