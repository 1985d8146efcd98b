package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/redact"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// Sentinel errors. An *APIError matches the one that fits its status code under errors.Is, so
// callers can write errors.Is(err, client.ErrNotFound) without caring where in a chain of wrapped
// errors the answer sits.
var (
	// ErrNotFound matches a 404 answer: the named dataset, job, key or client does not exist.
	ErrNotFound = errors.New("data8: not found")
	// ErrUnauthorized matches a 401 answer from the API, and a token endpoint that refused the
	// client's credentials.
	ErrUnauthorized = errors.New("data8: unauthorized")
	// ErrValidation matches a 400 answer, and a 409 or 422, which servers send for the same faults (a
	// 409 for a duplicate name, say); and a request that the client refused to send because the API
	// would reject it (a bad dataset, column or job name, a bad option).
	ErrValidation = errors.New("data8: validation failed")
	// ErrRateLimited matches a 429 answer that was still refused after every retry.
	ErrRateLimited = errors.New("data8: rate limited")
	// ErrInvalidRecord matches a record that the client refused to upload: a value that is not a
	// JSON scalar, a key that is not a known column, a ragged or non-UTF-8 CSV row, a JSON Lines line
	// that is not an object.
	ErrInvalidRecord = errors.New("data8: invalid record")
	// ErrPaging matches a paged read that the server's answers cannot end correctly: a page that
	// repeats the one before it byte for byte (the server ignores the page number), or a list that
	// runs past the client's bound. A read whose records do not add up to the dataset's record count
	// is a *CountMismatchError instead.
	ErrPaging = errors.New("data8: paging does not add up")
)

// Problem is an RFC 9457 problem details object as Data8 sends it (ASP.NET Core ProblemDetails): Type,
// Title, Status (the status the server put in the body; 0 when absent), Detail and Instance.
type Problem = gen.ProblemDetails

// APIError is the error for every answer outside 2xx. It is built from the status code alone: the
// body is decoded as problem details when it is one, and kept raw otherwise.
type APIError struct {
	// Operation is the API operation that failed, by its operationId, for example "Dataset_UploadBlock".
	Operation string
	// StatusCode is the HTTP status code of the answer.
	StatusCode int
	// Problem holds the decoded problem details; zero when the body was not problem details.
	Problem Problem
	// FieldErrors maps each offending member to its messages (ValidationProblemDetails "errors"),
	// for example "records[12].foo".
	FieldErrors map[string][]string
	// Body is the raw body when it was not problem details (HTML from a proxy, plain text, ...).
	// It is never part of Error().
	Body []byte
}

// Error returns one line: the operation, the status and what the server said, with at most a few
// field errors. It never holds the raw body, a token or a secret.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("data8: ")
	b.WriteString(e.Operation)
	fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Problem.Title != "" {
		b.WriteString(": ")
		b.WriteString(termsafe.Trim(e.Problem.Title, 200))
	}
	if e.Problem.Detail != "" && e.Problem.Detail != e.Problem.Title {
		b.WriteString(": ")
		b.WriteString(termsafe.Trim(e.Problem.Detail, 300))
	}
	if len(e.FieldErrors) > 0 {
		keys := slices.Sorted(maps.Keys(e.FieldErrors))
		const show = 3
		b.WriteString(" [")
		for i, k := range keys {
			if i == show {
				fmt.Fprintf(&b, "; and %d more", len(keys)-show)
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(termsafe.Trim(k, 100))
			if msgs := e.FieldErrors[k]; len(msgs) > 0 {
				b.WriteString(": ")
				b.WriteString(termsafe.Trim(msgs[0], 200))
			}
		}
		b.WriteString("]")
	}
	return b.String()
}

// Is reports whether the status code matches one of the sentinel errors.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrValidation:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusConflict || e.StatusCode == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// BlockError is the error of an upload that failed on one block. It names the dataset, the block
// number and the block's records, and wraps the cause (usually an *APIError).
type BlockError struct {
	// Dataset is the dataset being uploaded to.
	Dataset string
	// Block is the block number that failed.
	Block int
	// FirstRecord and LastRecord are the 0-based indices, in the source, of the first and last
	// record of the block (the first record the source yields is 0, whatever StartBlock is).
	FirstRecord, LastRecord int64
	// Err is the cause: an *APIError, a transport error or the context's error.
	Err error
}

