package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// columns are the columns of every dataset these tests upload; "n" holds a number.
var columns = map[string]int{"id": 0, "name": 0, "city": 0, "note": 0, "n": 1}

// columnNames are the keys of columns, for UploadOptions.Columns.
var columnNames = slices.Sorted(maps.Keys(columns))

// tricky values: quotes, backslashes, separators, white space, escapes, non-ASCII, an empty string,
// null. Each is stored JSON-encoded.
var tricky = func() [][]byte {
	vals := []any{
		"Mary-Jane O'Neill", `say "hi"`, `back\slash`, "comma, separated", " leading and trailing ",
		"tab\there", "new\nline", "carriage\rreturn", "", "café crème", "Zoë Łukasz", "東京都",
		"emoji 🙂🚀", "line\u2028separator", "<html>&amp;", "nul\x00byte", "ctl\x1fchar", "😀" + strings.Repeat("x", 200),
		nil, "sw1a 1aa", "UPPER lower", "'single'", "semi;colon", "{not an object}", "[1,2]",
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}()

// recordID is the id of record i; ids are unique and the same width, so that an id can be read
// back from a stored record by position.
func recordID(i int) string { return string(appendID(nil, i)) }

// appendID appends the id of record i: "r" and seven digits.
func appendID(dst []byte, i int) []byte {
	dst = append(dst, 'r')
	for d := 1_000_000; d > 0; d /= 10 {
		dst = append(dst, byte('0'+i/d%10))
	}
	return dst
}

// appendRecord appends record i as one JSON object, keys in a fixed order.
func appendRecord(dst []byte, i int) []byte {
	dst = append(dst, `{"id":"`...)
	dst = appendID(dst, i)
	dst = append(dst, `","name":`...)
	dst = append(dst, tricky[i%len(tricky)]...)
	dst = append(dst, `,"city":`...)
	dst = append(dst, tricky[(i*7+3)%len(tricky)]...)
	dst = append(dst, `,"note":`...)
	dst = append(dst, tricky[(i*13+5)%len(tricky)]...)
	dst = append(dst, `,"n":`...)
	switch i % 4 {
	case 0:
		dst = strconv.AppendInt(dst, int64(i), 10)
	case 1:
		dst = strconv.AppendFloat(dst, float64(i)+0.25, 'f', -1, 64)
	case 2:
		dst = strconv.AppendInt(dst, -int64(i), 10)
	default:
		dst = append(dst, "true"...)
	}
	return append(dst, '}')
}

// input is n generated records: as JSON Lines text, and each line alone.
type input struct {
	jsonl []byte
	lines [][]byte
}

func makeInput(n int) *input {
	in := &input{lines: make([][]byte, n)}
	start, end := make([]int, n), make([]int, n)
	for i := range n {
		start[i] = len(in.jsonl)
		in.jsonl = appendRecord(in.jsonl, i)
		end[i] = len(in.jsonl)
		in.jsonl = append(in.jsonl, '\n')
	}
	for i := range n {
		in.lines[i] = in.jsonl[start[i]:end[i]:end[i]]
	}
	return in
}

// source returns a fresh source of the input's records.
func (in *input) source() client.Source {
	return client.NewJSONLinesSource(bytes.NewReader(in.jsonl))
}

// checkDataset checks that the server's dataset holds exactly the input's records, in order, once
// each, and is complete with recordCount equal to the number of records when complete is set.
func checkDataset(t *testing.T, srv *data8test.Server, name string, in *input, complete bool) {
	t.Helper()
	raw, ok := srv.RawRecords(name)
	if !ok {
		t.Fatalf("dataset %s does not exist", name)
	}
	// Same records, same order, byte for byte: with the input's ids unique, this also proves that
	// nothing is duplicated or missing. On a difference, say which.
	same := len(raw) == len(in.lines)
	for i := 0; same && i < len(raw); i++ {
		same = bytes.Equal(raw[i], in.lines[i])
	}
	if !same {
		t.Fatalf("dataset %s differs from the input: %s", name, describeDiff(raw, in))
	}
	if complete {
		d, _ := srv.DatasetInfo(name)
		if !d.Completed || d.RecordCount != int64(len(in.lines)) {
			t.Fatalf("dataset %s after CompleteDataset: completed %v, recordCount %v, want true and %d", name, d.Completed, d.RecordCount, len(in.lines))
		}
	}
}

// describeDiff says how the stored records differ from the input: duplicates, missing records, or
// the first record out of place.
func describeDiff(raw []json.RawMessage, in *input) string {
	seen := make(map[string]int, len(raw))
	var dups []string
	for i, r := range raw {
		id := storedID(r)
		if j, dup := seen[id]; dup && len(dups) < 5 {
			dups = append(dups, fmt.Sprintf("record %d duplicates record %d (id %s)", i, j, id))
		}
		seen[id] = i
	}
	missing := 0
	for i := range in.lines {
		if _, ok := seen[recordID(i)]; !ok {
			missing++
		}
	}
	first := ""
	for i := range min(len(raw), len(in.lines)) {
		if !bytes.Equal(raw[i], in.lines[i]) {
			first = fmt.Sprintf("; first difference at record %d:\n got %s\nwant %s", i, raw[i], in.lines[i])
			break
		}
	}
	return fmt.Sprintf("%d records stored, %d in the input, %d of the input missing, duplicates: %v%s", len(raw), len(in.lines), missing, dups, first)
}

// storedID reads the id of a stored record: appendRecord puts it first, at a fixed width.
func storedID(raw []byte) string {
	const prefix = `{"id":"`
	if len(raw) < len(prefix)+8 || !bytes.HasPrefix(raw, []byte(prefix)) {
		return string(raw)
	}
	return string(raw[len(prefix) : len(prefix)+8])
}

// countingTransport counts the answers the client receives, by status code, and transport errors,
// separately for the token endpoint and the API.
//
// It also revokes tokens for the soak (revoke), at a moment when no call is between a 401 and the
// answer to the retry that follows it: the client renews a refused token once and gives up when the
// renewed token is refused as well (two 401s in a row), so a revocation landing on that retry would
// fail the call by the rules. Every other call in flight meets the revocation.
type countingTransport struct {
	base *http.Transport
	mu   sync.Mutex
	api  map[string]int
	tok  map[string]int

	revokeFunc func()          // revokes every token issued so far; nil: revoke does nothing
	renewing   map[string]bool // calls, by key, whose last answer was a 401: their next request is the retry
	due        bool            // a revocation waits for the renewing calls' retries to be answered
}

// revoke revokes every token now, or as soon as no renewing call's retry is in flight.
func (c *countingTransport) revoke() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.due = true
	c.revokeIfDue()
}

