package data8test

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/data8-toolkit/data8/gen"
	"github.com/data8-toolkit/data8/internal/opid"
	"github.com/data8-toolkit/data8/internal/standin"
)

// Profile names a different but valid choice at the points where Data8's documentation is silent.
//
// By default the server takes one reading of each decided point of the contract (docs/contract.md,
// D-1 … D-14). A profile switches it, at one such point, to another reading that a real ASP.NET Core
// service could as well have made, while it keeps every documented rule. A client that is strict in what
// it sends and tolerant in what it accepts works against every profile and all of them at once
// (WithProfile(Profiles()...)); one that guessed where the documentation is silent finds out here rather
// than against Data8. Every answer of every profile is meant to validate against api/openapi.yaml: the
// spec is as tolerant as a client must be.
//
// The token endpoint is not changed by any profile (it is an IdentityServer, not the API), except for
// the lifetime of the tokens it issues (ProfileShortToken).
type Profile string

// The profiles, each with what it changes and the decided point (D-n) of the contract it exercises. When
// several are on at once they combine; where two change the same answer the later one in this list wins
// (a block upload under both ProfileAccepted202 and ProfileNoContent204 answers 204).
const (
	// ProfileCreated201 answers 201 Created instead of 200 to the operations that create something
	// (Dataset_Create, Job_CreateJob, ApiKey_CreateApiKey, ClientCredential_Create), with the same body
	// (D-4: the success code).
	ProfileCreated201 Profile = "created-201"
	// ProfileAccepted202 answers 202 Accepted to Job_CreateJob, since a job only starts later, with the
	// same body (D-4, D-13).
	ProfileAccepted202 Profile = "accepted-202"
	// ProfileNoContent204 answers 204 No Content, with no body, to the operations whose page shows no
	// body: Dataset_UploadBlock, ApiKey_DeleteByKey, ApiKey_AddAllowedDomain and ApiKey_AddAllowedIPPUT
	// (D-4).
	ProfileNoContent204 Profile = "no-content-204"
	// ProfileConflict409 answers 409 Conflict with a problem body, instead of a 400 validation problem,
	// when the only thing wrong with a create is that its name (or key) is taken: a dataset, a job or an
	// API key (D-7, D-13).
	ProfileConflict409 Profile = "conflict-409"
	// ProfileDotNetTimes writes times as a .NET DateTime of unspecified kind does: no zone, seven
	// fractional digits (2020-01-02T03:04:05.1234567), and an unset time as 0001-01-01T00:00:00, which an
	// unfinished job then shows as its completedAt instead of leaving it out (D-12, D-14).
	ProfileDotNetTimes Profile = "dotnet-times"
	// ProfilePage500 reads records back (Dataset_GetData) 500 to a page instead of 1,000 (D-10), unless
	// WithRecordPageSize sets another size.
	ProfilePage500 Profile = "page-500"
	// ProfileExtraMembers adds members the contract does not name (id, createdBy, lastModified) to every
	// dataset, job, API key and client credential in an answer, as a later version of the API may
	// (the contract: unknown members are kept or ignored, never an error).
	ProfileExtraMembers Profile = "extra-members"
	// ProfileOmitOptional leaves out what a serializer set to skip defaults leaves out: the location of
	// list entries (DatasetRef, JobRef), and every optional member whose value is 0, false, "", an empty
	// object or an empty array (D-6, D-12, D-14).
	ProfileOmitOptional Profile = "omit-optional"
	// ProfileExplicitNulls sends every optional member that has no value as null instead of leaving it
	// out, as ASP.NET's serializer does by default: a running job's completedAt, a key's username, and so on
	// (D-12, D-14).
	ProfileExplicitNulls Profile = "explicit-nulls"
	// ProfilePascalCaseErrors names members in the errors of a validation problem as ASP.NET's model
	// state does, in PascalCase: Records[12].Foo instead of records[12].foo (D-3, D-9).
	ProfilePascalCaseErrors Profile = "pascal-case-errors"
	// ProfilePlainJSONProblems sends problem bodies as application/json instead of
	// application/problem+json (D-3).
	ProfilePlainJSONProblems Profile = "plain-json-problems"
	// ProfileEmptyErrorBodies answers every API error but a 400 (every other 4xx, and every 5xx) with an
	// empty body, as ASP.NET's authentication and status-code middleware often do; the status and
	// headers (WWW-Authenticate, Retry-After) stay (D-2, D-3). A 400 keeps its problem body: Data8's
	// pages show one for it.
	ProfileEmptyErrorBodies Profile = "empty-error-bodies"
	// ProfileGzip compresses every non-empty API answer with gzip (Content-Encoding: gzip) when the
	// request's Accept-Encoding allows it (the contract: bodies are JSON; nothing says how they travel).
	ProfileGzip Profile = "gzip"
	// ProfileChunked sends every non-empty API answer with chunked transfer encoding, without a
	// Content-Length.
	ProfileChunked Profile = "chunked"
	// ProfileRetryAfterDate sends Retry-After as an HTTP date instead of seconds, on injected faults and
	// throttled requests: the answer's Date header plus the WithRetryAfter delay rounded up to whole
	// seconds, so that a client that measures from the Date header finds the delay exactly; a negative
	// delay gives a date in the past (the contract: honour 429 and Retry-After).
	ProfileRetryAfterDate Profile = "retry-after-date"
	// ProfileLocationHeader adds a Location header naming the new resource's URL to the answers of the
	// creating operations (D-4).
	ProfileLocationHeader Profile = "location-header"
	// ProfileCharset adds "; charset=utf-8" to the Content-Type of every API answer with a body, as
	// ASP.NET does (D-3).
	ProfileCharset Profile = "charset"
	// ProfileOutputNames names the output datasets of a job Output_1, Output_2 …, names that break the
	// rule for creating input datasets (^[a-z][a-z0-9_]*$), which Data8 documents for that only (D-6).
	ProfileOutputNames Profile = "output-names"
	// ProfileTraceID adds a traceId member (a W3C trace context id) to every problem body, as ASP.NET Core
	// does (D-3).
	ProfileTraceID Profile = "trace-id"
	// ProfileCaseInsensitiveNames compares names as a case-insensitive collation (SQL Server's default)
	// does: a dataset, a job or an API key named in a path in other letter case is found, and answered
	// under its own stored name (GET /Dataset/CONF_X answers dataset conf_x); a dataset, job or key whose
	// name differs from a taken one only in case is refused as taken (D-4, D-7, D-13: the contract's
	// names are exact; a server may also fold case, as long as a lookup finds the one object of that
	// name and answers it under its own name).
	ProfileCaseInsensitiveNames Profile = "case-insensitive-names"
	// ProfileCollationSort sorts the dataset list as a SQL Server or Windows culture collation does
	// (golang.org/x/text/collate, English, case ignored): "_" before digits and letters, letters in
	// alphabetical order whatever their case, instead of byte order (D-6: alphabetical). With
	// ProfileOutputNames, Output_1 sorts among the lower-case names.
	ProfileCollationSort Profile = "collation-sort"
	// ProfileThrottleEvery50 refuses every 50th API request with 429 Too Many Requests, Retry-After: 0
	// (as a date under ProfileRetryAfterDate) and a problem body, before anything is done, as a rate
	// limiter in front of the API may: before the token is looked at, and whatever the request (the
	// contract's "Limits and behaviours a client relies on": rate limits are not documented, a client
	// honours 429 and Retry-After when they come).
	ProfileThrottleEvery50 Profile = "throttle-every-50"
	// ProfileBusyEvery61 answers every 61st API request 503 Service Unavailable with Retry-After: 0
	// (as a date under ProfileRetryAfterDate) and a problem body, before anything is done, as
	// ASP.NET Core's rate limiter does by default ("Limits": a 503 says the request was not handled).
	ProfileBusyEvery61 Profile = "busy-every-61"
	// ProfileEmptyBlock400 refuses a block whose records array is empty with a 400 validation
	// problem naming records, as an ASP.NET [MinLength(1)] attribute does (D-9 decides that an empty
	// block is taken and clears its block).
	ProfileEmptyBlock400 Profile = "empty-block-400"
	// ProfileShortToken issues access tokens with expires_in 3 and refuses each with 401 three seconds
	// after its issue, as announced (D-1: the lifetime is the server's to choose; D-2: an expired token
	// gets 401). WithTokenLifetime, when shorter, still applies.
	ProfileShortToken Profile = "short-token"
	// ProfileOutputAtFinish makes a job's output datasets when it finishes successfully, not when it
	// starts: while a job is unfinished its outputDatasets is {} and its output exists nowhere (D-13:
	// POST /Job answers the Job, which names the outputs where the results are read from once they are
	// there; output datasets are only made by jobs).
	ProfileOutputAtFinish Profile = "output-at-finish"
	// ProfileNameOnlyRefs lists datasets and jobs by name and location alone: DatasetRef and JobRef
	// carry no other member (D-6, D-12: the list entries' members are decided; only a name is
	// relied on, the full details are GET /Dataset/{name} and GET /Job/{name}).
	ProfileNameOnlyRefs Profile = "name-only-refs"
	// ProfileWholeSecondTimes keeps the times it stores to the whole second, as a datetime2(0) column
	// does: an API key's expiry sent as 23:59:59.5 reads back 23:59:59, and a job's submittedAt and
	// completedAt carry no fraction (how precisely a time is kept is not documented; the documented
	// form writes seven fraction digits, zeros then).
	ProfileWholeSecondTimes Profile = "whole-second-times"
	// ProfileKeyUpdateReplaces reads PUT /ApiKey/{key} as a replacement of the four members it
	// updates: a description, username, expiry or daily limit the body leaves out is cleared (D-5:
	// the update body is inferred; PUT replaces, in HTTP's terms). Allowed domains and IPs stay.
	ProfileKeyUpdateReplaces Profile = "key-update-replaces"
	// ProfilePastEnd404 answers a page past the end of GET /Dataset, GET /Job and GET
	// /Dataset/{name}/data (a page after the first with nothing on it) 404 Not Found with a problem
	// body, as an API that reads "no such page" as "not found" does (D-6, D-10, D-12 decide an empty
	// array there).
	ProfilePastEnd404 Profile = "past-end-404"
	// ProfileLowerCaseTimes writes the times of its answers with "t" and "z" in lower case
	// (2020-01-02t03:04:05.0000000z), which RFC 3339 (section 5.6) allows ("Bodies": any RFC 3339
	// time is read).
	ProfileLowerCaseTimes Profile = "lowercase-times"
	// ProfileCompletedTickBefore gives a running job a completedAt one tick (100 ns) before its
	// submittedAt, as an entity stamping both times one after the other does, until it finishes
	// (D-14: a job is finished when completedAt is not before submittedAt).
	ProfileCompletedTickBefore Profile = "completed-tick-before"
	// ProfileBusyPlain503 answers every 67th API request 503 Service Unavailable without
	// Retry-After, with a text/plain body, before anything is done, as a load balancer in front of the
	// API may ("Limits": a 503 says the request was not handled).
	ProfileBusyPlain503 Profile = "busy-plain-503"
	// ProfileKnownCodes refuses a column type code other than 0 and 1, the codes Data8's example
	// shows, with a 400 naming the column (D-11: the codes' meaning is not documented).
	ProfileKnownCodes Profile = "known-codes"
)

