package data8test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/specval"
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

// Violations returns the violations seen so far with WithValidation on: requests that broke the spec (answered
// 400 by the server) and responses that did (reported to the TB too).
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

// specInfo is the parsed OpenAPI document with the lookups the server needs.
type specInfo struct {
	doc         *openapi3.T
	routes      map[string]*routers.Route // by operation id
	opByPattern map[string]string         // "GET /Dataset/{name}" → operation id
	templates   []pathTemplate
	has400      map[string]bool // operations that declare a 400 answer
}

// pathTemplate is one path of the spec, split into segments ("{x}" for a parameter).
type pathTemplate struct {
	segs    []string
	methods []string
}

// loadSpec parses the spec embedded in gen once; the result is never changed afterwards.
var loadSpec = sync.OnceValues(func() (*specInfo, error) {
	doc, err := gen.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("load the embedded spec: %w", err)
	}
	// Routes are taken from the server's own router, so the servers of the document (Data8's host) must
	// not get in the way.
	doc.Servers = nil
	si := &specInfo{doc: doc, routes: map[string]*routers.Route{}, opByPattern: map[string]string{}, has400: map[string]bool{}}
	// oapi-codegen embeds the spec with its operation ids in Go form (DatasetGetList); this server names
	// operations as api/openapi.yaml does (Dataset_GetList).
	ids := map[string]string{}
	for _, id := range operationIDs {
		ids[strings.ReplaceAll(id, "_", "")] = id
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		tpl := pathTemplate{segs: strings.Split(strings.TrimPrefix(path, "/"), "/")}
		for method, op := range item.Operations() {
			id, ok := ids[strings.ReplaceAll(op.OperationID, "_", "")]
			if !ok {
				return nil, fmt.Errorf("the spec has an operation data8test does not know: %s %s (%s)", method, path, op.OperationID)
			}
			si.routes[id] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			si.opByPattern[method+" "+path] = id
			si.has400[id] = op.Responses.Status(http.StatusBadRequest) != nil
			tpl.methods = append(tpl.methods, method)
		}
		slices.Sort(tpl.methods)
		si.templates = append(si.templates, tpl)
	}
	return si, nil
})

// methodsFor returns the methods of the spec path that escapedPath matches, if any.
func (si *specInfo) methodsFor(escapedPath string) []string {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, t := range si.templates {
		if len(t.segs) != len(segs) {
			continue
		}
		ok := true
		for i, seg := range t.segs {
			if !strings.HasPrefix(seg, "{") && seg != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return t.methods
		}
	}
	return nil
}

// validationOptions are the openapi3filter options of both directions: authentication is the server's
// own business, defaults are not written into requests, and every error is collected.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		SkipSettingDefaults:   true,
		MultiError:            true,
		IncludeResponseStatus: true,
	}
}

// requestInput builds the validation input of r for op, with the path parameters the ServeMux matched.
func (s *Server) requestInput(r *http.Request, op string) *openapi3filter.RequestValidationInput {
	route := s.spec.routes[op]
	params := map[string]string{}
	for _, seg := range strings.Split(route.Path, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}")
			params[name] = r.PathValue(name)
		}
	}
	return &openapi3filter.RequestValidationInput{
		Request:     r,
		PathParams:  params,
		QueryParams: r.URL.Query(),
		Route:       route,
		Options:     validationOptions(),
	}
}

// checkRequest validates r against op in the spec. It reads the body and puts it back.
func (s *Server) checkRequest(r *http.Request, op string) error {
	in := s.requestInput(r, op)
	err := openapi3filter.ValidateRequest(r.Context(), in)
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
			if re.Parameter.Name == "prefix" && in.PathParams["prefix"] == "" &&
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

// checkResponse validates a response of op to r against the spec.
func (s *Server) checkResponse(r *http.Request, op string, status int, header http.Header, body []byte) error {
	return openapi3filter.ValidateResponse(context.WithoutCancel(r.Context()), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: s.requestInput(r, op),
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                validationOptions(),
	})
}

// requestProblem is the answer to a request that breaks the spec: 400 with the offending members, or
// 404 for a bad path parameter of an operation that declares no 400 (no such resource can exist).
func (s *Server) requestProblem(op string, err error) problemBody {
	errs, pathOnly := requestErrors(err)
	if !s.spec.has400[op] && pathOnly {
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
			out[key] = append(out[key], specval.Trim(msg, maxMessage))
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

// describe turns a validation error into a short message naming each rule broken and where, without the
// whole values and schemas kin-openapi prints.
func describe(err error) string {
	var parts []string
	var walk func(err error)
	walk = func(err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, x := range e {
				walk(x)
			}
		case *openapi3filter.RequestError:
			where := "body"
			if e.Parameter != nil {
				where = e.Parameter.In + " parameter " + e.Parameter.Name
			}
			switch inner := e.Err.(type) {
			case nil:
				parts = append(parts, where+": "+e.Reason)
			case *openapi3.SchemaError:
				parts = append(parts, where+" "+schemaRule(inner))
			case openapi3.MultiError:
				for _, x := range inner {
					if se, ok := x.(*openapi3.SchemaError); ok {
						parts = append(parts, where+" "+schemaRule(se))
					} else {
						walk(x)
					}
				}
			default:
				parts = append(parts, where+": "+keyOr(e.Reason, "invalid")+": "+inner.Error())
			}
		case *openapi3filter.ResponseError:
			switch inner := e.Err.(type) {
			case nil:
				parts = append(parts, e.Reason)
			case *openapi3.SchemaError:
				parts = append(parts, keyOr(e.Reason, "response")+": "+schemaRule(inner))
			case openapi3.MultiError:
				for _, x := range inner {
					if se, ok := x.(*openapi3.SchemaError); ok {
						parts = append(parts, keyOr(e.Reason, "response")+": "+schemaRule(se))
					} else {
						walk(x)
					}
				}
			default:
				parts = append(parts, keyOr(e.Reason, "invalid")+": "+inner.Error())
			}
		case *openapi3.SchemaError:
			parts = append(parts, schemaRule(e))
		default:
			if u := errors.Unwrap(err); u != nil {
				walk(u)
				return
			}
			parts = append(parts, err.Error())
		}
	}
	walk(err)
	for i := range parts {
		parts[i] = specval.Trim(parts[i], maxMessage)
	}
	return specval.Trim(strings.Join(parts, "; "), maxMessage)
}

// schemaRule names the schema rule an error broke and where, without the value and schema kin-openapi
// prints in full.
func schemaRule(se *openapi3.SchemaError) string {
	return fmt.Sprintf("at /%s breaks rule %q: %s", strings.Join(se.JSONPointer(), "/"), se.SchemaField, se.Reason)
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
