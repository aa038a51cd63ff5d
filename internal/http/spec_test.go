package http

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cdp-gateway/cdp-gateway/api"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	spec, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// freeForm are the request members that are maps of the caller's own keys
// (custom field values, event properties, a passthrough's query and body):
// the only objects in a request body that take members the spec does not
// name.
var freeForm = map[string]bool{"custom_fields": true, "properties": true, "query": true, "body": true}

// TestRequestBodiesRefuseUnknownMembers: every object in every request
// body schema, at any depth, is closed (additionalProperties: false), so
// that a misspelt member is an error rather than dropped, except the
// free-form maps.
func TestRequestBodiesRefuseUnknownMembers(t *testing.T) {
	t.Parallel()
	spec := loadSpec(t)
	var check func(where string, s *openapi3.Schema)
	check = func(where string, s *openapi3.Schema) {
		for _, part := range s.AllOf {
			check(where, part.Value)
		}
		if s.Items != nil {
			check(where+"[]", s.Items.Value)
		}
		if len(s.Properties) == 0 {
			return
		}
		if closed := s.AdditionalProperties.Has; closed == nil || *closed {
			t.Errorf("%s takes members the spec does not name", where)
		}
		for name, p := range s.Properties {
			if !freeForm[name] {
				check(where+"."+name, p.Value)
			}
		}
	}
	n := 0
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			// An import's NDJSON lines are ContactInputs, checked as such.
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
				n++
				check(method+" "+path, mt.Schema.Value)
			}
		}
	}
	if n < 15 {
		t.Fatalf("only %d request bodies found", n)
	}
}

// TestContactSchemasAgree: Contact (the answer) and ContactInput (a
// create) repeat ContactFields' members (OpenAPI 3.0 cannot close an
// allOf), so they are checked to be the same fields with the same schemas.
func TestContactSchemasAgree(t *testing.T) {
	t.Parallel()
	schemas := loadSpec(t).Components.Schemas
	fields := schemas["ContactFields"].Value.Properties
	for name, extra := range map[string][]string{
		"Contact":      {"id", "external_ids", "tags", "created_at", "updated_at", "raw", "unwritten"},
		"ContactInput": {"external_ids"},
	} {
		props := schemas[name].Value.Properties
		want := slices.Sorted(maps.Keys(fields))
		want = append(want, extra...)
		slices.Sort(want)
		if got := slices.Sorted(maps.Keys(props)); !slices.Equal(got, want) {
			t.Errorf("%s has members %s, want %s", name, strings.Join(got, ","), strings.Join(want, ","))
		}
		for f, s := range fields {
			if p, ok := props[f]; ok && !reflect.DeepEqual(p.Value, s.Value) {
				t.Errorf("%s.%s differs from ContactFields.%s", name, f, f)
			}
		}
	}
}
