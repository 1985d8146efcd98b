package specval

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/data8-toolkit/data8/internal/termsafe"
)

// The extensions with which api/openapi.yaml marks what Data8's pages leave open.
const (
	// ExtInferred marks an operation, parameter, response or schema as decided, not documented.
	ExtInferred = "x-data8-inferred"
	// ExtAssumption says what is assumed there, starting with the contract's point ("D-9: ...").
	ExtAssumption = "x-data8-assumption"
)

// FindingKind says which part of an answer a Finding concerns.
type FindingKind string

// The parts of an answer a rule can concern.
const (
	// KindStatus: the status code is not declared for the operation.
	KindStatus FindingKind = "status"
	// KindContentType: the content type is not declared for the answer.
	KindContentType FindingKind = "content-type"
	// KindHeader: a declared header is missing or malformed.
	KindHeader FindingKind = "header"
	// KindBody: the body could not be decoded as the declared media type, or does not match its schema.
	KindBody FindingKind = "body"
	// KindOther: anything else (an unknown operation, an answer too large to check, a proxy's report).
	KindOther FindingKind = "other"
)

// Finding is one rule of the spec that an answer broke, with where the rule sits in the spec and
// whether the documentation states it or the project decided it.
type Finding struct {
	// Message names the rule broken and where, briefly (as Describe gives it).
	Message string `json:"message"`
	// Kind says which part of the answer broke the rule.
	Kind FindingKind `json:"kind"`
	// Status is the answer's status code.
	Status int `json:"status"`
	// Pointer is the JSON pointer of the spec node holding the rule, for example
	// "#/components/schemas/Job/properties/submittedAt" or "#/paths/~1Dataset/post/responses".
	Pointer string `json:"pointer,omitempty"`
	// ValuePath is the JSON pointer, in the answer's body, of the value that broke a schema rule.
	ValuePath string `json:"valuePath,omitempty"`
	// Keyword is the schema keyword broken ("format", "required", "pattern", ...), for body findings.
	Keyword string `json:"keyword,omitempty"`
	// Inferred says the rule is a decided point, not a documented one: the nearest node on the way
	// from the answer to the rule is marked x-data8-inferred (or the rule is a documented one whose
	// inferred part alone was broken, see Point).
	Inferred bool `json:"inferred"`
	// Point is the contract's decided point, such as "D-4" or "D-5/D-6", read from the marked node's
	// x-data8-assumption; "times" for a .NET time without a zone, which Data8's examples do not show.
	Point string `json:"point,omitempty"`
	// Assumption is the x-data8-assumption of the marked node.
	Assumption string `json:"assumption,omitempty"`
	// MarkedAt is the JSON pointer of the node marked x-data8-inferred.
	MarkedAt string `json:"markedAt,omitempty"`
	// ValueKind says what the offending value was ("string", "null", "number", ...), never the value.
	ValueKind string `json:"valueKind,omitempty"`
}

// Findings checks one answer of op to req against the spec, as CheckResponse does, and returns each
// rule broken as a Finding that says where the rule sits and whether it is documented or decided.
func (s *Spec) Findings(ctx context.Context, req *http.Request, op *Operation, params map[string]string, status int, header http.Header, body []byte) []Finding {
	extra := problemStatus(status, header, body)
	err := validateResponse(ctx, req, op, params, status, header, body)
	if err == nil {
		return extra
	}
	c := classifier{op: op, status: status, mediaType: header.Get("Content-Type")}
	c.walk(err)
	for i := range c.out {
		c.out[i].Status = status
		c.out[i].Message = termsafe.Trim(c.out[i].Message, 300)
		if c.out[i].Message == "status is not supported" {
			c.out[i].Message = fmt.Sprintf("status %d is not declared for %s", status, op.ID)
		}
	}
	return append(c.out, extra...)
}

// problemStatus returns the finding of an error answer whose body is a JSON object (a problem
// details object) with a numeric status member other than the answer's status: RFC 9457, whose
// members the spec's ProblemDetails documents, has the status member carry the answer's status
// code ("generators MUST use the same status code in the actual HTTP response").
func problemStatus(status int, header http.Header, body []byte) []Finding {
	if status < 400 {
		return nil
	}
	mt := strings.ToLower(strings.TrimSpace(strings.Split(header.Get("Content-Type"), ";")[0]))
	if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(body, &p) != nil {
		return nil
	}
	var n json.Number
	if raw, ok := p["status"]; !ok || json.Unmarshal(raw, &n) != nil || n == "" {
		return nil // no status member, or a null one (the schema judges its type)
	}
	if got, err := n.Int64(); err == nil && got == int64(status) {
		return nil
	}
	return []Finding{{
		Message:   termsafe.Trim(fmt.Sprintf("the problem's status member is %s, the answer's status is %d: RFC 9457 has them the same", n, status), 300),
		Kind:      KindBody,
		Status:    status,
		Pointer:   "#/components/schemas/ProblemDetails/properties/status",
		ValuePath: "/status",
		Keyword:   "status",
		ValueKind: "number",
	}}
}