// throttleEvery is the count of API requests of which ProfileThrottleEvery50 refuses the last.
const throttleEvery = 50

// busyEvery is the count of API requests of which ProfileBusyEvery61 refuses the last.
const busyEvery = 61

// plainBusyEvery is the count of API requests of which ProfileBusyPlain503 refuses the last.
const plainBusyEvery = 67

// shortTokenLifetime is the lifetime of a token under ProfileShortToken.
const shortTokenLifetime = 3 * time.Second

// Profiles returns every profile, in a stable order (the order of their declaration).
func Profiles() []Profile {
	return []Profile{
		ProfileCreated201, ProfileAccepted202, ProfileNoContent204, ProfileConflict409, ProfileDotNetTimes,
		ProfilePage500, ProfileExtraMembers, ProfileOmitOptional, ProfileExplicitNulls, ProfilePascalCaseErrors,
		ProfilePlainJSONProblems, ProfileEmptyErrorBodies, ProfileGzip, ProfileChunked, ProfileRetryAfterDate,
		ProfileLocationHeader, ProfileCharset, ProfileOutputNames, ProfileTraceID, ProfileCaseInsensitiveNames,
		ProfileCollationSort, ProfileThrottleEvery50, ProfileShortToken, ProfileOutputAtFinish, ProfileNameOnlyRefs,
		ProfileWholeSecondTimes, ProfileKeyUpdateReplaces, ProfileBusyEvery61, ProfileEmptyBlock400, ProfilePastEnd404,
		ProfileLowerCaseTimes, ProfileCompletedTickBefore, ProfileBusyPlain503, ProfileKnownCodes,
	}
}

