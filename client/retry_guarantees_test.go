package client_test

// Guarantees of the retry decision that a user relies on and that a one-line slip in the retry
// code would break silently: what an earlier ambiguous failure means for a later refusal, how the
// retry budget is earned back and switched off, that a throttled call can be told to wait as long
// as it takes, that a Retry-After is followed on every retried answer, and that a lookup after an
// ambiguous failure only takes what the call asked for.

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
	"github.com/data8-toolkit/data8/internal/opid"
)

// A PUT that completed the dataset but lost its answer, then met a 429, then was refused as
// "already complete": the refusal is explained by the first attempt, which a refusal for load in
// between does not undo. The client reads the dataset and succeeds.
func TestCompleteDatasetAmbiguousThenThrottledThenRefused(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(
		data8test.Fault{Op: opid.DatasetUpdateByName, Call: 1, Kind: data8test.FaultStored503},
		data8test.Fault{Op: opid.DatasetUpdateByName, Call: 2, Kind: data8test.Fault429},
	))
	c := newClient(srv)
	createDataset(t, c, "ds", testColumns...)
	if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(10)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := c.CompleteDataset(testContext(t), "ds", 10)
	if err != nil {
		t.Fatalf("CompleteDataset: %v, want success (the first attempt completed it)", err)
	}
	if !d.Completed || d.RecordCount != 10 {
		t.Errorf("dataset %+v, want complete with 10 records", d)
	}
	if n := srv.RequestCounts()[opid.DatasetUpdateByName]; n != 3 {
		t.Errorf("%d PUTs, want 3 (stored then 503, 429, refused as already complete)", n)
	}
}

// Each successful call earns back retry budget: a client whose calls each need one retry, and
// succeed, never runs out of budget, however many such calls it makes.
func TestRetryBudgetIsEarnedBackBySuccesses(t *testing.T) {
	const calls = 6
	var faults []data8test.Fault
	for i := range calls {
		faults = append(faults, data8test.Fault{Op: opid.DatasetGetByName, Call: 2*i + 1, Kind: data8test.Fault503})
	}
	srv := newServer(t, data8test.WithFaultScript(faults...))
	// A budget of 2 tokens, and a whole token earned by each success: every call spends one and
	// earns it back.
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, Budget: 2, BudgetRefill: 1}))
	createDataset(t, c, "ds", "a")
	for i := range calls {
		if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 2*calls {
		t.Errorf("%d GETs, want %d", n, 2*calls)
	}
}

// A negative Budget switches the budget off: a client facing a failing server retries every call
// up to MaxAttempts, well past the default budget of 100 retries.
func TestRetryBudgetCanBeSwitchedOff(t *testing.T) {
	srv := newServer(t, alwaysFail(opid.DatasetGetByName, data8test.Fault503))
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: noSleep, Budget: -1}))
	const calls = 30 // 4 retries each: 120 retries
	for range calls {
		var ae *client.APIError
		if _, err := c.GetDataset(testContext(t), "ds"); !errors.As(err, &ae) || ae.StatusCode != 503 {
			t.Fatalf("error %v, want the 503", err)
		}
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != 5*calls {
		t.Errorf("%d GETs, want %d (5 attempts per call, no budget)", n, 5*calls)
	}
}

// A negative MaxThrottleWait leaves only the context to bound the waits after 429s: a call
// throttled for longer than the default 10 minutes in all still succeeds.
func TestNegativeMaxThrottleWaitWaitsAsLongAsItTakes(t *testing.T) {
	const refusals = 12 // 12 minutes of Retry-After: 60
	srv := newServer(t, data8test.WithRetryAfter(time.Minute), data8test.WithFaultScript(throttleCalls(refusals)...))
	rec := &recorder{}
	c := newClient(srv, client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep, MaxThrottleWait: -1}))
	createDataset(t, c, "ds", "a")
	if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
		t.Fatalf("GetDataset: %v, want success after %d refusals", err, refusals)
	}
	if got, want := rec.get(), slices.Repeat([]time.Duration{time.Minute}, refusals); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if n := srv.RequestCounts()[opid.DatasetGetByName]; n != refusals+1 {
		t.Errorf("%d GETs, want %d", n, refusals+1)
	}
}

// throttleCalls refuses the first n GETs of a dataset with 429.
func throttleCalls(n int) []data8test.Fault {
	var f []data8test.Fault
	for i := 1; i <= n; i++ {
		f = append(f, data8test.Fault{Op: opid.DatasetGetByName, Call: i, Kind: data8test.Fault429})
	}
	return f
}

