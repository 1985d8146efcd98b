package data8time_test

import (
	"testing"
	"time"

	"github.com/data8-toolkit/data8/data8time"
)

// TestOnlyMinValueIsUnset: .NET's DateTime.MinValue, 0001-01-01T00:00:00, is the only time read as unset;
// a time that shares all but one of its fields with it (New Year's midnight of another year, another day
// or second of year 1, a tenth of a microsecond later) is a time like any other.
func TestOnlyMinValueIsUnset(t *testing.T) {
	for _, in := range []string{"0001-01-01T00:00:00", "0001-01-01T00:00:00.0000000", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00-05:00"} {
		if got, err := data8time.Parse(in); err != nil || got.IsSet() {
			t.Errorf("Parse(%s) = %s, %v; want the zero Time", in, got.Time, err)
		}
	}
	for _, in := range []string{
		"2020-01-01T00:00:00Z",
		"2020-01-01T00:00:00",
		"0001-02-01T00:00:00",
		"0001-01-02T00:00:00",
		"0001-01-01T01:00:00",
		"0001-01-01T00:01:00",
		"0001-01-01T00:00:01",
		"0001-01-01T00:00:00.0000001",
		"0002-01-01T00:00:00",
	} {
		got, err := data8time.Parse(in)
		if err != nil {
			t.Errorf("Parse(%s): %v", in, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, in)
		if want.IsZero() {
			want, _ = time.Parse("2006-01-02T15:04:05.9999999", in)
		}
		if !got.IsSet() || !got.Equal(want) {
			t.Errorf("Parse(%s) = %s (set %v), want %s", in, got.Time, got.IsSet(), want)
		}
	}
}
