package client

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// The page writers hold at most about flushAt of text (and one cell or member more) whatever a
// page's size: a larger page is written in pieces, exactly as it would be whole, and a page holding
// a record that cannot be written is still refused before anything of it is written.

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

// writeBounded writes body as Download hands it on, through both writers into pieces, and checks the
// bound on each writer's buffer and on each Write.
func writeBounded(t *testing.T, body []byte, slack int) (csvOut, jsonl *pieces) {
	t.Helper()
	var pm pageMembers
	recs, err := splitPage(body, nil, &pm)
	if err != nil {
		t.Fatal(err)
	}
	p := &Page{Number: 1, Records: recs, members: &pm}
	csvOut, jsonl = &pieces{}, &pieces{}
	cw, _ := NewCSVWriter(csvOut, diffColumns, diffHeader)
	jw, _ := NewJSONLinesWriter(jsonl, diffColumns, diffNames)
	if err := cw.WritePage(p); err != nil {
		t.Fatal(err)
	}
	if err := jw.WritePage(p); err != nil {
		t.Fatal(err)
	}
	cw.Flush()
	jw.Flush()
	for name, w := range map[string]struct {
		out *pieces
		buf []byte
	}{"CSV": {csvOut, cw.out.buf}, "JSON Lines": {jsonl, jw.out.buf}} {
		if c := cap(w.buf); c > flushAt+slack {
			t.Errorf("%s writer's buffer grew to %d bytes, want at most %d", name, c, flushAt+slack)
		}
		for i, n := range w.out.writes {
			if n > flushAt+slack {
				t.Errorf("%s write %d of %d bytes, want at most %d", name, i+1, n, flushAt+slack)
			}
		}
		if len(w.out.writes) < 2 {
			t.Errorf("%s: %d writes for %d bytes, want pieces", name, len(w.out.writes), w.out.Len())
		}
	}
	return csvOut, jsonl
}

func TestLargePagesAreWrittenInPieces(t *testing.T) {
	t.Run("many records", func(t *testing.T) {
		body := bigPage(30_000, 40) // about 3 MB of CSV
		checkWriters(t, body)       // what the pieces add up to: the simple path's output
		writeBounded(t, body, 64<<10)
	})
	t.Run("one record of large cells", func(t *testing.T) {
		body := bigPage(1, 1100<<10) // one row of 2.2 MB, in two cells of 1.1 MB
		checkWriters(t, body)
		writeBounded(t, body, 1200<<10) // one cell beyond the bound
	})
}

func TestLargePageWithABadRecordWritesNothing(t *testing.T) {
	body := bigPage(30_000, 40)
	var pm pageMembers
	recs, err := splitPage(body, nil, &pm)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unknown column last", func(t *testing.T) {
		recs := append(recs[:len(recs):len(recs)], []byte(`{"a":"1","zz":"not a column"}`))
		var out pieces
		cw, _ := NewCSVWriter(&out, diffColumns, diffHeader)
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
		p := &Page{Number: 1, Records: recs, members: &pm}
		if err := cw.WritePage(p); err == nil || csvOut.Len() != 0 {
			t.Errorf("CSV: error %v with %d bytes written, want an error and none", err, csvOut.Len())
		}
		if err := jw.WritePage(p); err == nil || jsonl.Len() != 0 {
			t.Errorf("JSON Lines: error %v with %d bytes written, want an error and none", err, jsonl.Len())
		}
	})
}
