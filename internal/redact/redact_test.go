package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
)

// secretsOfEveryClass are secrets at the minimum length and longer, holding each character class a
// client secret or token can hold.
var secretsOfEveryClass = []string{
	"abcdefgh",         // exactly MinLen
	"0123456789abcdef", // hex
	"Ab+/=Ab+/=xy",     // base64 alphabet with padding characters
	"a b:c+d=e&f%g",    // space, colon, plus, equals, ampersand, percent
	`quo"te\back<>&x`,  // JSON escapes
	"ünïcødé-sécret",   // non-ASCII
	"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", // a JWT-shaped token
}

func TestEveryEncodingIsRedacted(t *testing.T) {
	for _, secret := range secretsOfEveryClass {
		var s Set
		s.Add(secret)
		jsonForm, _ := json.Marshal(secret)
		encodings := map[string]string{
			"literal":          secret,
			"form":             url.QueryEscape(secret),
			"path":             url.PathEscape(secret),
			"form, lower hex":  lowerHexEscapes(url.QueryEscape(secret)),
			"json":             string(jsonForm[1 : len(jsonForm)-1]),
			"base64":           base64.StdEncoding.EncodeToString([]byte(secret)),
			"base64url":        base64.URLEncoding.EncodeToString([]byte(secret)),
			"basic auth":       base64.StdEncoding.EncodeToString([]byte("client-id:" + secret)),
			"basic auth 1":     base64.StdEncoding.EncodeToString([]byte("c:" + secret)),
			"basic auth 2":     base64.StdEncoding.EncodeToString([]byte("cl:" + secret + "!")),
			"base64 in a blob": base64.RawURLEncoding.EncodeToString([]byte(`{"echo":"` + secret + `","n":1}`)),
		}
		for name, enc := range encodings {
			text := "before " + enc + " after"
			got := s.String(text)
			if strings.Contains(got, enc) && enc != "" {
				t.Errorf("secret %q, %s form %q: not redacted in %q", secret, name, enc, got)
			}
			if !strings.Contains(got, Placeholder) {
				t.Errorf("secret %q, %s form: no %s in %q", secret, name, Placeholder, got)
			}
			if !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
				t.Errorf("secret %q, %s form: text around it changed: %q", secret, name, got)
			}
		}
	}
}

func TestShortStringsAreNotSecrets(t *testing.T) {
	var s Set
	s.Add("500", "1234567", "")
	const text = "status 500: 1234567 records"
	if got := s.String(text); got != text {
		t.Fatalf("strings shorter than %d were redacted: %q", MinLen, got)
	}
	if s.Has("1234567") {
		t.Fatalf("Has reports a string shorter than MinLen")
	}
	s.Add("12345678")
	if got, want := s.String("id 12345678."), "id "+Placeholder+"."; got != want {
		t.Fatalf("a secret of exactly MinLen bytes: got %q, want %q", got, want)
	}
}

func TestOrdinaryTextIsUntouched(t *testing.T) {
	var s Set
	s.Add("s3cr3t-value-xyz")
	const text = "GET /Dataset?page=2 → 500 Internal Server Error; the 500 records are ok"
	if got := s.String(text); got != text {
		t.Fatalf("text without a secret changed: %q", got)
	}
}

func TestLongerSecretReplacedWhole(t *testing.T) {
	var s Set
	s.Add("abcdefgh", "abcdefgh-and-more")
	if got, want := s.String("x abcdefgh-and-more y abcdefgh z"), "x "+Placeholder+" y "+Placeholder+" z"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestWriter(t *testing.T) {
	var s Set
	var out bytes.Buffer
	w := s.Writer(&out)
	fmt.Fprintln(w, "token tok-123456789 before it is known")
	s.Add("tok-123456789")
	fmt.Fprintln(w, "token tok-123456789 after")
	if got, want := out.String(), "token tok-123456789 before it is known\ntoken "+Placeholder+" after\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if u, ok := w.(interface{ Unwrap() io.Writer }); !ok || u.Unwrap() != &out {
		t.Fatalf("Writer does not unwrap to the writer it writes to")
	}
}

func TestNilSet(t *testing.T) {
	var s *Set
	if got := s.String("abcdefghij"); got != "abcdefghij" {
		t.Fatalf("nil Set changed text: %q", got)
	}
}

