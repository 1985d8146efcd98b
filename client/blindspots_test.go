package client_test

import (
	"errors"
	"iter"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// These tests each pin a behaviour that a plausible one-line bug broke without any other test
// noticing.

// TestUploadResumedProgressTotals resumes an upload at block 2 of 5: Progress's totals count this
// call's blocks and records only (3 and 25), not the records skipped to reach the checkpoint.
func TestUploadResumedProgressTotals(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	createDataset(t, c, "totals", testColumns...)
	var mu sync.Mutex
	var last client.UploadProgress
	res, err := c.Upload(testContext(t), "totals", client.Records(testRecords(45)), client.UploadOptions{
		BlockSize: 10, Resume: 2, Concurrency: 1,
		Progress: func(p client.UploadProgress) {
			mu.Lock()
			last = p
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.SkippedRecords != 20 || res.Records != 25 || res.Blocks != 3 {
		t.Errorf("result %+v, want 20 skipped, 25 records in 3 blocks", *res)
	}
	mu.Lock()
	defer mu.Unlock()
	if last.TotalBlocks != 3 || last.TotalRecords != 25 || last.Blocks != 3 || last.Records != 25 || last.Checkpoint != 5 {
		t.Errorf("last Progress %+v, want 3 of 3 blocks, 25 of 25 records, checkpoint 5", last)
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
