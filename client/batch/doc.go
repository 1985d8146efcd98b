// Package batch runs a whole batch job on Data8's Administration & Batch Data Cleansing API, file
// in, cleansed file out, with the guarantees of the data8 command (which is a thin shell over it):
//
//   - Plan: the whole input file (CSV with a header row, or JSON Lines) is checked, and its headers
//     mapped to valid column names ("First Name" → first_name), before anything exists on the
//     server. Bad input is an *InputError naming the file and line.
//   - Upload: an input dataset is created and the records uploaded in numbered blocks, through the
//     client's adaptive window; it is completed with the file's true record count.
//   - Start and wait: the job is started once, and waited for by its own estimate. Data8 documents
//     no status codes: give the workflow's in Spec.Statuses; without failure codes, a finished job
//     is judged by its output dataset (missing or incomplete: an *OutputError).
//   - Download: every record of the output dataset is written to the result file under a
//     temporary name, renamed into place only when complete and checked against the dataset's
//     record count; records that gain a column restart the download with it, within limits.
//
// Progress comes through one callback (Options.Progress). The checkpoint is one small value, a
// State, with no secret in it: keep it (SaveState) as each Event hands it over, and Resume carries
// on at the step the run stopped at, with the settings it began with.
//
// The package sits beside the client the way the AWS SDK's hand-written feature managers sit
// beside its generated service code: client holds one call per operation, batch the whole flow.
package batch
