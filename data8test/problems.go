package data8test

import (
	"encoding/json"
	"net/http"

	"github.com/data8-toolkit/data8/gen"
)

// problemTypes are the type URIs ASP.NET Core puts in problem details, by status.
var problemTypes = map[int]string{
	400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
	401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
	404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
	405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
	409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
	429: "https://tools.ietf.org/html/rfc6585#section-4",
	500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
	503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
}

// problemBody is a problem details object with optional validation errors, as written by this server.
type problemBody struct {
	Type   string              `json:"type,omitempty"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors map[string][]string `json:"errors,omitempty"`
}

// problem makes a problem body.
func problem(status int, title, detail string) problemBody {
	return problemBody{Type: problemTypes[status], Title: title, Status: status, Detail: detail}
}

// badRequest makes a 400 validation problem.
func badRequest(errs map[string][]string, detail string) problemBody {
	p := problem(http.StatusBadRequest, "One or more validation errors occurred.", detail)
	p.Errors = errs
	return p
}

// writeProblem writes p as application/problem+json with its status.
func writeProblem(w http.ResponseWriter, p problemBody) {
	b, _ := json.Marshal(p)
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(b, '\n'))
}

// writeJSON writes v as application/json.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// validation is the gen form of a 400 body, for the strict handlers.
func validation(errs map[string][]string, detail string) gen.BadRequestApplicationProblemPlusJSONResponse {
	return gen.BadRequestApplicationProblemPlusJSONResponse{
		Type: problemTypes[400], Title: "One or more validation errors occurred.", Status: http.StatusBadRequest,
		Detail: detail, Errors: errs,
	}
}

// fieldError is a 400 body with one message for one member.
func fieldError(member, msg string) gen.BadRequestApplicationProblemPlusJSONResponse {
	return validation(map[string][]string{member: {msg}}, msg)
}

// notFound is the gen form of a 404 body.
func notFound(detail string) gen.NotFoundApplicationProblemPlusJSONResponse {
	return gen.NotFoundApplicationProblemPlusJSONResponse{Type: problemTypes[404], Title: "Not Found", Status: http.StatusNotFound, Detail: detail}
}

// maxMessage is the most bytes of a validator or decoder message that is passed on.
const maxMessage = 300
