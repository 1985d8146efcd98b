package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
)

type (
	// Job is a job's full details, as polled: Name, WorkflowName, SubmittedAt, CompletedAt (nil, or
	// not set, while it runs), Status (a code Data8 does not document), PercentComplete,
	// EstimatedFinishTime, Statistics, InputDatasets, OutputDatasets (output slot → dataset name, read
	// with ReadRecords), Parameters, InputFilename and OutputFilenames. See JobFinished.
	Job = gen.Job

	// JobRef is a job's basic details, as listed: Name, WorkflowName, SubmittedAt, Status and Location
	// (empty when the server leaves it out).
	JobRef = gen.JobRef

	// NewJob is a job to start: Name (unique; spaces are fine, none of / : * ? " < > | or
	// backslash), WorkflowName, and optionally InputFilename, InputDatasets (the workflow's input
	// slot → a complete input dataset) and Parameters.
	NewJob = gen.NewJob
)

// JobFinished reports whether the job has finished, by the contract's rule (D-14): CompletedAt is
// present, not null, not the zero time .NET sends for "unset", and not before SubmittedAt. It says
// nothing of success: the status codes are not documented. It is WaitOptions' default Finished test.
func JobFinished(j *Job) bool {
	return j.CompletedAt.IsSet() && !j.CompletedAt.Before(j.SubmittedAt.Time)
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
	payload, err := json.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("data8: encoding job: %w", err)
	}
	var found *Job // the job a retry found already started
	return callOne(ctx, c, call{
		op:     opid.JobCreateJob,
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
			if !maps.Equal(j.InputDatasets, job.InputDatasets) || !maps.Equal(j.Parameters, job.Parameters) {
				return nil, false, invalid("starting job %q: a job of that name exists with other input datasets or parameters", job.Name)
			}
			found = j
			return nil, true, nil
		},
	}, func(ctx context.Context) (*Job, error) {
		if found != nil {
			return found, nil
		}
		return c.GetJob(ctx, job.Name)
	})
}

// GetJob returns a job's full details; poll it (or use WaitJob) to follow progress.
func (c *Client) GetJob(ctx context.Context, name string) (*Job, error) {
	if err := ValidateJobName(name); err != nil {
		return nil, err
	}
	return get[Job](ctx, c, opid.JobGetByName, func(ctx context.Context, edit gen.RequestEditorFn) (*http.Response, error) {
		return c.api.JobGetByName(ctx, name, edit)
	})
}
