// Command bench is the project's benchmark, run by `make bench`:
//
//	go run ./internal/bench [-sizes 100000,1000000] [-runs 3] [-latency 20ms] [-job 1s] [-limit 4]
//	                        [-retry-after 1] [-parts upload,download,run,throttled,library] [-quick]
//	                        [-check=false]
//
// It builds the data8 CLI from this tree into a temporary directory, generates CSV files of six text
// columns (one per -sizes count) and measures, in one run, each part chosen by -parts:
//
//   - upload: `data8 dataset upload` (--concurrency 8) beside the reference upload, the least work a
//     client can do: the file's block bodies encoded beforehand, PATCHed from 8 goroutines, answers
//     discarded;
//   - download: `data8 dataset download` beside the reference download, every page fetched from 8
//     goroutines and its bytes discarded. The CLI gets --concurrency 8 when its --help lists that flag,
//     and otherwise runs at its own default (the report says which);
//   - run: `data8 run` (upload, a job of -job, download) beside reference upload + reference download +
//     the job's own time;
//   - throttled: the same upload and download against a server that allows -limit requests in flight
//     (each counted until its answer has been written out, a large page included) and answers the
//     rest with 429 and Retry-After: -retry-after (1 s), the CLI at its default settings, beside a
//     reference that sends exactly -limit at a time. The server reports the average number of
//     requests in flight over each measurement;
//   - library: the client library's figures against `data8 serve` sandboxes: encoding on one core
//     beside a map[string]any + encoding/json baseline, the sandbox's ingest rate, and client.Upload
//     beside the generated client alone (naive) and the latency bound, at several concurrency settings.
//
// The CLI runs as a child process: its wall time, its CPU time (user + system, from its rusage, also
// per million records) and its peak RSS (VmHWM read from /proc while it runs; package procmem says why
// not the rusage's maxrss). Every result is checked (the records the server holds after an upload, the
// lines of a downloaded file); a CLI run that fails or gives a wrong result is reported with its exit
// status and the last line it wrote, and the benchmark carries on.
//
// The whole-job parts run against the benchmark's own server (apiServer), a copy of this program in a
// child process, independent of data8test: it adds -latency to every request, keeps uploaded blocks as
// the bytes they were sent in (scanned for record boundaries, never decoded) and serves pages of 1,000
// cut from them, so that it does as little work as a server can; its CPU time during each measurement
// is reported, since it shares the machine's cores with the client measured. The reference clients run
// in this process; their CPU time is reported too.
//
// Every figure is the median of -runs runs; within a run the reference and the CLI alternate, so that
// the machine's other work falls on both alike, and the 1-minute load average is printed at the start
// and the end. Figures computed from medians (ratios, bounds) carry the run count of the median they
// come from. Progress goes to standard error; standard output gets the tables, the targets with PASS or
// FAIL, and one machine-readable line per figure and per target:
//
//	BENCH name=download/n=1000000/cli/seconds value=3.51 unit=s runs=3
//	TARGET name=download/cli_over_ref/n=1000000 value=1.08 op=<= limit=1.3 unit=x pass=true
//
// The targets are taken at the largest size: the CLI within 1.3× its reference (upload, download,
// throttled upload and download; for run, (run − job) ÷ (reference upload + reference download)),
// every run of the throttled ones within 1.15× of its reference at a limit of 4 and 1.2× at others,
// at most 1.5 s of CLI CPU per million records for upload and download, peak RSS at most 64 MiB and
// growing at most 1.2× from the smallest size, no failed CLI run; with the library part, the client
// library's targets too. The command exits 1 when a target is missed (-check=false turns that off).
//
// It lives under internal/ because it is a development tool, not a command shipped to users: `go install
// .../cmd/...` does not install it.
package main
