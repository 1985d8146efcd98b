package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// serveEnv, set in the environment of a copy of this program, makes it run a bench server (see
// serveMain) configured by the variable's value, a JSON serveConfig.
const serveEnv = "DATA8_BENCH_SERVE"

// serveConfig configures a bench server.
type serveConfig struct {
	Latency    time.Duration `json:"latency"`    // added to every API and token request
	Limit      int           `json:"limit"`      // API requests in flight at most (0: no limit); the rest get 429
	RetryAfter string        `json:"retryAfter"` // the 429's Retry-After ("": 1)
	Job        time.Duration `json:"job"`        // how long a job takes
	ClientID   string        `json:"clientId"`   // the one client credential the token endpoint accepts
	Secret     string        `json:"secret"`
}

// apiServer is the benchmark's own server: the endpoints the CLI's upload, download and run use,
// each answered after cfg.Latency, storing records as the bytes they were sent in so that it does as
// little work per record as a server can (uploaded blocks are scanned, not decoded; pages are cut from
// them once and served as they are). It is independent of the project's data8test stand-in.
//
// With cfg.Limit > 0 it allows that many API requests in flight and answers the rest, after the
// latency, with 429 and Retry-After: 1 (or cfg.RetryAfter). The whole exchange counts: receiving the
// body, the latency, the work and writing the answer out, a large page included, until it has been
// flushed to the connection. The token endpoint is not limited (Data8's is another host). It also
// counts, for the requests it lets through, the time each spends in flight (so the average number
// in flight over a measurement) and the number in flight each meets.
//
// Paths under /_bench/ are the benchmark's own: the process's CPU time and request counts
// (GET /_bench/stats) and dropping datasets and jobs (POST /_bench/drop?keep=a,b), with no latency,
// limit or token.
type apiServer struct {
	cfg   serveConfig
	token string
	slots chan struct{} // nil without a limit
	hold  func()        // tests: called while a request holds its slot, before it is answered

	requests, throttled   atomic.Int64
	admitted, inflightSum atomic.Int64 // requests let through by the limit; the sum of the number in flight each met
	busy                  atomic.Int64 // the nanoseconds they spent in flight, added up

	mu       sync.Mutex
	datasets map[string]*storedDataset
	jobs     map[string]*job
}

func newAPIServer(cfg serveConfig) *apiServer {
	s := &apiServer{cfg: cfg, token: randomHex(16), datasets: map[string]*storedDataset{}, jobs: map[string]*job{}}
	if cfg.Limit > 0 {
		s.slots = make(chan struct{}, cfg.Limit)
	}
	return s
}

// reply is an answer, written once the request has left its slot.
type reply struct {
	status int
	body   []byte
	header [][2]string
}

func jsonReply(v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return problem(http.StatusInternalServerError, err.Error())
	}
	return reply{status: http.StatusOK, body: b, header: [][2]string{{"Content-Type", "application/json"}}}
}

func problem(status int, detail string) reply {
	b, _ := json.Marshal(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
	return reply{status: status, body: b, header: [][2]string{{"Content-Type", "application/problem+json"}}}
}

func (rep reply) write(w http.ResponseWriter) {
	h := w.Header()
	for _, kv := range rep.header {
		h.Set(kv[0], kv[1])
	}
	h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	w.Write(rep.body)
}

// ServeHTTP answers a request.
func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_bench/"):
		s.private(r).write(w)
		return
	case r.URL.Path == "/connect/token":
		time.Sleep(s.cfg.Latency)
		s.tokenEndpoint(r).write(w)
		return
	}
	s.requests.Add(1)
	if s.slots != nil {
		select {
		case s.slots <- struct{}{}:
		default:
			s.throttled.Add(1)
			time.Sleep(s.cfg.Latency)
			rep := problem(http.StatusTooManyRequests, "too many requests in flight")
			rep.header = append(rep.header, [2]string{"Retry-After", cmp.Or(s.cfg.RetryAfter, "1")})
			rep.write(w)
			return
		}
		start := time.Now()
		s.admitted.Add(1)
		s.inflightSum.Add(int64(len(s.slots)))
		defer func() {
			s.busy.Add(int64(time.Since(start)))
			<-s.slots
		}()
	}
	rep := s.api(r)
	if s.hold != nil {
		s.hold()
	}
	rep.write(w)
	if s.slots != nil {
		_ = http.NewResponseController(w).Flush() // the answer is out before the slot is free
	}
}

