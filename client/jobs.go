package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/gen"
)

// Job is a job's full details.
type Job struct {
	// Name is the job's unique name.
	Name string
	// WorkflowName is the workflow the job runs.
	WorkflowName string
	// SubmittedAt is when the job was submitted.
	SubmittedAt time.Time
	// CompletedAt is when the job finished; nil, or before SubmittedAt, while it runs.
	CompletedAt *time.Time
	// Status is the job's status code. Data8 does not document the values; its production team
	// gives them with the workflow. The project's reference server uses 0 queued, 1 running,
	// 2 completed, 3 failed.
	Status int
	// PercentComplete is how far the job has got, from 0 to 100.
	PercentComplete float64
	// EstimatedFinishTime is when the job is expected to finish, when the server says.
	EstimatedFinishTime *time.Time
	// Statistics are figures the workflow reports, by name.
	Statistics map[string]any
	// InputDatasets maps each input slot of the workflow to a dataset name.
	InputDatasets map[string]string
	// OutputDatasets maps each output slot to the dataset holding its results (read them with
	// ReadRecords).
	OutputDatasets map[string]string
	// Parameters are the job's parameters.
	Parameters map[string]string
	// InputFilename is a file in the account's Data8 file area used as input.
	InputFilename string
	// OutputFilenames maps each output slot to a file written in the account's Data8 file area.
	OutputFilenames map[string]string
}

// Finished reports whether the job has finished, by the contract's rule (D-14): CompletedAt is
// present, not null, not the zero time .NET sends for "unset", and not before SubmittedAt. It says
// nothing of success: the status codes are not documented.
func (j Job) Finished() bool {
	return j.CompletedAt != nil && !j.CompletedAt.IsZero() && !j.CompletedAt.Before(j.SubmittedAt)
}

// JobRef is a job's basic details, as listed.
type JobRef struct {
	// Name is the job's name.
	Name string
	// WorkflowName is the workflow the job runs.
	WorkflowName string
	// SubmittedAt is when the job was submitted.
	SubmittedAt time.Time
	// Status is the job's status code (see Job.Status).
	Status int
	// Location is the URL of the job's full details.
	Location string
}

// NewJob is a job to start.
type NewJob struct {
	// Name is unique; it may contain spaces but none of / : * ? " < > | and backslash.
	Name string
	// WorkflowName is the workflow to run, as named by Data8's production team.
	WorkflowName string
	// InputFilename optionally names a file in the account's Data8 file area to use as input.
	InputFilename string
	// InputDatasets maps each input slot of the workflow to a complete input dataset.
	InputDatasets map[string]string
	// Parameters maps parameter names to values.
	Parameters map[string]string
}

// ListJobsOptions filters ListJobs. The zero value lists every job.
type ListJobsOptions struct {
	// Workflow keeps only jobs of this workflow.
	Workflow string
	// StartDate, when not zero, keeps only jobs submitted at or after it.
	StartDate time.Time
	// EndDate, when not zero, keeps only jobs submitted at or before it.
	EndDate time.Time
}

// StartJob starts a job. Its name and input dataset names are checked before anything is sent.
//
// POST /Job is never sent twice blindly: when an attempt fails in a way that may have started the
// job (a lost connection, a 5xx), the client reads the job by name and takes it as the result when
// it runs the same workflow.
func (c *Client) StartJob(ctx context.Context, job NewJob) (*Job, error) {
	if err := ValidateJobName(job.Name); err != nil {
		return nil, err
	}
	if job.WorkflowName == "" {
		return nil, invalid("job %q: a workflow name is needed", job.Name)
	}
	for slot, ds := range job.InputDatasets {
		if err := ValidateDatasetName(ds); err != nil {
			return nil, fmt.Errorf("job %q, input %q: %w", job.Name, slot, err)
		}
	}
	nj := gen.NewJob{Name: job.Name, WorkflowName: job.WorkflowName}
	if job.InputFilename != "" {
		nj.InputFilename = &job.InputFilename
	}
	if job.InputDatasets != nil {
		nj.InputDatasets = &job.InputDatasets
	}
	if job.Parameters != nil {
		nj.Parameters = &job.Parameters
	}
	payload, err := json.Marshal(nj)
	if err != nil {
		return nil, fmt.Errorf("data8: encoding job: %w", err)
	}
	var found *Job
	body, err := c.do(ctx, call{
		op:     "Job_CreateJob",
		repeat: repeatLookup,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.JobCreateJobWithBody(ctx, headerContentType, bytes.NewReader(payload), edit)
		},
		resolve: func(ctx context.Context) ([]byte, bool, error) {
			j, err := c.GetJob(ctx, job.Name)
			if errors.Is(err, ErrNotFound) {
				return nil, false, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("data8: starting job %q: the outcome is unknown: %w", job.Name, err)
			}
			if j.WorkflowName != job.WorkflowName {
				return nil, false, invalid("starting job %q: a job of that name exists and runs workflow %q, not %q", job.Name, j.WorkflowName, job.WorkflowName)
			}
			if !sameStrings(j.InputDatasets, job.InputDatasets) || !sameStrings(j.Parameters, job.Parameters) {
				return nil, false, invalid("starting job %q: a job of that name exists with other input datasets or parameters", job.Name)
			}
			found = j
			return nil, true, nil
		},
	})
	if err != nil {
		return nil, err
	}
	if found != nil {
		return found, nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// Tolerate a 2xx without a body: read what was started.
		return c.GetJob(ctx, job.Name)
	}
	return decodeJob("Job_CreateJob", body)
}

