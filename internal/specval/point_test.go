package specval

import "testing"

// TestPointOf: the contract's point is read from the start of an assumption, written as the
// contract writes it (no spaces around the slash, whatever spacing the assumption uses).
func TestPointOf(t *testing.T) {
	for _, tc := range []struct{ assumption, alt, want string }{
		{"D-4: success is 200.", "", "D-4"},
		{"D-5/D-6: the job's times.", "", "D-5/D-6"},
		{"D-5 / D-6: the job's times.", "", "D-5/D-6"},
		{"  D-12 /D-13 / D-14 : three points.", "", "D-12/D-13/D-14"},
		{"times: Data8's examples show a zone.", "", "times"},
		{"The Rate Limit of the account.", "", "limits"},
		{"no point named here", "D-4", "D-4"},
		{"no point named here", "", "inferred"},
		{"see D-4: not at the start", "", "inferred"},
	} {
		if got := pointOf(tc.assumption, tc.alt); got != tc.want {
			t.Errorf("pointOf(%q, %q) = %q, want %q", tc.assumption, tc.alt, got, tc.want)
		}
	}
}
