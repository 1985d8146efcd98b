package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/procmem"
)

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// benchAPI talks to a bench server: the benchmark's setup calls and the reference clients.
type benchAPI struct {
	base, tokenURL string
	id, secret     string
	hc             *http.Client
	token          string
}

func newBenchAPI(ctx context.Context, p *serverProc) (*benchAPI, error) {
	a := &benchAPI{base: p.base, tokenURL: p.base + "/connect/token", id: p.cfg.ClientID, secret: p.cfg.Secret,
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.id}, "client_secret": {a.secret}, "scope": {client.DefaultScope}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := a.roundTrip(req, &tok); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	a.token = tok.AccessToken
	return a, nil
}

func (a *benchAPI) close() { a.hc.CloseIdleConnections() }

// env is the environment that points the CLI at the server.
func (a *benchAPI) env() map[string]string {
	return map[string]string{"DATA8_BASE_URL": a.base, "DATA8_TOKEN_URL": a.tokenURL, "DATA8_CLIENT_ID": a.id, "DATA8_CLIENT_SECRET": a.secret}
}

// roundTrip sends req and decodes a 2xx answer's JSON into v (when not nil).
func (a *benchAPI) roundTrip(req *http.Request, v any) error {
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, body)
	}
	if v != nil {
		return json.Unmarshal(body, v)
	}
	return nil
}

// call sends an authorised API (or /_bench/) request.
func (a *benchAPI) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return a.roundTrip(req, out)
}

func (a *benchAPI) createDataset(ctx context.Context, name string) error {
	cols := map[string]int{}
	for _, c := range columns() {
		cols[c] = 0
	}
	return a.call(ctx, http.MethodPost, "/Dataset", map[string]any{"name": name, "columns": cols}, nil)
}

func (a *benchAPI) recordCount(ctx context.Context, name string) (int64, error) {
	var d struct {
		RecordCount int64 `json:"recordCount"`
	}
	err := a.call(ctx, http.MethodGet, "/Dataset/"+name, nil, &d)
	return d.RecordCount, err
}

func (a *benchAPI) complete(ctx context.Context, name string, n int64) error {
	return a.call(ctx, http.MethodPut, "/Dataset/"+name, map[string]any{"recordCount": n, "completed": true}, nil)
}

// drop removes every dataset and job of the server but the datasets named in keep.
func (a *benchAPI) drop(ctx context.Context, keep ...string) error {
	return a.call(ctx, http.MethodPost, "/_bench/drop?keep="+url.QueryEscape(strings.Join(keep, ",")), nil, nil)
}

func (a *benchAPI) stats(ctx context.Context) (serverStats, error) {
	var s serverStats
	err := a.call(ctx, http.MethodGet, "/_bench/stats", nil, &s)
	return s, err
}

// preEncode reads the CSV file at path with the client's CSVSource and returns its block bodies, 1,000
// records each, numbered from 0: what the reference upload sends.
func preEncode(path string) ([][]byte, error) {
	bodies, _, err := encodeBlocks(path, -1)
	return bodies, err
}

// encodeBlocks reads the CSV file at path with the client's CSVSource and returns its first limit block
// bodies (every block when limit is negative), 1,000 records each but the last, numbered from 0, and
// the number of records they hold.
func encodeBlocks(path string, limit int) (bodies [][]byte, records int, err error) {
	src, f, err := openCSV(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	for num := 0; limit < 0 || num < limit; num++ {
		body := strconv.AppendInt([]byte(`{"blockNumber":`), int64(num), 10)
		body = append(body, `,"records":[`...)
		k := 0
		for ; k < client.MaxBlockSize; k++ {
			mark := len(body)
			if k > 0 {
				body = append(body, ',')
			}
			if body, err = src.Next(body); err == io.EOF {
				body = body[:mark]
				break
			} else if err != nil {
				return nil, 0, err
			}
		}
		if k == 0 {
			break
		}
		bodies = append(bodies, append(body, ']', '}'))
		records += k
		if k < client.MaxBlockSize {
			break
		}
	}
	return bodies, records, nil
}

// openCSV opens the CSV file at path as the client's CSVSource; the caller closes f.
func openCSV(path string) (src *client.CSVSource, f *os.File, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if src, err = client.NewCSVSource(f); err != nil {
		f.Close()
		return nil, nil, err
	}
	return src, f, nil
}

// refSample is what one run of a reference client did.
type refSample struct {
	elapsed   time.Duration
	cpu       float64 // this process's CPU seconds during the run (NaN: unknown)
	throttled int64   // answers of 429 it waited out
}

// refUpload is the reference upload: the pre-encoded bodies PATCHed from conc goroutines, answers
// discarded.
func (a *benchAPI) refUpload(ctx context.Context, dataset string, bodies [][]byte, conc int) (refSample, error) {
	u := a.base + "/Dataset/" + dataset + "/data"
	return a.parallel(ctx, len(bodies), conc, func(i int) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPatch, u, bytes.NewReader(bodies[i]))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	})
}

