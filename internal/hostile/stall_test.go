package hostile

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// stallSignal is a WithStallNotice callback that closes noticed at the first notice.
type stallSignal struct {
	once    sync.Once
	noticed chan struct{}
}

func newStallSignal() *stallSignal { return &stallSignal{noticed: make(chan struct{})} }

func (s *stallSignal) notify(time.Duration) { s.once.Do(func() { close(s.noticed) }) }

// wait blocks until the first notice or until the request is abandoned.
func (s *stallSignal) wait(r *http.Request) {
	select {
	case <-s.noticed:
	case <-r.Context().Done():
	}
}

// TestStallGivesNotice: a server that holds a request without answering, or stops sending an
// answer's body half way, makes the client give a stall notice (the server answers only once the
// notice came, so the call succeeds only if it did).
func TestStallGivesNotice(t *testing.T) {
	for _, where := range []string{"before the headers", "in the body"} {
		t.Run(where, func(t *testing.T) {
			sig := newStallSignal()
			api := New(t, API(func(w http.ResponseWriter, r *http.Request) {
				body := `{"name":"x","columns":{"a":0},"input":true,"recordCount":0,"completed":false}`
				if where == "before the headers" {
					sig.wait(r)
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(body[:10]))
				w.(http.Flusher).Flush()
				if where == "in the body" {
					sig.wait(r)
				}
				w.Write([]byte(body[10:]))
			}))
			c := newClient(t, api.URL, api.TokenURL(), client.WithStallNotice(5*time.Millisecond, sig.notify))
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			d, err := c.GetDataset(ctx, "x")
			if err != nil {
				t.Fatalf("GetDataset: %v (no stall notice?)", err)
			}
			if d.Name != "x" {
				t.Errorf("dataset %q, want x", d.Name)
			}
		})
	}
}
