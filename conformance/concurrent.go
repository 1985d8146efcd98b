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
			status, err := c.patchOnce(dataset, token, body)
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

// patchOnce sends one block body with token and returns the answer's status; it never ends the case
// (it runs in a goroutine of its own).
func (c *check) patchOnce(dataset, token string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodPatch, c.cfg.BaseURL+uploadPath(dataset), bytes.NewReader(body))
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
