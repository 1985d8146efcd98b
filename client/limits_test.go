package client_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/data8-toolkit/data8/client"
)

// endlessReader yields prefix, then body repeated until size bytes in all, then suffix, counting what
// it hands out: a huge input that is never held in memory.
type endlessReader struct {
	prefix, body, suffix string
	size, n              int64
}

func (r *endlessReader) Read(p []byte) (int, error) {
	total := int64(len(r.prefix)) + r.size + int64(len(r.suffix))
	if r.n >= total {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && r.n < total {
		var c byte
		switch off := r.n; {
		case off < int64(len(r.prefix)):
			c = r.prefix[off]
		case off < int64(len(r.prefix))+r.size:
			c = r.body[(off-int64(len(r.prefix)))%int64(len(r.body))]
		default:
			c = r.suffix[off-int64(len(r.prefix))-r.size]
		}
		p[k] = c
		k++
		r.n++
	}
	return k, nil
}

// countRecords drains src, returning the number of records and the first error other than io.EOF.
func countRecords(src client.Source) (int, error) {
	var buf []byte
	for n := 0; ; n++ {
		var err error
		if buf, err = src.Next(buf[:0]); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
	}
}

// TestCSVHugeCellIsRefusedWhileReading reads a CSV file whose third line holds a 200 MB cell (plain,
// and quoted with commas, quotes and newlines inside): the error names the line and the limit, the
// source stops reading soon after the limit (it never reads, let alone holds, the whole cell), and
// the memory allocated stays far below the cell's size.
func TestCSVHugeCellIsRefusedWhileReading(t *testing.T) {
	const cell = 200 << 20
	for _, tc := range []struct{ name, prefix, body, suffix string }{
		{"plain", "a,b,c\n1,2,3\nx,", "abcdefghij", ",z\n4,5,6\n"},
		{"quoted", "a,b,c\n1,2,3\nx,\"", "ab,\"\"c\nde", "\",z\n4,5,6\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &endlessReader{prefix: tc.prefix, body: tc.body, suffix: tc.suffix, size: cell}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			src, err := client.NewCSVSource(in)
			if err != nil {
				t.Fatal(err)
			}
			n, err := countRecords(src)
			runtime.ReadMemStats(&after)
			want := "data8: CSV line 3: a cell is longer than the 1 MiB limit"
			if n != 1 || err == nil || err.Error() != want || !errors.Is(err, client.ErrInvalidRecord) {
				t.Fatalf("%d records, error %v; want 1 record, then %q", n, err, want)
			}
			// A row of 3 cells within the limit takes at most 3×(2 MiB+3) bytes as written; the
			// read buffer adds 64 KiB.
			if limit := int64(3*(2<<20+3) + 64<<10 + len(tc.prefix)); in.n > limit {
				t.Errorf("read %d bytes of the input before refusing, want at most %d", in.n, limit)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("allocated %d MiB reading a %d MiB cell", alloc>>20, cell>>20)
			}
		})
	}
}