// refDownload is the reference download: every page of a dataset of n records fetched from conc
// goroutines, its bytes discarded.
func (a *benchAPI) refDownload(ctx context.Context, dataset string, n, conc int) (refSample, error) {
	u := a.base + "/Dataset/" + dataset + "/data?page="
	pages := (n + client.MaxBlockSize - 1) / client.MaxBlockSize
	return a.parallel(ctx, pages, conc, func(i int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, u+strconv.Itoa(i+1), nil)
	})
}

// parallel sends the requests 0 to count-1 made by mk from conc goroutines, each taking the next
// one, discarding the answers. A 429 is waited out (Retry-After seconds) and sent again, and counted.
func (a *benchAPI) parallel(ctx context.Context, count, conc int, mk func(int) (*http.Request, error)) (refSample, error) {
	var next, throttled atomic.Int64
	var once sync.Once
	var failure error
	fail := func(err error) {
		once.Do(func() { failure = err })
		next.Store(int64(count))
	}
	cpu0, cpuOK := selfCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				for {
					req, err := mk(i)
					if err != nil {
						fail(err)
						return
					}
					req.Header.Set("Authorization", "Bearer "+a.token)
					resp, err := a.hc.Do(req)
					if err != nil {
						fail(err)
						return
					}
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil {
						fail(err)
						return
					}
					if resp.StatusCode == http.StatusTooManyRequests {
						throttled.Add(1)
						secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
						select {
						case <-time.After(time.Duration(max(secs, 0)) * time.Second):
							continue
						case <-ctx.Done():
							fail(ctx.Err())
							return
						}
					}
					if resp.StatusCode != http.StatusOK {
						fail(fmt.Errorf("%s %s: %s", req.Method, req.URL.RequestURI(), resp.Status))
						return
					}
					break
				}
			}
		})
	}
	wg.Wait()
	s := refSample{elapsed: time.Since(start), cpu: math.NaN(), throttled: throttled.Load()}
	if cpu1, ok := selfCPU(); ok && cpuOK {
		s.cpu = (cpu1 - cpu0).Seconds()
	}
	return s, failure
}

// cliSample is what one run of the CLI did.
type cliSample struct {
	elapsed time.Duration
	cpu     float64 // user + system CPU seconds of the child, from its rusage
	peak    int64   // peak RSS (VmHWM) in bytes; 0 when it could not be read
	err     error   // exit status, or a wrong result
	last    string  // the last line of its standard error (of its standard output when that is empty)
	said    string  // the last line of its standard error that starts "data8 " (its error), if not last
}

// runCLI runs cmd, sampling its peak RSS, and returns what it did; a failure is in the sample, not
// an error, so that the benchmark carries on.
func runCLI(cmd *exec.Cmd) cliSample {
	stdout, stderr := &tail{}, &tail{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	peak, err := procmem.RunPeak(cmd, 5*time.Millisecond)
	s := cliSample{elapsed: time.Since(start), peak: peak, err: err, cpu: math.NaN()}
	if ps := cmd.ProcessState; ps != nil {
		s.cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	s.last = stderr.lastLine("")
	if s.last == "" {
		s.last = stdout.lastLine("")
	}
	if said := stderr.lastLine("data8 "); said != s.last {
		s.said = said
	}
	return s
}

// tail keeps the last 4 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4096:]...)
	}
	return len(p), nil
}

// lastLine returns the last line that is not blank and starts with prefix, as last drawn (progress
// bars redraw a line after a carriage return); "" when there is none.
func (t *tail) lastLine(prefix string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(string(t.buf), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimRight(lines[i], "\r \t")
		if k := strings.LastIndexByte(l, '\r'); k >= 0 {
			l = l[k+1:]
		}
		if l = strings.TrimSpace(l); l != "" && strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// countLines counts the newlines in the file at path.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// envCommand returns a data8 command with the environment env (and nothing from the caller's DATA8_
// variables).
func envCommand(env map[string]string, data8 string, args ...string) *exec.Cmd {
	cmd := exec.Command(data8, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATA8_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// hasFlag reports whether `data8 ARGS... --help` lists flag (for example "--concurrency").
func hasFlag(data8 string, flag string, args ...string) bool {
	out, _ := exec.Command(data8, append(args, "--help")...).CombinedOutput()
	for line := range strings.Lines(string(out)) {
		if f, _, _ := strings.Cut(strings.TrimSpace(line), " "); f == flag {
			return true
		}
	}
	return false
}