// classifier turns one validation error into findings.
type classifier struct {
	op        *Operation
	status    int
	mediaType string
	out       []Finding
}

func (c *classifier) walk(err error) {
	switch e := err.(type) {
	case nil:
	case openapi3.MultiError:
		for _, x := range e {
			c.walk(x)
		}
	case *openapi3filter.ResponseError:
		c.response(e)
	default:
		c.out = append(c.out, Finding{Message: err.Error(), Kind: KindOther})
	}
}

// response classifies one error of openapi3filter.ValidateResponse.
func (c *classifier) response(e *openapi3filter.ResponseError) {
	reason := cmp.Or(e.Reason, "response")
	switch {
	case reason == "status is not supported":
		c.out = append(c.out, c.statusFinding(reason))
	case strings.Contains(reason, "Content-Type"):
		msg := fmt.Sprintf("media type %q is not declared for status %d", c.mediaType, c.status)
		if c.mediaType == "" {
			msg = fmt.Sprintf("no Content-Type (an empty body) where status %d declares a body", c.status)
		}
		f := Finding{Message: msg, Kind: KindContentType}
		c.markResponse(&f, "/content")
		c.out = append(c.out, f)
	case strings.HasPrefix(reason, "response header"):
		f := Finding{Message: prefixed(reason, errText(e.Err)), Kind: KindHeader}
		c.markResponse(&f, "/headers")
		c.out = append(c.out, f)
	case e.Err == nil || !hasSchemaError(e.Err):
		f := Finding{Message: prefixed(reason, errText(e.Err)), Kind: KindBody}
		c.markResponse(&f, "/content")
		c.out = append(c.out, f)
	default:
		c.schemaErrors(reason, e.Err)
	}
}

// schemaErrors classifies every schema error in err.
func (c *classifier) schemaErrors(where string, err error) {
	var me openapi3.MultiError
	var se *openapi3.SchemaError
	switch {
	case errors.As(err, &me) && !isSchemaError(err):
		for _, x := range me {
			c.schemaErrors(where, x)
		}
	case errors.As(err, &se):
		f := Finding{Message: prefixed(where, schemaRule(se)), Kind: KindBody, Keyword: se.SchemaField, ValueKind: valueKind(se.Value)}
		path := se.JSONPointer()
		f.ValuePath = "/" + strings.Join(path, "/")
		c.markSchema(&f, path, se)
		c.out = append(c.out, f)
	default:
		c.out = append(c.out, Finding{Message: prefixed(where, err.Error()), Kind: KindBody})
	}
}

func isSchemaError(err error) bool {
	_, ok := err.(*openapi3.SchemaError)
	return ok
}