// TestCSVCellLimit checks MaxCellSize exactly, on the fast path (plain rows) and on encoding/csv's
// (quoted cells): a cell of the limit's size passes, one byte more is refused naming the line and
// column. A quoted cell's doubled quotes count once.
func TestCSVCellLimit(t *testing.T) {
	limit := func(o *client.CSVOptions) { o.MaxCellSize = 10 }
	ok := strings.Repeat("x", 10)
	for _, tc := range []struct{ name, in, want string }{
		{"plain, at the limit", "a,b\n1," + ok + "\n" + ok + ",2\n", ""},
		{"quoted, at the limit", "a,b\n1,\"" + strings.Repeat(`""`, 10) + "\"\n", ""},
		{"plain, over", "a,b\n1,2\n\n1," + ok + "y\n", `data8: CSV line 4, column "b": cell is longer than the 10 bytes limit`},
		{"plain first cell, over", "a,b\n" + ok + "y,2\n", `data8: CSV line 2, column "a": cell is longer than the 10 bytes limit`},
		{"quoted, over", "a,b\n1,\"" + ok + "\ny\"\n", `data8: CSV line 2, column "b": cell is longer than the 10 bytes limit`},
		{"last line without a newline, over", "a,b\n1,2\n1," + ok + "y", `data8: CSV line 3, column "b": cell is longer than the 10 bytes limit`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := client.NewCSVSource(strings.NewReader(tc.in), limit)
			if err != nil {
				t.Fatal(err)
			}
			_, err = countRecords(src)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := client.NewCSVSource(strings.NewReader("a\n1\n"), func(o *client.CSVOptions) { o.MaxCellSize = -1 }); !errors.Is(err, client.ErrValidation) {
		t.Errorf("MaxCellSize -1: %v", err)
	}
}

// TestJSONLinesHugeLineIsRefusedWhileReading reads a JSON Lines file whose second line is 200 MB:
// the error names the line and the limit, and the source stops reading soon after the limit.
func TestJSONLinesHugeLineIsRefusedWhileReading(t *testing.T) {
	in := &endlessReader{prefix: "{\"a\":1}\n{\"a\":\"", body: "abcdefghij", suffix: "\"}\n", size: 200 << 20}
	n, err := countRecords(client.NewJSONLinesSource(in))
	want := "data8: JSON Lines line 2: longer than the 4 MiB limit"
	if n != 1 || err == nil || err.Error() != want || !errors.Is(err, client.ErrInvalidRecord) {
		t.Fatalf("%d records, error %v; want 1 record, then %q", n, err, want)
	}
	if limit := int64(4<<20 + 2*64<<10); in.n > limit {
		t.Errorf("read %d bytes before refusing, want at most %d", in.n, limit)
	}
}

// TestJSONLinesLineLimit checks MaxLineSize exactly: a line of the limit's size (without its line
// ending) passes, one byte more is refused.
func TestJSONLinesLineLimit(t *testing.T) {
	line := `{"a":"` + strings.Repeat("x", 20) + `"}` // 28 bytes
	limit := func(o *client.JSONLinesOptions) { o.MaxLineSize = len(line) }
	if n, err := countRecords(client.NewJSONLinesSource(strings.NewReader(line+"\r\n"+line), limit)); n != 2 || err != nil {
		t.Errorf("lines at the limit: %d records, %v", n, err)
	}
	long := `{"a":"` + strings.Repeat("x", 21) + `"}`
	for _, in := range []string{line + "\n" + long + "\n", line + "\n" + long} {
		_, err := countRecords(client.NewJSONLinesSource(strings.NewReader(in), limit))
		if want := "data8: JSON Lines line 2: longer than the 28 bytes limit"; err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

// TestUTF16IsNamed checks that a file saved as UTF-16 (with either byte order mark, or without one)
// is refused as UTF-16, not as invalid UTF-8 somewhere.
func TestUTF16IsNamed(t *testing.T) {
	utf16 := func(s string, bigEndian bool, bom bool) []byte {
		var b []byte
		if bom {
			if bigEndian {
				b = append(b, 0xFE, 0xFF)
			} else {
				b = append(b, 0xFF, 0xFE)
			}
		}
		for _, c := range []byte(s) {
			if bigEndian {
				b = append(b, 0, c)
			} else {
				b = append(b, c, 0)
			}
		}
		return b
	}
	for _, bom := range []bool{true, false} {
		for _, be := range []bool{true, false} {
			csvIn := utf16("name,town\nJane,Leeds\n", be, bom)
			_, err := client.NewCSVSource(bytes.NewReader(csvIn))
			if want := "data8: CSV input looks like UTF-16; save it as UTF-8"; err == nil || err.Error() != want || !errors.Is(err, client.ErrInvalidRecord) {
				t.Errorf("CSV, BOM %v, big-endian %v: %v, want %q", bom, be, err, want)
			}
			_, err = countRecords(client.NewJSONLinesSource(bytes.NewReader(utf16("{\"a\":\"Jane\"}\n", be, bom))))
			if want := "data8: JSON Lines input looks like UTF-16; save it as UTF-8"; err == nil || err.Error() != want {
				t.Errorf("JSON Lines, BOM %v, big-endian %v: %v, want %q", bom, be, err, want)
			}
		}
	}
	// UTF-8 text that is not ASCII, and a short file, are not taken for UTF-16.
	for _, in := range []string{"name\nZoë ✓ 日本\n", "a\n1\n", "\xEF\xBB\xBFa\n\x00\n"} {
		if src, err := client.NewCSVSource(strings.NewReader(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		} else if _, err := countRecords(src); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}
