package data8time_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/data8-toolkit/data8/data8time"
)

func TestUnmarshalJSON(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	for _, tc := range []struct {
		in      string
		want    time.Time // compared with Equal
		isZero  bool
		wantErr bool
	}{
		{in: `"2020-01-02T03:04:05.0000000Z"`, want: utc(2020, 1, 2, 3, 4, 5, 0)},
		{in: `"2020-01-02T03:04:05Z"`, want: utc(2020, 1, 2, 3, 4, 5, 0)},
		{in: `"2020-01-02T03:04:05.123456789Z"`, want: utc(2020, 1, 2, 3, 4, 5, 123456789)},
		{in: `"2020-01-02T03:04:05.1234567+01:00"`, want: utc(2020, 1, 2, 2, 4, 5, 123456700)},
		{in: `"2020-01-02T03:04:05-05:30"`, want: utc(2020, 1, 2, 8, 34, 5, 0)},
		// .NET's zone-less DateTime (Kind Unspecified) is read as UTC.
		{in: `"2020-01-02T03:04:05.0000000"`, want: utc(2020, 1, 2, 3, 4, 5, 0)},
		{in: `"2020-01-02T03:04:05.5"`, want: utc(2020, 1, 2, 3, 4, 5, 500000000)},
		{in: `"2020-01-02T03:04:05"`, want: utc(2020, 1, 2, 3, 4, 5, 0)},
		{in: `"2020-01-02T03:04"`, want: utc(2020, 1, 2, 3, 4, 0, 0)},
		{in: `"2020-01-02"`, want: utc(2020, 1, 2, 0, 0, 0, 0)},
		{in: `" 2020-01-02T03:04:05Z "`, want: utc(2020, 1, 2, 3, 4, 5, 0)},
		// RFC 3339 section 5.6: "t" and "z" in lower case, and a space between date and time.
		{in: `"2026-12-07t22:17:48.7002867z"`, want: utc(2026, 12, 7, 22, 17, 48, 700286700)},
		{in: `"2020-01-02t03:04:05+01:00"`, want: utc(2020, 1, 2, 2, 4, 5, 0)},
		{in: `"2020-01-02 03:04:05.5Z"`, want: utc(2020, 1, 2, 3, 4, 5, 500000000)},
		{in: `"2020-01-02 03:04:05"`, want: utc(2020, 1, 2, 3, 4, 5, 0)},
		{in: `"0001-01-01t00:00:00z"`, isZero: true},
		// Unset, however it is spelt.
		{in: `"0001-01-01T00:00:00"`, isZero: true},
		{in: `"0001-01-01T00:00:00.0000000"`, isZero: true},
		{in: `"0001-01-01T00:00:00Z"`, isZero: true},
		{in: `"0001-01-01T00:00:00+00:00"`, isZero: true},
		{in: `"0001-01-01T00:00:00+02:00"`, isZero: true},
		{in: `null`, isZero: true},
		{in: ` null `, isZero: true},
		{in: `""`, isZero: true},
		// Not a time.
		{in: `"yesterday"`, wantErr: true},
		{in: `"2020-13-01T00:00:00Z"`, wantErr: true},
		{in: `"2020-01-02T03:04:05ZZ"`, wantErr: true},
		{in: `"2020-01-02x03:04:05Z"`, wantErr: true},
		{in: `"2020-01-02T03:04:05zz"`, wantErr: true},
		{in: `1577934245`, wantErr: true},
		{in: `{"t":"2020-01-02"}`, wantErr: true},
		{in: `true`, wantErr: true},
	} {
		var got data8time.Time
		err := json.Unmarshal([]byte(tc.in), &got)
		switch {
		case tc.wantErr:
			if err == nil {
				t.Errorf("%s: accepted as %v, want an error", tc.in, got)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.isZero:
			if !got.IsZero() || (&got).IsSet() {
				t.Errorf("%s: read as %v, want the zero (unset) time", tc.in, got)
			}
		case !got.Equal(tc.want) || got.IsZero() || !(&got).IsSet():
			t.Errorf("%s: read as %v, want %v", tc.in, got, tc.want)
		}
	}
}

// A field of the generated models: nil when absent or null, set when it holds a time.
func TestOptionalField(t *testing.T) {
	type job struct {
		CompletedAt *data8time.Time `json:"completedAt,omitempty"`
		SubmittedAt data8time.Time  `json:"submittedAt,omitzero"`
	}
	for in, set := range map[string]bool{
		`{}`:                                    false,
		`{"completedAt":null}`:                  false,
		`{"completedAt":"0001-01-01T00:00:00"}`: false,
		`{"completedAt":"2020-01-02T03:04:05.0000000"}`: true,
	} {
		var j job
		if err := json.Unmarshal([]byte(in), &j); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if j.CompletedAt.IsSet() != set {
			t.Errorf("%s: IsSet = %v, want %v", in, j.CompletedAt.IsSet(), set)
		}
	}
	out, err := json.Marshal(job{})
	if err != nil || string(out) != `{}` {
		t.Errorf("unset times: %s %v, want {}", out, err)
	}
}

func TestMarshalWritesRFC3339(t *testing.T) {
	for in, want := range map[string]string{
		`"2020-01-02T03:04:05.0000000"`:         `"2020-01-02T03:04:05Z"`,
		`"2020-01-02T03:04:05.1234567Z"`:        `"2020-01-02T03:04:05.1234567Z"`,
		`"2020-01-02T03:04:05.5+01:00"`:         `"2020-01-02T03:04:05.5+01:00"`,
		`"0001-01-01T00:00:00"`:                 `"0001-01-01T00:00:00Z"`,
		`null`:                                  `"0001-01-01T00:00:00Z"`,
		`"2020-01-02"`:                          `"2020-01-02T00:00:00Z"`,
		`"2020-01-02T03:04:05.000000001-00:00"`: `"2020-01-02T03:04:05.000000001Z"`,
	} {
		var v data8time.Time
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, err := json.Marshal(v)
		if err != nil || string(out) != want {
			t.Errorf("%s: marshalled as %s (%v), want %s", in, out, err, want)
		}
		if text, _ := v.MarshalText(); `"`+string(text)+`"` != want || `"`+v.String()+`"` != want {
			t.Errorf("%s: MarshalText %s, String %s, want %s", in, text, v, want)
		}
	}
}

func TestTextAndParse(t *testing.T) {
	var v data8time.Time
	if err := v.UnmarshalText([]byte("2020-01-02T03:04:05.0000000")); err != nil || !v.Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("UnmarshalText: %v %v", v, err)
	}
	if err := v.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText accepted soon")
	}
	_, err := data8time.Parse(strings.Repeat("9", 500))
	if err == nil || len(err.Error()) > 150 {
		t.Errorf("a long bad value: %v (the message should be short)", err)
	}
	var nilTime *data8time.Time
	if nilTime.IsSet() {
		t.Error("a nil *Time is set")
	}
}

// FuzzUnmarshalJSON: whatever a server sends, reading it never panics, and a time that reads without an
// error survives a round trip through Marshal unchanged (as an instant).
func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`"2020-01-02T03:04:05.0000000Z"`, `"2020-01-02T03:04:05.0000000"`, `"0001-01-01T00:00:00"`,
		`null`, `""`, `"2020-01-02"`, `"2020-01-02T03:04:05.5+01:00"`, `"9999-12-31T23:59:59.9999999"`, `12`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v data8time.Time
		if err := json.Unmarshal(in, &v); err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			// Years outside 0..9999 cannot be written in RFC 3339.
			if v.Year() < 0 || v.Year() > 9999 {
				return
			}
			t.Fatalf("%q read as %v but does not marshal: %v", in, v.Time, err)
		}
		var back data8time.Time
		if err := json.Unmarshal(out, &back); err != nil || !back.Equal(v.Time) || back.IsZero() != v.IsZero() {
			t.Fatalf("%q → %s → %v (%v): the round trip changed it", in, out, back.Time, err)
		}
	})
}
