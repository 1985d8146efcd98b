package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// This file holds the allocation-free JSON pieces of the upload path: a string escaper, a scalar
// encoder for Record values, and a checker for encoded records (one JSON object of scalar values).

const hexDigits = "0123456789abcdef"

// jsonByte classifies each byte for appendJSONString: 0 is copied as it is, 1 needs an escape ('"',
// '\\' and control characters), 2 starts a multi-byte UTF-8 sequence, which is checked. A string
// constant, so that the table is not mutable package state.
const jsonByte = "" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" +
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" +
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02" +
	"\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02\x02"

// appendJSONString appends s as a JSON string. s must be valid UTF-8 (see appendValidJSONString).
func appendJSONString(dst []byte, s string) []byte {
	dst, _ = appendValidJSONString(dst, s)
	return dst
}

// appendValidJSONString appends s as a JSON string, checking on the way that it is valid UTF-8;
// ok is false (and dst partly extended) when it is not. Only '"', '\\' and control characters are
// escaped; everything else is copied in runs. This is the hot loop of a CSV upload: one table
// look-up per ASCII byte, no second pass for the UTF-8 check, no allocation.
func appendValidJSONString(dst []byte, s string) (_ []byte, ok bool) {
	dst = append(dst, '"')
	start, i := 0, 0
	for i < len(s) {
		c := s[i]
		switch jsonByte[c] {
		case 0:
			i++
			continue
		case 2:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, false
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), true
}

// errNotScalar is returned by appendScalar for maps, slices and other values that do not encode as
// a JSON scalar.
var errNotScalar = errors.New("not a JSON scalar")

// appendScalar appends v as a JSON string, number, boolean or null.
func appendScalar(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		out, ok := appendValidJSONString(dst, x)
		if !ok {
			return dst, errors.New("string is not valid UTF-8")
		}
		return out, nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x, 64)
	case float32:
		return appendFloat(dst, float64(x), 32)
	case json.Number:
		if end, err := scanNumber([]byte(x), 0); err != nil || end != len(x) {
			return dst, fmt.Errorf("json.Number %q is not a number", string(x))
		}
		return append(dst, x...), nil
	case map[string]any, []any, Record:
		return dst, errNotScalar
	}
	// Anything else (a named string type, time.Time, a json.Marshaler...) is encoded by
	// encoding/json and accepted when the result is a scalar.
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	if len(b) == 0 || b[0] == '{' || b[0] == '[' {
		return dst, errNotScalar
	}
	return append(dst, b...), nil
}

// appendFloat formats like encoding/json, refusing NaN and infinities.
func appendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%v is not a JSON number", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 → e-9, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// decodeKey returns the key whose JSON text is b[i:end], decoded when it holds an escape.
func decodeKey(b []byte, i, end int, escaped bool) (string, error) {
	if !escaped {
		return string(b[i+1 : end-1]), nil
	}
	var name string
	if err := json.Unmarshal(b[i:end], &name); err != nil {
		return "", syntaxError(b, i, "a key")
	}
	return name, nil
}

// checkObject checks that b is exactly one JSON object (surrounding white space allowed) whose
// values are scalars, with no key twice, and, when known is not nil, whose keys are all in known. b
// must be valid UTF-8 (callers check with utf8.Valid). The error describes the problem without
// position context.
func checkObject(b []byte, known map[string]struct{}) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if i < len(b) {
			if kind := startKind(b[i]); kind != "" {
				return fmt.Errorf("not a JSON object (it starts with %s)", kind)
			}
		}
		return errors.New("not a JSON object")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return checkEnd(b, i+1)
	}
	// Keys met so far, to refuse one written twice: as spans of b while they are few and unescaped
	// (no allocation), else decoded in seen.
	var spans [16][2]int
	var nspans int
	var seen map[string]struct{}
	for {
		if i >= len(b) || b[i] != '"' {
			return syntaxError(b, i, "a key")
		}
		end, escaped, err := scanString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : end-1]
		var name string // decoded, when needed
		decoded := false
		if seen == nil && !escaped && nspans < len(spans) {
			for _, sp := range spans[:nspans] {
				if string(b[sp[0]:sp[1]]) == string(key) {
					return fmt.Errorf("key %q appears twice", key)
				}
			}
			spans[nspans] = [2]int{i + 1, end - 1}
			nspans++
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 2*len(spans))
				for _, sp := range spans[:nspans] {
					seen[string(b[sp[0]:sp[1]])] = struct{}{}
				}
			}
			if name, err = decodeKey(b, i, end, escaped); err != nil {
				return err
			}
			decoded = true
			if _, dup := seen[name]; dup {
				return fmt.Errorf("key %q appears twice", name)
			}
			seen[name] = struct{}{}
		}
		if known != nil {
			if !decoded {
				// Not escaped: looked up as it stands, without a copy.
				if _, ok := known[string(key)]; !ok {
					return fmt.Errorf("key %q is not a column of the dataset", key)
				}
			} else if _, ok := known[name]; !ok {
				return fmt.Errorf("key %q is not a column of the dataset", name)
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return syntaxError(b, i, "':'")
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return syntaxError(b, i, "a value")
		}
		switch c := b[i]; {
		case c == '"':
			i, _, err = scanString(b, i)
		case c == 't':
			i, err = scanLiteral(b, i, "true")
		case c == 'f':
			i, err = scanLiteral(b, i, "false")
		case c == 'n':
			i, err = scanLiteral(b, i, "null")
		case c == '-' || c >= '0' && c <= '9':
			i, err = scanNumber(b, i)
		case c == '{':
			return fmt.Errorf("value of key %q is an object; values must be strings, numbers, booleans or null", string(key))
		case c == '[':
			return fmt.Errorf("value of key %q is an array; values must be strings, numbers, booleans or null", string(key))
		default:
			return syntaxError(b, i, "a value")
		}
		if err != nil {
			return err
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return checkEnd(b, i+1)
		}
		return syntaxError(b, i, "',' or '}'")
	}
}

// startKind names the kind of JSON value starting with c, or "" (for a message).
func startKind(c byte) string {
	switch {
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return ""
}

func checkEnd(b []byte, i int) error {
	if i = skipSpace(b, i); i != len(b) {
		return syntaxError(b, i, "the end of the record")
	}
	return nil
}

func syntaxError(b []byte, i int, want string) error {
	if i >= len(b) {
		return fmt.Errorf("invalid JSON: unexpected end, want %s", want)
	}
	return fmt.Errorf("invalid JSON at byte %d: want %s", i, want)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString scans the JSON string starting at b[i] == '"' and returns the index after its closing
// quote, and whether it held an escape.
func scanString(b []byte, i int) (end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			j++
			if j >= len(b) {
				return 0, false, syntaxError(b, j, "an escape")
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, false, syntaxError(b, j, "four hex digits")
				}
				for _, h := range b[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false, syntaxError(b, j, "four hex digits")
					}
				}
				j += 4
			default:
				return 0, false, syntaxError(b, j, "an escape")
			}
		case c < 0x20:
			return 0, false, syntaxError(b, j, "no control character in a string")
		}
	}
	return 0, false, syntaxError(b, len(b), "'\"'")
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, syntaxError(b, i, lit)
	}
	return i + len(lit), nil
}

// scanNumber scans a JSON number starting at b[i] and returns the index after it.
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, syntaxError(b, start, "a number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, syntaxError(b, start, "a number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return 0, syntaxError(b, start, "a number")
		}
	}
	return i, nil
}
