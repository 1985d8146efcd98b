// Package specval checks, from the client side, that the answers of a Data8 API server match the
// project's OpenAPI document (api/openapi.yaml, as embedded in package gen): that every status code
// and content type is declared for the operation, and that every body matches its schema. It is
// the checker of the conformance suite; it looks only at what a server sends, whichever server that
// is, unlike data8test's Validate, which checks the stand-in server from the inside.
//
// Transport is an http.RoundTripper that checks every answer passing through it and hands each
// exchange, with its violations, to a callback; a tag put in the request's context with WithTag
// (the conformance suite uses the case id) says who made the request.
package specval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/data8-toolkit/data8/data8time"
	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/termsafe"
)

// Spec is the parsed OpenAPI document with its operations. It is not changed after Load and is
// safe for concurrent use.
type Spec struct {
	doc *openapi3.T
	ops []*Operation
}

// Operation is one operation of the spec.
type Operation struct {
	// ID is the operation id as api/openapi.yaml spells it, for example "Dataset_UploadBlock".
	ID string
	// Method is the HTTP method, upper case.
	Method string
	// Path is the path template, for example "/Dataset/{name}/data".
	Path string

	segs  []string
	route *routers.Route
}

// Load parses the OpenAPI document embedded in package gen.
func Load() (*Spec, error) {
	doc, err := gen.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("specval: load the embedded spec: %w", err)
	}
	return newSpec(doc), nil
}

// LoadData parses an OpenAPI document (YAML or JSON), such as api/openapi.yaml with an overlay
// applied, to check answers against it instead of the embedded spec.
func LoadData(data []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("specval: load a spec: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("specval: the spec is not valid: %w", err)
	}
	return newSpec(doc), nil
}

// newSpec indexes the operations of doc.
func newSpec(doc *openapi3.T) *Spec {
	doc.Servers = nil
	s := &Spec{doc: doc}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			s.ops = append(s.ops, &Operation{
				ID:     yamlOperationID(op),
				Method: method,
				Path:   path,
				segs:   strings.Split(strings.TrimPrefix(path, "/"), "/"),
				route:  &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
			})
		}
	}
	slices.SortFunc(s.ops, func(a, b *Operation) int { return strings.Compare(a.ID, b.ID) })
	return s
}

// yamlOperationID gives an operation's id as api/openapi.yaml spells it: oapi-codegen embeds the
// spec with ids in Go form (DatasetGetList); the spec's ids are the tag, an underscore and the rest.
func yamlOperationID(op *openapi3.Operation) string {
	id := op.OperationID
	if strings.Contains(id, "_") || len(op.Tags) == 0 {
		return id
	}
	if rest, ok := strings.CutPrefix(id, op.Tags[0]); ok && rest != "" {
		return op.Tags[0] + "_" + rest
	}
	return id
}

// Operations returns the operations of the spec, sorted by id.
func (s *Spec) Operations() []*Operation { return slices.Clone(s.ops) }

// Operation returns the operation with the given id (as api/openapi.yaml spells it), or nil.
func (s *Spec) Operation(id string) *Operation {
	for _, op := range s.ops {
		if op.ID == id {
			return op
		}
	}
	return nil
}

// Find returns the operation that method and escapedPath (the path below the API's base URL, still
// percent-escaped) address, with its path parameters unescaped; nil when there is none. A blank last
// segment matches a parameter (the blank prefix of ApiKey_AddAllowedIPPUT).
func (s *Spec) Find(method, escapedPath string) (*Operation, map[string]string) {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, op := range s.ops {
		if op.Method != method || len(op.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, seg := range op.segs {
			if strings.HasPrefix(seg, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil {
					ok = false
					break
				}
				params[strings.Trim(seg, "{}")] = v
				continue
			}
			if seg != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return op, params
		}
	}
	return nil, nil
}

// Declares reports whether the operation declares an answer with the status code.
func (o *Operation) Declares(status int) bool {
	return o.route.Operation.Responses.Status(status) != nil
}

// HasContent reports whether the operation's answer with the status code declares a body.
func (o *Operation) HasContent(status int) bool {
	r := o.route.Operation.Responses.Status(status)
	return r != nil && r.Value != nil && len(r.Value.Content) > 0
}

// DateTimeFormat is the string format of the times in answers (api/openapi.yaml's data8-date-time): RFC 3339
// or the zone-less forms a .NET service writes, as data8time.Parse reads them.
const DateTimeFormat = "data8-date-time"

// SchemaOptions are the kin-openapi schema validation options of every check against the spec: they
// teach kin-openapi the spec's own formats (DateTimeFormat), per validation, without changing
// kin-openapi's global state.
func SchemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator(DateTimeFormat, openapi3.NewCallbackValidator(func(s string) error {
			_, err := data8time.Parse(s)
			return err
		})),
	}
}