// WithProfile turns the given profiles on (see Profile); WithProfile(Profiles()...) turns every one on.
// A name that is not one of Profiles is ignored (`data8 serve --profile` checks names first).
func WithProfile(p ...Profile) Option {
	return set(func(c *config) {
		for _, x := range p {
			c.profiles[x] = true
		}
	})
}

// WithRecordPageSize makes Dataset_GetData answer n records to a page instead of 1,000 (D-10); n of 0
// or less keeps the default. It takes precedence over ProfilePage500.
func WithRecordPageSize(n int) Option { return set(func(c *config) { c.recordPageSize = n }) }

// has reports whether profile p is on.
func (s *Server) has(p Profile) bool { return s.cfg.profiles[p] }

// recordsPerPage is the page size of Dataset_GetData.
func (s *Server) recordsPerPage() int {
	switch {
	case s.cfg.recordPageSize > 0:
		return s.cfg.recordPageSize
	case s.has(ProfilePage500):
		return 500
	}
	return recordsPerPage
}

// retryAfterDate reports whether Retry-After is sent as a date.
func (s *Server) retryAfterDate() bool { return s.has(ProfileRetryAfterDate) }

// The operations that create something, and those whose answer has no body.
var (
	createOps   = map[string]bool{opid.DatasetCreate: true, opid.JobCreateJob: true, opid.ApiKeyCreateApiKey: true, opid.ClientCredentialCreate: true}
	bodylessOps = map[string]bool{opid.DatasetUploadBlock: true, opid.ApiKeyDeleteByKey: true, opid.ApiKeyAddAllowedDomain: true, opid.ApiKeyAddAllowedIPPUT: true}
)

