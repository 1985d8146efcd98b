package conformance

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The suite's one table of hard strings: texts and names whose characters or lengths a server can
// get wrong (characters outside the Basic Multilingual Plane kept by a 3-byte UTF-8 store, line
// breaks turned into spaces by a CSV step or a JavaScript-style line split, control characters
// dropped by an XML step, a leading byte order mark dropped by a text reader, characters special in URLs read with query rules, names
// cut or checked only in part by a fixed-width column). Every place a free text or a name is kept
// takes its hard cases from here: record values (RECORDS-TEXT, JOB-OUTPUT-BLOCKS through a job, the
// model tier's records), job parameters, job names (JOB-NAME-SPACES, JOB-NAME-LONG, JOB-NAME-CHARS,
// the model tier's jobs), dataset and column names (DATASET-NAME-PATTERN,
// DATASET-COLUMN-NAME-PATTERN, SCALE-SHORT-NAMES).

// hardText is a free text a server must keep exactly as sent.
type hardText struct {
	label string // what is hard about it, for messages
	text  string
	// edge: no page says a server takes it (a NUL, a long text: length limits are not documented),
	// so a refusal with a 4xx is a difference from D-11; what is taken must still be kept exactly.
	edge bool
}

// hardTexts are the hard record values and parameter values, each JSON-legal.
func hardTexts() []hardText {
	return []hardText{
		{label: "an emoji (outside the Basic Multilingual Plane)", text: "smile 😀 end"},
		{label: "mathematical letters outside the BMP", text: "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙"},
		{label: "an emoji sequence with a zero-width joiner", text: "👩\u200d💻 and 🇬🇧"},
		{label: "combining marks (decomposed letters)", text: "e\u0301 a\u0308 n\u0303 \u0301first"},
		{label: "right-to-left text", text: "שלום עולם مرحبا بالعالم"},
		{label: "a line feed", text: "line one\nline two"},
		{label: "CR LF", text: "line one\r\nline two\r\n"},
		{label: "a carriage return", text: "line one\rline two"},
		{label: "tabs", text: "\tcol\tcol\t"},
		{label: "Unicode line breaks (U+2028, U+2029, NEL)", text: "line\u2028sep\u2029para\u0085nel"},
		{label: "control characters XML 1.0 cannot hold (escaped in JSON)", text: "bell\x07 bs\x08 vt\x0b ff\x0c esc\x1b us\x1f del\x7f"},
		{label: "a byte order mark at the start", text: "\ufeffBOM first"},
		{label: "leading and trailing spaces", text: "  padded  "},
		{label: "only spaces", text: "   "},
		{label: "an empty string (not null)", text: ""},
		{label: "backslashes", text: `C:\path\to\file \\ \n \u0041 (literal)`},
		{label: "quotes", text: `"double" 'single' “curly” ‘curly’`},
		{label: "HTML and JSON specials", text: `<b>&amp;</b> {"x":[1]} +%20#?`},
		{label: "a number written as text, with a leading zero", text: "007"},
		{label: "an exponent written as text", text: "1e3"},
		{label: "minus zero written as text", text: "-0"},
		{label: "the word true as text", text: "true"},
		{label: "the word null as text", text: "null"},
		{label: "a NUL character", text: "nul\x00inside", edge: true},
		{label: "a text of 5,000 characters", text: longText(5000), edge: true},
	}
}

// plainHardTexts are the hard texts that are not edges: a server must take them.
func plainHardTexts() []hardText {
	var out []hardText
	for _, h := range hardTexts() {
		if !h.edge {
			out = append(out, h)
		}
	}
	return out
}

// hardNumber is a JSON number a server must keep as the same value (its JSON text as sent).
type hardNumber struct {
	label string
	text  string
	// edge: an integer past ±(2^53−1), or a decimal of more than 15 significant digits. No page
	// says what a server keeps of them, and JSON does not promise more than a float64 holds (RFC
	// 8259, section 6): a JSON layer in front of a server (a gateway, a validating proxy) may well
	// read them as float64. A refusal or another value read back differs from D-11. The others
	// keep their exact value.
	edge bool
}