// A Retry-After on an answer that counts as a failed attempt (a proxy's 502) is followed too, not
// replaced by the client's own backoff.
func TestRetryAfterIsHonouredOnA502(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetGetByName, Call: 1, Kind: data8test.Fault502}))
	sp := newSpy(t)
	// The proxy's 502 page says when to come back; the spy puts the header on the wire's answer.
	sp.after = func(_ *http.Request, _ *upload, resp *http.Response) {
		if resp.StatusCode == http.StatusBadGateway {
			resp.Header.Set("Retry-After", "7")
		}
	}
	rec := &recorder{}
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()), client.WithRetryPolicy(client.RetryPolicy{Sleep: rec.sleep}))
	createDataset(t, c, "ds", "a")
	if _, err := c.GetDataset(testContext(t), "ds"); err != nil {
		t.Fatal(err)
	}
	if got := rec.get(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
		t.Errorf("delays %v, want [7s]", got)
	}
}

// After an ambiguous failure, CreateDataset looks the dataset up, and takes it as its own only when
// it is an empty, incomplete input dataset with the same columns: a dataset of that name that
// already holds records, or is complete, belongs to someone else.
func TestCreateDatasetLookupTakesOnlyAnEmptyIncompleteDataset(t *testing.T) {
	for _, tc := range []struct {
		name     string
		complete bool
	}{
		{name: "it holds records"},
		{name: "it is complete", complete: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetCreate, Call: 2, Kind: data8test.Fault503}))
			c := newClient(srv)
			createDataset(t, c, "ds", testColumns...)
			if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(3)), client.UploadOptions{}); err != nil {
				t.Fatal(err)
			}
			if tc.complete {
				if _, err := c.CompleteDataset(testContext(t), "ds", 3); err != nil {
					t.Fatal(err)
				}
			}
			cols := map[string]int{}
			for _, col := range testColumns {
				cols[col] = 0
			}
			_, err := c.CreateDataset(testContext(t), "ds", cols)
			if !errors.Is(err, client.ErrValidation) {
				t.Fatalf("error %v, want a validation error about the existing dataset", err)
			}
			wantRecords(t, srv, "ds", 3)
		})
	}
}

// After an ambiguous failure, CompleteDataset succeeds only when the dataset is complete with the
// count it sent: a dataset completed earlier with another count is an error, not a success.
func TestCompleteDatasetLookupChecksTheCount(t *testing.T) {
	srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetUpdateByName, Call: 2, Kind: data8test.Fault502}))
	c := newClient(srv)
	createDataset(t, c, "ds", testColumns...)
	if _, err := c.Upload(testContext(t), "ds", client.Records(testRecords(3)), client.UploadOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteDataset(testContext(t), "ds", 3); err != nil {
		t.Fatal(err)
	}
	// The second PUT meets a 502, its retry is refused (already complete), and the dataset holds 3.
	d, err := c.CompleteDataset(testContext(t), "ds", 5)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
		t.Fatalf("CompleteDataset(5) = %+v, %v; want the 400 (the dataset holds 3 records)", d, err)
	}
	if n := srv.RequestCounts()[opid.DatasetUpdateByName]; n != 3 {
		t.Errorf("%d PUTs, want 3", n)
	}
}

// A 503, with or without Retry-After, is a refusal for load like a 429: an upload sends fewer blocks
// at once after it, and reports it.
func TestUploadWindowShrinksOnA503(t *testing.T) {
	for _, kind := range []data8test.FaultKind{data8test.Fault503, data8test.Fault503RetryAfter} {
		t.Run(kind.String(), func(t *testing.T) {
			srv := newServer(t, data8test.WithFaultScript(data8test.Fault{Op: opid.DatasetUploadBlock, Blocks: []int{2}, Attempt: 1, Kind: kind}))
			c := newClient(srv)
			createDataset(t, c, "ds", testColumns...)
			res, err := c.Upload(testContext(t), "ds", client.Records(testRecords(100)), client.UploadOptions{BlockSize: 10, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			wantRecords(t, srv, "ds", 100)
			// One refusal for load; the window shrinks unless it takes the refusal for chance (at a
			// level that went through before).
			if res.Throttled != 1 || res.SmallestWindow < 1 || res.SmallestWindow > 4 {
				t.Errorf("throttled %d, smallest window %d; want 1 refusal for load, and a window of 1 to 4", res.Throttled, res.SmallestWindow)
			}
		})
	}
}