// Error names the dataset, block and record range, then the cause.
func (e *BlockError) Error() string {
	return fmt.Sprintf("data8: upload to dataset %q: block %d (records %d-%d): %v",
		e.Dataset, e.Block, e.FirstRecord, e.LastRecord, e.Err)
}

// Unwrap returns the cause.
func (e *BlockError) Unwrap() error { return e.Err }

// JobFailedError is returned by WaitJob when the caller's Failed test says the job failed.
type JobFailedError struct {
	// Job is the job as last read.
	Job *Job
}

// Error names the job, its workflow and status code.
func (e *JobFailedError) Error() string {
	return fmt.Sprintf("data8: job %q (workflow %q) failed with status %d", e.Job.Name, e.Job.WorkflowName, e.Job.Status)
}

// CountMismatchError is the error of a read of a dataset's records (ReadRecords, Download) that
// received fewer or more records than the record count the server states for the dataset. The
// records read are not the dataset's records: a file written from them must not be used.
type CountMismatchError struct {
	// Dataset is the dataset read.
	Dataset string
	// Want is the dataset's record count, as the server stated it before the read.
	Want int64
	// Got is the number of records the server served; when it is more than Want, the read stopped
	// at the page that went past Want, and the server may hold more still.
	Got int64
}

// Error names the dataset and both numbers.
func (e *CountMismatchError) Error() string {
	if e.Got > e.Want {
		return fmt.Sprintf("data8: dataset %q: the server states %d records but served more: at least %d", e.Dataset, e.Want, e.Got)
	}
	return fmt.Sprintf("data8: dataset %q: the server states %d records but served %d", e.Dataset, e.Want, e.Got)
}

// pagingError returns an error matching ErrPaging.
func pagingError(format string, args ...any) error {
	return &localError{msg: fmt.Sprintf(format, args...), kind: ErrPaging}
}

// invalid returns a local validation error that matches ErrValidation.
func invalid(format string, args ...any) error {
	return &localError{msg: fmt.Sprintf(format, args...), kind: ErrValidation}
}

// invalidRecord returns a local record error that matches ErrInvalidRecord.
func invalidRecord(format string, args ...any) error {
	return &localError{msg: fmt.Sprintf(format, args...), kind: ErrInvalidRecord}
}

// localError is an error found before anything was sent.
type localError struct {
	msg  string
	kind error
}

func (e *localError) Error() string        { return "data8: " + e.msg }
func (e *localError) Is(target error) bool { return target == e.kind }

// newAPIError builds the error for a non-2xx answer. Every text it keeps from the answer (each field
// of the problem, the raw body) is passed through secrets first, so that a server echoing the client
// secret or a bearer token, in any encoding, cannot put it in the error.
func newAPIError(op string, status int, header http.Header, body []byte, secrets *redact.Set) *APIError {
	e := &APIError{Operation: op, StatusCode: status}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	isProblem := mt == "application/problem+json"
	if isProblem || mt == "application/json" {
		var p gen.ValidationProblemDetails
		if err := json.Unmarshal(body, &p); err == nil && (isProblem || p.Title != "" || p.Type != "" || p.Status != 0) {
			e.Problem = Problem{Type: p.Type, Title: p.Title, Status: p.Status, Detail: p.Detail, Instance: p.Instance}
			e.FieldErrors = p.Errors
			e.scrub(secrets)
			return e
		}
	}
	if len(body) > 0 {
		e.Body = body
		if clean := secrets.String(string(body)); clean != string(body) {
			e.Body = []byte(clean)
		}
	}
	return e
}

// scrub redacts the secrets from every text field of the decoded problem.
func (e *APIError) scrub(secrets *redact.Set) {
	r := secrets.String
	e.Problem.Type = r(e.Problem.Type)
	e.Problem.Title = r(e.Problem.Title)
	e.Problem.Detail = r(e.Problem.Detail)
	e.Problem.Instance = r(e.Problem.Instance)
	if len(e.FieldErrors) > 0 {
		clean := make(map[string][]string, len(e.FieldErrors))
		for k, msgs := range e.FieldErrors {
			out := make([]string, len(msgs))
			for i, m := range msgs {
				out[i] = r(m)
			}
			clean[r(k)] = append(clean[r(k)], out...)
		}
		e.FieldErrors = clean
	}
}
