package data8test

// JobStatuses are the status codes a server gives a job in each state. Data8 does not document its
// codes; a workflow's are what Data8 tells its customer.
type JobStatuses struct {
	Queued, Running, Completed, Failed int
}

// DefaultJobStatuses are the stand-in's own convention: 0 queued, 1 running, 2 completed, 3 failed.
var DefaultJobStatuses = JobStatuses{Queued: StatusQueued, Running: StatusRunning, Completed: StatusCompleted, Failed: StatusFailed}

// WithJobStatuses makes the server report jobs with the codes s instead of its own convention (0
// queued, 1 running, 2 completed, 3 failed), as a server whose workflows use other codes would: for
// testing a client that must not take the stand-in's codes for Data8's.
func WithJobStatuses(s JobStatuses) Option { return set(func(c *config) { c.jobStatuses = &s }) }

// code is the status the server reports for a job in state (one of the Status constants).
func (s *JobStatuses) code(state int) int {
	if s == nil {
		return state
	}
	switch state {
	case StatusQueued:
		return s.Queued
	case StatusRunning:
		return s.Running
	case StatusCompleted:
		return s.Completed
	case StatusFailed:
		return s.Failed
	}
	return state
}
