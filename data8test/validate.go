package data8test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/data8-toolkit/data8/internal/opid"
	"github.com/data8-toolkit/data8/internal/specval"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// TB is what WithValidation reports to: *testing.T and *testing.B satisfy it, and so can anything else with
// these two methods (a CLI that prints violations, say).
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Violation is one request or response that broke the spec, seen with WithValidation on.
type Violation struct {
	Op      string // operation id, e.g. "Dataset_UploadBlock"
	Request bool   // true for a request that broke the spec, false for a response
	Status  int    // the response's status code (0 for a request)
	Message string // which rule was broken, trimmed to a few hundred characters
}

// String formats v as WithValidation reports it.
func (v Violation) String() string {
	if v.Request {
		return fmt.Sprintf("data8test: request of %s breaks the spec: %s", v.Op, v.Message)
	}
	return fmt.Sprintf("data8test: response %d of %s breaks the spec: %s", v.Status, v.Op, v.Message)
}

// Violations returns the violations seen so far with WithValidation on: requests that broke the spec
// (answered 400 by the server) and responses that did (reported to the TB too).
func (s *Server) Violations() []Violation {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return slices.Clone(s.violations)
}

// violation records v and reports it to the TB when report is true.
func (s *Server) violation(v Violation, report bool) {
	s.statsMu.Lock()
	s.violations = append(s.violations, v)
	s.statsMu.Unlock()
	if report && s.cfg.tb != nil {
		s.cfg.tb.Helper()
		s.cfg.tb.Errorf("%s", v)
	}
}

// specInfo is the spec (internal/specval, the project's one reading of the embedded OpenAPI document)
// with the lookups the server needs.
type specInfo struct {
	*specval.Spec
	ops         map[string]*specval.Operation // by operation id
	opByPattern map[string]string             // "GET /Dataset/{name}" → operation id
}

// loadSpec parses the spec embedded in gen once; the result is never changed afterwards.
var loadSpec = sync.OnceValues(func() (*specInfo, error) {
	sp, err := specval.Load()
	if err != nil {
		return nil, err
	}
	si := &specInfo{Spec: sp, ops: map[string]*specval.Operation{}, opByPattern: map[string]string{}}
	for _, op := range sp.Operations() {
		if !slices.Contains(opid.All(), op.ID) {
			return nil, fmt.Errorf("the spec has an operation data8test does not know: %s %s (%s)", op.Method, op.Path, op.ID)
		}
		si.ops[op.ID] = op
		si.opByPattern[op.Method+" "+op.Path] = op.ID
	}
	return si, nil
})

// methodsFor returns the methods the spec has for escapedPath, if any.
func (si *specInfo) methodsFor(escapedPath string) []string {
	var out []string
	for _, m := range []string{http.MethodDelete, http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut} {
		if op, _ := si.Find(m, escapedPath); op != nil {
			out = append(out, m)
		}
	}
	return out
}

// pathParams returns the path parameters of r for op, as the ServeMux matched them.
func (s *Server) pathParams(r *http.Request, op string) map[string]string {
	params := map[string]string{}
	for _, seg := range strings.Split(s.spec.ops[op].Path, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}")
			params[name] = r.PathValue(name)
		}
	}
	return params
}

// describe shortens a validation error to one message.
func describe(err error) string {
	return termsafe.Trim(strings.Join(specval.Describe(err), "; "), maxMessage)
}

