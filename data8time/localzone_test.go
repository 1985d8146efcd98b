package data8time_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, on a machine without a zoneinfo database

	"github.com/data8-toolkit/data8/data8time"
)

// localZoneEnv names the zone a child run of TestZonelessTimesAreUTCInAnyLocalZone checks in.
const localZoneEnv = "DATA8TIME_TEST_LOCAL_ZONE"

// TestZonelessTimesAreUTCInAnyLocalZone: a time without a zone reads as UTC, and writes back as UTC,
// whatever the machine's zone. The process's zone is fixed when it starts (from TZ), so the test runs
// itself again in zones far from UTC, on both sides and off the hour, where reading in the local zone
// moves every instant; run as such a child, it checks in the zone it was given.
func TestZonelessTimesAreUTCInAnyLocalZone(t *testing.T) {
	if zone := os.Getenv(localZoneEnv); zone != "" {
		checkZoneless(t, zone)
		return
	}
	checkZoneless(t, "")
	for _, zone := range []string{"America/St_Johns", "Pacific/Chatham"} {
		t.Run(zone, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestZonelessTimesAreUTCInAnyLocalZone$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "TZ="+zone, localZoneEnv+"="+zone)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("in TZ=%s: %v\n%s", zone, err, out)
			}
			if !strings.Contains(string(out), "--- PASS: TestZonelessTimesAreUTCInAnyLocalZone") {
				t.Fatalf("in TZ=%s the check did not run:\n%s", zone, out)
			}
		})
	}
}

// checkZoneless checks, in this process's zone, that zone-less times read and write as UTC. When zone is
// set, the process must be in that zone, and that zone must be off UTC at the times checked, or the check
// would prove nothing.
func checkZoneless(t *testing.T, zone string) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2020-01-02T03:04:05.0000000", utc(2020, 1, 2, 3, 4, 5, 0)},
		{"2020-07-02T23:59:59.1234567", utc(2020, 7, 2, 23, 59, 59, 123456700)},
		{"2020-01-02T03:04:05", utc(2020, 1, 2, 3, 4, 5, 0)},
		{"2020-07-02T03:04", utc(2020, 7, 2, 3, 4, 0, 0)},
		{"2020-01-02", utc(2020, 1, 2, 0, 0, 0, 0)},
		{"2020-07-31", utc(2020, 7, 31, 0, 0, 0, 0)},
	}
	if zone != "" {
		if got := time.Local.String(); got != zone {
			t.Fatalf("the local zone is %q, want %q: TZ was not applied", got, zone)
		}
		for _, tc := range cases {
			if _, off := tc.want.In(time.Local).Zone(); off == 0 {
				t.Fatalf("%s is at UTC in %s: the check would prove nothing", tc.want, zone)
			}
		}
	}
	for _, tc := range cases {
		quoted := `"` + tc.in + `"`
		var fromJSON data8time.Time
		if err := json.Unmarshal([]byte(quoted), &fromJSON); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", quoted, err)
		}
		var fromText data8time.Time
		if err := fromText.UnmarshalText([]byte(tc.in)); err != nil {
			t.Fatalf("UnmarshalText(%s): %v", tc.in, err)
		}
		parsed, err := data8time.Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%s): %v", tc.in, err)
		}
		for how, got := range map[string]data8time.Time{"UnmarshalJSON": fromJSON, "UnmarshalText": fromText, "Parse": parsed} {
			if !got.Equal(tc.want) {
				t.Errorf("%s(%s) = %s, want %s", how, tc.in, got.Time, tc.want)
			}
			if _, off := got.Zone(); off != 0 {
				t.Errorf("%s(%s) is at offset %ds, want UTC", how, tc.in, off)
			}
		}
		wantText := tc.want.Format(time.RFC3339Nano)
		if b, err := json.Marshal(fromJSON); err != nil || string(b) != `"`+wantText+`"` {
			t.Errorf("MarshalJSON of %s = %s, %v; want %q", tc.in, b, err, wantText)
		}
		if b, err := fromJSON.MarshalText(); err != nil || string(b) != wantText {
			t.Errorf("MarshalText of %s = %s, %v; want %s", tc.in, b, err, wantText)
		}
		if s := fromJSON.String(); s != wantText {
			t.Errorf("String of %s = %s, want %s", tc.in, s, wantText)
		}
	}
	// .NET's unset time, without a zone, is unset in every zone.
	for _, in := range []string{"0001-01-01T00:00:00", "0001-01-01T00:00:00.0000000"} {
		if got, err := data8time.Parse(in); err != nil || got.IsSet() {
			t.Errorf("Parse(%s) = %s, %v; want the zero Time", in, got.Time, err)
		}
	}
}
