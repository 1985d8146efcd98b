package client

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// WaitOptions tunes WaitJob. The zero value waits until the job is finished by the contract's rule
// (JobFinished), polling from about 1s up to about 30s.
type WaitOptions struct {
	// Finished reports whether the job is done. nil means JobFinished, the D-14 rule.
	Finished func(*Job) bool
	// Failed reports whether the job has failed; WaitJob then returns a *JobFailedError. It is asked
	// before Finished. nil means the client cannot tell (Data8 does not document status codes).
	Failed func(*Job) bool
	// Progress, when set, is called with the job after every poll (PercentComplete,
	// EstimatedFinishTime, Status).
	Progress func(*Job)
	// Interval is the shortest delay between polls, and the first. 0 means 1s.
	Interval time.Duration
	// MaxInterval is the longest delay between polls. 0 means 30s.
	MaxInterval time.Duration
}

// JobStatuses are a workflow's status codes, as Data8 gives them to its customer: the API documents
// none (D-14). Its methods are WaitOptions' tests:
//
//	opts := client.WaitOptions{Finished: codes.IsFinished, Failed: codes.IsFailed}
//
// The zero value knows no code: a job is finished when JobFinished says so, and never failed.
type JobStatuses struct {
	// Done are the codes of a job that finished. When given, they are the whole rule for "finished":
	// a job whose code is in neither Done nor Failed is still waited for, whatever its completion
	// time says. Empty: a job is finished when JobFinished says so (it has a completion time).
	Done []int `json:"done,omitempty"`
	// Failed are the codes of a job that failed. A code is judged only once the job is finished
	// (by Done when given, else by its completion time): a running job reporting the same code is
	// not failed.
	Failed []int `json:"failed,omitempty"`
}

// IsFinished reports whether j is finished: its code is in Done or Failed when Done is given, else
// JobFinished(j).
func (s JobStatuses) IsFinished(j *Job) bool {
	if len(s.Done) > 0 {
		return slices.Contains(s.Done, j.Status) || slices.Contains(s.Failed, j.Status)
	}
	return JobFinished(j)
}

// IsFailed reports whether j is finished (see IsFinished) with a code in Failed.
func (s JobStatuses) IsFailed(j *Job) bool {
	return slices.Contains(s.Failed, j.Status) && s.IsFinished(j)
}

// WaitJob polls a job until opts.Failed or opts.Finished says so, or ctx ends. Each poll is a
// GetJob under the retry policy. It returns the job as last read, with a *JobFailedError when
// Failed said so.
//
// The delay before the next poll follows what the job says of its progress, always within
// [Interval, MaxInterval]:
//
//   - with an estimatedFinishTime still ahead: half the time left, so a long job is polled seldom
//     (at MaxInterval while it is far off) and polls come closer together as the estimate nears;
//   - without one, when percentComplete has grown since an earlier poll: half the time left at the
//     rate it has been growing since the first poll that showed it;
//   - otherwise (no estimate, or an estimate already passed): Interval, doubling after each such
//     poll up to MaxInterval; an estimate that has passed restarts the doubling at Interval, since
//     the job should end at any moment.
//
// Each delay is jittered: a random duration between half and all of it. The client's
// RetryPolicy.Sleep and RetryPolicy.Now are the wait and the clock.
func (c *Client) WaitJob(ctx context.Context, name string, opts WaitOptions) (*Job, error) {
	finished := opts.Finished
	if finished == nil {
		finished = JobFinished
	}
	s := newPollSchedule(opts.Interval, opts.MaxInterval)
	for {
		job, err := c.GetJob(ctx, name)
		if err != nil {
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(job)
		}
		if opts.Failed != nil && opts.Failed(job) {
			return job, &JobFailedError{Job: job}
		}
		if finished(job) {
			return job, nil
		}
		d := s.next(job, c.policy.Now())
		delay := d/2 + time.Duration(jitter()*float64(d/2))
		if err := c.policy.Sleep(ctx, delay); err != nil {
			return job, ctxError("waiting for job "+strconv.Quote(name), err, nil)
		}
	}
}

// pollSchedule chooses WaitJob's delays (see WaitJob).
type pollSchedule struct {
	min, max time.Duration
	backoff  time.Duration // the next delay when the job says nothing of its progress
	overdue  bool          // the last poll found the estimate passed
	// The first poll that showed progress, for the rate.
	startPct float64
	startAt  time.Time
	started  bool
}

func newPollSchedule(minD, maxD time.Duration) *pollSchedule {
	if minD <= 0 {
		minD = time.Second
	}
	if maxD <= 0 {
		maxD = 30 * time.Second
	}
	maxD = max(maxD, minD)
	return &pollSchedule{min: minD, max: maxD, backoff: minD}
}

// next returns the delay before the poll after the one that read j at now, before jitter.
func (s *pollSchedule) next(j *Job, now time.Time) time.Duration {
	if eta := j.EstimatedFinishTime; eta != nil && !eta.IsZero() && !eta.Before(j.SubmittedAt.Time) {
		if left := eta.Sub(now); left > 0 {
			s.overdue = false
			return s.clamp(left / 2)
		}
		if !s.overdue {
			s.overdue, s.backoff = true, s.min
		}
		return s.step()
	}
	if p := j.PercentComplete; p > 0 && p < 100 {
		if !s.started {
			s.started, s.startPct, s.startAt = true, p, now
		} else if p > s.startPct && now.After(s.startAt) {
			rate := (p - s.startPct) / float64(now.Sub(s.startAt)) // percent per nanosecond
			left := time.Duration(min((100-p)/rate, float64(s.max*2)))
			return s.clamp(left / 2)
		}
	}
	return s.step()
}

// step returns the backoff delay and doubles it for next time.
func (s *pollSchedule) step() time.Duration {
	d := s.backoff
	s.backoff = min(s.backoff*2, s.max)
	return d
}

func (s *pollSchedule) clamp(d time.Duration) time.Duration { return min(max(d, s.min), s.max) }
