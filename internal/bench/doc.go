// Command bench is the project's upload benchmark (issue 6), run by `make bench`:
//
//	go run ./internal/bench [-latency 20ms] [-sizes 100000,1000000] [-concurrency 4,8,16,32] [-runs 3]
//
// It builds the data8 CLI, generates CSV files of six text columns, starts two `data8 serve` sandboxes in
// child processes (one adding -latency to every API request, one adding none) and measures, in one run:
//
//   - encoding: CSV → block bodies on one core (GOMAXPROCS=1), with the client's CSVSource and block
//     framing, beside a baseline that builds a map[string]any per record and calls encoding/json;
//   - ingest: how fast the sandbox stores blocks with no added latency (raw PATCHes of pre-encoded
//     blocks from 8 goroutines), and client.Upload against it;
//   - uploads at the added latency, per size: naive (the generated client alone, a gen.RecordBlock of
//     maps per call, one block after another), ours (client.Upload at its defaults, concurrency 8, and
//     at the other -concurrency settings), and the bound ceil(blocks/concurrency) × latency + the time to
//     encode the bodies alone; with records/s, ours ÷ bound, naive ÷ ours, request-body bytes per record,
//     allocations per record (runtime.MemStats.Mallocs) and peak heap in use (runtime/metrics, sampled);
//   - the peak RSS of `data8 dataset upload` of each CSV file, read from the child's /proc/PID/status
//     VmHWM while it runs (package procmem says why the child's rusage maxrss would be wrong).
//
// The servers run in their own processes so that their work and memory count neither in the allocation
// and heap figures nor in the CLI's RSS; every figure is the median of -runs runs (-naive-runs for the
// slow naive uploads). Progress goes to standard error; standard output gets a table and one
// machine-readable line per figure:
//
//	BENCH name=upload/n=1000000/ours/c=8/records_per_s value=371234 unit=records/s runs=3
//
// and one line per target of the issue (TARGET name=... value=... limit=... pass=true|false). The
// command exits 1 when a target is missed (-check=false turns that off).
//
// It lives under internal/ because it is a development tool, not a command shipped to users: `go install
// .../cmd/...` does not install it.
package main
