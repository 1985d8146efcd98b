package conformance

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
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
	req, err := http.NewRequestWithContext(c.ctx, method, c.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "data8-conformance/1")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// sendAtOnce sends n copies of one JSON body with method to path, all released together, and
// returns the status of each answer (0 when no answer came). It may be called from the case's
// goroutine only; the requests go out from goroutines of their own.
func (c *check) sendAtOnce(method, path string, body []byte, n int) []int {
	token := c.accessToken()
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i], _ = c.sendOnce(method, path, token, body)
		})
	}
	close(start)
	wg.Wait()
	return statuses
}

// onlyOneCreated checks the statuses of n creates of one name sent at once: exactly one is a 2xx,
// and every other is a 4xx (which one is D-7 and D-13's lenient 400 or 409).
func (c *check) onlyOneCreated(what string, statuses []int) {
	ok, refused := 0, 0
	for _, st := range statuses {
		switch {
		case st >= 200 && st < 300:
			ok++
		case st >= 400 && st < 500:
			refused++
		}
	}
	if ok != 1 || refused != len(statuses)-1 {
		c.Errorf("%d %s sent at once: answered %v; want exactly one 2xx and a refusal (4xx) for each other: names are unique", len(statuses), what, statuses)
	}
}
