package client

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The page writers hold at most about pageFlushAt of text (and one cell or member more) whatever a
// page's size: a larger page is written in pieces, exactly as it would be whole, and a page holding
// a record that cannot be written is still refused before anything of it is written. The tests set
// a writer's flushAt to testFlushAt, so that pages of a few hundred kilobytes go in many pieces.

// testFlushAt is the writers' flushAt in these tests.
const testFlushAt = 16 << 10

// pieces is a writer that records the size of each Write.
type pieces struct {
	bytes.Buffer
	writes []int
}

func (p *pieces) Write(b []byte) (int, error) {
	p.writes = append(p.writes, len(b))
	return p.Buffer.Write(b)
}

// bigPage returns a page body of n records of the diff columns, with cell values of size bytes.
func bigPage(n, size int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	cell := strings.Repeat("x", size)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"a":"%d %s","b":%d,"é":"q\"uote, %s"}`, i, cell, i, cell)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// writeBounded writes body as Download hands it on, through both writers into pieces, and checks
// what they wrote against the simple path, the bound on each writer's buffer and on each Write.
func writeBounded(t *testing.T, body []byte, slack int) {
	t.Helper()
	var pm pageMembers
	recs, err := splitPage(body, nil, &pm)
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{Number: 1, Records: recs, members: &pm}
	csvOut, jsonl := &pieces{}, &pieces{}
	cw, _ := NewCSVWriter(csvOut, diffColumns, diffHeader)
	jw, _ := NewJSONLinesWriter(jsonl, diffColumns, diffNames)
	cw.out.flushAt, jw.out.flushAt = testFlushAt, testFlushAt
	if err := cw.WritePage(p); err != nil {
		t.Fatal(err)
	}
	if err := jw.WritePage(p); err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	jw.Flush()
	simple, err := simpleDecode(body)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := simpleCSV(simple); !bytes.Equal(csvOut.Bytes(), want) {
		t.Errorf("CSV in pieces differs from the simple path's: %d bytes, want %d", csvOut.Len(), len(want))
	}
	if want := simpleJSONLines(simple); !bytes.Equal(jsonl.Bytes(), want) {
		t.Errorf("JSON Lines in pieces differs from the simple path's: %d bytes, want %d", jsonl.Len(), len(want))
	}
	for name, w := range map[string]struct {
		out *pieces
		buf []byte
	}{"CSV": {csvOut, cw.out.buf}, "JSON Lines": {jsonl, jw.out.buf}} {
		// The buffer holds at most testFlushAt and a cell or member more; append may give it twice
		// the room.
		if c := cap(w.buf); c > 2*(testFlushAt+slack) {
			t.Errorf("%s writer's buffer grew to %d bytes, want at most %d", name, c, 2*(testFlushAt+slack))
		}
		for i, n := range w.out.writes {
			if n > testFlushAt+slack {
				t.Errorf("%s write %d of %d bytes, want at most %d", name, i+1, n, testFlushAt+slack)
			}
		}
		if len(w.out.writes) < 2 {
			t.Errorf("%s: %d writes for %d bytes, want pieces", name, len(w.out.writes), w.out.Len())
		}
	}
}

func TestLargePagesAreWrittenInPieces(t *testing.T) {
	t.Run("many records", func(t *testing.T) {
		writeBounded(t, bigPage(2000, 40), 4<<10) // about 200 KB of CSV
	})
	t.Run("one record of large cells", func(t *testing.T) {
		writeBounded(t, bigPage(1, 20<<10), 24<<10) // one row of 40 KB, in two cells of 20 KB
	})
	t.Run("a writer's default", func(t *testing.T) {
		var out pieces
		cw, _ := NewCSVWriter(&out, diffColumns, diffHeader)
		if cw.out.flushAt != pageFlushAt || pageFlushAt != 1<<20 {
			t.Errorf("flushAt %d, want 1 MiB", cw.out.flushAt)
		}
	})
}

func TestLargePageWithABadRecordWritesNothing(t *testing.T) {
	body := bigPage(2000, 40)
	var pm pageMembers
	recs, err := splitPage(body, nil, &pm)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unknown column last", func(t *testing.T) {
		recs := append(recs[:len(recs):len(recs)], []byte(`{"a":"1","zz":"not a column"}`))
		var out pieces
		cw, _ := NewCSVWriter(&out, diffColumns, diffHeader)
		cw.out.flushAt = testFlushAt
		err := cw.WritePage(&Page{Number: 1, First: 100, Records: recs, members: &pm})
		var uc *UnknownColumnError
		if !errors.As(err, &uc) || uc.Column != "zz" || uc.Record != 100+int64(len(recs)-1) {
			t.Fatalf("error %v, want the unknown column of the last record", err)
		}
		if out.Len() != 0 {
			t.Fatalf("%d bytes written before the error, want none", out.Len())
		}
		if err := cw.Flush(); err != nil || out.String() != "A,\"b,x\",\" é\"\n" {
			t.Errorf("Flush after the error wrote %q (%v), want the header alone", out.String(), err)
		}
	})
	t.Run("bad JSON last", func(t *testing.T) {
		recs := append(recs[:len(recs):len(recs)], []byte(`{"a":1,}`))
		var csvOut, jsonl pieces
		cw, _ := NewCSVWriter(&csvOut, diffColumns, diffHeader)
		jw, _ := NewJSONLinesWriter(&jsonl, diffColumns, diffNames)
		cw.out.flushAt, jw.out.flushAt = testFlushAt, testFlushAt
		p := &Page{Number: 1, Records: recs, members: &pm}
		if err := cw.WritePage(p); err == nil || csvOut.Len() != 0 {
			t.Errorf("CSV: error %v with %d bytes written, want an error and none", err, csvOut.Len())
		}
		if err := jw.WritePage(p); err == nil || jsonl.Len() != 0 {
			t.Errorf("JSON Lines: error %v with %d bytes written, want an error and none", err, jsonl.Len())
		}
	})
}