func (s *apiServer) tokenEndpoint(r *http.Request) reply {
	if err := r.ParseForm(); err != nil {
		return problem(http.StatusBadRequest, err.Error())
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" || id != s.cfg.ClientID || secret != s.cfg.Secret {
		b, _ := json.Marshal(map[string]string{"error": "invalid_client"})
		return reply{status: http.StatusBadRequest, body: b, header: [][2]string{{"Content-Type", "application/json"}}}
	}
	return jsonReply(map[string]any{"access_token": s.token, "token_type": "Bearer", "expires_in": 3600})
}

// api answers an API request, after the latency.
func (s *apiServer) api(r *http.Request) reply {
	var body []byte
	if r.ContentLength > 0 {
		body = make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return problem(http.StatusBadRequest, "reading the body: "+err.Error())
		}
	} else if r.ContentLength < 0 {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return problem(http.StatusBadRequest, "reading the body: "+err.Error())
		}
	}
	time.Sleep(s.cfg.Latency)
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		rep := problem(http.StatusUnauthorized, "no valid bearer token")
		rep.header = append(rep.header, [2]string{"WWW-Authenticate", "Bearer"})
		return rep
	}
	path := r.URL.Path
	switch {
	case path == "/Dataset" && r.Method == http.MethodPost:
		return s.createDataset(body)
	case path == "/Job" && r.Method == http.MethodPost:
		return s.startJob(body)
	case strings.HasPrefix(path, "/Job/") && r.Method == http.MethodGet:
		s.mu.Lock()
		j := s.jobs[strings.TrimPrefix(path, "/Job/")]
		s.mu.Unlock()
		if j == nil {
			return problem(http.StatusNotFound, "no such job")
		}
		return jsonReply(j.view(time.Now()))
	case strings.HasPrefix(path, "/Dataset/"):
		name, sub, _ := strings.Cut(strings.TrimPrefix(path, "/Dataset/"), "/")
		s.mu.Lock()
		d := s.datasets[name]
		s.mu.Unlock()
		if d == nil {
			return problem(http.StatusNotFound, "the requested dataset does not exist")
		}
		switch {
		case sub == "" && r.Method == http.MethodGet:
			return jsonReply(d.view())
		case sub == "" && r.Method == http.MethodPut:
			return d.complete(body)
		case sub == "data" && r.Method == http.MethodPatch:
			return d.upload(body)
		case sub == "data" && r.Method == http.MethodGet:
			page := 1
			if q := r.URL.Query().Get("page"); q != "" {
				p, err := strconv.Atoi(q)
				if err != nil || p < 1 {
					return problem(http.StatusBadRequest, "page must be an integer from 1")
				}
				page = p
			}
			return reply{status: http.StatusOK, body: d.page(page), header: [][2]string{{"Content-Type", "application/json"}}}
		}
	}
	return problem(http.StatusNotFound, "no such endpoint in the bench server: "+r.Method+" "+path)
}

