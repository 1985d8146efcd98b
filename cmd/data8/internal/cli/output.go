package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// cellText is a record value as a CSV cell: strings as they are, numbers in their JSON text, booleans as
// true/false, null as an empty cell, anything else as its JSON.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// table writes aligned columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

// row writes one row; every cell is made safe for a terminal (tabs, newlines and escape sequences escaped).
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = termsafe.String(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeJSON writes v as indented JSON, with the characters that could control a terminal escaped as \uXXXX
// (the same JSON value).
func writeJSON(w io.Writer, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(termsafe.JSON(b.Bytes()))
	return err
}

// setTime is t's time, or nil when t is nil or not set (.NET's 0001-01-01T00:00:00).
func setTime(t *data8time.Time) *time.Time {
	if !t.IsSet() {
		return nil
	}
	return &t.Time
}

// fmtTime renders an optional time for a table.
func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
