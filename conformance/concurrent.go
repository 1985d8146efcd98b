package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/data8-toolkit/data8/client"
)

// patchAtOnce sends the block bodies to a dataset's PATCH /Dataset/{name}/data, at most limit at
// once, in the order given (each starts as soon as a slot is free), and returns a description of
// every request that was not answered with a 2xx. It may be called from the case's goroutine only;
// the requests go out from goroutines of their own.
func (c *check) patchAtOnce(dataset string, bodies [][]byte, limit int) []string {
	token := c.accessToken()
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		bad []string
	)
	sem := make(chan struct{}, limit)
	for i, body := range bodies {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			status, err := c.sendOnce(http.MethodPatch, uploadPath(dataset), token, body)
			if err != nil || status < 200 || status >= 300 {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("body %d: status %d, %v", i, status, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return bad
}

// sendOnce sends one JSON body with method to path and token, and returns the answer's status; it
// never ends the case (it runs in a goroutine of its own).
func (c *check) sendOnce(method, path, token string, body []byte) (int, error) {
	status, _, err := c.fetchOnce(method, path, token, body)
	return status, err
}

// fetchOnce sends one request with method to path (below the base URL, escaped, with its query)
// and token, with body as JSON when it is not nil, and returns the answer's status and body; it
// never ends the case, so it may run in a goroutine of its own.
func (c *check) fetchOnce(method, path, token string, body []byte) (int, []byte, error) {
	return c.fetchAuth(method, path, "Bearer "+token, body)
}

// fetchAuth is fetchOnce with the whole Authorization header given.
func (c *check) fetchAuth(method, path, authorization string, body []byte) (int, []byte, error) {
	return c.fetchHeaders(method, path, http.Header{"Authorization": {authorization}}, body)
}

// fetchHeaders is fetchOnce with the request's headers given (an Authorization header among them,
// or none at all).
func (c *check) fetchHeaders(method, path string, header http.Header, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.cfg.BaseURL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "data8-conformance/1")
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	status, b, err := c.exchange(req)
	if tok, ok := c.runToken(req.Header.Get("Authorization")); ok && err == nil && status == http.StatusUnauthorized {
		// The run's own token, refused: it may have expired among requests sent at once (its
		// lifetime is the server's). A new one, and the request once more with it.
		c.dropToken(tok)
		again, terr := c.currentToken()
		if terr != nil || again == tok {
			return status, b, err
		}
		if req, err = retarget(req, "Bearer "+again); err != nil {
			return 0, nil, err
		}
		status, b, err = c.exchange(req)
	}
	return status, b, err
}

// exchange sends req (through do) and returns the answer's status and body.
func (c *check) exchange(req *http.Request) (int, []byte, error) {
	resp, err := c.do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// retarget returns a copy of req, its body rewound, with the Authorization header authorization.
func retarget(req *http.Request, authorization string) (*http.Request, error) {
	again, err := rewound(req)
	if err != nil {
		return nil, err
	}
	again.Header.Set("Authorization", authorization)
	return again, nil
}

// recordsOnce reads a dataset's records page by page from page 1 until an empty page (at most
// 1,000 pages), as readRaw does, but never ends the case: it may run in a goroutine of its own.
func (c *check) recordsOnce(dataset, token string) ([]client.Record, error) {
	var got []client.Record
	for page := 1; page <= 1000; page++ {
		status, body, err := c.fetchOnce(http.MethodGet, uploadPath(dataset)+"?page="+strconv.Itoa(page), token, nil)
		if err != nil {
			return got, err
		}
		if status < 200 || status >= 300 {
			return got, &client.APIError{StatusCode: status}
		}
		if status == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0 {
			break // a page past the end without a body
		}
		var recs []client.Record
		if err := json.Unmarshal(body, &recs); err != nil {
			return got, fmt.Errorf("page %d is not a JSON array of records", page)
		}
		if len(recs) == 0 {
			break
		}
		got = append(got, recs...)
	}
	return got, nil
}

// sendAtOnce sends n copies of one JSON body with method to path, all released together, and
// returns the status of each answer (0 when no answer came). It may be called from the case's
// goroutine only; the requests go out from goroutines of their own.
func (c *check) sendAtOnce(method, path string, body []byte, n int) []int {
	reqs := make([]atOnce, n)
	for i := range reqs {
		reqs[i] = atOnce{method: method, path: path, body: body}
	}
	return c.allAtOnce(reqs)
}

// atOnce is one request of allAtOnce.
type atOnce struct {
	method, path string
	body         []byte
	// answer, when set, is where the answer's body is kept.
	answer *[]byte
	// then, when set, runs in the request's goroutine as soon as its answer has come, with its
	// status (0 when no answer came): a read that must follow the answer at once, while the other
	// requests may still be in flight. It must not end the case.
	then func(status int)
}

// allAtOnce sends the requests, each with a JSON body, all released together, and returns the
// status of each answer (0 when no answer came) once every one has been answered. It may be called
// from the case's goroutine only; the requests go out from goroutines of their own.
func (c *check) allAtOnce(reqs []atOnce) []int {
	token := c.accessToken()
	statuses := make([]int, len(reqs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		wg.Go(func() {
			<-start
			var body []byte
			statuses[i], body, _ = c.fetchOnce(r.method, r.path, token, r.body)
			if r.answer != nil {
				*r.answer = body
			}
			if r.then != nil {
				r.then(statuses[i])
			}
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// onlyOneCreated checks the statuses of n creates of one name sent at once: exactly one is a 2xx,
// and every other is a 4xx (which one is D-7 and D-13's lenient 400 or 409).
func (c *check) onlyOneCreated(what string, statuses []int) {
	ok, refused := tally(statuses, func(st int) bool { return st >= 400 && st < 500 })
	if ok != 1 || refused != len(statuses)-1 {
		c.Errorf("%d %s sent at once: answered %v; want exactly one 2xx and a refusal (4xx) for each other: names are unique", len(statuses), what, statuses)
	}
}

// tally counts the 2xx answers among statuses, and those that refused says are refusals.
func tally(statuses []int, refused func(int) bool) (ok, refusals int) {
	for _, st := range statuses {
		switch {
		case st >= 200 && st < 300:
			ok++
		case refused(st):
			refusals++
		}
	}
	return ok, refusals
}

// is400 says whether a status is 400, the documented refusal of a completion of a complete dataset.
func is400(st int) bool { return st == http.StatusBadRequest }
