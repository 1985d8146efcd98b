// Command data8 runs batch data-cleansing jobs on Data8's Administration & Batch Data Cleansing API: one
// command uploads a CSV or JSON Lines file, runs a workflow on it and downloads the cleansed result, and a
// subcommand covers every operation of the API. `data8 demo` runs the whole job on a built-in stand-in server
// with nothing but Go; `data8 serve` runs that server as a local sandbox.
//
// Run `data8 -h` for the command reference and exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/data8-toolkit/data8/cmd/data8/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process the default way.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
