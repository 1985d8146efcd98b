package cli

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseColumnSpec(t *testing.T) {
	got, err := parseColumnSpec("a, b:1,c:-2")
	if err != nil {
		t.Fatal(err)
	}
	want := []columnSpec{{"a", 0}, {"b", 1}, {"c", -2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "a,", "A", "a:x", "a,a", "1a", "a:1:2"} {
		if _, err := parseColumnSpec(bad); err == nil {
			t.Errorf("parseColumnSpec(%q) accepted", bad)
		}
	}
}

func TestCellText(t *testing.T) {
	cases := map[string]any{"": nil, "x": "x", "1.50": json.Number("1.50"), "true": true, "1e+21": 1e21, "0.1": 0.1, `{"a":1}`: map[string]any{"a": 1}}
	for want, v := range cases {
		if got := cellText(v); got != want && !(want == "1e+21" && got == "1000000000000000000000") {
			t.Errorf("cellText(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	got := shellJoin([]string{"data8", "run", "my file.csv", "--param", "A=it's", "/tmp/x.csv", ""})
	want := `data8 run 'my file.csv' --param 'A=it'\''s' /tmp/x.csv ''`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
