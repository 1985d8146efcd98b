package specval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/data8-toolkit/data8/internal/termsafe"
)

// tagKey keys the tag of a request in its context.
type tagKey struct{}

// WithTag returns ctx carrying tag: every request made with the context is recorded under it, so
// that a violation is attributed to whoever made the request.
func WithTag(ctx context.Context, tag string) context.Context {
	return context.WithValue(ctx, tagKey{}, tag)
}

// Tag returns the tag of ctx, or "".
func Tag(ctx context.Context) string {
	t, _ := ctx.Value(tagKey{}).(string)
	return t
}

// Exchange is one request and its answer, as Transport saw them.
type Exchange struct {
	// Tag is the tag of the request's context (WithTag): the conformance case that made it.
	Tag string `json:"case,omitempty"`
	// Op is the operation id, or "" when the request matched none.
	Op string `json:"op,omitempty"`
	// Method and Path are the request's method and escaped path below the base URL.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Status is the answer's status code.
	Status int `json:"status"`
	// ContentType is the answer's Content-Type header.
	ContentType string `json:"contentType,omitempty"`
	// Shape says briefly what the body held: "empty", "object {a,b}", "array of 3" ...
	Shape string `json:"shape"`
	// BodyLen is the length of the answer's body.
	BodyLen int `json:"bodyLen"`
	// RetryAfter reports whether the answer carried a Retry-After header.
	RetryAfter bool `json:"retryAfter,omitempty"`
	// Violations are the rules of the spec the answer broke.
	Violations []string `json:"violations,omitempty"`
	// Findings are the same rules, each with where it sits in the spec and whether it is documented
	// or decided (Spec.Findings); a finding of the transport itself (an answer too large to check, no
	// operation, a proxy's report) is documented.
	Findings []Finding `json:"findings,omitempty"`
}

// String formats the exchange on one line.
func (e Exchange) String() string {
	s := fmt.Sprintf("%s %s → %d", e.Method, termsafe.Trim(e.Path, 80), e.Status)
	if e.ContentType != "" {
		s += " " + e.ContentType
	}
	return s + " " + e.Shape
}

// Transport is an http.RoundTripper that checks every answer from below BaseURL against Spec and
// reports each exchange to Record. The body of an answer is read whole (up to MaxBody) and put
// back, so the caller reads it as usual. Requests elsewhere (the token endpoint), and requests that
// Skip says to leave alone, pass through unchecked and unrecorded.
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Spec is the spec to check against.
	Spec *Spec
	// BaseURL is the API's base URL; only requests below it are checked.
	BaseURL *url.URL
	// Skip, when set, leaves a request unchecked when it returns true.
	Skip func(*http.Request) bool
	// Record receives every exchange checked; it may be called from many goroutines at once.
	Record func(Exchange)
	// MaxBody caps the bytes of an answer that are read and checked; 0 means 64 MiB.
	MaxBody int64
}

// RoundTrip sends req, checks the answer and reports the exchange.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	rel, ok := t.below(req.URL)
	if !ok || (t.Skip != nil && t.Skip(req)) {
		return resp, nil
	}
	limit := t.MaxBody
	if limit <= 0 {
		limit = 64 << 20
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return nil, fmt.Errorf("specval: reading the answer to %s %s: %w", req.Method, req.URL.Redacted(), rerr)
	}

	ex := Exchange{
		Tag:         Tag(req.Context()),
		Method:      req.Method,
		Path:        rel,
		Status:      resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"),
		Shape:       Shape(resp.Header.Get("Content-Type"), body),
		BodyLen:     len(body),
		RetryAfter:  resp.Header.Get("Retry-After") != "",
	}
	escaped := rel
	if i := strings.IndexByte(escaped, '?'); i >= 0 {
		escaped = escaped[:i]
	}
	op, params := t.Spec.Find(req.Method, escaped)
	switch {
	case int64(len(body)) > limit:
		ex.Findings = append(ex.Findings, Finding{Kind: KindOther, Status: resp.StatusCode, Message: fmt.Sprintf("the answer is larger than %d bytes; not checked", limit)})
	case op == nil:
		ex.Findings = append(ex.Findings, Finding{Kind: KindOther, Status: resp.StatusCode, Message: fmt.Sprintf("no operation of the spec is %s %s (answered %d)", req.Method, termsafe.Trim(escaped, 80), resp.StatusCode)})
	default:
		ex.Op = op.ID
		ex.Findings = append(ex.Findings, t.Spec.Findings(req.Context(), req, op, params, resp.StatusCode, resp.Header, body)...)
	}
	// A validating proxy (Prism with --errors) names what it found in this header.
	if sl := resp.Header.Get("sl-violations"); sl != "" {
		ex.Findings = append(ex.Findings, Finding{Kind: KindOther, Status: resp.StatusCode, Message: "the proxy reports: " + proxyViolations(sl)})
	}
	for _, f := range ex.Findings {
		ex.Violations = append(ex.Violations, f.Message)
	}
	if t.Record != nil {
		t.Record(ex)
	}
	return resp, nil
}

// below returns the part of u below BaseURL (escaped path and query), and whether u is below it.
func (t *Transport) below(u *url.URL) (string, bool) {
	if t.BaseURL == nil || !strings.EqualFold(u.Scheme, t.BaseURL.Scheme) || !strings.EqualFold(u.Host, t.BaseURL.Host) {
		return "", false
	}
	basePath := strings.TrimSuffix(t.BaseURL.EscapedPath(), "/")
	p := u.EscapedPath()
	if !strings.HasPrefix(p, basePath+"/") {
		return "", false
	}
	rel := strings.TrimPrefix(p, basePath)
	if u.RawQuery != "" {
		rel += "?" + u.RawQuery
	}
	return rel, true
}

// proxyViolations shortens Prism's sl-violations header (a JSON array of {location, message}).
func proxyViolations(h string) string {
	var vs []struct {
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(h), &vs); err != nil || len(vs) == 0 {
		return termsafe.Trim(h, 300)
	}
	msgs := make([]string, 0, len(vs))
	for _, v := range vs {
		msgs = append(msgs, v.Message)
	}
	return termsafe.Trim(strings.Join(msgs, "; "), 300)
}

// Shape says briefly what a body holds: "empty"; for JSON "object {a,b,c}" (its member names,
// with a problem's errors members), "array of N", or the JSON type; otherwise its size.
func Shape(contentType string, body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return "empty"
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return fmt.Sprintf("%d bytes", len(body))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Sprintf("%d bytes, not JSON", len(body))
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		s := "object {" + termsafe.Trim(strings.Join(keys, ","), 200) + "}"
		if errs, ok := x["errors"].(map[string]any); ok {
			members := make([]string, 0, len(errs))
			for k := range errs {
				members = append(members, k)
			}
			slices.Sort(members)
			s += " errors[" + termsafe.Trim(strings.Join(members, ","), 100) + "]"
		}
		return s
	case []any:
		return fmt.Sprintf("array of %d", len(x))
	case string:
		return "string"
	case nil:
		return "null"
	case bool:
		return "boolean"
	default:
		return "number"
	}
}
