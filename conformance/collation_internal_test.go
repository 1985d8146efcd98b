package conformance

import (
	"slices"
	"testing"
)

// TestAlphabeticalOrder: a dataset list sorted by any one plausible collation is alphabetical, and
// the order is named (byte order first, as decided); a list in no alphabetical order is not.
func TestAlphabeticalOrder(t *testing.T) {
	sorted := []struct {
		names []string
		order string
	}{
		{[]string{"a0", "a_b", "ab", "b"}, "byte order (ordinal)"},
		{[]string{"Output_1", "conf_a", "conf_b"}, "byte order (ordinal)"},
		// Output_1 among the lower-case names: case ignored.
		{[]string{"conf_a", "conf_b", "Output_1", "p_x"}, "case-insensitive ordinal order, folded to upper case"},
		// Folded to upper case, letters sort before '_'; folded to lower case, after it.
		{[]string{"abc", "ab_c", "Output_1"}, "case-insensitive ordinal order, folded to upper case"},
		{[]string{"ab_c", "abc", "Output_1"}, "case-insensitive ordinal order, folded to lower case"},
		{[]string{"a_b", "a0", "ab"}, "culture-aware order (the underscore before digits and letters)"},
		// A culture collation, case ignored: the underscore first, Output_1 among the others.
		{[]string{"a_b", "a0", "ab", "Output_1", "p"}, "a culture collation, case ignored (as Windows and SQL Server's case-insensitive collations)"},
		{nil, "byte order (ordinal)"},
	}
	for _, tc := range sorted {
		if order, ok := alphabeticalOrder(tc.names); !ok || order != tc.order {
			t.Errorf("%q: alphabetical %v by %q; want by %q", tc.names, ok, order, tc.order)
		}
	}
	names := []string{"a_b", "a0", "ab", "b_1", "b_2", "c", "Output_1", "p"}
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	for what, list := range map[string][]string{
		"reversed":                        reversed,
		"in creation order":               {"c", "a0", "b_2", "ab", "p", "a_b"},
		"pages each sorted, not in order": {"b_1", "b_2", "c", "a0", "a_b", "ab"},
		"one name out of place":           {"a0", "a_b", "c", "ab"},
	} {
		if order, ok := alphabeticalOrder(list); ok {
			t.Errorf("%s %q: alphabetical by %q; want in no alphabetical order", what, list, order)
		}
	}
}
