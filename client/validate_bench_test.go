//go:build unix

package client_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/data8-toolkit/data8/client"
)

// cpuSeconds is the CPU time (user and system) the process has used so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// BenchmarkValidateEncode is the CPU a CLI upload spends on its input before the network: a check of
// the whole file, then the encoding of every record into block bodies. "two-readers" checks with
// encoding/csv, as the CLI did before it drained the client's own source; "one-reader" drains a
// CSVSource for the check and a second one for the bodies. Records are 6 text columns; one op is the
// whole file, so run it with a small -benchtime (cpu-ns/record is the CPU time per record, steadier
// than ns/record on a busy machine):
//
//	go test -run '^$' -bench ValidateEncode -benchmem -benchtime 3x ./client/
func BenchmarkValidateEncode(b *testing.B) {
	const n = 1_000_000
	data := benchUploadCSV(n)
	encode := func(b *testing.B) {
		src, err := client.NewCSVSource(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		var body []byte
		for k := 0; ; k++ {
			if k%client.MaxBlockSize == 0 {
				body = append(body[:0], `{"blockNumber":0,"records":[`...)
			} else {
				body = append(body, ',')
			}
			if body, err = src.Next(body); err != nil {
				if !errors.Is(err, io.EOF) || k != n {
					b.Fatal(k, err)
				}
				return
			}
		}
	}
	run := func(b *testing.B, check func(b *testing.B)) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		cpu0 := cpuSeconds()
		for b.Loop() {
			check(b)
			encode(b)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
		// CPU time (user and system) is steadier than wall time on a busy machine.
		b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N*n), "cpu-ns/record")
	}
	b.Run("two-readers", func(b *testing.B) {
		run(b, func(b *testing.B) {
			cr := csv.NewReader(bufio.NewReaderSize(bytes.NewReader(data), 256<<10))
			cr.ReuseRecord = true
			if _, err := cr.Read(); err != nil {
				b.Fatal(err)
			}
			var k int
			for ; ; k++ {
				rec, err := cr.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				for _, cell := range rec {
					if !utf8.ValidString(cell) {
						b.Fatal("invalid UTF-8")
					}
				}
			}
			if k != n {
				b.Fatal(k)
			}
		})
	})
	b.Run("one-reader", func(b *testing.B) {
		run(b, func(b *testing.B) {
			src, err := client.NewCSVSource(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			var scratch []byte
			var k int
			for ; ; k++ {
				if scratch, err = src.Next(scratch[:0]); err != nil {
					break
				}
			}
			if !errors.Is(err, io.EOF) || k != n {
				b.Fatal(k, err)
			}
		})
	})
}