func (s *apiServer) createDataset(body []byte) reply {
	var nd struct {
		Name    string         `json:"name"`
		Columns map[string]int `json:"columns"`
	}
	if err := json.Unmarshal(body, &nd); err != nil || nd.Name == "" || len(nd.Columns) == 0 {
		return problem(http.StatusBadRequest, "want a name and columns")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.datasets[nd.Name] != nil {
		return problem(http.StatusBadRequest, "dataset "+nd.Name+" exists")
	}
	d := &storedDataset{name: nd.Name, columns: nd.Columns, input: true, blocks: map[int64]*scannedBlock{}}
	s.datasets[nd.Name] = d
	return jsonReply(d.view())
}

func (s *apiServer) startJob(body []byte) reply {
	var nj struct {
		Name          string            `json:"name"`
		WorkflowName  string            `json:"workflowName"`
		InputDatasets map[string]string `json:"inputDatasets"`
		Parameters    map[string]string `json:"parameters"`
	}
	nj.Parameters = map[string]string{}
	if err := json.Unmarshal(body, &nj); err != nil || nj.Name == "" || nj.WorkflowName == "" || len(nj.InputDatasets) != 1 {
		return problem(http.StatusBadRequest, "want a name, a workflow and one input dataset")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs[nj.Name] != nil {
		return problem(http.StatusBadRequest, "job "+nj.Name+" exists")
	}
	var in *storedDataset
	for _, name := range nj.InputDatasets {
		in = s.datasets[name]
	}
	if in == nil || !in.input || !in.isComplete() {
		return problem(http.StatusBadRequest, "the input dataset is unknown or not complete")
	}
	// The workflow echoes its input: the output dataset shares the input's blocks, which a complete
	// dataset no longer changes.
	out := &storedDataset{name: in.name + "_output", columns: in.columns, completed: true, blocks: in.blocks, count: in.count}
	s.datasets[out.name] = out
	j := &job{name: nj.Name, workflow: nj.WorkflowName, submitted: time.Now().UTC(), took: s.cfg.Job,
		inputs: nj.InputDatasets, outputs: map[string]string{"Output": out.name}, params: nj.Parameters, records: in.count}
	s.jobs[j.name] = j
	return jsonReply(j.view(j.submitted))
}

// private answers the benchmark's own requests.
func (s *apiServer) private(r *http.Request) reply {
	switch r.URL.Path {
	case "/_bench/stats":
		cpu, ok := selfCPU()
		if !ok {
			cpu = -time.Second
		}
		return jsonReply(serverStats{CPUSeconds: cpu.Seconds(), Requests: s.requests.Load(), Throttled: s.throttled.Load(),
			Admitted: s.admitted.Load(), InFlightSum: s.inflightSum.Load(), BusySeconds: time.Duration(s.busy.Load()).Seconds()})
	case "/_bench/drop":
		keep := strings.Split(r.URL.Query().Get("keep"), ",")
		s.mu.Lock()
		for name := range s.datasets {
			if !slices.Contains(keep, name) {
				delete(s.datasets, name)
			}
		}
		clear(s.jobs)
		s.mu.Unlock()
		return reply{status: http.StatusOK}
	}
	return problem(http.StatusNotFound, "no such bench endpoint")
}

// serverStats is the answer of GET /_bench/stats.
type serverStats struct {
	CPUSeconds  float64 `json:"cpuSeconds"`  // user + system CPU time of the server's process (-1: unknown)
	Requests    int64   `json:"requests"`    // API requests received
	Throttled   int64   `json:"throttled"`   // of which answered with 429
	Admitted    int64   `json:"admitted"`    // with a limit: of which let through
	InFlightSum int64   `json:"inFlightSum"` // the number in flight each of those met, itself included, added up
	BusySeconds float64 `json:"busySeconds"` // the time they spent in flight, added up
}

// storedDataset is a dataset of the bench server.
type storedDataset struct {
	name             string
	columns          map[string]int
	input, completed bool

	mu     sync.Mutex
	blocks map[int64]*scannedBlock
	count  int64
	pages  [][]byte // cut from blocks on the first read after a change; nil: not cut
}

func (d *storedDataset) isComplete() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.completed
}

func (d *storedDataset) view() any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return struct {
		Name        string         `json:"name"`
		Columns     map[string]int `json:"columns"`
		Input       bool           `json:"input"`
		RecordCount int64          `json:"recordCount"`
		Completed   bool           `json:"completed"`
	}{d.name, d.columns, d.input, d.count, d.completed}
}

