package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// jobScript serves GET /Job/{name}: the i-th poll gets the job that step(i, now) describes, where
// now is the test's clock. The clock moves only when the client sleeps.
type jobScript struct {
	mu     sync.Mutex
	now    time.Time
	polls  int
	delays []time.Duration
	step   func(poll int, now time.Time) map[string]any
	// stillAt, when set, is what the client's clock says throughout (a coarse clock), while the
	// job's own time (now) moves on with each sleep.
	stillAt time.Time
}

func (js *jobScript) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	js.mu.Lock()
	js.polls++
	body := js.step(js.polls, js.now)
	js.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

func (js *jobScript) sleep(ctx context.Context, d time.Duration) error {
	js.mu.Lock()
	js.delays = append(js.delays, d)
	js.now = js.now.Add(d)
	js.mu.Unlock()
	return context.Cause(ctx)
}

func (js *jobScript) clock() time.Time {
	js.mu.Lock()
	defer js.mu.Unlock()
	if !js.stillAt.IsZero() {
		return js.stillAt
	}
	return js.now
}

func (js *jobScript) wait(t *testing.T, opts client.WaitOptions) (*client.Job, []time.Duration) {
	t.Helper()
	hs := httptest.NewServer(js)
	t.Cleanup(hs.Close)
	c, err := client.New(client.WithBaseURL(hs.URL), client.WithBearerToken("test-token-0123456789"),
		client.WithRetryPolicy(client.RetryPolicy{Sleep: js.sleep, Now: js.clock}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	j, err := c.WaitJob(testContext(t), "Job 1", opts)
	if err != nil {
		t.Fatal(err)
	}
	return j, js.delays
}

var submitted = time.Date(2024, 5, 6, 7, 0, 0, 0, time.UTC)

func jobAt(pct float64, eta, completed *time.Time) map[string]any {
	j := map[string]any{"name": "Job 1", "workflowName": "W", "submittedAt": submitted, "status": 1, "percentComplete": pct}
	if eta != nil {
		j["estimatedFinishTime"] = *eta
	}
	if completed != nil {
		j["completedAt"] = *completed
		j["status"] = 2
	}
	return j
}

// wantDelays checks that the delays d are the jittered delays want, in seconds, one for one.
func wantDelays(t *testing.T, d, want []time.Duration) {
	t.Helper()
	if len(d) != len(want) {
		t.Fatalf("delays %v, want %d", d, len(want))
	}
	for i, w := range want {
		inJitter(t, i, d[i], w*time.Second)
	}
}

// inJitter checks that d is a jittered d0: between half and all of it (give or take a microsecond of
// floating-point rounding).
func inJitter(t *testing.T, i int, d, d0 time.Duration) {
	t.Helper()
	if d < d0/2-time.Microsecond || d > d0+time.Microsecond {
		t.Errorf("delay %d = %v, want in [%v, %v]", i, d, d0/2, d0)
	}
}

func TestWaitJobFollowsTheEstimate(t *testing.T) {
	// The server revises its estimate at each poll. Polls come at MaxInterval while the end is far,
	// at half the time left as it nears, then at Interval doubling once the estimate has passed.
	js := &jobScript{now: submitted}
	left := []time.Duration{10 * time.Minute, 20 * time.Second, 3 * time.Second, -time.Second, -5 * time.Second}
	js.step = func(poll int, now time.Time) map[string]any {
		if poll > len(left) {
			return jobAt(100, &now, &now)
		}
		eta := now.Add(left[poll-1])
		return jobAt(50, &eta, nil)
	}
	j, d := js.wait(t, client.WaitOptions{})
	if !client.JobFinished(j) {
		t.Fatalf("job %+v", j)
	}
	want := []time.Duration{30 * time.Second, 10 * time.Second, 1500 * time.Millisecond, time.Second, 2 * time.Second}
	if len(d) != len(want) {
		t.Fatalf("delays %v, want %d", d, len(want))
	}
	for i, w := range want {
		inJitter(t, i, d[i], w)
	}
}

func TestWaitJobFollowsProgress(t *testing.T) {
	// No estimate; percentComplete grows 1% a second: after the first two polls, the delay is half
	// the time left at that rate, within [Interval, MaxInterval].
	js := &jobScript{now: submitted}
	js.step = func(poll int, now time.Time) map[string]any {
		pct := 1 + float64(now.Sub(submitted))/float64(time.Second)
		if pct >= 100 {
			return jobAt(100, nil, &now)
		}
		return jobAt(pct, nil, nil)
	}
	j, d := js.wait(t, client.WaitOptions{Interval: time.Second, MaxInterval: 20 * time.Second})
	if !client.JobFinished(j) {
		t.Fatalf("job %+v", j)
	}
	inJitter(t, 0, d[0], time.Second) // one poll shows no rate yet: Interval
	at := d[0]
	for i := 1; i < len(d); i++ {
		pct := 1 + float64(at)/float64(time.Second)
		left := time.Duration((100 - pct) * float64(time.Second)) // 1% a second
		inJitter(t, i, d[i], min(max(left/2, time.Second), 20*time.Second))
		at += d[i]
	}
	if len(d) > 20 {
		t.Errorf("%d polls for a 100s job", len(d)+1)
	}
}

func TestWaitJobWithoutProgressBacksOff(t *testing.T) {
	// A job that says nothing of its progress: Interval doubling up to MaxInterval.
	js := &jobScript{now: submitted}
	js.step = func(poll int, now time.Time) map[string]any {
		if poll == 7 {
			return jobAt(100, nil, &now)
		}
		return jobAt(0, nil, nil)
	}
	_, d := js.wait(t, client.WaitOptions{Interval: time.Second, MaxInterval: 10 * time.Second})
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	if len(d) != len(want) {
		t.Fatalf("delays %v", d)
	}
	for i, w := range want {
		inJitter(t, i, d[i], w*time.Second)
	}
}

// TestWaitJobRestartsBackoffWhenTheEstimatePasses: a job that said nothing of its progress (the
// delays grew to 4s), then gave an estimate, which passed: polls restart at Interval, since the job
// should end at any moment, rather than carry on from the grown delay.
func TestWaitJobRestartsBackoffWhenTheEstimatePasses(t *testing.T) {
	js := &jobScript{now: submitted}
	js.step = func(poll int, now time.Time) map[string]any {
		switch {
		case poll <= 3:
			return jobAt(0, nil, nil)
		case poll == 4:
			eta := now.Add(4 * time.Second)
			return jobAt(50, &eta, nil)
		case poll <= 6:
			eta := now.Add(-time.Second)
			return jobAt(90, &eta, nil)
		}
		return jobAt(100, nil, &now)
	}
	_, d := js.wait(t, client.WaitOptions{Interval: time.Second, MaxInterval: 30 * time.Second})
	// No progress: 1s, 2s, 4s; an estimate 4s ahead: half of it; the estimate passed: 1s, 2s
	// (not 8s, 16s).
	want := []time.Duration{1, 2, 4, 2, 1, 2}
	wantDelays(t, d, want)
}

// TestWaitJobIgnoresAnEstimateBeforeSubmission: an estimated finish earlier than the job's
// submission says nothing: the backoff goes on growing, rather than restart as for an estimate that
// passed.
func TestWaitJobIgnoresAnEstimateBeforeSubmission(t *testing.T) {
	js := &jobScript{now: submitted}
	js.step = func(poll int, now time.Time) map[string]any {
		switch {
		case poll <= 3:
			return jobAt(0, nil, nil)
		case poll <= 5:
			eta := submitted.Add(-time.Hour)
			return jobAt(0, &eta, nil)
		}
		return jobAt(100, nil, &now)
	}
	_, d := js.wait(t, client.WaitOptions{Interval: time.Second, MaxInterval: 30 * time.Second})
	want := []time.Duration{1, 2, 4, 8, 16}
	wantDelays(t, d, want)
}

// TestWaitJobProgressWithAStillClock: progress seen with no time passed on the clock (a coarse
// clock) gives no rate: the delays back off rather than fall to Interval on an infinite rate.
func TestWaitJobProgressWithAStillClock(t *testing.T) {
	js := &jobScript{now: submitted, stillAt: submitted}
	js.step = func(poll int, now time.Time) map[string]any {
		if poll == 5 {
			return jobAt(100, nil, &now)
		}
		return jobAt(float64(10*poll), nil, nil)
	}
	_, d := js.wait(t, client.WaitOptions{Interval: time.Second, MaxInterval: 30 * time.Second})
	want := []time.Duration{1, 2, 4, 8}
	wantDelays(t, d, want)
}

// TestJobStatuses: the status codes a customer gives are judged only once the job is finished: a
// failed code on a running job is not a failure, and with Done codes given, a completion time alone
// does not finish a job.
func TestJobStatuses(t *testing.T) {
	now := submitted.Add(time.Minute)
	job := func(status int, completed bool) *client.Job {
		m := jobAt(50, nil, nil)
		if completed {
			m = jobAt(100, nil, &now)
		}
		m["status"] = status
		b, _ := json.Marshal(m)
		var j client.Job
		if err := json.Unmarshal(b, &j); err != nil {
			t.Fatal(err)
		}
		return &j
	}
	for _, tc := range []struct {
		name             string
		codes            client.JobStatuses
		status           int
		completed        bool
		finished, failed bool
	}{
		{"no codes, running", client.JobStatuses{}, 3, false, false, false},
		{"no codes, completed", client.JobStatuses{}, 3, true, true, false},
		{"failed code on a running job", client.JobStatuses{Failed: []int{3}}, 3, false, false, false},
		{"failed code on a finished job", client.JobStatuses{Failed: []int{3}}, 3, true, true, true},
		{"other code on a finished job", client.JobStatuses{Failed: []int{3}}, 2, true, true, false},
		{"done code without a completion time", client.JobStatuses{Done: []int{7}}, 7, false, true, false},
		{"completion time, code not done", client.JobStatuses{Done: []int{7}}, 2, true, false, false},
		{"done and failed codes: failed", client.JobStatuses{Done: []int{7}, Failed: []int{9}}, 9, false, true, true},
		{"done and failed codes: done", client.JobStatuses{Done: []int{7}, Failed: []int{9}}, 7, true, true, false},
	} {
		j := job(tc.status, tc.completed)
		if got := tc.codes.IsFinished(j); got != tc.finished {
			t.Errorf("%s: Finished = %v, want %v", tc.name, got, tc.finished)
		}
		if got := tc.codes.IsFailed(j); got != tc.failed {
			t.Errorf("%s: Failed = %v, want %v", tc.name, got, tc.failed)
		}
	}
}

// TestWaitJobJudgesFailureOnlyWhenFinished: a workflow reporting its failed code while it still
// runs is waited for to the end; WaitJob then returns the *JobFailedError only for a finished job.
func TestWaitJobJudgesFailureOnlyWhenFinished(t *testing.T) {
	js := &jobScript{now: submitted}
	js.step = func(poll int, now time.Time) map[string]any {
		if poll < 4 {
			m := jobAt(10*float64(poll), nil, nil)
			m["status"] = 3 // this workflow's "running"
			return m
		}
		m := jobAt(100, nil, &now)
		m["status"] = 2
		return m
	}
	codes := client.JobStatuses{Failed: []int{3}}
	j, d := js.wait(t, client.WaitOptions{Interval: time.Second, Finished: codes.IsFinished, Failed: codes.IsFailed})
	if j.Status != 2 || len(d) != 3 {
		t.Fatalf("job status %d after %d polls; want 2 after 4", j.Status, len(d)+1)
	}
}

// TestWaitJobStalledProgressBacksOff: a job whose percentComplete stalls (or goes back) shows no
// rate to follow: polls back off from Interval, doubling, as for a job that says nothing, rather
// than take a rate of zero for an end infinitely far off.
func TestWaitJobStalledProgressBacksOff(t *testing.T) {
	for name, pct := range map[string][]float64{
		"stalled":    {40, 40, 40, 40, 40},
		"going back": {40, 30, 20, 10, 5},
	} {
		t.Run(name, func(t *testing.T) {
			js := &jobScript{now: submitted}
			js.step = func(poll int, now time.Time) map[string]any {
				if poll > len(pct) {
					return jobAt(100, nil, &now)
				}
				return jobAt(pct[poll-1], nil, nil)
			}
			_, d := js.wait(t, client.WaitOptions{Interval: time.Second, MaxInterval: 30 * time.Second})
			want := []time.Duration{1, 2, 4, 8, 16}
			if len(d) != len(want) {
				t.Fatalf("delays %v, want %d", d, len(want))
			}
			for i, w := range want {
				inJitter(t, i, d[i], w*time.Second)
			}
		})
	}
}
