package names

import (
	"regexp"
	"testing"
)

func TestValidMatchesPattern(t *testing.T) {
	re := regexp.MustCompile(Pattern)
	for _, s := range []string{"", "a", "z9", "sample_dataset_1", "a_", "_a", "1a", "A", "aB", "a-b", "a b", "é", "a\x00", "abc\n"} {
		if got, want := Valid(s), re.MatchString(s); got != want {
			t.Errorf("Valid(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	re := regexp.MustCompile(Pattern)
	f.Add("sample_dataset_1")
	f.Add("First Name")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), re.MatchString(s); got != want {
			t.Fatalf("Valid(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