func (d *storedDataset) upload(body []byte) reply {
	blk, err := scanBlock(body)
	if err != nil {
		return problem(http.StatusBadRequest, err.Error())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.input || d.completed {
		return problem(http.StatusBadRequest, "dataset "+d.name+" is complete or an output dataset")
	}
	if old := d.blocks[blk.number]; old != nil {
		d.count -= int64(old.records())
	}
	if blk.records() == 0 {
		delete(d.blocks, blk.number)
	} else {
		d.blocks[blk.number] = &blk
		d.count += int64(blk.records())
	}
	d.pages = nil
	return reply{status: http.StatusOK}
}

func (d *storedDataset) complete(body []byte) reply {
	var u struct {
		RecordCount *int64 `json:"recordCount"`
		Completed   bool   `json:"completed"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.RecordCount == nil || !u.Completed {
		return problem(http.StatusBadRequest, "want recordCount and completed: true")
	}
	d.mu.Lock()
	switch {
	case !d.input || d.completed:
		d.mu.Unlock()
		return problem(http.StatusBadRequest, "dataset "+d.name+" is complete or an output dataset")
	case *u.RecordCount != d.count:
		d.mu.Unlock()
		return problem(http.StatusBadRequest, fmt.Sprintf("recordCount %d, but the dataset holds %d records", *u.RecordCount, d.count))
	}
	d.completed = true
	d.mu.Unlock()
	return jsonReply(d.view())
}

// page returns page p (from 1) of the records, 1,000 a page in processing order.
func (d *storedDataset) page(p int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pages == nil {
		d.pages = cutPages(d.blocks)
	}
	if p > len(d.pages) {
		return []byte("[]")
	}
	return d.pages[p-1]
}

// cutPages cuts the records of blocks, in ascending block number, into pages of 1,000: a block of
// exactly 1,000 records that starts a page is that page as it was sent; other records are copied.
func cutPages(blocks map[int64]*scannedBlock) [][]byte {
	nums := make([]int64, 0, len(blocks))
	for n := range blocks {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	pages := [][]byte{}
	var cur []byte
	k := 0
	for _, n := range nums {
		b := blocks[n]
		if k == 0 && b.records() == maxBlockRecords {
			pages = append(pages, b.array)
			continue
		}
		for i := range b.records() {
			if k == 0 {
				cur = append(make([]byte, 0, len(b.array)+2), '[')
			} else {
				cur = append(cur, ',')
			}
			cur = append(cur, b.record(i)...)
			if k++; k == maxBlockRecords {
				pages = append(pages, append(cur, ']'))
				cur, k = nil, 0
			}
		}
	}
	if k > 0 {
		pages = append(pages, append(cur, ']'))
	}
	return pages
}

// job is a job of the bench server: it finishes took after it was submitted.
type job struct {
	name, workflow          string
	submitted               time.Time
	took                    time.Duration
	inputs, outputs, params map[string]string
	records                 int64
}

func (j *job) view(now time.Time) any {
	finish := j.submitted.Add(j.took)
	done := !now.Before(finish)
	var completed *string
	status, pct := 1, 100*float64(now.Sub(j.submitted))/float64(max(j.took, 1))
	if done {
		c := finish.Format(time.RFC3339Nano)
		completed, status, pct = &c, 2, 100
	}
	return map[string]any{
		"name": j.name, "workflowName": j.workflow, "submittedAt": j.submitted.Format(time.RFC3339Nano),
		"completedAt": completed, "status": status, "percentComplete": min(pct, 100),
		"estimatedFinishTime": finish.Format(time.RFC3339Nano), "statistics": map[string]any{"records": j.records},
		"inputDatasets": j.inputs, "outputDatasets": j.outputs, "parameters": j.params,
	}
}

// serveMain runs a bench server configured by the JSON cfg on a free loopback port, prints its base
// URL on standard output, and exits when its standard input ends (the benchmark has stopped or died).
func serveMain(cfg string) {
	var c serveConfig
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(2)
	}
	// It holds every dataset in memory: collect less often, so that its garbage collection takes less
	// of the cores it shares with the client measured.
	debug.SetGCPercent(400)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(2)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	err = (&http.Server{Handler: newAPIServer(c), ReadHeaderTimeout: time.Minute}).Serve(ln)
	fmt.Fprintln(os.Stderr, "bench server:", err)
	os.Exit(1)
}

// serverProc is a bench server in a child process (a copy of this program), so that its CPU time
// and memory are its own.
type serverProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	cfg   serveConfig
	base  string
}

// startServer starts a bench server in a child process.
func startServer(cfg serveConfig) (*serverProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serveEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &serverProc{cmd: cmd, stdin: stdin, cfg: cfg}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://") {
		p.stop()
		return nil, fmt.Errorf("bench server printed %q: %v", line, err)
	}
	p.base = strings.TrimSpace(line)
	return p, nil
}

// stop ends the server: closing its standard input makes it exit.
func (p *serverProc) stop() {
	p.stdin.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}
