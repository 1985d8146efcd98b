package client_test

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/client"
	"github.com/data8-toolkit/data8/internal/opid"
)

// drain reads every record of src, decoding each with encoding/json (which also proves it valid).
func drain(t *testing.T, src client.Source) ([]map[string]any, error) {
	t.Helper()
	var out []map[string]any
	var buf []byte
	for {
		var err error
		buf, err = src.Next(buf[:0])
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		var m map[string]any
		if jerr := json.Unmarshal(buf, &m); jerr != nil {
			t.Fatalf("record %q is not JSON: %v", buf, jerr)
		}
		out = append(out, m)
	}
}

func TestCSVSource(t *testing.T) {
	in := "\uFEFFname,note,empty\n" +
		"Jane,\"say \"\"hi\"\"\",\n" +
		"\n" + // blank lines are skipped
		"Zoë,\"two\nlines\ttab \\ back\",\n" +
		"ctl,\x01\x1f</script>,x\n"
	src, err := client.NewCSVSource(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Columns(); !reflect.DeepEqual(got, []string{"name", "note", "empty"}) {
		t.Errorf("Columns() = %q", got)
	}
	got, err := drain(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"name": "Jane", "note": `say "hi"`, "empty": ""},
		{"name": "Zoë", "note": "two\nlines\ttab \\ back", "empty": ""},
		{"name": "ctl", "note": "\x01\x1f</script>", "empty": "x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n%v\nwant\n%v", got, want)
	}
}

func TestCSVSourceErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"ragged row", "a,b\n1,2\n3\n4,5\n", `data8: CSV line 3: 1 cell, but the header has 2 columns`},
		{"too many cells", "a,b\n1,2\n\n3,4,5\n", `data8: CSV line 4: 3 cells, but the header has 2 columns`},
		{"invalid UTF-8", "a,b\n1,2\n3,\xff\xfe\n", `data8: CSV line 3, column "b": not valid UTF-8`},
		{"bare quote", "a,b\n1,x\"y\n", `data8: CSV line 2, column 4: bare " in a cell that does not start with a quote (quote the whole cell and double the ")`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, err := client.NewCSVSource(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			_, err = drain(t, src)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !errors.Is(err, client.ErrInvalidRecord) {
				t.Error("error does not match ErrInvalidRecord")
			}
		})
	}
	for in, want := range map[string]string{
		"":                 "data8: CSV input is empty: a header row naming the columns is needed",
		"First Name,b\n":   `data8: CSV header, column 1: "First Name" is not a valid column name (^[a-z][a-z0-9_]*$)`,
		"a,b,a\n":          `data8: CSV header: column "a" appears twice (columns 1 and 3)`,
		"a,\"b\n1,2\n":     `data8: CSV line 1: a quoted cell is not closed, or holds a single " (the row starts on this line; reading stopped at line 2, column 5)`,
		"ok,\xff\xfe\n1,2": `data8: CSV header, column 2: "\xff\xfe" is not a valid column name (^[a-z][a-z0-9_]*$)`,
	} {
		if _, err := client.NewCSVSource(strings.NewReader(in)); err == nil || err.Error() != want {
			t.Errorf("NewCSVSource(%q): %v, want %q", in, err, want)
		}
	}
}

func TestCSVSourceAllocations(t *testing.T) {
	const row = "Jane,Smith,jane.smith@example.com,12 High Street,London,SW1A 1AA\n"
	in := "first,last,email,street,town,postcode\n" + strings.Repeat(row, 2000)
	renamed := "First,Last,E-mail,Street,Town,Post Code\n" + strings.Repeat(row, 2000)
	for name, open := range map[string]func() (*client.CSVSource, error){
		"NewCSVSource": func() (*client.CSVSource, error) { return client.NewCSVSource(strings.NewReader(in)) },
		"NewCSVSourceColumns": func() (*client.CSVSource, error) {
			return client.NewCSVSourceColumns(strings.NewReader(renamed), []string{"first", "last", "email", "street", "town", "postcode"})
		},
	} {
		src, err := open()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 4096)
		allocs := testing.AllocsPerRun(1000, func() {
			buf, err = src.Next(buf[:0])
			if err != nil {
				t.Fatal(err)
			}
		})
		// encoding/csv makes one string per row; the encoding adds nothing.
		if allocs > 1 {
			t.Errorf("%s: %v allocations per record, want at most 1 (encoding/csv's row string)", name, allocs)
		}
	}
}

