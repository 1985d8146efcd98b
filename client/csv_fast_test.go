package client

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// csvRowKinds returns the kinds of row the differential test mixes: plain rows take CSVSource's fast
// path, the others make it hand the row to encoding/csv (or to the error path).
func csvRowKinds() []string {
	return []string{
		"plain,row,x\n",
		"with \\ back\tslash,ctl \x01\x7f,ünï ✓ 𝄞\n",
		"crlf,ending,x\r\n",
		"\n",
		"\r\n",
		"\"quoted, cell\",\"say \"\"hi\"\"\",x\n",
		"\"multi\nline\",b,c\n",
		"\"crlf\r\ninside\",b,c\n",
		"cr\rinside,b,c\n",
		",,\n",
		"  spaces  , ,\t\n",
		strings.Repeat("long", 20000) + ",b,c\n", // longer than the read buffer
	}
}

// csvBadRows returns rows that each end a differential input with an error.
func csvBadRows() []string {
	return []string{
		"too,few\n",
		"too,many,cells,here\n",
		"bad,utf8,\xff\xfe\n",
		"bare,x\"y,z\n",
		"\"open,b,c\n",
		"\"a\"x,b,c\n",
		"abcdefg,hijklmnop,qrstuvwx,yz\n",
	}
}

// TestCSVSourceMatchesEncodingCSV reads many random mixes of rows, with and without a final newline and an
// error row, and checks every record and error against what encoding/csv reads: the same cells, and an
// error naming the same line.
func TestCSVSourceMatchesEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	kinds, bad := csvRowKinds(), csvBadRows()
	for iter := range 400 {
		var b strings.Builder
		b.WriteString("a,b,c\n")
		for range rng.IntN(40) {
			b.WriteString(kinds[rng.IntN(len(kinds))])
		}
		if rng.IntN(3) == 0 {
			b.WriteString(bad[rng.IntN(len(bad))])
			b.WriteString("after,the,error\n")
		}
		in := b.String()
		if rng.IntN(2) == 0 {
			in = strings.TrimSuffix(in, "\n")
		}
		t.Run(fmt.Sprint(iter), func(t *testing.T) { compareWithEncodingCSV(t, in) })
	}
}

// compareWithEncodingCSV reads in with CSVSource (through a reader that returns a few bytes at a
// time, so lines straddle reads) and with encoding/csv, and compares: each record must be exactly
// the bytes that encoding/csv's cells encode to, and each error must name encoding/csv's line.
func compareWithEncodingCSV(t *testing.T, in string) {
	t.Helper()
	src, err := NewCSVSource(&trickleReader{s: in, n: 7})
	if err != nil {
		t.Fatal(err)
	}
	ref := csv.NewReader(strings.NewReader(in))
	if _, err := ref.Read(); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for row := 1; ; row++ {
		buf, err = src.Next(buf[:0])
		cells, refErr := ref.Read()
		if err == io.EOF {
			if refErr != io.EOF {
				t.Fatalf("row %d: EOF, but encoding/csv read %q, %v", row, cells, refErr)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("row %d: %v does not match ErrInvalidRecord", row, err)
			}
			line := 0
			var pe *csv.ParseError
			switch {
			case errors.As(refErr, &pe) && (errors.Is(pe.Err, csv.ErrFieldCount) || errors.Is(pe.Err, csv.ErrQuote)):
				line = pe.StartLine
			case errors.As(refErr, &pe):
				line = pe.Line
			case refErr == nil:
				for i, c := range cells {
					if !utf8.ValidString(c) {
						line, _ = ref.FieldPos(i)
						break
					}
				}
			}
			if line == 0 || !strings.Contains(err.Error(), fmt.Sprintf("CSV line %d", line)) {
				t.Fatalf("row %d: error %q; encoding/csv: %q, %v (line %d)", row, err, cells, refErr, line)
			}
			return
		}
		if refErr != nil {
			t.Fatalf("row %d: read %s, but encoding/csv: %v", row, buf, refErr)
		}
		want := []byte{'{'}
		for i, c := range cells {
			if i > 0 {
				want = append(want, ',')
			}
			want = append(appendJSONString(want, string(rune('a'+i))), ':')
			want = appendJSONString(want, c)
		}
		want = append(want, '}')
		if !bytes.Equal(buf, want) || !json.Valid(buf) {
			t.Fatalf("row %d: %s, want %s", row, buf, want)
		}
	}
}

// trickleReader returns at most n bytes per Read.
type trickleReader struct {
	s string
	n int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.s)
	r.s = r.s[k:]
	return k, nil
}

// failingReader returns its data, then err for good.
type failingReader struct {
	data string
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	k := copy(p, r.data)
	r.data = r.data[k:]
	return k, nil
}

// TestCSVSourceReadError checks that a read error part way through a row reaches the caller, also
// when the fast path met it first.
func TestCSVSourceReadError(t *testing.T) {
	boom := errors.New("boom")
	src, err := NewCSVSource(&failingReader{data: "a,b\n1,2\n3,", err: boom})
	if err != nil {
		t.Fatal(err)
	}
	buf, err := src.Next(nil)
	if err != nil || string(buf) != `{"a":"1","b":"2"}` {
		t.Fatalf("first row: %s, %v", buf, err)
	}
	if _, err = src.Next(nil); !errors.Is(err, boom) {
		t.Fatalf("second row: %v, want the read error", err)
	}
}

// TestCSVSourceFastPathAllocations checks that plain rows are encoded without allocating.
func TestCSVSourceFastPathAllocations(t *testing.T) {
	const row = "Jane,Smith,jane.smith@example.com,12 High Street,London,SW1A 1AA\r\n"
	in := "first,last,email,street,town,postcode\n" + strings.Repeat(row, 3000)
	src, err := NewCSVSource(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(2000, func() {
		if buf, err = src.Next(buf[:0]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per plain row, want 0", allocs)
	}
}
