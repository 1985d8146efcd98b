// Package data8time reads the times that Data8's API, an ASP.NET service, sends. Its documentation shows
// them in .NET's round-trip form with a zone (2020-01-02T03:04:05.0000000Z); a .NET service may also write
// an unspecified DateTime without a zone (2020-01-02T03:04:05.0000000), and 0001-01-01T00:00:00 for a time
// that is not set. Time accepts all of these, and any RFC 3339 time, and always writes RFC 3339.
//
// The generated models (package gen) use Time for every time in an answer (the spec's format
// data8-date-time); times the toolkit sends are plain time.Time in RFC 3339.
package data8time

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/internal/termsafe"
)

// Time is a time read tolerantly from JSON. The zero Time means "not set": JSON null, an empty string and
// 0001-01-01T00:00:00 (with or without a zone) all read as the zero Time, which IsZero reports. A time
// without a zone is read as UTC.
//
// Time embeds time.Time, so its methods (Before, Equal, Format, ...) apply directly; the embedded
// time.Time is the field Time.
type Time struct {
	time.Time
}

// layouts are the forms Parse accepts, tried in order. time.Parse accepts a fraction of any length
// after the seconds even where a layout has none.
var layouts = [...]string{
	time.RFC3339,          // RFC 3339, any precision
	"2006-01-02T15:04:05", // .NET, no zone: read as UTC
	"2006-01-02T15:04",    // .NET, no seconds, no zone
	time.DateOnly,         // a date alone, read as midnight UTC
}

// Parse reads s as a time: RFC 3339 at any precision (with "t", "z" or a space as RFC 3339 allows),
// the zone-less forms .NET writes (read as UTC), or a date alone. An empty string (or one of spaces)
// is the zero Time.
func Parse(s string) (Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Time{}, nil
	}
	s = upperSeparators(s)
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			if unset(t) {
				return Time{}, nil
			}
			return Time{t}, nil
		}
	}
	return Time{}, fmt.Errorf("data8time: %q is not an RFC 3339 time or a .NET date-time", termsafe.Trim(s, 64))
}

// upperSeparators writes the date-time separator and the zone letter of s in upper case: RFC 3339
// (section 5.6) allows "t" and "z" as well as "T" and "Z", and, as its note on ISO 8601 says, a space
// between the date and the time.
func upperSeparators(s string) string {
	if len(s) > 10 && (s[10] == 't' || s[10] == ' ') && s[4] == '-' && s[7] == '-' {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	return s
}

// unset reports whether t is .NET's DateTime.MinValue, 0001-01-01T00:00:00, in whatever zone it was
// written.
func unset(t time.Time) bool {
	return t.Year() == 1 && t.YearDay() == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// IsSet reports whether t holds a time: it is not nil and not the zero Time. Use it on the optional times
// of the generated models, which are nil when the member is absent or null.
func (t *Time) IsSet() bool { return t != nil && !t.IsZero() }

// UnmarshalJSON reads a JSON string with Parse; null is the zero Time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("data8time: a time must be a JSON string, not %s", termsafe.Trim(string(b), 64))
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON writes t in RFC 3339 with as many fractional digits as it needs. The zero Time is written
// as 0001-01-01T00:00:00Z, which reads back as the zero Time; a model leaves an unset time out instead
// (its field is a nil pointer, or tagged omitzero).
func (t Time) MarshalJSON() ([]byte, error) { return t.Time.MarshalJSON() }

// UnmarshalText reads text with Parse.
func (t *Time) UnmarshalText(text []byte) error {
	v, err := Parse(string(text))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalText writes t in RFC 3339, as MarshalJSON does without the quotes. Like MarshalJSON, it fails
// for a year outside 0 to 9999, which RFC 3339 cannot write.
func (t Time) MarshalText() ([]byte, error) { return t.Time.MarshalText() }

// String is t in RFC 3339, like MarshalText.
func (t Time) String() string { return t.Time.Format(time.RFC3339Nano) }