// GetJob returns a job's full details; poll it (or use WaitJob) to follow progress.
func (c *Client) GetJob(ctx context.Context, name string) (*Job, error) {
	if err := ValidateJobName(name); err != nil {
		return nil, err
	}
	body, err := c.do(ctx, call{
		op:       "Job_GetByName",
		retry500: true,
		send: func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
			return c.api.JobGetByName(ctx, name, edit)
		},
	})
	if err != nil {
		return nil, err
	}
	return decodeJob("Job_GetByName", body)
}

// wireJob is a Job as it comes over the wire, with times read tolerantly (see wireTime).
type wireJob struct {
	Name                string            `json:"name"`
	WorkflowName        string            `json:"workflowName"`
	SubmittedAt         wireTime          `json:"submittedAt"`
	CompletedAt         wireTime          `json:"completedAt"`
	Status              int               `json:"status"`
	PercentComplete     *float64          `json:"percentComplete"`
	EstimatedFinishTime wireTime          `json:"estimatedFinishTime"`
	Statistics          map[string]any    `json:"statistics"`
	InputDatasets       map[string]string `json:"inputDatasets"`
	OutputDatasets      map[string]string `json:"outputDatasets"`
	Parameters          map[string]string `json:"parameters"`
	InputFilename       *string           `json:"inputFilename"`
	OutputFilenames     map[string]string `json:"outputFilenames"`
}

type wireJobRef struct {
	Name         string   `json:"name"`
	WorkflowName string   `json:"workflowName"`
	SubmittedAt  wireTime `json:"submittedAt"`
	Status       int      `json:"status"`
	Location     string   `json:"location"`
}

func decodeJob(op string, body []byte) (*Job, error) {
	var w wireJob
	if err := decode(op, body, &w); err != nil {
		return nil, err
	}
	j := &Job{
		Name:            w.Name,
		WorkflowName:    w.WorkflowName,
		SubmittedAt:     w.SubmittedAt.t,
		CompletedAt:     w.CompletedAt.ptr(),
		Status:          w.Status,
		Statistics:      w.Statistics,
		InputDatasets:   w.InputDatasets,
		OutputDatasets:  w.OutputDatasets,
		Parameters:      w.Parameters,
		OutputFilenames: w.OutputFilenames,

		EstimatedFinishTime: w.EstimatedFinishTime.ptr(),
	}
	if w.PercentComplete != nil {
		j.PercentComplete = *w.PercentComplete
	}
	if w.InputFilename != nil {
		j.InputFilename = *w.InputFilename
	}
	return j, nil
}

// wireTime reads a time tolerantly: RFC 3339 in any precision, and also the zone-less form .NET
// writes for an unspecified DateTime (read as UTC), including 0001-01-01T00:00:00 for "unset".
// null or absent leaves it unset. The generated models use time.Time, which refuses the zone-less
// form.
type wireTime struct {
	t   time.Time
	set bool
}

func (w *wireTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = wireTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		*w = wireTime{}
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			*w = wireTime{t: t, set: true}
			return nil
		}
	}
	return fmt.Errorf("unreadable time %q", s)
}

func (w wireTime) ptr() *time.Time {
	if !w.set {
		return nil
	}
	t := w.t
	return &t
}

// sameStrings reports whether a and b hold the same pairs, treating nil and empty alike.
func sameStrings(a, b map[string]string) bool {
	return len(a) == len(b) && maps.Equal(a, b)
}