func FuzzRedacted(f *testing.F) {
	for _, s := range secretsOfEveryClass {
		f.Add(s, "prefix", "suffix")
	}
	f.Fuzz(func(t *testing.T, secret, before, after string) {
		if len(secret) < MinLen {
			return
		}
		var s Set
		s.Add(secret)
		for _, enc := range []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(before + secret + after))} {
			if got := s.String(before + enc + after); strings.Contains(got, enc) {
				t.Fatalf("secret %q: form %q survives in %q", secret, enc, got)
			}
		}
	})
}

// TestASCIIOnlyJSONEscapesAreRedacted: JSON encoders that write ASCII only escape what Go's does not:
// Python's json.dumps every non-ASCII character (lower-case hex), .NET's System.Text.Json also
// < > & ' " + and ` (upper-case hex). A secret echoed in raw JSON by such a server is redacted too.
// The escaped texts are written out by hand, as those encoders write them.
func TestASCIIOnlyJSONEscapesAreRedacted(t *testing.T) {
	for _, tc := range []struct{ secret, escaped string }{
		{"ünïcødé-sécret", `\u00fcn\u00efc\u00f8d\u00e9-s\u00e9cret`}, // Python
		{"ünïcødé-sécret", `\u00FCn\u00EFc\u00F8d\u00E9-s\u00E9cret`}, // .NET
		{"a b:c+d=e&f%g", `a b:c\u002Bd=e\u0026f%g`},                  // .NET
		{`quo"te\back<>&x`, `quo\u0022te\\back\u003C\u003E\u0026x`},   // .NET
		{`quo"te\back<>&x`, `quo\"te\\back<>&x`},                      // Python
		{"emoji-\U0001F600-secret", `emoji-\ud83d\ude00-secret`},      // Python, a UTF-16 pair
		{"it's+`quoted`", "it\\u0027s\\u002B\\u0060quoted\\u0060"},    // .NET
	} {
		var s Set
		s.Add(tc.secret)
		got := s.String(`{"detail":"echo ` + tc.escaped + ` end"}`)
		if strings.Contains(got, tc.escaped) || !strings.Contains(got, Placeholder) {
			t.Errorf("secret %q escaped as %s: not redacted in %s", tc.secret, tc.escaped, got)
		}
	}
}

// TestBase64CoreAtEveryOffsetOfALongerBlob: a secret whose length is a multiple of 3 sits inside a
// longer base64 text at each offset (0, 1 and 2 mod 3) with bytes after it; the part of the text
// that holds its bytes alone is redacted whatever the alignment. The byte after it, '~' (0x7E), has
// bits set in its top 2 and top 4, so a core that wrongly keeps the last character fails at both
// unaligned offsets.
func TestBase64CoreAtEveryOffsetOfALongerBlob(t *testing.T) {
	for _, secret := range []string{"abcdefghijkl", "0123456789abcdefgh", "Ab+/=Ab+/=xyZ?!"} {
		if len(secret)%3 != 0 {
			t.Fatalf("%q: the test wants a length that is a multiple of 3", secret)
		}
		var s Set
		s.Add(secret)
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			for _, prefix := range []string{"{x", "{xy", "{xyz", "{xyzw", "{xyzwv"} {
				blob := enc.EncodeToString([]byte(prefix + secret + `~","n":1}`))
				text := "before " + blob + " after"
				got := s.String(text)
				if !strings.Contains(got, Placeholder) || !strings.HasPrefix(got, "before ") || !strings.HasSuffix(got, " after") {
					t.Errorf("secret %q at offset %d (%d mod 3): %q redacted as %q", secret, len(prefix), len(prefix)%3, text, got)
				}
			}
		}
	}
}

// TestEscapeOfTheLastCharacterInLowerCase: the lower-case hex forms (\u00xx in JSON, %xx in a
// form or path) are redacted when the secret's last character is the one escaped, so that the
// escape ends the form.
func TestEscapeOfTheLastCharacterInLowerCase(t *testing.T) {
	for _, tc := range []struct{ secret, form string }{
		{"abcdefgh\u00e9", `abcdefgh\u00e9`},
		{"abcdefgh<", `abcdefgh\u003c`},
		{"abcdefgh'", `abcdefgh\u0027`},
		{"abcdefgh/", "abcdefgh%2f"},
		{"abcdefgh?", "abcdefgh%3f"},
		{"abcdefgh\u00e9", "abcdefgh%c3%a9"},
	} {
		var s Set
		s.Add(tc.secret)
		text := "before " + tc.form + " after"
		if got, want := s.String(text), "before "+Placeholder+" after"; got != want {
			t.Errorf("secret %q, form %q: %q; want %q", tc.secret, tc.form, got, want)
		}
	}
}
