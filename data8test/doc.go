// Package data8test provides an in-memory stand-in for Data8's Administration & Batch Data Cleansing API,
// for use in tests, in the manner of net/http/httptest and Google's pstest.
//
// NewServer starts a server on a loopback port that implements the whole contract of the project's
// docs/contract.md: the OAuth2 token endpoint (client credentials, scope BatchApi, tokens that expire), datasets
// with block uploads (1,000 records at most per block, re-used block numbers overwrite, records in ascending
// block number then in-block order), jobs that run pluggable workflows asynchronously, API keys and client
// credentials. Every operation is implemented on the strict server interface generated in package gen, so
// the types on the wire cannot drift from api/openapi.yaml; errors are application/problem+json.
//
//	srv := data8test.NewServer(data8test.WithValidation(t))
//	defer srv.Close()
//	c := srv.Client() // or point any client at srv.URL, srv.TokenURL with srv.ClientID and srv.ClientSecret
//
// NewServer is the one constructor; like httptest.NewServer it panics if it cannot listen. A program that
// listens on an address a user gives listens itself and passes the listener with WithListener. Every
// option is named With….
//
// # Job status codes
//
// Data8 does not document the values of a job's status. This server uses its own convention:
// 0 queued, 1 running, 2 completed, 3 failed (the constants StatusQueued … StatusFailed, int32 as
// gen.Job.Status). A job is finished when completedAt is set, whatever the code.
//
// # Knobs for tests
//
// WithTokenLifetime, WithLatency, WithJobDuration and WithWorkflow shape the server. WithValidation checks
// every request and response against the embedded OpenAPI document with kin-openapi and fails the test on
// a response that breaks it.
//
// WithProfile switches the server, at the points where Data8's documentation is silent, to another
// reading that a real ASP.NET Core service could have made: 201 on creates, 204 on uploads, 409 for a
// taken name, zone-less .NET times, 500 records a page, unknown and missing members, PascalCase error
// members, problems as plain JSON or empty, gzip and chunked answers, and more (see Profile). A client
// that is strict in what it sends and tolerant in what it accepts works against every profile.
//
// WithMaxInFlight and WithRateLimit throttle the API as a busy service does, with 429 and Retry-After;
// Throttled counts the refusals.
//
// # Faults
//
// WithFaultRate and WithFaultScript inject faults into API requests so that a client's retry handling can
// be tested. The fault kinds cover what a client meets in front of a real service: 500, 503, and a proxy's
// 502 and 504 with an HTML page; 429 and 503 with a Retry-After in seconds or, with ProfileRetryAfterDate, as
// an HTTP date (WithRetryAfter sets the delay); a dropped connection; and the ambiguous failures, where the
// request was handled (a block stored, a dataset created) and then its answer lost to a 500, a 503 or a
// dropped connection. A script (WithFaultScript) picks requests by operation and call number, or block
// uploads by block number and attempt, which stays exact when a client has several blocks in flight; a
// rate (WithFaultRate) draws faults at random from a seed.
//
// # Inspection
//
// Records, RawRecords, BlockNumbers, DatasetInfo, JobInfo, FaultCounts, TokenCount, RequestCounts,
// Throttled and Violations let a test look at what the server holds and saw without going through the
// API; ExpireTokens expires every token issued so far.
//
// # Decided points
//
// Where the contract leaves a point open the server takes one reading and sticks to it (unless a profile
// says otherwise): records are stored and returned exactly as uploaded (a column left out stays absent,
// which the contract reads as null); output datasets are created when the job is submitted (input false,
// incomplete, named "<job name in snake case>_<output slot>") and completed when it ends; unknown members
// of request bodies are ignored, but member names are matched exactly; every input slot of a workflow
// must be given a complete dataset.
package data8test