func hasSchemaError(err error) bool {
	var se *openapi3.SchemaError
	return errors.As(err, &se)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// statusFinding classifies an undeclared status code. Success codes are the contract's D-4 ("200
// for every operation"); client errors are decided wherever the operation is (its error answers
// are), else D-4; any other code (a server error, a redirect) is never a plausible answer.
func (c *classifier) statusFinding(reason string) Finding {
	f := Finding{Message: reason, Kind: KindStatus, Pointer: c.opPointer() + "/responses"}
	switch {
	case c.status >= 200 && c.status < 300:
		f.Inferred, f.Point, f.MarkedAt = true, "D-4", f.Pointer
		f.Assumption = "D-4: success is 200 for every operation (any 2xx is accepted)."
		m := c.op.route.Operation.Responses.Map()
		for _, code := range slices.Sorted(maps.Keys(m)) {
			if r := m[code]; strings.HasPrefix(code, "2") && r != nil && r.Value != nil {
				if ok, a := marked(r.Value.Extensions); ok {
					f.Assumption, f.MarkedAt = a, c.responsePointer(code, r)
				}
				break
			}
		}
	case c.status >= 400 && c.status < 500:
		f.Inferred, f.Point, f.MarkedAt = true, "D-4", f.Pointer
		f.Assumption = "D-4: the error status codes of an operation are decided; the documentation names few."
		if ok, a := marked(c.op.route.Operation.Extensions); ok {
			f.Assumption, f.MarkedAt = a, c.opPointer()
		}
	}
	if f.Inferred {
		f.Point = pointOf(f.Assumption, f.Point)
	}
	return f
}

// opPointer is the JSON pointer of the operation.
func (c *classifier) opPointer() string {
	return "#/paths/" + escapePointer(c.op.Path) + "/" + strings.ToLower(c.op.Method)
}

// responsePointer is the JSON pointer of a response of the operation, following its $ref.
func (c *classifier) responsePointer(code string, r *openapi3.ResponseRef) string {
	if r.Ref != "" {
		return r.Ref
	}
	return c.opPointer() + "/responses/" + code
}

// declared returns the response of the operation for the answer's status, and its pointer.
func (c *classifier) declared() (*openapi3.ResponseRef, string) {
	responses := c.op.route.Operation.Responses
	if r := responses.Status(c.status); r != nil {
		return r, c.responsePointer(strconv.Itoa(c.status), r)
	}
	if r := responses.Default(); r != nil {
		return r, c.responsePointer("default", r)
	}
	return nil, ""
}

// markResponse sets the finding's pointer to the declared response (plus suffix) and marks it
// inferred when the response, or else the operation, is marked.
func (c *classifier) markResponse(f *Finding, suffix string) {
	r, ptr := c.declared()
	if r == nil || r.Value == nil {
		return
	}
	f.Pointer = ptr + suffix
	if ok, a := marked(r.Value.Extensions); ok {
		f.Inferred, f.Assumption, f.MarkedAt = true, a, ptr
	} else if ok, a := marked(c.op.route.Operation.Extensions); ok {
		f.Inferred, f.Assumption, f.MarkedAt = true, a, c.opPointer()
	}
	if f.Inferred {
		f.Point = pointOf(f.Assumption, "")
	}
}

// markSchema finds the schema node a schema error concerns by following the value's path from the
// answer's schema, and marks the finding inferred at the deepest marked node on the way (the
// response included, unless its mark says only the status code is inferred). One rule is documented
// only in part, and a value breaking only the inferred part is inferred: a time without a zone
// (.NET's DateTimeKind.Unspecified) breaks only the "date-time" format.
func (c *classifier) markSchema(f *Finding, path []string, se *openapi3.SchemaError) {
	r, ptr := c.declared()
	if r == nil || r.Value == nil {
		return
	}
	if ok, a := marked(r.Value.Extensions); ok && !statusOnlyRE.MatchString(a) {
		f.Inferred, f.Assumption, f.MarkedAt = true, a, ptr
	}
	mt, _, _ := strings.Cut(c.mediaType, ";")
	media := r.Value.Content.Get(strings.TrimSpace(mt))
	if media == nil || media.Schema == nil {
		f.Pointer = ptr + "/content"
	} else {
		f.Pointer = ptr + "/content/" + escapePointer(strings.TrimSpace(mt)) + "/schema"
		ref := media.Schema
		if ref.Ref != "" {
			f.Pointer = ref.Ref
		}
		c.visit(f, ref)
		parent := f.Pointer
		for _, seg := range path {
			next, nptr := child(ref, f.Pointer, seg)
			if next == nil {
				break
			}
			parent = f.Pointer
			ref, f.Pointer = next, nptr
			c.visit(f, ref)
		}
		if se.SchemaField == "required" && len(path) > 0 {
			// The rule sits in the object's schema, not in the missing member's.
			f.Pointer = parent
		}
	}
	switch {
	case se.SchemaField == "format" && se.Schema != nil && se.Schema.Format == "date-time" && isDotNetTime(se.Value):
		f.Inferred, f.MarkedAt = true, f.Pointer
		f.Assumption = "times: Data8's examples show times with a zone (2020-01-02T03:04:05.0000000Z); a time without one, as .NET sends for DateTimeKind.Unspecified, is not excluded by any page."
		if s, _ := se.Value.(string); strings.HasPrefix(s, "0001-01-01") {
			f.Assumption = "D-14: .NET services send 0001-01-01T00:00:00 for an unset non-nullable time; a time without a zone is not excluded by any page."
		}
	}
	if f.Inferred {
		f.Point = pointOf(f.Assumption, "")
	}
}

// statusOnlyRE matches the assumption of a response whose status code alone is inferred ("D-4: the
// 200 status is inferred."): its mark does not make its body's schema a decided point.
var statusOnlyRE = regexp.MustCompile(`^\s*D-\d+:\s*the (\d{3} )?status( code)? is inferred\s*[.;]`)

// visit marks the finding at ref when ref's schema, or one of its allOf members, is marked.
func (c *classifier) visit(f *Finding, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil {
		return
	}
	if ok, a := marked(ref.Value.Extensions); ok {
		f.Inferred, f.Assumption, f.MarkedAt = true, a, f.Pointer
		return
	}
	for i, sub := range ref.Value.AllOf {
		if sub != nil && sub.Value != nil {
			if ok, a := marked(sub.Value.Extensions); ok {
				at := f.Pointer + "/allOf/" + strconv.Itoa(i)
				if sub.Ref != "" {
					at = sub.Ref
				}
				f.Inferred, f.Assumption, f.MarkedAt = true, a, at
				return
			}
		}
	}
}

// child returns the schema of member seg of a value of schema ref (an array index, a property, an
// additional property, or either through allOf), with its pointer; nil when the schema says nothing.
func child(ref *openapi3.SchemaRef, ptr, seg string) (*openapi3.SchemaRef, string) {
	if ref == nil || ref.Value == nil {
		return nil, ""
	}
	s := ref.Value
	at := func(next *openapi3.SchemaRef, p string) (*openapi3.SchemaRef, string) {
		if next.Ref != "" {
			return next, next.Ref
		}
		return next, p
	}
	if _, err := strconv.Atoi(seg); err == nil && s.Items != nil {
		return at(s.Items, ptr+"/items")
	}
	if p, ok := s.Properties[seg]; ok && p != nil {
		return at(p, ptr+"/properties/"+escapePointer(seg))
	}
	for i, sub := range s.AllOf {
		subPtr := ptr + "/allOf/" + strconv.Itoa(i)
		if sub.Ref != "" {
			subPtr = sub.Ref
		}
		if next, p := child(sub, subPtr, seg); next != nil {
			return next, p
		}
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		return at(ap, ptr+"/additionalProperties")
	}
	return nil, ""
}

// marked reports whether extensions mark a node x-data8-inferred, with its x-data8-assumption.
func marked(ext map[string]any) (bool, string) {
	v, ok := ext[ExtInferred]
	if !ok {
		return false, ""
	}
	if b, isBool := v.(bool); isBool && !b {
		return false, ""
	}
	a, _ := ext[ExtAssumption].(string)
	return true, a
}

// pointRE finds the contract's points at the start of an assumption: "D-5/D-6: ...".
var pointRE = regexp.MustCompile(`^\s*((?:D-\d+)(?:\s*/\s*D-\d+)*)\s*:`)

// pointOf returns the contract's point(s) an assumption names ("D-5/D-6"), "times" for the times
// rule, "limits" for the rate limits, or alt.
func pointOf(assumption, alt string) string {
	if m := pointRE.FindStringSubmatch(assumption); m != nil {
		return strings.ReplaceAll(m[1], " ", "")
	}
	switch {
	case strings.HasPrefix(assumption, "times:"):
		return "times"
	case strings.Contains(strings.ToLower(assumption), "rate limit"):
		return "limits"
	}
	return cmp.Or(alt, "inferred")
}

// dotNetTimeRE matches a time without a zone as .NET writes it: 2020-01-02T03:04:05.0000000.
var dotNetTimeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$`)

func isDotNetTime(v any) bool {
	s, ok := v.(string)
	return ok && dotNetTimeRE.MatchString(s)
}

// valueKind names the JSON type of v.
func valueKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return "number"
	}
}

// escapePointer escapes a JSON pointer segment (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// SuccessResponse returns the operation's declared success answer as a JSON value to copy into
// another document: {"$ref": ...} when the spec refers to a shared response, else the response
// itself; nil when the operation declares none.
func (o *Operation) SuccessResponse() map[string]any {
	m := o.route.Operation.Responses.Map()
	for _, code := range slices.Sorted(maps.Keys(m)) {
		if r := m[code]; strings.HasPrefix(code, "2") && r != nil {
			if r.Ref != "" {
				return map[string]any{"$ref": r.Ref}
			}
			return jsonCopy(r.Value)
		}
	}
	return nil
}

// ResponseSchema returns the schema of the operation's answer with the status (or its default),
// from its first declared media type, as a JSON value to copy; nil when there is none.
func (o *Operation) ResponseSchema(status int) map[string]any {
	r := o.route.Operation.Responses.Status(status)
	if r == nil {
		r = o.route.Operation.Responses.Default()
	}
	if r == nil || r.Value == nil {
		return nil
	}
	for _, mt := range slices.Sorted(maps.Keys(r.Value.Content)) {
		if s := r.Value.Content[mt].Schema; s != nil {
			if s.Ref != "" {
				return map[string]any{"$ref": s.Ref}
			}
			return jsonCopy(s.Value)
		}
	}
	return nil
}

// jsonCopy returns v marshalled to JSON and read back as a map, or nil.
func jsonCopy(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// Assumption returns the operation's x-data8-assumption, or "" when it is not marked inferred.
func (o *Operation) Assumption() string {
	_, a := marked(o.route.Operation.Extensions)
	return a
}