// checkRequest validates r against op in the spec. It reads the body and puts it back.
func (s *Server) checkRequest(r *http.Request, op string) error {
	params := s.pathParams(r, op)
	err := s.spec.CheckRequest(r.Context(), r, s.spec.ops[op], params)
	if err == nil {
		return nil
	}
	// A blank prefix is allowed by its pattern; kin-openapi refuses every empty path parameter.
	var me openapi3.MultiError
	if errors.As(err, &me) {
		me = slices.DeleteFunc(slices.Clone(me), func(e error) bool {
			var re *openapi3filter.RequestError
			if !errors.As(e, &re) || re.Parameter == nil {
				return false
			}
			if re.Parameter.Name == "prefix" && params["prefix"] == "" &&
				(errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue)) {
				return true
			}
			// The output datasets of ProfileOutputNames must be readable by their names.
			var se *openapi3.SchemaError
			return s.has(ProfileOutputNames) && re.Parameter.Name == "name" && re.Parameter.In == openapi3.ParameterInPath &&
				strings.HasPrefix(op, "Dataset_") && errors.As(re.Err, &se) && se.SchemaField == "pattern"
		})
		if len(me) == 0 {
			return nil
		}
		return me
	}
	return err
}

// checkResponse validates a response of op to r against the spec; it returns what breaks it, or "".
func (s *Server) checkResponse(r *http.Request, op string, status int, header http.Header, body []byte) string {
	msgs := s.spec.CheckResponse(r.Context(), r, s.spec.ops[op], s.pathParams(r, op), status, header, body)
	return termsafe.Trim(strings.Join(msgs, "; "), maxMessage)
}

// requestProblem is the answer to a request that breaks the spec: 400 with the offending members, or
// 404 for a bad path parameter of an operation that declares no 400 (no such resource can exist).
func (s *Server) requestProblem(op string, err error) problemBody {
	errs, pathOnly := requestErrors(err)
	if !s.spec.ops[op].Declares(http.StatusBadRequest) && pathOnly {
		return problem(http.StatusNotFound, "Not Found", "The requested resource does not exist.")
	}
	return badRequest(errs, "The request does not match the API's description.")
}

// requestErrors turns a request validation error into messages by member ("records[12].foo", a
// parameter name, or "$" for the body as a whole), and reports whether every error is about a path
// parameter.
func requestErrors(err error) (map[string][]string, bool) {
	out := map[string][]string{}
	pathOnly := true
	add := func(key, msg string) {
		if len(out) < 50 {
			out[key] = append(out[key], termsafe.Trim(msg, maxMessage))
		}
	}
	var walk func(err error, param string)
	walk = func(err error, param string) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, x := range e {
				walk(x, param)
			}
		case *openapi3filter.RequestError:
			p := param
			if e.Parameter != nil {
				p = e.Parameter.Name
				if e.Parameter.In != openapi3.ParameterInPath {
					pathOnly = false
				}
			} else {
				pathOnly = false
			}
			if e.Err == nil {
				add(keyOr(p, "$"), e.Reason)
				return
			}
			walk(e.Err, p)
		case *openapi3.SchemaError:
			if param != "" {
				add(param, e.Reason)
				return
			}
			pathOnly = false
			add(pointerKey(e.JSONPointer()), e.Reason)
		default:
			if param == "" {
				pathOnly = false
			}
			if u := errors.Unwrap(err); u != nil {
				walk(u, param)
				return
			}
			add(keyOr(param, "$"), err.Error())
		}
	}
	walk(err, "")
	return out, pathOnly
}

// keyOr returns k, or def when k is empty.
func keyOr(k, def string) string {
	if k == "" {
		return def
	}
	return k
}

// pointerKey writes a JSON pointer as a member path: ["records","12","foo"] → "records[12].foo".
func pointerKey(ptr []string) string {
	if len(ptr) == 0 {
		return "$"
	}
	var b strings.Builder
	for _, p := range ptr {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// recorder keeps an answer, for shaping and validating it before it is sent. A fault that drops the
// connection hijacks the real one underneath.
type recorder struct {
	*httptest.ResponseRecorder
	w        http.ResponseWriter // the real writer, for Hijack; nil for an answer that is thrown away
	hijacked bool
}

func newRecorder(w http.ResponseWriter) *recorder {
	return &recorder{ResponseRecorder: httptest.NewRecorder(), w: w}
}

// Hijack hands over the real connection.
func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if rec.w == nil {
		return nil, nil, http.ErrNotSupported
	}
	rec.hijacked = true
	return http.NewResponseController(rec.w).Hijack()
}