func TestJSONLinesSource(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	in := `{"a":"1","b":2}` + "\r\n" +
		"\n   \n" +
		`  { "a" : "ü\u00e9\"" , "b" : -1.5e3, "c": true, "d": null }  ` + "\n" +
		`{"a":"` + long + `"}` + "\n" +
		`{}` // no final newline
	got, err := drain(t, client.NewJSONLinesSource(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"a": "1", "b": 2.0},
		{"a": "üé\"", "b": -1500.0, "c": true, "d": nil},
		{"a": long},
		{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records %v", got)
	}
}

func TestJSONLinesSourceErrorsNameTheLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"{\"a\":1}\n\n{\"a\":{\"b\":1}}\n", `data8: JSON Lines line 3: value of key "a" is an object; values must be strings, numbers, booleans or null`},
		{"{\"a\":[1]}\n", `data8: JSON Lines line 1: value of key "a" is an array; values must be strings, numbers, booleans or null`},
		{"{\"a\":1}\n[1,2]\n", `data8: JSON Lines line 2: not a JSON object (it starts with an array)`},
		{"{\"a\":1,}\n", `data8: JSON Lines line 1: invalid JSON at byte 7: want a key`},
		{"{\"a\":01}\n", `data8: JSON Lines line 1: invalid JSON at byte 6: want ',' or '}'`},
		{"{\"a\":1} {\"b\":2}\n", `data8: JSON Lines line 1: invalid JSON at byte 8: want the end of the record`},
		{"{\"a\":\"\xff\"}\n", `data8: JSON Lines line 1: not valid UTF-8`},
		{"{\"a\":tru}\n", `data8: JSON Lines line 1: invalid JSON at byte 5: want true`},
		{"{\"a\":\"x\\q\"}\n", `data8: JSON Lines line 1: invalid JSON at byte 8: want an escape`},
	}
	for _, tc := range cases {
		_, err := drain(t, client.NewJSONLinesSource(strings.NewReader(tc.in)))
		if err == nil || err.Error() != tc.want || !errors.Is(err, client.ErrInvalidRecord) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCSVSourceColumns(t *testing.T) {
	in := "\ufeffFirst Name,e-mail\nJane,\"j@x.com\"\n\nBob,b@y.com\n"
	src, err := client.NewCSVSourceColumns(strings.NewReader(in), []string{"first_name", "e_mail"})
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Columns(); !reflect.DeepEqual(got, []string{"first_name", "e_mail"}) {
		t.Errorf("Columns() = %q", got)
	}
	got, err := drain(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"first_name": "Jane", "e_mail": "j@x.com"}, {"first_name": "Bob", "e_mail": "b@y.com"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records %v", got)
	}
	// A ragged row is still an error naming the line.
	src, _ = client.NewCSVSourceColumns(strings.NewReader("A B,C\n1,2\n3\n"), []string{"a", "c"})
	if _, err := drain(t, src); err == nil || err.Error() != "data8: CSV line 3: 1 cell, but the header has 2 columns" {
		t.Errorf("ragged row: %v", err)
	}
	for _, tc := range []struct {
		cols []string
		want string
	}{
		{[]string{"a"}, "data8: CSV header has 2 cells, but 1 column is given"},
		{[]string{"a", "B"}, `data8: CSV columns, column 2: "B" is not a valid column name (^[a-z][a-z0-9_]*$)`},
		{[]string{"a", "a"}, `data8: CSV columns: column "a" appears twice (columns 1 and 2)`},
		{nil, "data8: CSV columns: none given"},
	} {
		_, err := client.NewCSVSourceColumns(strings.NewReader("X,Y\n1,2\n"), tc.cols)
		if err == nil || err.Error() != tc.want || !errors.Is(err, client.ErrInvalidRecord) {
			t.Errorf("columns %q: error %v, want %q", tc.cols, err, tc.want)
		}
	}
}

func TestJSONLinesSourceRenamed(t *testing.T) {
	rename := map[string]string{"First Name": "first_name", "e\"mail": "email"}
	in := `{"First Name":"Jane","e\"mail":"j@x.com","age":41}` + "\n\n" +
		` { "F\u0069rst Name" : "B\u00f6b" , "flag": true, "none": null, "e\"mail":"x" } ` + "\n" +
		`{}` + "\n"
	got, err := drain(t, client.NewJSONLinesSourceRenamed(strings.NewReader(in), rename))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"first_name": "Jane", "email": "j@x.com", "age": 41.0},
		{"first_name": "Böb", "flag": true, "none": nil, "email": "x"},
		{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records %v", got)
	}
	// Lines are checked as NewJSONLinesSource checks them.
	for _, tc := range []struct{ in, want string }{
		{"{\"First Name\":1}\n{\"First Name\":[1]}\n", `data8: JSON Lines line 2: value of key "First Name" is an array; values must be strings, numbers, booleans or null`},
		{"{\"First Name\":1,}\n", `data8: JSON Lines line 1: invalid JSON at byte 16: want a key`},
		{"[1]\n", `data8: JSON Lines line 1: not a JSON object (it starts with an array)`},
	} {
		_, err := drain(t, client.NewJSONLinesSourceRenamed(strings.NewReader(tc.in), rename))
		if err == nil || err.Error() != tc.want || !errors.Is(err, client.ErrInvalidRecord) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

type stringer string

func TestRecordsSource(t *testing.T) {
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	recs := []client.Record{
		{"s": "x\"y", "i": 42, "u": uint8(7), "f": 1.5, "g": float32(0.1), "b": true, "nil": nil, "num": json.Number("12345678901234567890"), "t": when, "named": stringer("z"), "big": 1e21, "small": 1e-7},
		{},
	}
	seq := func(yield func(client.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
	src := client.Records(seq)
	var buf []byte
	buf, err := src.Next(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":true,"big":1e+21,"f":1.5,"g":0.1,"i":42,"named":"z","nil":null,"num":12345678901234567890,"s":"x\"y","small":1e-7,"t":"2024-05-06T07:08:09Z","u":7}`
	if string(buf) != want {
		t.Errorf("encoded\n%s\nwant\n%s", buf, want)
	}
	if buf, err = src.Next(buf[:0]); err != nil || string(buf) != "{}" {
		t.Errorf("empty record: %q, %v", buf, err)
	}
	if _, err = src.Next(nil); err != io.EOF {
		t.Errorf("after the last record: %v", err)
	}
}

func TestRecordsSourceRefusesNonScalars(t *testing.T) {
	cases := []struct {
		value any
		want  string
	}{
		{map[string]any{"x": 1}, `data8: record 2: value of key "bad" is a map[string]interface {}; values must be strings, numbers, booleans or null`},
		{[]any{1}, `data8: record 2: value of key "bad" is a []interface {}; values must be strings, numbers, booleans or null`},
		{[]string{"a"}, `data8: record 2: value of key "bad" is a []string; values must be strings, numbers, booleans or null`},
		{struct{ A int }{1}, `data8: record 2: value of key "bad" is a struct { A int }; values must be strings, numbers, booleans or null`},
		{math.NaN(), `data8: record 2: value of key "bad": NaN is not a JSON number`},
		{json.Number("1x"), `data8: record 2: value of key "bad": json.Number "1x" is not a number`},
		{"\xff", `data8: record 2: value of key "bad": string is not valid UTF-8`},
	}
	for _, tc := range cases {
		seq := func(yield func(client.Record, error) bool) {
			for i := range 3 {
				r := client.Record{"ok": i}
				if i == 2 {
					r["bad"] = tc.value
				}
				if !yield(r, nil) {
					return
				}
			}
		}
		_, err := drain(t, client.Records(seq))
		if err == nil || err.Error() != tc.want || !errors.Is(err, client.ErrInvalidRecord) {
			t.Errorf("%#v: error %v, want %q", tc.value, err, tc.want)
		}
	}
}

// rawSource is a caller's own Source yielding fixed strings.
type rawSource struct{ recs []string }

func (s *rawSource) Next(dst []byte) ([]byte, error) {
	if len(s.recs) == 0 {
		return dst, io.EOF
	}
	r := s.recs[0]
	s.recs = s.recs[1:]
	return append(dst, r...), nil
}

func TestUploadChecksRecordsBeforeSending(t *testing.T) {
	cases := []struct {
		name string
		src  func() client.Source
		want string
	}{
		{"own source, bad JSON", func() client.Source { return &rawSource{[]string{`{"id":"1"}`, `{"id":`}} },
			`data8: upload to dataset "ds": data8: record 1: invalid JSON: unexpected end, want a value`},
		{"own source, unknown column", func() client.Source { return &rawSource{[]string{`{"id":"1"}`, `{"i\u0064":"2","zip":"x"}`}} },
			`data8: upload to dataset "ds": data8: record 1: key "zip" is not a column of the dataset`},
		{"own source, nested value", func() client.Source { return &rawSource{[]string{`{"id":{"a":1}}`}} },
			`data8: upload to dataset "ds": data8: record 0: value of key "id" is an object; values must be strings, numbers, booleans or null`},
		{"records, unknown column", func() client.Source {
			return client.Records(func(yield func(client.Record, error) bool) { yield(client.Record{"id": 1, "zip": 2}, nil) })
		}, `data8: upload to dataset "ds": data8: record 0: key "zip" is not a column of the dataset`},
		{"records, iterator error", func() client.Source {
			return client.Records(func(yield func(client.Record, error) bool) {
				_ = yield(client.Record{"id": 1}, nil) && yield(nil, errors.New("disk on fire"))
			})
		}, `data8: upload to dataset "ds": data8: record 1: disk on fire`},
		{"JSON Lines, unknown column", func() client.Source { return client.NewJSONLinesSource(strings.NewReader("{\"id\":1}\n{\"zip\":1}\n")) },
			`data8: upload to dataset "ds": data8: JSON Lines line 2: key "zip" is not a column of the dataset`},
		{"CSV, unknown column", func() client.Source {
			s, _ := client.NewCSVSource(strings.NewReader("id,zip\n1,2\n"))
			return s
		}, `data8: CSV column "zip" is not a column of the dataset`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			c := newClient(srv)
			createDataset(t, c, "ds", "id", "name")
			_, err := c.Upload(testContext(t), "ds", tc.src(), client.UploadOptions{Columns: []string{"id", "name"}})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v\nwant %q", err, tc.want)
			}
			if n := srv.RequestCounts()[opid.DatasetUploadBlock]; n != 0 {
				t.Errorf("%d blocks were sent", n)
			}
		})
	}
}

func TestUploadOptionsChecked(t *testing.T) {
	srv := newServer(t)
	c := newClient(srv)
	for _, opts := range []client.UploadOptions{
		{BlockSize: 1001}, {BlockSize: -1}, {Concurrency: 65}, {Concurrency: -2},
		{StartBlock: -1}, {StartBlock: 5, Resume: 3}, {StartBlock: math.MaxInt32 + 1},
	} {
		if _, err := c.Upload(testContext(t), "ds", &rawSource{}, opts); !errors.Is(err, client.ErrValidation) {
			t.Errorf("%+v: %v, want ErrValidation", opts, err)
		}
	}
	if _, err := c.Upload(testContext(t), "Bad", &rawSource{}, client.UploadOptions{}); !errors.Is(err, client.ErrValidation) {
		t.Errorf("bad dataset name: %v", err)
	}
	if n := srv.RequestCounts(); len(n) != 0 {
		t.Errorf("something was sent: %v", n)
	}
}

func TestUploadEmptySourceAndStartBlock(t *testing.T) {
	srv := newServer(t)
	sp := newSpy(t)
	c := newClient(srv, client.WithHTTPClient(sp.httpClient()))
	createDataset(t, c, "ds", testColumns...)
	res, err := c.Upload(testContext(t), "ds", &rawSource{}, client.UploadOptions{StartBlock: 3})
	if err != nil || res.Blocks != 0 || res.FirstBlock != 3 || res.LastBlock != 2 || res.Checkpoint != 3 {
		t.Errorf("empty upload: %+v, %v", res, err)
	}
	res, err = c.Upload(testContext(t), "ds", client.Records(testRecords(25)), client.UploadOptions{StartBlock: 40, BlockSize: 10})
	if err != nil || res.FirstBlock != 40 || res.LastBlock != 42 || res.Checkpoint != 43 {
		t.Errorf("upload from block 40: %+v, %v", res, err)
	}
	if sizes := sp.acknowledged(); !reflect.DeepEqual(sizes, map[int]int{40: 10, 41: 10, 42: 5}) {
		t.Errorf("blocks %v", sizes)
	}
	if nums, _ := srv.BlockNumbers("ds"); !slices.Equal(nums, []int32{40, 41, 42}) {
		t.Errorf("server holds blocks %v", nums)
	}
	wantRecords(t, srv, "ds", 25)
	// Resuming past the end of the source is an error, not a silent success.
	_, err = c.Upload(testContext(t), "ds", client.Records(testRecords(25)), client.UploadOptions{BlockSize: 10, Resume: 5})
	if !errors.Is(err, client.ErrValidation) || !strings.Contains(err.Error(), "has only 25") {
		t.Errorf("resume past the end: %v", err)
	}
}

func BenchmarkCSVSource(b *testing.B) {
	const row = "Jane,Smith,jane.smith@example.com,12 High Street,London,SW1A 1AA\n"
	in := "first,last,email,street,town,postcode\n" + strings.Repeat(row, 100_000)
	b.SetBytes(int64(len(row)))
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	var src *client.CSVSource
	for i := 0; b.Loop(); i++ {
		if i%100_000 == 0 {
			var err error
			if src, err = client.NewCSVSource(strings.NewReader(in)); err != nil {
				b.Fatal(err)
			}
		}
		var err error
		if buf, err = src.Next(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
