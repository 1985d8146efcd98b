package data8test

import (
	"github.com/data8-toolkit/data8/internal/opid"

	"bytes"
	"fmt"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestValidateCatchesBadResponse(t *testing.T) {
	tb := newFakeTB()
	// A hook breaks the answer of Dataset_GetByName the way a buggy server would: a record count that is
	// not a number, a missing required member (the name) and a huge value.
	huge := strings.Repeat("x", 5000)
	s := NewServer(WithValidation(tb), set(func(c *config) {
		c.respHook = func(op string, status int, body []byte) []byte {
			if op != opid.DatasetGetByName || status != 200 {
				return body
			}
			body = bytes.Replace(body, []byte(`"name":"good",`), nil, 1)
			return bytes.Replace(body, []byte(`"recordCount":0`), []byte(`"recordCount":"`+huge+`"`), 1)
		}
	}))
	defer s.Close()
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "good", "a")
	if msgs := tb.all(); len(msgs) != 0 {
		t.Fatalf("good responses were reported: %v", msgs)
	}
	r := do(t, s, tok, "GET", "/Dataset/good", nil)
	wantStatus(t, r, 200)
	msgs := tb.all()
	if len(msgs) != 1 {
		t.Fatalf("reports %v, want one", msgs)
	}
	m := msgs[0]
	for _, want := range []string{"Dataset_GetByName", "200", `"type"`, `"required"`, "recordCount"} {
		if !strings.Contains(m, want) {
			t.Errorf("report %q does not mention %s", m, want)
		}
	}
	if len(m) > 2*maxMessage || strings.Contains(m, huge[:400]) {
		t.Errorf("report not trimmed (%d bytes)", len(m))
	}
	if v := s.Violations(); len(v) != 1 || v[0].Request || v[0].Op != opid.DatasetGetByName || v[0].Status != 200 {
		t.Fatalf("violations %+v", v)
	}
}

func TestValidateRequests(t *testing.T) {
	for _, strict := range []bool{false, true} {
		tb := newFakeTB()
		opts := []Option{WithValidation(tb)}
		if strict {
			opts = append(opts, WithStrictRequests())
		}
		s := NewServer(opts...)
		tok := fetchToken(t, s)
		createDataset(t, s, tok, "d", "n")
		// Each breaks the spec: the server answers 400 and records it.
		big := make([]map[string]any, 1001)
		for i := range big {
			big[i] = map[string]any{"n": i}
		}
		r := upload(t, s, tok, "d", 0, big...)
		wantStatus(t, r, 400)
		wantStatus(t, do(t, s, tok, "GET", "/Job?page=-1", nil), 400)
		wantStatus(t, do(t, s, tok, "POST", "/Job", map[string]any{"name": "a:b", "workflowName": "Echo"}), 400)
		s.Close()
		v := s.Violations()
		if len(v) != 3 || !v[0].Request || v[0].Op != opid.DatasetUploadBlock || !strings.Contains(v[0].Message, "maxItems") ||
			v[1].Op != opid.JobGetList || v[2].Op != opid.JobCreateJob || !strings.Contains(v[2].Message, "pattern") {
			t.Fatalf("strict=%v: violations %v", strict, v)
		}
		reports := tb.all()
		if strict && len(reports) != 3 || !strict && len(reports) != 0 {
			t.Fatalf("strict=%v: reports %v", strict, reports)
		}
	}
}

func TestValidateFlagsAcceptedBadRequest(t *testing.T) {
	// A server that answers success to a request the spec forbids is at fault. The handlers refuse every
	// such request, so drive the last step directly: a 200 recorded for an invalid upload.
	tb := newFakeTB()
	s := NewServer(WithValidation(tb))
	defer s.Close()
	req := httptest.NewRequest("PATCH", s.URL+"/Dataset/d/data", strings.NewReader(`{"blockNumber":-1,"records":[]}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetPathValue("name", "d")
	reqErr := s.checkRequest(req, opid.DatasetUploadBlock)
	if reqErr == nil {
		t.Fatal("a negative block number passed the spec")
	}
	rec := newRecorder(nil)
	rec.WriteHeader(200)
	s.finish(httptest.NewRecorder(), req, opid.DatasetUploadBlock, rec, reqErr, false)
	msgs := tb.all()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "accepted a request that breaks the spec") || !strings.Contains(msgs[0], "blockNumber") {
		t.Fatalf("reports %v", msgs)
	}
}

// TestCutRequestBodyIsNotAViolation: a block upload whose body breaks off mid-send (the client gave it
// up, as the uploader does with blocks in flight when another block is refused) is not reported as
// a request that breaks the spec: it is no request at all.
func TestCutRequestBodyIsNotAViolation(t *testing.T) {
	tb := newFakeTB()
	answered := make(chan int, 1)
	s := NewServer(WithValidation(tb), WithStrictRequests(), set(func(c *config) {
		c.respHook = func(op string, status int, body []byte) []byte {
			if op == opid.DatasetUploadBlock {
				answered <- status
			}
			return body
		}
	}))
	defer s.Close()
	tok := fetchToken(t, s)
	createDataset(t, s, tok, "ds", "a")

	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	part := `{"blockNumber":0,"records":[{"a":"x"},`
	fmt.Fprintf(conn, "PATCH /Dataset/ds/data HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		u.Host, tok, len(part)+1000, part)
	conn.Close() // the rest of the body never comes
	<-answered   // the server has read what came and answered

	if msgs := tb.all(); len(msgs) != 0 {
		t.Errorf("a cut request body was reported: %v", msgs)
	}
	if v := s.Violations(); len(v) != 0 {
		t.Errorf("violations %+v, want none", v)
	}
	if n := s.RequestCounts()[opid.DatasetUploadBlock]; n != 1 {
		t.Errorf("%d block uploads reached the server, want 1", n)
	}
}
