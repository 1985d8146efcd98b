package hostile

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestHugeAnswerRefusedOnce: an answer larger than the client reads (64 MiB) is refused with an
// error naming the limit, after one request: it is not retried as if the network had failed.
func TestHugeAnswerRefusedOnce(t *testing.T) {
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"name":"x","columns":{},"input":true,"padding":"`))
		for range 80 { // 80 MiB, streamed
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}`))
	}))
	c := newClient(t, api.URL, api.TokenURL())
	_, err := c.GetDataset(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "64 MiB") {
		t.Fatalf("error %v; want a refusal naming the 64 MiB limit", err)
	}
	if n := api.Count(http.MethodGet, "/Dataset/x"); n != 1 {
		t.Errorf("the server was asked %d times, want once", n)
	}
}
