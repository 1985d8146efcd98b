// Command bench is the project's upload benchmark (issue 6), run by `make bench`:
//
//	go run ./internal/bench [-latency 20ms] [-sizes 100000,1000000] [-concurrency 4,8,16,32] [-runs 5]
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
//     encode the bodies alone; with records/s, ours ÷ bound, naive ÷ ours, bytes per record (request
//     bodies, and on the wire: everything the process wrote to its sockets, headers included, from wchar
//     in /proc/self/io), allocations per record (runtime.MemStats.Mallocs) and peak heap in use
//     (runtime/metrics, sampled every 2 ms);
//   - the peak RSS of `data8 dataset upload` of each CSV file, read from the child's /proc/PID/status
//     VmHWM while it runs (package procmem says why the child's rusage maxrss would be wrong).
//
// The servers run in their own processes so that their work and memory count neither in the allocation
// and heap figures nor in the CLI's RSS. Every figure is the median of -runs runs (-slow-runs for the
// baseline encoding and the CLI, -naive-runs for the naive uploads, which take a round trip per block);
// the upload runs are interleaved (naive, each concurrency setting, then again), so that the machine's
// other work falls on all of them alike, and the load average is printed with the figures. Figures
// computed from medians (ratios, bounds) carry the run count of the median they come from. Progress
// goes to standard error; standard output gets a table and one machine-readable line per figure:
//
//	BENCH name=upload/n=1000000/ours/c=8/records_per_s value=336664.2 unit=records/s runs=5
//
// and one line per target of the issue (TARGET name=... value=... limit=... pass=true|false). The
// command exits 1 when a target is missed (-check=false turns that off).
//
// It lives under internal/ because it is a development tool, not a command shipped to users: `go install
// .../cmd/...` does not install it.
package main
