// Package client is the Go SDK for Data8's Administration & Batch Data Cleansing API: datasets,
// block uploads, jobs, API keys and OAuth client credentials. It is built on the code generated from
// the project's OpenAPI spec (package gen) and adds what the spec cannot say: authentication, one
// retry policy, typed errors, a streaming block uploader, and helpers to follow a job.
//
// # Connecting
//
// New makes a Client. With no options it talks to https://api.data-8.co.uk, fetching OAuth2 tokens
// (client credentials grant, scope BatchApi) from https://auth.data-8.co.uk/connect/token with the
// credentials in DATA8_CLIENT_ID and DATA8_CLIENT_SECRET; DATA8_BASE_URL and DATA8_TOKEN_URL move
// the endpoints. Options set the same things in code:
//
//	c, err := client.New(
//		client.WithCredentials(id, secret),
//		client.WithLogger(slog.Default()),
//	)
//
// A Client is safe for concurrent use; its goroutines share one access token (fetched once, renewed
// once when the API answers 401), one connection pool and one retry budget. It refuses http:// URLs
// except on loopback hosts, unless WithInsecureHTTP says otherwise. No error string and no log
// record holds a token or the client secret. The secret is sent only to the token URL and tokens only
// to the base URL's origin; no redirect is followed (ErrRedirect). WithStallNotice reports a server
// that keeps the client waiting.
//
// # The batch flow
//
// A batch run has four steps: create an input dataset, upload its records in blocks, mark it
// complete with the number of records, and start a job on a workflow that reads it. The job's output
// datasets are then read back.
//
//	// 1-3: create, upload and complete in one call.
//	src, err := client.NewCSVSource(file) // the header row names the columns
//	ds, res, err := c.UploadDataset(ctx, "contacts_2024", client.Columns{
//		"firstname": 0, "lastname": 0, "email": 0,
//	}, src, client.UploadOptions{})
//
//	// 4: run a job and wait for it.
//	job, err := c.StartJob(ctx, client.NewJob{
//		Name:          "Contact check 2024-06",
//		WorkflowName:  "CleanContacts",
//		InputDatasets: map[string]string{"Contacts": ds.Name},
//	})
//	job, err = c.WaitJob(ctx, job.Name, client.WaitOptions{
//		Failed: func(j *client.Job) bool { return j.Status == 3 }, // codes come from Data8
//	})
//	for rec, err := range c.ReadRecords(ctx, job.OutputDatasets["Output"]) { ... }
//
// The steps are also there one by one: CreateDataset (names are checked against
// ^[a-z][a-z0-9_]*$ before sending), Upload, CompleteDataset (which always sends the true record
// count), GetDataset, ListDatasets, ReadRecords, Download; StartJob, GetJob, ListJobs, WaitJob.
//
// # Uploading
//
// Upload reads a Source — NewCSVSource, NewJSONLinesSource, Records over an iter.Seq2, or your own
// type — and splits it into blocks of up to 1,000 records, numbered in input order from
// UploadOptions.StartBlock, so that the server keeps the input's order. Up to
// UploadOptions.Concurrency blocks (default 8) are in flight at once; memory is a small pool of block
// buffers whatever the size of the input. Each block's body is encoded once; a retry re-sends the
// same bytes, and since re-sending a block number overwrites that block, a retried block never
// duplicates records.
//
// Records are checked before they are sent: values must be JSON scalars, and keys must be known
// columns when the columns are known (UploadOptions.Columns, or the dataset's columns in
// UploadDataset). A bad record is an error matching ErrInvalidRecord that names the record, or the
// CSV or JSON Lines line.
//
// UploadOptions.Progress receives the blocks, records and bytes acknowledged, and a Checkpoint: the
// block number below which every block is acknowledged. After an interruption, pass that checkpoint
// as UploadOptions.Resume with the same source and options: the records before it are skipped and
// uploading continues from there.
//
// # Reading back
//
// ReadRecords is the simple iterator over a dataset's records (a Record per record, numbers as
// json.Number). Download is the fast path, the read-back counterpart of Upload: it fetches up to
// DownloadOptions.Concurrency pages at once (default 8), each under the retry policy, and hands
// them on strictly in order as Pages of raw JSON records, memory bounded by the window whatever the
// dataset's size. CSVWriter and JSONLinesWriter write files straight from those bytes, without a
// map per record, byte for byte what encoding/csv and encoding/json write for the records
// ReadRecords gives.
//
// Every read is checked against the record count the server states for the dataset, read first. The
// page size is learned from page 1 (the contract's 1,000 is only decided); the read goes on until
// the count is reached or an empty page comes, and never asks for a page past the last the count
// allows. Fewer or more records than the count is a *CountMismatchError naming both numbers; a page
// repeating the previous one byte for byte (a server ignoring the page number) is an error matching
// ErrPaging. ListDatasets and ListJobs hold one page at a time and end at an empty or short page or
// a repeated one, and after 10,000 full pages with an error matching ErrPaging.
//
// WaitJob polls by what the job says of itself: seldom while its estimatedFinishTime is far off,
// closer together as it nears, and by the rate percentComplete grows when there is no estimate.
//
// # Errors and retries
//
// Every answer outside 2xx is an *APIError carrying the operation, the status code, the decoded
// problem details and the field errors; errors.Is matches ErrNotFound, ErrUnauthorized,
// ErrValidation (400, 409, 422) and ErrRateLimited. An upload that fails on a block returns a *BlockError naming the
// dataset, the block and the indices of its records, wrapping the cause. WaitJob returns a
// *JobFailedError when the caller's Failed test says so.
//
// Every call follows one RetryPolicy: connection errors and 429, 502, 503 and 504 are retried, and
// 500 for calls that are safe to repeat (GET, PUT, and PATCH of a block), with full-jitter
// exponential backoff (100ms doubling up to 20s), Retry-After honoured, at most 5 attempts, and a
// per-client retry budget. A refused token is renewed once per token, a few times per call at most,
// and never more than once a second. POST /Dataset and POST /Job are never blindly repeated: after a failure
// that may have created the dataset or job, the client looks it up by name and decides from what the
// server holds. A call stops as soon as its context ends.
//
// A throttling server slows the client down; it does not make it fail, nor make it hammer the
// server. A request refused with 429, or 503 with Retry-After, was not acted on: it is sent again
// after the Retry-After without using up an attempt or the retry budget, until
// RetryPolicy.MaxThrottleWait (10 minutes) has passed since the call's first refusal. A Retry-After
// below RetryPolicy.BaseDelay (0, negative, a date past) or none is not followed: the call waits at
// least BaseDelay, doubling to MaxDelay (20 s). WithThrottleNotice tells a program as a call begins
// such a wait. An upload adapts the number of blocks in flight to the server, finding its limit and
// staying at it: a refused block waits out the Retry-After and brings the window down to what the
// server let through, the rest of the upload pausing only until a block is acknowledged after the
// refusal; runs of acknowledged blocks bring it back to just below the level refused, which is tried
// again soon if the server took it before and rarely otherwise, up to UploadOptions.Concurrency;
// UploadResult.Throttled and SmallestWindow report what happened. A download adapts its pages in
// flight the same way, reading ahead of a refused page (DownloadOptions.ReadAhead;
// DownloadResult.Throttled and SmallestWindow).
//
// # Status codes
//
// Data8 does not document job status codes. JobFinished applies the contract's rule instead
// (completedAt present, set, and not before submittedAt); WaitJob lets the caller pass its own
// Finished and Failed tests for the codes Data8's production team gives with a workflow.
//
// # Types and tolerance
//
// Dataset, DatasetRef, Columns, Job, JobRef, NewJob, APIKey, NewAPIKey, APIKeyUpdate,
// ClientCredential and Problem are the models generated from the spec (package gen), so the client,
// the spec and the stand-in server (data8test) agree on what an answer may be. The client is strict
// in what it sends and tolerant in what it accepts wherever the API's documentation is silent: any
// 2xx is success; an answer without a body is an empty list, or the result is read back with a GET
// (a create whose server-generated key or id is then unknown returns what was sent); a 409 matches
// ErrValidation like the documented 400; members a type does not name are ignored and absent or
// null members leave their zero value; times are data8time.Time, which reads RFC 3339 and the
// zone-less forms a .NET service writes, with 0001-01-01T00:00:00 read as unset (IsSet).
package client
