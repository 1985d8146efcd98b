package client

import (
	"context"
	"strconv"
	"time"
)

// WaitOptions tunes WaitJob. The zero value waits until the job is finished by the contract's rule
// (Job.Finished), polling from about 1s up to about 30s.
type WaitOptions struct {
	// Finished reports whether the job is done. nil means (*Job).Finished, the D-14 rule.
	Finished func(*Job) bool
	// Failed reports whether the job has failed; WaitJob then returns a *JobFailedError. It is asked
	// before Finished. nil means the client cannot tell (Data8 does not document status codes).
	Failed func(*Job) bool
	// Progress, when set, is called with the job after every poll (PercentComplete,
	// EstimatedFinishTime, Status).
	Progress func(*Job)
	// Interval is the first delay between polls. 0 means 1s.
	Interval time.Duration
	// MaxInterval caps the delay, which doubles after each poll. 0 means 30s.
	MaxInterval time.Duration
}

// WaitJob polls a job until opts.Failed or opts.Finished says so, or ctx ends. The delay between
// polls starts at opts.Interval, doubles up to opts.MaxInterval, and is jittered (between half and
// all of the current interval). Each poll is a GetJob under the retry policy. It returns the job as
// last read, with a *JobFailedError when Failed said so.
func (c *Client) WaitJob(ctx context.Context, name string, opts WaitOptions) (*Job, error) {
	finished := opts.Finished
	if finished == nil {
		finished = func(j *Job) bool { return j.Finished() }
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = time.Second
	}
	maxInterval := opts.MaxInterval
	if maxInterval <= 0 {
		maxInterval = 30 * time.Second
	}
	maxInterval = max(maxInterval, interval)
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
		delay := interval/2 + time.Duration(jitter()*float64(interval/2))
		if err := c.policy.Sleep(ctx, delay); err != nil {
			return job, ctxError("waiting for job "+strconv.Quote(name), err, nil)
		}
		interval = min(interval*2, maxInterval)
	}
}
