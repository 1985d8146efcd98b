package conformance

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/data8-toolkit/data8/internal/specval"
)

// TestNullRefusedByAWrapperIsNullable: a member sent as null where its schema wraps another (allOf,
// anyOf, oneOf), such as a dataset's columns, makes the observed overlay say the member is
// nullable, as it does for a plain schema; a value of another kind refused by allOf does not.
func TestNullRefusedByAWrapperIsNullable(t *testing.T) {
	spec, err := specval.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := &suite{spec: spec}
	e := specval.Exchange{Op: "Dataset_GetByName", Status: 200, Shape: "object {columns}"}
	const ptr = "#/components/schemas/Dataset/properties/columns"
	nullable := func(acts []action) bool {
		for _, a := range acts {
			if a.target == "$.components.schemas.Dataset.properties.columns" && reflect.DeepEqual(a.update, map[string]any{"nullable": true}) {
				return true
			}
		}
		return false
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf", "nullable"} {
		if acts := s.actionsFor(e, specval.Finding{Kind: specval.KindBody, Keyword: kw, ValueKind: "null", Pointer: ptr}); !nullable(acts) {
			t.Errorf("null refused by %s: actions %+v; want columns made nullable", kw, acts)
		}
	}
	if acts := s.actionsFor(e, specval.Finding{Kind: specval.KindBody, Keyword: "allOf", ValueKind: "string", Pointer: ptr}); nullable(acts) {
		t.Errorf("a string refused by allOf made columns nullable: %+v", acts)
	}
}

// TestBelowTheBase: a URL is below the base URL only under its path as a whole segment: a sibling
// path that merely starts with the same letters is not.
func TestBelowTheBase(t *testing.T) {
	base, _ := url.Parse("http://h/api")
	for _, tc := range []struct {
		u, path string
		ok      bool
	}{
		{"http://h/api/ClientCredential", "/ClientCredential", true},
		{"http://H/api/Dataset?page=2", "/Dataset", true},
		{"http://h/apix/ClientCredential", "", false},
		{"http://h/apiClientCredential/x", "", false},
		{"http://h/api", "", false},
		{"https://h/api/Dataset", "", false},
		{"http://other/api/Dataset", "", false},
	} {
		u, _ := url.Parse(tc.u)
		p, ok := below(base, u)
		if ok != tc.ok || p != tc.path {
			t.Errorf("below(%s, %s) = %q, %v; want %q, %v", base, tc.u, p, ok, tc.path, tc.ok)
		}
	}
}
