package hostile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// allocated returns the bytes the process has allocated on the heap so far: what a call allocates
// bounds how much its heap can have grown, whatever the collector did meanwhile.
func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// wideServer serves dataset "wide", listing columns columns and holding records records, whose
// pages (of 1,000 records) page builds; answers are built before the test measures anything.
func wideServer(t *testing.T, columns, records int, page func(n int) []byte) *Server {
	t.Helper()
	listing := fmt.Appendf(nil, `{"name":"wide","input":true,"completed":true,"recordCount":%d,"columns":{`, records)
	for i := range columns {
		if i > 0 {
			listing = append(listing, ',')
		}
		listing = append(strconv.AppendInt(append(listing, `"c`...), int64(i), 10), `":0`...)
	}
	listing = append(listing, "}}"...)
	pages := map[string][]byte{}
	for n := 1; (n-1)*1000 < records; n++ {
		pages[fmt.Sprint(n)] = page(n)
	}
	return New(t, API(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/Dataset/wide":
			w.Write(listing)
		case "/Dataset/wide/data":
			if b, ok := pages[r.URL.Query().Get("page")]; ok {
				w.Write(b)
				return
			}
			w.Write([]byte("[]"))
		default:
			http.NotFound(w, r)
		}
	}))
}

// TestMillionColumnsRefusedInLittleMemory: a 12 MB dataset answer listing 1,000,000 columns (with
// 2,000 records, which as CSV would make a 2 GB file) is refused with a *TooManyColumnsError before
// any page is asked for, the whole download allocating under 100 MiB; a page whose one record holds
// 1,000,000 members is refused the same way.
func TestMillionColumnsRefusedInLittleMemory(t *testing.T) {
	empty := func(int) []byte { return []byte("[" + string(bytes.Repeat([]byte("{},"), 999)) + "{}]") }
	t.Run("listed", func(t *testing.T) {
		api := wideServer(t, 1_000_000, 2000, empty)
		c := newClient(t, api.URL, api.TokenURL())
		runtime.GC()
		before := allocated()
		written := 0
		_, err := c.Download(t.Context(), "wide", func(p *client.Page) error { written++; return nil }, client.DownloadOptions{})
		alloc := allocated() - before
		var tm *client.TooManyColumnsError
		if !errors.As(err, &tm) || !errors.Is(err, client.ErrTooManyColumns) || tm.Columns != 1_000_000 || tm.Record != -1 {
			t.Fatalf("error %v, want a *TooManyColumnsError for the listing", err)
		}
		if n := api.Count(http.MethodGet, "/Dataset/wide/data"); n != 0 || written != 0 {
			t.Errorf("%d page requests, %d pages handed on; want none", n, written)
		}
		t.Logf("allocated %.1f MiB: %v", float64(alloc)/(1<<20), err)
		if alloc > 100<<20 {
			t.Errorf("the download allocated %.1f MiB, want under 100 MiB", float64(alloc)/(1<<20))
		}
	})
	t.Run("in a record", func(t *testing.T) {
		api := wideServer(t, 3, 1, func(int) []byte {
			b := []byte("[{")
			for i := range 1_000_000 {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(strconv.AppendInt(append(b, `"m`...), int64(i), 10), `":1`...)
			}
			return append(b, "}]"...)
		})
		c := newClient(t, api.URL, api.TokenURL())
		runtime.GC()
		before := allocated()
		written := 0
		_, err := c.Download(t.Context(), "wide", func(p *client.Page) error { written++; return nil }, client.DownloadOptions{})
		alloc := allocated() - before
		var tm *client.TooManyColumnsError
		if !errors.As(err, &tm) || tm.Columns != 1_000_000 || tm.Record != 0 || written != 0 {
			t.Fatalf("error %v with %d pages handed on, want record 0 refused and nothing handed on", err, written)
		}
		t.Logf("allocated %.1f MiB: %v", float64(alloc)/(1<<20), err)
		if alloc > 100<<20 {
			t.Errorf("the download allocated %.1f MiB, want under 100 MiB", float64(alloc)/(1<<20))
		}
	})
}

// TestEveryRecordANewMember: pages in which every record brings a member no other has (2,000
// records, 2,000 members) cannot make a writer's output outgrow the answers: CSV stops at the first
// record with an *UnknownColumnError having written only the header (the file is not multiplied by
// the members), and JSON Lines writes each record once, about as long as the answers.
func TestEveryRecordANewMember(t *testing.T) {
	answered := 0
	api := wideServer(t, 1, 2000, func(n int) []byte {
		var b bytes.Buffer
		b.WriteByte('[')
		for i := range 1000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"c0":"x","new_member_%d":"y"}`, (n-1)*1000+i)
		}
		b.WriteByte(']')
		answered += b.Len()
		return b.Bytes()
	})
	c := newClient(t, api.URL, api.TokenURL())
	t.Run("CSV", func(t *testing.T) {
		var out bytes.Buffer
		cw, err := client.NewCSVWriter(&out, []string{"c0"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Download(t.Context(), "wide", cw.WritePage, client.DownloadOptions{})
		var uc *client.UnknownColumnError
		if !errors.As(err, &uc) || uc.Record != 0 || uc.Column != "new_member_0" {
			t.Fatalf("error %v, want record 0's new member refused", err)
		}
		cw.Flush()
		if out.String() != "c0\n" {
			t.Errorf("wrote %q, want the header alone", out.String())
		}
	})
	t.Run("JSON Lines", func(t *testing.T) {
		var out countingWriter
		jw, err := client.NewJSONLinesWriter(&out, []string{"c0"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Download(t.Context(), "wide", jw.WritePage, client.DownloadOptions{})
		if err != nil || res.Records != 2000 {
			t.Fatalf("%v, %+v; want the 2,000 records", err, res)
		}
		if out.n > int64(answered) {
			t.Errorf("wrote %d bytes from %d bytes of answers, want no more", out.n, answered)
		}
		t.Logf("%d bytes written from %d bytes of answers", out.n, answered)
	})
}

// countingWriter counts what is written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)
