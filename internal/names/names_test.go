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

func TestJobNameProblem(t *testing.T) {
	for name, want := range map[string]string{
		"Contacts March 2024": "",
		"":                    "must not be empty",
		"   ":                 "must not be empty",
		"a/b":                 `must not contain '/' (no / : * ? " < > | or backslash)`,
		`a\b`:                 `must not contain '\\' (no / : * ? " < > | or backslash)`,
		"a|b":                 `must not contain '|' (no / : * ? " < > | or backslash)`,
		"tab\there":           "must not contain control characters (it holds U+0009)",
		"c1\u009fhere":        "must not contain control characters (it holds U+009F)",
		"del\x7f":             "must not contain control characters (it holds U+007F)",
		"bad\xffutf8":         "is not valid UTF-8",
	} {
		if got := JobNameProblem(name); got != want {
			t.Errorf("JobNameProblem(%q) = %q, want %q", name, got, want)
		}
	}
	for _, c := range `/:*?"<>|\` {
		if JobNameProblem("a"+string(c)) == "" {
			t.Errorf("%q is allowed in a job name", c)
		}
	}
}

func TestColumn(t *testing.T) {
	for header, want := range map[string]string{
		"First Name": "first_name", "  Post--Code  ": "post_code", "E-mail/Address": "e_mail_address", "a__b": "a__b",
		"2nd Line": "c_2nd_line", "_x": "x", "###": "c_7", "Zoë": "zo", "email": "email",
	} {
		got := Column(header, 7)
		if got != want || !Valid(got) {
			t.Errorf("Column(%q, 7) = %q, want %q", header, got, want)
		}
	}
}

func FuzzColumn(f *testing.F) {
	f.Add("First Name", 1)
	f.Add("###", 3)
	f.Fuzz(func(t *testing.T, header string, position int) {
		if position < 1 {
			position = 1
		}
		if got := Column(header, position); !Valid(got) {
			t.Fatalf("Column(%q) = %q, not a valid column name", header, got)
		}
	})
}