// hardNumbers are the hard record numbers: the largest integers a float64 holds exactly, negative
// numbers, decimals and exponents, and, as edges, integers past 2^53 (a float64 store loses their
// last digits) and decimals with more significant digits than a float64 keeps.
func hardNumbers() []hardNumber {
	return []hardNumber{
		{label: "2^53-1", text: "9007199254740991"},
		{label: "-(2^53-1)", text: "-9007199254740991"},
		{label: "a negative integer", text: "-42"},
		{label: "zero", text: "0"},
		{label: "a decimal", text: "0.1"},
		{label: "a negative decimal", text: "-2.5"},
		{label: "a 15-digit decimal", text: "3.14159265358979"},
		{label: "an exponent", text: "1e3"},
		{label: "a negative exponent", text: "-1.5E-7"},
		{label: "a large exponent", text: "6.02214076e23"},
		{label: "2^53+1", text: "9007199254740993", edge: true},
		{label: "an 18-digit integer", text: "123456789012345678", edge: true},
		{label: "the largest 64-bit integer", text: "9223372036854775807", edge: true},
		{label: "an integer past 64 bits", text: "123456789012345678901234567890", edge: true},
		{label: "a decimal of 30 digits", text: "0.123456789012345678901234567891", edge: true},
	}
}

// longText returns a text of n characters (runes) mixing ASCII, accented letters, a character
// outside the BMP and a line break.
func longText(n int) string {
	const unit = "long text é 𝔘 ✓\n"
	var b strings.Builder
	for utf8.RuneCountInString(b.String()) < n {
		b.WriteString(unit)
	}
	r := []rune(b.String())
	return string(r[:n])
}

// hardName is a valid job name part and what is hard about it.
type hardName struct {
	label string
	part  string
}

// hardJobNameParts are characters valid in job names (the documentation forbids only
// / : * ? " < > |) that a server can get wrong: characters special in URLs, paths and queries
// (sent raw where a path allows them: a '+' in a path is a plus, not a space), characters outside
// the BMP, combining marks, right-to-left text. Each goes into a name after the run's prefix, so
// it is unique to the run.
func hardJobNameParts() []hardName {
	return []hardName{
		{"plus signs (a query reads + as a space)", "C++ check +1 a+b"},
		{"characters special in URLs", "50% off #1 & a=b; ~x 'q' (p) [s] {c} @ ! $ , ^ ` %2B %20 %"},
		{"characters outside the BMP, combining marks, right-to-left text", "😀 𝔘 e\u0301 שלום مرحبا 👩\u200d💻"},
		// Every '%' here is followed by two hex digits, so a path decoded twice (a proxy, then the
		// application) reads another name: a name that also holds a lone '%' fails the second
		// decoding as a whole and hides it.
		{"dots (a route may read a dotted suffix as a format: report.csv, x.json)", "report.csv v1.2 a..b x.json"},
		{"percent escapes as text (a letter %41, a space %20, a slash %2F, a percent %25, a plus %2B; decoded twice they change the name)", "Rate %41 %20 %2F %25 %2B %e9"},
	}
}

// forbiddenPositions are the character positions (1-based) at which JOB-NAME-CHARS and
// DATASET-NAME-PATTERN put a forbidden character in a long name: past the 64th, the 100th and the
// 255th character, where a check of a name's first characters, or a cut, would miss it.
var forbiddenPositions = []int{65, 101, 256, 300}

// padTo pads name with a valid filler character until it holds n characters (runes): a name of a
// given length, for checks at a position. A name already that long is cut to n.
func padTo(name string, n int, filler rune) string {
	r := []rune(name)
	for len(r) < n {
		r = append(r, filler)
	}
	return string(r[:n])
}

// withCharAt returns a name of total characters whose character at position pos (1-based) is ch,
// the rest base padded with filler.
func withCharAt(base string, pos, total int, ch rune, filler rune) string {
	r := []rune(padTo(base, total, filler))
	r[pos-1] = ch
	return string(r)
}

// longJobNameLengths are the lengths (characters) of the long valid job names JOB-NAME-LONG starts:
// past the 64th and 100th character, and past 255.
var longJobNameLengths = []int{101, 300}

// describeLen describes a text by its length and an excerpt, for messages about long names.
func describeLen(s string) string {
	r := []rune(s)
	if len(r) <= 80 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q…%q (%d characters)", string(r[:40]), string(r[len(r)-20:]), len(r))
}
