package termsafe

import "testing"

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"contacts_2024", "contacts_2024"},
		{"Zoë's \"town\" Ağrı 東京 C:\\data", "Zoë's \"town\" Ağrı 東京 C:\\data"},
		{"red\x1b[31mtext\x1b[0m", `red\x1b[31mtext\x1b[0m`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\a`},
		{"one\ntwo\r\nthree\tfour", `one\ntwo\r\nthree\tfour`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1 \u009b31m next \u0085", `c1 \u009b31m next \u0085`},
		{"evil\u202egnp.exe", `evil\u202egnp.exe`},
		{"iso\u2066x\u2069 lrm\u200e alm\u061c", `iso\u2066x\u2069 lrm\u200e alm\u061c`},
		{"line\u2028para\u2029", `line\u2028para\u2029`},
		{"bad\xffutf8\xc3", `bad\xffutf8\xc3`},
		{"kept \ufffd beside \x1b and \xff\ufffd", "kept \ufffd beside \\x1b and \\xff\ufffd"},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if Safe(tc.in) != (tc.in == tc.want) {
			t.Errorf("Safe(%q) = %v", tc.in, Safe(tc.in))
		}
		if !Safe(String(tc.in)) {
			t.Errorf("String(%q) = %q is not safe", tc.in, String(tc.in))
		}
	}
}

func TestJSON(t *testing.T) {
	in := "{\n  \"name\": \"a\\u001b[31mb\x7f\u009b\u202e\",\n  \"ok\": \"Zoë\"\n}\n"
	want := "{\n  \"name\": \"a\\u001b[31mb\\u007f\\u009b\\u202e\",\n  \"ok\": \"Zoë\"\n}\n"
	if got := string(JSON([]byte(in))); got != want {
		t.Errorf("JSON = %q, want %q", got, want)
	}
	same := []byte("[\n  \"plain\"\n]\n")
	if got := JSON(same); &got[0] != &same[0] {
		t.Errorf("JSON copied text that needed nothing")
	}
}
