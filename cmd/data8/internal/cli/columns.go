package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/data8-toolkit/data8/internal/names"
)

// mapColumnName turns a header such as "First Name" into a valid column name ("first_name"): lower case, every
// run of characters other than a-z and 0-9 becomes one underscore, leading and trailing underscores go, and a
// name that does not start with a letter gets the prefix "c_". position (1-based) names a header that has no
// letters or digits at all ("c_<position>").
func mapColumnName(header string, position int) string {
	var b strings.Builder
	pendingUnderscore := false
	for _, r := range strings.ToLower(header) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if pendingUnderscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			pendingUnderscore = false
			b.WriteRune(r)
			continue
		}
		pendingUnderscore = true
	}
	s := b.String()
	switch {
	case s == "":
		return "c_" + strconv.Itoa(position)
	case s[0] < 'a' || s[0] > 'z':
		return "c_" + s
	}
	return s
}

// columnSpec is one entry of a --columns flag: a column name and its type code.
type columnSpec struct {
	Name string
	Type int
}

// parseColumnSpec parses a --columns value such as "a,b,c" or "a:0,b:1" (the type code defaults to 0). Names
// must be valid column names and appear once.
func parseColumnSpec(spec string) ([]columnSpec, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("bad --columns %q: no columns (want name[:type],...)", spec)
	}
	var out []columnSpec
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		name, code, hasCode := strings.Cut(strings.TrimSpace(part), ":")
		c := columnSpec{Name: name}
		if !names.Valid(name) {
			return nil, fmt.Errorf("bad --columns %q: %q is not a valid column name (lower-case letter first, then a-z, 0-9 or _)", spec, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("bad --columns %q: column %q appears twice", spec, name)
		}
		seen[name] = true
		if hasCode {
			t, err := strconv.Atoi(code)
			if err != nil {
				return nil, fmt.Errorf("bad --columns %q: type code %q of column %q is not an integer", spec, code, name)
			}
			c.Type = t
		}
		out = append(out, c)
	}
	return out, nil
}