// answerTypes gives, by operation, the generated model of the objects of a success answer (one object,
// or the entries of an array), for the profiles that change their members. Dataset_GetData's records are
// never changed.
var answerTypes = map[string]reflect.Type{
	opid.DatasetGetList:          reflect.TypeFor[gen.DatasetRef](),
	opid.DatasetCreate:           reflect.TypeFor[gen.Dataset](),
	opid.DatasetGetByName:        reflect.TypeFor[gen.Dataset](),
	opid.DatasetUpdateByName:     reflect.TypeFor[gen.Dataset](),
	opid.JobGetList:              reflect.TypeFor[gen.JobRef](),
	opid.JobCreateJob:            reflect.TypeFor[gen.Job](),
	opid.JobGetByName:            reflect.TypeFor[gen.Job](),
	opid.ApiKeyGetList:           reflect.TypeFor[gen.ApiKey](),
	opid.ApiKeyCreateApiKey:      reflect.TypeFor[gen.ApiKey](),
	opid.ApiKeyGetByKey:          reflect.TypeFor[gen.ApiKey](),
	opid.ApiKeyUpdateByKey:       reflect.TypeFor[gen.ApiKey](),
	opid.ClientCredentialGetList: reflect.TypeFor[gen.ClientCredential](),
	opid.ClientCredentialCreate:  reflect.TypeFor[gen.ClientCredential](),
	opid.ClientCredentialGetById: reflect.TypeFor[gen.ClientCredential](),
}

// optionalMembers returns the JSON names of the optional members of a generated model (those its
// json tag marks omitempty, and its maps and slices, which are written even when empty).
func optionalMembers(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		container := f.Type.Kind() == reflect.Map || f.Type.Kind() == reflect.Slice // nullable, written even when empty
		if name != "" && name != "-" && (strings.Contains(opts, "omitempty") || container) {
			out = append(out, name)
		}
	}
	return out
}

// timeMembers are the members whose values are times.
var timeMembers = map[string]bool{"submittedAt": true, "completedAt": true, "estimatedFinishTime": true, "expiresOn": true, "lastModified": true}

// dotNetTime writes an RFC 3339 time as a .NET DateTime of unspecified kind: UTC, no zone, seven
// fractional digits; the zero time as 0001-01-01T00:00:00. A string that is not a time is kept.
func dotNetTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	t = t.UTC()
	if t.Equal(time.Time{}) {
		return "0001-01-01T00:00:00"
	}
	return t.Format("2006-01-02T15:04:05.0000000")
}

