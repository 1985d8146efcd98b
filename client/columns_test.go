package client_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// columnsServer answers GET /Dataset/ds with a dataset listing columns columns under the member
// name key ("columns", or another case of it), and each page of GET /Dataset/ds/data with page(n).
// It counts page requests.
func columnsServer(t *testing.T, key string, columns, records int, page func(n int) string, opts ...client.Option) (*client.Client, *atomic.Int32) {
	t.Helper()
	var pages atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/connect/token":
			fmt.Fprint(w, `{"access_token":"columns-test-token","token_type":"Bearer","expires_in":3600}`)
		case "/Dataset/ds":
			var b bytes.Buffer
			fmt.Fprintf(&b, `{"name":"ds","input":true,"completed":true,"recordCount":%d,%q:{`, records, key)
			for i := range columns {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `"c%d":0`, i)
			}
			b.WriteString("}}")
			w.Write(b.Bytes())
		case "/Dataset/ds/data":
			pages.Add(1)
			var n int
			fmt.Sscan(r.URL.Query().Get("page"), &n)
			fmt.Fprint(w, page(n))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	c, err := client.New(append([]client.Option{client.WithBaseURL(hs.URL), client.WithTokenURL(hs.URL + "/connect/token"), client.WithCredentials("id", "columns-secret")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, &pages
}

// TestDownloadRefusesTooManyColumns: a dataset listing more columns than DownloadOptions.MaxColumns
// (10,000 by default) is refused before any page is asked for, whatever the case of the member's
// name; within the limit, or with no limit, it is downloaded.
func TestDownloadRefusesTooManyColumns(t *testing.T) {
	onePage := func(n int) string {
		if n == 1 {
			return `[{"c0":"x"}]`
		}
		return `[]`
	}
	for _, tc := range []struct {
		name       string
		key        string
		columns    int
		maxColumns int
		refused    bool
	}{
		{"the default limit", "columns", 10_001, 0, true},
		{"at the default limit", "columns", 10_000, 0, false},
		{"another case of the name", "Columns", 10_001, 0, true},
		{"a limit of 3", "columns", 4, 3, true},
		{"no limit", "columns", 20_000, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, pages := columnsServer(t, tc.key, tc.columns, 1, onePage)
			written := 0
			_, err := c.Download(testContext(t), "ds", func(p *client.Page) error { written += len(p.Records); return nil },
				client.DownloadOptions{MaxColumns: tc.maxColumns})
			if !tc.refused {
				if err != nil || written != 1 {
					t.Fatalf("error %v with %d records, want the one record", err, written)
				}
				return
			}
			limit := tc.maxColumns
			if limit == 0 {
				limit = client.DefaultMaxColumns
			}
			var tm *client.TooManyColumnsError
			if !errors.As(err, &tm) || !errors.Is(err, client.ErrTooManyColumns) ||
				*tm != (client.TooManyColumnsError{Dataset: "ds", Columns: tc.columns, Limit: limit, Record: -1}) {
				t.Fatalf("error %#v, want a *TooManyColumnsError for the listing", err)
			}
			if want := fmt.Sprintf("lists %d columns, more than the limit of %d", tc.columns, limit); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			if n := pages.Load(); n != 0 || written != 0 {
				t.Errorf("%d page requests and %d records handed on, want none", n, written)
			}
		})
	}
}

// TestDownloadRefusesARecordWithTooManyMembers: a record holding more members than MaxColumns is
// refused with its index in the dataset, and nothing of its page is handed on.
func TestDownloadRefusesARecordWithTooManyMembers(t *testing.T) {
	c, _ := columnsServer(t, "columns", 3, 3, func(n int) string {
		switch n {
		case 1:
			return `[{"c0":"a"},{"c0":"b"}]`
		case 2:
			return `[{"c0":"b","c1":"c","c2":"d","x":"e"}]`
		}
		return `[]`
	})
	written := 0
	_, err := c.Download(testContext(t), "ds", func(p *client.Page) error { written += len(p.Records); return nil },
		client.DownloadOptions{MaxColumns: 3})
	var tm *client.TooManyColumnsError
	if !errors.As(err, &tm) || *tm != (client.TooManyColumnsError{Dataset: "ds", Columns: 4, Limit: 3, Record: 2}) {
		t.Fatalf("error %#v, want record 2's 4 members refused", err)
	}
	if !strings.Contains(err.Error(), "record 2 of dataset \"ds\" brings 4 columns, more than the limit of 3") {
		t.Errorf("error %q", err)
	}
	if written != 2 {
		t.Errorf("%d records handed on, want page 1's 2 and nothing of page 2", written)
	}
}

// TestGetDatasetRefusesTooManyColumns: GetDataset refuses a dataset listing more columns than the
// client allows (WithMaxColumns, 10,000 by default), so that a command reading a dataset's columns
// before it downloads does not decode a huge listing; the limit can be raised or lifted, for the
// client or for one download.
func TestGetDatasetRefusesTooManyColumns(t *testing.T) {
	none := func(int) string { return `[]` }
	c, _ := columnsServer(t, "columns", 10_001, 0, none)
	_, err := c.GetDataset(testContext(t), "ds")
	var tm *client.TooManyColumnsError
	if !errors.As(err, &tm) || *tm != (client.TooManyColumnsError{Dataset: "ds", Columns: 10_001, Limit: 10_000, Record: -1}) {
		t.Fatalf("error %#v, want a *TooManyColumnsError", err)
	}
	if _, err := c.Download(testContext(t), "ds", func(*client.Page) error { return nil }, client.DownloadOptions{MaxColumns: 20_000}); err != nil {
		t.Errorf("a download allowing 20,000 columns: %v", err)
	}
	for _, n := range []int{-1, 10_001} {
		c, _ := columnsServer(t, "columns", 10_001, 0, none, client.WithMaxColumns(n))
		if d, err := c.GetDataset(testContext(t), "ds"); err != nil || len(d.Columns) != 10_001 {
			t.Errorf("WithMaxColumns(%d): %v", n, err)
		}
	}
}
