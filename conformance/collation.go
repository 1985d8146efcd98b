package conformance

import (
	"cmp"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// listOrder is one order a server may call alphabetical: the documentation says "alphabetical" and no
// more, and a service on SQL Server or .NET sorts names by its collation.
type listOrder struct {
	// name says which order, for the report.
	name string
	// compare returns a comparison of the order; each call makes its own (a collator is not safe for
	// concurrent use).
	compare func() func(a, b string) int
}

// listOrders are the orders the dataset list may be in, the decided one (byte order) first: byte
// order; case-insensitive ordinal, folded to upper case (.NET's OrdinalIgnoreCase) or to lower case;
// the culture-aware order of names of ^[a-z][a-z0-9_]*$ (the underscore, punctuation, before digits
// and letters: ICU, .NET's default); and a culture collation as Windows and SQL Server's do (English,
// golang.org/x/text/collate), case ignored or lower case first.
var listOrders = []listOrder{
	{"byte order (ordinal)", func() func(a, b string) int { return strings.Compare }},
	{"case-insensitive ordinal order, folded to upper case", func() func(a, b string) int {
		return func(a, b string) int { return strings.Compare(strings.ToUpper(a), strings.ToUpper(b)) }
	}},
	{"case-insensitive ordinal order, folded to lower case", func() func(a, b string) int {
		return func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }
	}},
	{"culture-aware order (the underscore before digits and letters)", func() func(a, b string) int {
		key := func(s string) string { return strings.ReplaceAll(s, "_", "\x00") }
		return func(a, b string) int { return strings.Compare(key(a), key(b)) }
	}},
	{"a culture collation, case ignored (as Windows and SQL Server's case-insensitive collations)", func() func(a, b string) int {
		return collate.New(language.English, collate.IgnoreCase).CompareString
	}},
	{"a culture collation, lower case before upper case", func() func(a, b string) int {
		return collate.New(language.English).CompareString
	}},
}

// alphabeticalOrder returns the first of listOrders that names are sorted by (names it finds equal
// in any order), and false when they are sorted by none of them.
func alphabeticalOrder(names []string) (string, bool) {
	for _, o := range listOrders {
		compare := o.compare()
		sorted := true
		for i := 1; i < len(names) && sorted; i++ {
			sorted = compare(names[i-1], names[i]) <= 0
		}
		if sorted {
			return o.name, true
		}
	}
	return "", false
}

// firstOutOfOrder returns the index of the first name listed after one that sorts after it by byte
// order, or 0 when there is none.
func firstOutOfOrder(names []string) int {
	for i := 1; i < len(names); i++ {
		if cmp.Less(names[i], names[i-1]) {
			return i
		}
	}
	return 0
}