// shape applies the profiles to an API answer of op: its status, headers and body. It runs before the
// answer is validated, so that what is checked is what is sent. Faults are shaped too (their problem
// bodies), but not validated.
func (s *Server) shape(r *http.Request, op string, status int, h http.Header, body []byte) (int, []byte) {
	switch {
	case status >= 200 && status < 300:
		status, body = s.shapeSuccess(r, op, status, h, body)
	case status >= 400 && isProblem(h.Get("Content-Type")):
		body = s.shapeProblem(r, h, body)
	}
	if status >= 400 && status != http.StatusBadRequest && s.has(ProfileEmptyErrorBodies) {
		body = nil
		h.Del("Content-Type")
	}
	if ct := h.Get("Content-Type"); ct != "" && len(body) > 0 && s.has(ProfileCharset) {
		if _, params, err := mime.ParseMediaType(ct); err == nil && params["charset"] == "" {
			h.Set("Content-Type", ct+"; charset=utf-8")
		}
	}
	return status, body
}

// isProblem reports whether a Content-Type is that of a problem body.
func isProblem(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/problem+json"
}

// shapeSuccess applies the profiles to a 2xx answer.
func (s *Server) shapeSuccess(r *http.Request, op string, status int, h http.Header, body []byte) (int, []byte) {
	if t, ok := answerTypes[op]; ok && len(body) > 0 && (s.has(ProfileExplicitNulls) || s.has(ProfileOmitOptional) || s.has(ProfileExtraMembers) || s.has(ProfileDotNetTimes) || s.has(ProfileNameOnlyRefs) || s.has(ProfileLowerCaseTimes) || s.has(ProfileCompletedTickBefore)) {
		body = s.shapeMembers(r, op, t, body)
	}
	if createOps[op] && s.has(ProfileLocationHeader) {
		if loc := createdLocation(r, op, body); loc != "" {
			h.Set("Location", loc)
		}
	}
	if createOps[op] && s.has(ProfileCreated201) {
		status = http.StatusCreated
	}
	if op == opid.JobCreateJob && s.has(ProfileAccepted202) {
		status = http.StatusAccepted
	}
	if bodylessOps[op] && s.has(ProfileNoContent204) {
		status, body = http.StatusNoContent, nil
		h.Del("Content-Type")
	}
	return status, body
}