// revokeIfDue revokes when a revocation is due and no call is renewing. c.mu is held, so that no
// 401 reaches the client (and no retry can start) while it runs.
func (c *countingTransport) revokeIfDue() {
	if c.due && len(c.renewing) == 0 && c.revokeFunc != nil {
		c.revokeFunc()
		c.due = false
	}
}

// callKey names the call a request belongs to: the block number of a block upload (the body starts
// {"blockNumber":N), else the method and path.
func callKey(req *http.Request) string {
	key := req.Method + " " + req.URL.Path
	if req.Method != http.MethodPatch || req.GetBody == nil {
		return key
	}
	body, err := req.GetBody()
	if err != nil {
		return key
	}
	defer body.Close()
	head := make([]byte, 32)
	n, _ := io.ReadFull(body, head)
	if num, ok := bytes.CutPrefix(head[:n], []byte(`{"blockNumber":`)); ok {
		if i := bytes.IndexByte(num, ','); i > 0 {
			return key + " block " + string(num[:i])
		}
	}
	return key
}

func newCountingTransport() *countingTransport {
	base := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       30 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	return &countingTransport{base: base, api: map[string]int{}, tok: map[string]int{}, renewing: map[string]bool{}}
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	token := req.URL.Path == "/connect/token"
	call := ""
	if !token {
		call = callKey(req)
	}
	resp, err := c.base.RoundTrip(req)
	key := "transport error"
	if err == nil {
		key = strconv.Itoa(resp.StatusCode)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if token {
		c.tok[key]++
		return resp, err
	}
	c.api[key]++
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		c.renewing[call] = true
	} else {
		delete(c.renewing, call)
		c.revokeIfDue()
	}
	return resp, err
}

// counts returns copies of the API and token endpoint counts.
func (c *countingTransport) counts() (api, tok map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.api), maps.Clone(c.tok)
}

// sleeper is a RetryPolicy.Sleep that records every delay the client asks for and waits only a
// fraction of it (at most maxWait), so that a soak checks the delays chosen without spending them.
type sleeper struct {
	maxWait time.Duration
	mu      sync.Mutex
	delays  map[time.Duration]int
	total   int
}

func newSleeper(maxWait time.Duration) *sleeper {
	return &sleeper{maxWait: maxWait, delays: map[time.Duration]int{}}
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays[d]++
	s.total++
	s.mu.Unlock()
	wait := min(d/50, s.maxWait)
	if wait <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// count returns how many delays of exactly d were asked for, and how many in all.
func (s *sleeper) count(d time.Duration) (n, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delays[d], s.total
}

// createDataset creates the dataset, calling CreateDataset again after an answer the client does
// not retry by itself (a 500 to POST /Dataset, which it never repeats blindly), as a caller would.
func createDataset(t *testing.T, c *client.Client, name string) (tries int) {
	t.Helper()
	for tries = 1; ; tries++ {
		_, err := c.CreateDataset(t.Context(), name, columns)
		if err == nil {
			return tries
		}
		if tries == 5 {
			t.Fatalf("CreateDataset %s: %v", name, err)
		}
		t.Logf("CreateDataset %s, try %d: %v", name, tries, err)
	}
}
