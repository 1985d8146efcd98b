package client_test

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/data8test"
)

// benchUploadCSV returns a CSV file of n records of six text columns, as internal/bench generates.
func benchUploadCSV(n int) []byte {
	b := []byte("firstname,lastname,email,address,town,postcode\n")
	for i := range n {
		v := int64(i)
		b = strconv.AppendInt(append(b, "Firstname"...), v, 10)
		b = strconv.AppendInt(append(b, ",Lastname"...), v, 10)
		b = strconv.AppendInt(append(b, ",person"...), v, 10)
		b = strconv.AppendInt(append(b, "@example.com,"...), v%500+1, 10)
		b = strconv.AppendInt(append(b, " High Street,Town "...), v%997, 10)
		b = strconv.AppendInt(append(b, ",AB"...), v%90+10, 10)
		b = append(b, " 1CD\n"...)
	}
	return b
}

// BenchmarkUpload uploads 20,000 CSV records per op through client.Upload to data8test over loopback,
// with no added latency: the cost of the upload path itself (CSV → block bodies → HTTP → the sandbox's
// ingest, both in this process). The published figures come from `make bench`; this is for quick
// before/after comparisons:
//
//	go test -run '^$' -bench Upload -benchmem -count 6 ./client/
func BenchmarkUpload(b *testing.B) {
	const n = 20_000
	data := benchUploadCSV(n)
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("c=%d", conc), func(b *testing.B) {
			s := data8test.NewServer()
			defer s.Close()
			c := s.Client()
			ctx := context.Background()
			if _, err := c.CreateDataset(ctx, "bench", map[string]int{"firstname": 0, "lastname": 0, "email": 0, "address": 0, "town": 0, "postcode": 0}); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				src, err := client.NewCSVSource(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				res, err := c.Upload(ctx, "bench", src, client.UploadOptions{Concurrency: conc})
				if err != nil || res.Records != n {
					b.Fatal(res, err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkEncodeBlocks encodes 20,000 CSV records into block bodies per op, as the uploader does
// (CSVSource into one reused buffer), without sending them.
func BenchmarkEncodeBlocks(b *testing.B) {
	const n = 20_000
	data := benchUploadCSV(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var body []byte
	for b.Loop() {
		src, err := client.NewCSVSource(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; ; k++ {
			if k%client.MaxBlockSize == 0 {
				body = append(body[:0], `{"blockNumber":0,"records":[`...)
			} else {
				body = append(body, ',')
			}
			if body, err = src.Next(body); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}