// createdLocation is the URL of what a create answer made, read from its body.
func createdLocation(r *http.Request, op string, body []byte) string {
	var v struct {
		Name     string `json:"name"`
		Key      string `json:"key"`
		ClientID string `json:"clientId"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	base := requestBase(r)
	switch op {
	case opid.DatasetCreate:
		return base + "/Dataset/" + url.PathEscape(v.Name)
	case opid.JobCreateJob:
		return base + "/Job/" + url.PathEscape(v.Name)
	case opid.ApiKeyCreateApiKey:
		return base + "/ApiKey/" + url.PathEscape(v.Key)
	case opid.ClientCredentialCreate:
		return base + "/ClientCredential/" + url.PathEscape(v.ClientID)
	}
	return ""
}

// shapeMembers applies the member profiles to the objects of a success answer (one object, or an array
// of them) of generated model t. The order is fixed: nulls first, then omissions (which leave nulls),
// then extra members, then times.
func (s *Server) shapeMembers(r *http.Request, op string, t reflect.Type, body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return body
	}
	var objs []map[string]any
	switch x := v.(type) {
	case map[string]any:
		objs = append(objs, x)
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				objs = append(objs, m)
			}
		}
	}
	optional := optionalMembers(t)
	list := op == opid.DatasetGetList || op == opid.JobGetList
	for _, m := range objs {
		if s.has(ProfileExplicitNulls) {
			for _, k := range optional {
				if _, ok := m[k]; !ok {
					m[k] = nil
				}
			}
		}
		if list && s.has(ProfileNameOnlyRefs) {
			for k := range m {
				if k != "name" && k != "location" {
					delete(m, k)
				}
			}
		}
		if s.has(ProfileOmitOptional) {
			if list {
				delete(m, "location")
			}
			for _, k := range optional {
				if isDefault(m[k]) {
					delete(m, k)
				}
			}
		}
		if s.has(ProfileExtraMembers) {
			s.statsMu.Lock()
			s.extraSeq++
			id := s.extraSeq
			s.statsMu.Unlock()
			m["id"] = id
			m["createdBy"] = "data8test"
			m["lastModified"] = now().Format(time.RFC3339Nano)
		}
		if t == reflect.TypeFor[gen.Job]() && m["completedAt"] == nil && s.has(ProfileCompletedTickBefore) {
			if sub, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["submittedAt"])); err == nil {
				m["completedAt"] = sub.Add(-100 * time.Nanosecond).Format(time.RFC3339Nano)
			}
		}
		if s.has(ProfileDotNetTimes) {
			for k, x := range m {
				if str, ok := x.(string); ok && timeMembers[k] {
					m[k] = dotNetTime(str)
				}
			}
			if t == reflect.TypeFor[gen.Job]() && m["completedAt"] == nil {
				m["completedAt"] = "0001-01-01T00:00:00"
			}
		}
		if s.has(ProfileLowerCaseTimes) {
			for k, x := range m {
				if str, ok := x.(string); ok && timeMembers[k] {
					m[k] = strings.ToLower(str) // "t" and "z"; the digits are as they were
				}
			}
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return append(out, '\n')
}

// isDefault reports whether a decoded JSON value is what a serializer skipping defaults leaves out:
// 0, false, "", an empty object or array. null is not (ProfileExplicitNulls put it there).
func isDefault(v any) bool {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case bool:
		return !x
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

// shapeProblem applies the problem profiles to a problem body.
func (s *Server) shapeProblem(r *http.Request, h http.Header, body []byte) []byte {
	if s.has(ProfilePlainJSONProblems) {
		ct := h.Get("Content-Type")
		h.Set("Content-Type", "application/json"+strings.TrimPrefix(ct, "application/problem+json"))
	}
	if !s.has(ProfilePascalCaseErrors) && !s.has(ProfileTraceID) {
		return body
	}
	var p map[string]any
	if json.Unmarshal(body, &p) != nil {
		return body
	}
	if errs, ok := p["errors"].(map[string]any); ok && s.has(ProfilePascalCaseErrors) {
		pascal := make(map[string]any, len(errs))
		for k, v := range errs {
			pascal[pascalMember(k)] = v
		}
		p["errors"] = pascal
	}
	if s.has(ProfileTraceID) {
		p["traceId"] = "00-" + randomHex(16) + "-" + randomHex(8) + "-00"
	}
	out, err := json.Marshal(p)
	if err != nil {
		return body
	}
	return append(out, '\n')
}

// pascalMember writes a member path as ASP.NET's model state names it: each name after a dot (or at
// the start) begins with a capital, "records[12].foo" → "Records[12].Foo". "$" is kept.
func pascalMember(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		r, n := utf8.DecodeRuneInString(p)
		if n > 0 && unicode.IsLower(r) {
			parts[i] = string(unicode.ToUpper(r)) + p[n:]
		}
	}
	return strings.Join(parts, ".")
}

// send writes an API answer: gzip-compressed when ProfileGzip is on and the request allows it, chunked
// when ProfileChunked is on, else with a Content-Length.
func (s *Server) send(w http.ResponseWriter, r *http.Request, status int, h http.Header, body []byte) {
	out := w.Header()
	for k, v := range h {
		out[k] = v
	}
	out.Del("Content-Length")
	if len(body) > 0 && s.has(ProfileGzip) && acceptsGzip(r) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = b.Bytes()
		out.Set("Content-Encoding", "gzip")
		out.Add("Vary", "Accept-Encoding")
	}
	chunked := len(body) > 0 && s.has(ProfileChunked)
	if !chunked && status != http.StatusNoContent && status >= 200 {
		out.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	if !chunked {
		_, _ = w.Write(body)
		return
	}
	// Writing part of the body and flushing before the rest makes net/http send it chunked.
	half := len(body) / 2
	_, _ = w.Write(body[:half])
	_ = http.NewResponseController(w).Flush()
	_, _ = w.Write(body[half:])
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, hasQ := strings.CutPrefix(strings.TrimSpace(params), "q=")
		return !hasQ || q != "0" && q != "0.0" && q != "0.00" && q != "0.000"
	}
	return false
}

// conflictAnswer is the 409 answer of ProfileConflict409, for the creating operations' strict handlers.
type conflictAnswer struct{ detail string }

func (c conflictAnswer) write(w http.ResponseWriter) error {
	writeProblem(w, problem(http.StatusConflict, "Conflict", c.detail))
	return nil
}

// VisitDatasetCreateResponse writes the 409 answer.
func (c conflictAnswer) VisitDatasetCreateResponse(w http.ResponseWriter) error { return c.write(w) }

// VisitJobCreateJobResponse writes the 409 answer.
func (c conflictAnswer) VisitJobCreateJobResponse(w http.ResponseWriter) error { return c.write(w) }

// VisitApiKeyCreateApiKeyResponse writes the 409 answer.
func (c conflictAnswer) VisitApiKeyCreateApiKeyResponse(w http.ResponseWriter) error {
	return c.write(w)
}

// outputName is the name of a job's output dataset for slot: "<job in snake case>_<slot>", or
// Output_<n> under ProfileOutputNames. Call with s.mu held.
func (s *Server) outputName(job, slot string) string {
	if !s.has(ProfileOutputNames) && s.mutated(standin.JobOutputNameReused) {
		return snakeName(job) + "_" + snakeName(slot) // the dataset of that name, if any, is replaced
	}
	if !s.has(ProfileOutputNames) {
		return s.freeDatasetName(snakeName(job) + "_" + snakeName(slot))
	}
	for i := 1; ; i++ {
		n := fmt.Sprintf("Output_%d", i)
		if _, taken := s.datasetNamed(n); !taken {
			return n
		}
	}
}

// foldsNames reports whether names are compared ignoring case (ProfileCaseInsensitiveNames).
func (s *Server) foldsNames() bool { return s.has(ProfileCaseInsensitiveNames) }

// datasetNamed returns the dataset named name: by its exact name, or under
// ProfileCaseInsensitiveNames the one whose name equals name ignoring case. Call with s.mu held.
func (s *Server) datasetNamed(name string) (*dataset, bool) {
	if d, ok := s.datasets[name]; ok || !s.foldsNames() {
		return d, ok
	}
	for n, d := range s.datasets {
		if strings.EqualFold(n, name) {
			return d, true
		}
	}
	return nil, false
}

// jobNamed returns the job named name: by its exact name, or under ProfileCaseInsensitiveNames the
// one whose name equals name ignoring case. Call with s.mu held.
func (s *Server) jobNamed(name string) (*job, bool) {
	if j, ok := s.jobs[name]; ok || !s.foldsNames() {
		return j, ok
	}
	return s.oldestJob(func(j *job) bool { return strings.EqualFold(j.name, name) })
}

// keyNamed returns the API key whose value is key: exactly, or under ProfileCaseInsensitiveNames the
// one equal to it ignoring case; nil when there is none. Call with s.mu held.
func (s *Server) keyNamed(key string) *apiKey {
	if k := s.apiKeys[key]; k != nil || !s.foldsNames() {
		return k
	}
	for _, k := range s.keyOrder {
		if strings.EqualFold(k, key) {
			return s.apiKeys[k]
		}
	}
	return nil
}

// datasetOrder returns the order of the dataset list: byte order, or under ProfileCollationSort a
// culture collation (golang.org/x/text/collate, English, case ignored; byte order between names it
// finds equal). A collator is not safe for concurrent use: each list sorts with its own.
func (s *Server) datasetOrder() func(a, b string) int {
	if !s.has(ProfileCollationSort) {
		return strings.Compare
	}
	c := collate.New(language.English, collate.IgnoreCase)
	return func(a, b string) int { return cmp.Or(c.CompareString(a, b), strings.Compare(a, b)) }
}

// pageNotFound returns the 404 body that page number page, holding n entries, gets: under
// ProfilePastEnd404 a page after the first with nothing on it, and with mutation m (which answers
// every page after the first so) any page after the first; nil when the page is answered.
func (s *Server) pageNotFound(page, n int, m standin.Mutation) *gen.ProblemDetails {
	if page < 2 || !(n == 0 && s.has(ProfilePastEnd404) || s.mutated(m)) {
		return nil
	}
	p := gen.ProblemDetails(notFound(fmt.Sprintf("Page %d does not exist.", page)))
	return &p
}
