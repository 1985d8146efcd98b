package client_test

import (
	"errors"
	"iter"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// These tests each pin a behaviour that a plausible one-line bug broke without any other test
// noticing.

// TestUploadResumedProgressTotals resumes an upload at block 2 of blocks of 10: Progress's totals
// count this call's blocks and records only, not the records skipped to reach the checkpoint, and
// the last Progress call reports them, whether the source ends within a block (45 records: the end
// is seen while the last block is filled) or at a block boundary (40: here it is seen only after the
// last block is acknowledged).
func TestUploadResumedProgressTotals(t *testing.T) {
	for _, tc := range []struct {
		records             int
		blocks, sentRecords int64
		checkpoint          int
	}{
		{records: 45, blocks: 3, sentRecords: 25, checkpoint: 5},
		{records: 40, blocks: 2, sentRecords: 20, checkpoint: 4},
	} {
		t.Run(strconv.Itoa(tc.records), func(t *testing.T) {
			srv := newServer(t)
			c := newClient(srv)
			createDataset(t, c, "totals", testColumns...)
			ctx := testContext(t)
			var mu sync.Mutex
			var calls []client.UploadProgress
			// The source ends only once every full block is acknowledged, so that the end of a
			// block-aligned source is seen after its last Progress call, every time.
			fullAcked := make(chan struct{})
			ackedAllFull := sync.OnceFunc(func() { close(fullAcked) })
			full := int64(tc.sentRecords / 10)
			source := func(yield func(client.Record, error) bool) {
				for r, err := range testRecords(tc.records) {
					if !yield(r, err) {
						return
					}
				}
				select {
				case <-fullAcked:
				case <-ctx.Done():
				}
			}
			res, err := c.Upload(ctx, "totals", client.Records(source), client.UploadOptions{
				BlockSize: 10, Resume: 2, Concurrency: 1,
				Progress: func(p client.UploadProgress) {
					mu.Lock()
					calls = append(calls, p)
					mu.Unlock()
					if p.Blocks == full {
						ackedAllFull()
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.SkippedRecords != 20 || res.Records != tc.sentRecords || res.Blocks != tc.blocks {
				t.Errorf("result %+v, want 20 skipped, %d records in %d blocks", *res, tc.sentRecords, tc.blocks)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range calls {
				if (p.TotalBlocks != -1 || p.TotalRecords != -1) && (p.TotalBlocks != tc.blocks || p.TotalRecords != tc.sentRecords) {
					t.Errorf("Progress %+v: totals neither unknown (-1) nor %d blocks, %d records", p, tc.blocks, tc.sentRecords)
				}
			}
			last := calls[len(calls)-1]
			if last.TotalBlocks != tc.blocks || last.TotalRecords != tc.sentRecords || last.Blocks != tc.blocks ||
				last.Records != tc.sentRecords || last.Checkpoint != tc.checkpoint {
				t.Errorf("last Progress %+v, want %d of %d blocks, %d of %d records, checkpoint %d",
					last, tc.blocks, tc.blocks, tc.sentRecords, tc.sentRecords, tc.checkpoint)
			}
		})
	}
}

// TestUploadReportsBothARefusedBlockAndASourceError has the server refuse block 0 while the source
// fails on the next record: the error names both, the *BlockError and the source's error.
func TestUploadReportsBothARefusedBlockAndASourceError(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	createDataset(t, c, "both", testColumns...)
	errSource := errors.New("the source broke")
	seq := iter.Seq2[client.Record, error](func(yield func(client.Record, error) bool) {
		// Not a column of the dataset, and the upload is not told the columns: the server refuses.
		if !yield(client.Record{"zzz": "x"}, nil) {
			return
		}
		yield(nil, errSource)
	})
	_, err := c.Upload(testContext(t), "both", client.Records(seq), client.UploadOptions{BlockSize: 1, Concurrency: 1})
	var be *client.BlockError
	if !errors.As(err, &be) || be.Block != 0 || !errors.Is(err, errSource) {
		t.Fatalf("error %v, want block 0's refusal and the source's error", err)
	}
}

// TestCSVLineNumbersAfterAMultiLineCell checks that the line named by a too-long-row error counts
// the lines of an earlier quoted cell that spans several.
func TestCSVLineNumbersAfterAMultiLineCell(t *testing.T) {
	in := &endlessReader{prefix: "a,b\n1,\"x\ny\nz\"\n2,", body: "abcdefgh", size: 8 << 20, suffix: "\n"}
	src, err := client.NewCSVSource(in)
	if err != nil {
		t.Fatal(err)
	}
	n, err := countRecords(src)
	if want := "data8: CSV line 5: a cell is longer than the 1 MiB limit"; n != 1 || err == nil || err.Error() != want {
		t.Fatalf("%d records, error %v; want 1, then %q", n, err, want)
	}
}

// TestCSVQuotedCellAtTheLimitStreamed reads a cell of exactly 1 MiB made of doubled quotes (2 MiB as
// written), streamed past the read buffer: it is accepted whole, so the bound on what one row may
// read allows for doubled quotes.
func TestCSVQuotedCellAtTheLimitStreamed(t *testing.T) {
	in := &endlessReader{prefix: "a\n\"", body: `""`, size: 2 << 20, suffix: "\"\n"}
	src, err := client.NewCSVSource(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := drain(t, src)
	if err != nil || len(got) != 1 || got[0]["a"] != strings.Repeat(`"`, 1<<20) {
		t.Fatalf("%d records, error %v; want the 1 MiB cell of quotes", len(got), err)
	}
}

// TestJSONLinesMapKey maps keys with MapKey: it is asked once per distinct key, in input order, and
// every line's record carries the mapped keys, also for keys met before (and written escaped).
func TestJSONLinesMapKey(t *testing.T) {
	var asked []string
	src := client.NewJSONLinesSource(strings.NewReader(
		"{\"First Name\":\"a\",\"id\":1}\n{\"id\":2,\"First Name\":\"b\"}\n{\"First\\u0020Name\":\"c\"}\n"),
		func(o *client.JSONLinesOptions) {
			o.MapKey = func(key string) (string, error) {
				asked = append(asked, key)
				if key == "First Name" {
					return "first_name", nil
				}
				return key, nil
			}
		})
	got, err := drain(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"first_name": "a", "id": 1.0}, {"id": 2.0, "first_name": "b"}, {"first_name": "c"}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(asked, []string{"First Name", "id"}) {
		t.Errorf("records %v, keys asked %q; want %v, asked [First Name id]", got, asked, want)
	}
	src = client.NewJSONLinesSource(strings.NewReader("{\"a\":1}\n{\"b\":2}\n"), func(o *client.JSONLinesOptions) {
		o.MapKey = func(key string) (string, error) {
			if key == "b" {
				return "", errors.New(`"b" is not wanted`)
			}
			return key, nil
		}
	})
	if _, err := drain(t, src); err == nil || err.Error() != `data8: JSON Lines line 2: "b" is not wanted` || !errors.Is(err, client.ErrInvalidRecord) {
		t.Errorf("MapKey's error: %v", err)
	}
}

// TestJSONLinesKeyTwice refuses a key written twice, also when one is written with an escape, or
// after more keys than the allocation-free check holds.
func TestJSONLinesKeyTwice(t *testing.T) {
	var many strings.Builder
	many.WriteString("{")
	for i := range 20 {
		many.WriteString(`"k` + string(rune('a'+i)) + `":1,`)
	}
	many.WriteString(`"kc":2}`)
	for in, want := range map[string]string{
		`{"a":1,"a":2}`:       `key "a" appears twice`,
		`{"a":1,"\u0061":2}`:  `key "a" appears twice`,
		`{"\u0061":1,"a":2}`:  `key "a" appears twice`,
		many.String():         `key "kc" appears twice`,
		`{"a":1,"b":2,"a":3}`: `key "a" appears twice`,
	} {
		_, err := drain(t, client.NewJSONLinesSource(strings.NewReader(in+"\n")))
		if want := "data8: JSON Lines line 1: " + want; err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}

// TestJSONLinesByteOrderMark ignores a UTF-8 byte order mark before the first line.
func TestJSONLinesByteOrderMark(t *testing.T) {
	got, err := drain(t, client.NewJSONLinesSource(strings.NewReader("\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}\n")))
	if err != nil || !reflect.DeepEqual(got, []map[string]any{{"a": 1.0}, {"a": 2.0}}) {
		t.Fatalf("records %v, error %v", got, err)
	}
}