// options are the openapi3filter options of a response check: undeclared status codes are errors,
// every error is collected, authentication (a request matter) is not judged, and the spec's own
// formats are known (SchemaOptions).
func options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus:   true,
		MultiError:              true,
		SkipSettingDefaults:     true,
		SchemaValidationOptions: SchemaOptions(),
	}
}

// CheckRequest checks a request to op against the spec: its parameters (params are the path
// parameters, unescaped) and its body, which it reads and puts back. It returns kin-openapi's error
// as it is, so that a server can tell which members broke which rule (Describe shortens it), or nil.
func (s *Spec) CheckRequest(ctx context.Context, req *http.Request, op *Operation, params map[string]string) error {
	return openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request:     req,
		PathParams:  params,
		QueryParams: req.URL.Query(),
		Route:       op.route,
		Options:     options(),
	})
}

// CheckResponse checks one answer of op to req against the spec: the status code must be declared,
// the content type must be one the answer declares, and the body must match its schema. A 2xx answer
// with an empty body carries no result (D-4: ASP.NET answers Created(uri, null) and Accepted() without
// one, and OpenAPI 3.0 cannot say a body is optional), so only its status is checked. It returns one
// short message per rule broken (values trimmed), or nil.
func (s *Spec) CheckResponse(ctx context.Context, req *http.Request, op *Operation, params map[string]string, status int, header http.Header, body []byte) []string {
	if err := validateResponse(ctx, req, op, params, status, header, body); err != nil {
		return Describe(err)
	}
	return nil
}

// validateResponse runs kin-openapi's response validation of one answer of op, as CheckResponse
// describes, and returns its error as it is.
func validateResponse(ctx context.Context, req *http.Request, op *Operation, params map[string]string, status int, header http.Header, body []byte) error {
	respOpts := options()
	respOpts.ExcludeResponseBody = status/100 == 2 && len(bytes.TrimSpace(body)) == 0
	return openapi3filter.ValidateResponse(context.WithoutCancel(ctx), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      op.route,
			Options:    options(),
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: respOpts,
	})
}

// Describe turns a validation error (of a request or a response) into short messages naming each rule broken and where, without
// the whole values and schemas kin-openapi prints.
func Describe(err error) []string {
	var parts []string
	var walk func(err error, where string)
	walk = func(err error, where string) {
		switch e := err.(type) {
		case nil:
		case openapi3.MultiError:
			for _, x := range e {
				walk(x, where)
			}
		case *openapi3filter.RequestError:
			w := "body"
			if e.Parameter != nil {
				w = e.Parameter.In + " parameter " + e.Parameter.Name
			}
			if e.Err == nil {
				parts = append(parts, prefixed(w, e.Reason))
				return
			}
			walk(e.Err, w)
		case *openapi3filter.ResponseError:
			reason := e.Reason
			if reason == "" {
				reason = "response"
			}
			if e.Err == nil {
				parts = append(parts, reason)
				return
			}
			walk(e.Err, reason)
		case *openapi3.SchemaError:
			parts = append(parts, prefixed(where, schemaRule(e)))
		default:
			if u := errors.Unwrap(err); u != nil {
				var se *openapi3.SchemaError
				var me openapi3.MultiError
				if errors.As(u, &se) || errors.As(u, &me) {
					walk(u, where)
					return
				}
			}
			parts = append(parts, prefixed(where, err.Error()))
		}
	}
	walk(err, "")
	for i := range parts {
		parts[i] = termsafe.Trim(parts[i], 300)
	}
	return parts
}

func prefixed(where, msg string) string {
	if where == "" {
		return msg
	}
	return where + ": " + msg
}

// schemaRule names the schema rule an error broke and where, without the value and schema.
func schemaRule(se *openapi3.SchemaError) string {
	return fmt.Sprintf("at /%s breaks %q: %s", strings.Join(se.JSONPointer(), "/"), se.SchemaField, se.Reason)
}
