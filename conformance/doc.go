// Package conformance is the contract suite of the Data8 Administration & Batch Data Cleansing API:
// every documented rule and every decided point (D-1 to D-14) of the project's contract,
// docs/contract.md, stated as a named case that can be run against any server — the in-process
// stand-in data8test, a `data8 serve` sandbox, or Data8 itself.
//
// # Cases
//
// Each case has a stable id (UPLOAD-OVERWRITE, DATASET-LIST-ALPHA-100, AUTH-NO-TOKEN-401, ...),
// a kind, a one-line citation of the rule it checks and, for a documented rule, the documentation's
// own words (Case.Quote); Cases lists them. Every check knows its source:
//
//   - A case is *failed* only when a documented rule is broken (the report quotes the words), or a
//     generic one: no request, positive or negative, gets a 5xx; a request without a token or with a
//     bad one gets 401; malformed bodies get a 4xx.
//   - Where the server differs from a point the contract decided (D-n, docs/contract.md) — another
//     2xx, 409 for a duplicate, a time without a zone, another page size, a member left out — the
//     case is *observed*: its Deviations say what we decided, what the server did, and the evidence
//     (request, status, content type, body shape).
//
// Every answer the suite receives passes through a checking http.RoundTripper
// (internal/specval, built on kin-openapi's openapi3filter) that compares it with the spec
// embedded in package gen (or Config.Spec). Each finding is classified by the spec itself: the
// nearest node marked x-data8-inferred on the way from the operation's response to the schema that
// failed names the decided point in its x-data8-assumption, and the finding is a deviation there; a
// finding with no marked node on the way breaks a documented rule and fails the case that made the
// request.
//
// The report (Markdown and JSON) has a discovery table, one row per decided point (and one per spec
// node or operation where the server differed), to forward to Data8 or to fix the spec with; and the
// run writes observed.overlay.yaml, an OpenAPI Overlay 1.0.0 document whose actions change
// api/openapi.yaml where the server differed. `make generate OVERLAY=observed.overlay.yaml`
// regenerates gen/ from the spec with it applied, through oapi-codegen's output-options.overlay.
//
// No secret reaches the report or the log, and no server can censor the report: the suite redacts
// by origin, never by what a server calls a secret. The configured client secret, the credentials
// the suite sends, the tokens of the token endpoint's answers and the secrets in the answers of the
// ClientCredential operations are replaced by [REDACTED] (internal/redact) in every encoding the
// report could carry them in (literal, form- and URL-encoded, JSON-escaped, base64). The report
// files are written 0600, each to a new file that then takes its name, so a link planted in the
// report directory is replaced, never written through. Every text of the Markdown that a server
// sent is escaped: it cannot break a table or add a heading, a link, an image, HTML or a code span.
//
// # Every rule at every place, a model, and scale
//
// A documented rule is checked wherever it applies: each naming rule on every name (dataset, column,
// job), with control characters, a trailing line feed and look-alike letters of other scripts; each
// uniqueness rule against every kind and state of object; each state rule from every state; each
// flag and filter required to work once the server reads its (decided) query name.
//
// MODEL-SEQUENCES drives the server with random sequences of operations, generated and shrunk by
// pgregory.net/rapid, and compares every answer and read-back with a reference model of the
// documented rules; a failure prints the shortest failing sequence found, as the requests it sent.
// rapid reads its settings from the command line; Run prepares it once per process for programs
// that are not tests (see setupRapid): it registers the testing flags and, when the program has not
// parsed its command line yet, marks flag.CommandLine parsed. Config.ModelSequences, ModelSteps and
// ModelShrinkRuns bound the work.
//
// The scale tier (SCALE-*, Config.Scale, DATA8_CONFORMANCE_SCALE=1) runs the upload and job rules
// at real size and concurrency: more than 10 blocks sent 8 at once out of order, full blocks
// overwritten by full blocks, and a job over 5,003 records read back whole; 101 API keys and 26
// OAuth clients, each listed once (the keys are deleted again, the clients cannot be); and it creates datasets
// of the shortest names the rule allows (a, a_, a0) and a job of a one-character name, which cannot
// carry the run's prefix.
//
// Names and texts that a server can get wrong (characters outside the Basic Multilingual Plane,
// line breaks, characters special in URLs such as '+', long names) come from one table
// (hardtext.go), used at every place a name or a text is kept: record values, job parameters, job,
// dataset and column names, and the model tier's records and jobs.
//
// Record values are compared as the contract guarantees them: a value read back in another form
// (0 as "0") is a difference from D-11, not a failure; a record lost, changed or out of order fails.
// Every 400 must carry a problem details body (ERROR-400-PROBLEM); its media type is D-3.
//
// The cases go through package client wherever it offers the call, so the suite checks the
// project's own client too (including that it refuses, without sending, what the API forbids);
// they send raw HTTP requests, with a token from the token endpoint, only for what the client
// will not send.
//
// # Running it
//
// Run runs the suite against the server a Config names and returns a Report (Markdown and JSON).
// The data8 command runs it against the server it is configured for (`data8 conformance --report
// DIR`; see its --help). `go test ./conformance/...` runs it against an in-process data8test server.
// To point the test at another server, set
//
//	DATA8_BASE_URL=https://api.data-8.co.uk
//	DATA8_TOKEN_URL=https://auth.data-8.co.uk/connect/token
//	DATA8_CLIENT_ID=...  DATA8_CLIENT_SECRET=...
//	DATA8_WORKFLOW=...  DATA8_WORKFLOW_INPUT=...  DATA8_WORKFLOW_OUTPUT=...
//
// where the workflow is one Data8 built for the account that copies its input dataset to its output
// dataset unchanged (default Echo, slots Input and Output, as data8test has). Optionally,
// DATA8_OTHER_WORKFLOW (and DATA8_OTHER_WORKFLOW_INPUT, default the workflow's input slot) names a
// second workflow of the account: JOB-LIST-FILTERS then starts one job of it and checks that each
// workflow filter keeps its own workflow's jobs; without it that check is skipped, and the case
// says so (the in-process test sets it to data8test's CleanContacts). The report is written
// to the directory DATA8_CONFORMANCE_REPORT names (default: the test's artifact directory, kept
// with `go test -artifacts`) as conformance.md, conformance.json, observed.overlay.yaml and junit.xml, and its
// Markdown is printed to the test log.
//
// Against a live account the suite is safe to run again and again: every dataset and job it
// creates is named with a prefix (DATA8_CONFORMANCE_PREFIX, default conf_) and a random run id. It
// does leave things behind, since the API has no way to delete them, and Estimate says what: 171
// input datasets (101 empty ones for the paging case) holding 8,960 records, and 51 jobs of the
// workflow with their output datasets (51 with DATA8_OTHER_WORKFLOW; 101 more with DATA8_CONFORMANCE_MANY_JOBS=1 or
// DATA8_CONFORMANCE_SCALE=1; the scale tier adds 3 datasets of 11,623 records and a job over 5,003
// of them and one over 2,000, and 3 empty datasets and a job of short names without the prefix); the model tier's
// random sequences add at most a dataset or a block of 1,000 records per operation and 2 jobs per
// sequence (usually far fewer); and four OAuth client credentials (26 more with the scale tier);
// the fourteen API keys it creates (and the 101 of the scale tier) are deleted again. The report lists what each case left.
// DATA8_CONFORMANCE_SKIP=ID,ID
// skips cases (for example CLIENTCRED-CREATE).
//
// Behind a proxy that validates requests against the spec (Prism with --errors; see
// conformance/prism/run.sh and `make prism`), set DATA8_CONFORMANCE_PROXY=1: the cases that send
// requests the spec forbids on purpose are then skipped, since the proxy, not the server, would
// answer them.
package conformance
