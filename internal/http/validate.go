package http

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/go-chi/chi/v5"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// validator checks every request against api/openapi.yaml before a handler
// runs: parameters and body, every invalid field reported together. It
// checks no security: authorize has decided that from the headers, and
// kin-openapi's security check reads the whole body into memory before it
// calls its AuthenticationFunc (in case that wants the body), which is
// what authorising first avoids. The validator gets the spec without
// security requirements (withoutSecurity).
//
// It runs behind chi's routing and takes the operation from the route
// chi matched (the generated routes are the spec's paths), so a request
// is routed once: a validator with a router of its own (kin-openapi's
// gorillamux, as oapi-codegen's nethttp-middleware builds) matched every
// request against every path a second time.
func validator(spec *openapi3.T) func(http.Handler) http.Handler {
	ops := map[route]*routers.Route{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			ops[route{method: method, pattern: path}] = &routers.Route{Spec: spec, Path: path, PathItem: item, Method: method, Operation: op}
		}
	}
	// The body's decoded value rides on to the strict handler, which binds
	// it instead of decoding the body a second time.
	opts := &openapi3filter.Options{MultiError: true, KeepValidatedValue: true}
	// An import's body is checked line by line as it arrives (imports.go).
	streamOpts := &openapi3filter.Options{MultiError: true, ExcludeRequestBody: true}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			op := ops[route{method: r.Method, pattern: chi.RouteContext(r.Context()).RoutePattern()}]
			if op == nil {
				// Every route behind the validator is one of the spec's.
				writeProblem(w, r, newProblem(ProblemCodeNotFound, "no such endpoint"))
				return
			}
			o := opts
			if streamed(r) {
				if err := checkNDJSON(r); err != nil {
					writeProblem(w, r, err)
					return
				}
				o = streamOpts
			}
			in := &openapi3filter.RequestValidationInput{Request: r, PathParams: pathParams(op.Path, r.URL.EscapedPath()), Route: op, Options: o}
			if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
				writeProblem(w, r, validationProblem(err))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// pathParams are the values of pattern's parameters ({id}, each a whole
// segment) in path, escaped as the request wrote them: what kin-openapi's
// own router (gorilla/mux with encoded paths) handed the validator.
func pathParams(pattern, path string) map[string]string {
	if !strings.Contains(pattern, "{") {
		return nil
	}
	params := map[string]string{}
	names, values := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, name := range names {
		if i < len(values) && strings.HasPrefix(name, "{") && strings.HasSuffix(name, "}") {
			params[name[1:len(name)-1]] = values[i]
		}
	}
	return params
}

// withoutSecurity drops every security requirement of spec, for the
// validator (see there). Read the access rules first.
func withoutSecurity(spec *openapi3.T) *openapi3.T {
	spec.Security = nil
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			op.Security = &openapi3.SecurityRequirements{}
		}
	}
	return spec
}

// validationProblem turns the validator's error into a problem listing
// every bad field.
func validationProblem(err error) error {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	// A body over the limit fails every check that reads it.
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	var fields []domain.FieldError
	for _, e := range flatten(err) {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			fields = append(fields, domain.FieldError{Field: "request", Message: "is invalid"})
			continue
		}
		if re.RequestBody != nil && re.Parameter == nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value") {
			return newProblem(ProblemCodeUnsupportedMediaType, "send the body as application/json")
		}
		fields = append(fields, requestErrorFields(re)...)
	}
	// One refusal per unknown member names all of its object's unknown
	// members: each is listed once.
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	fields = slices.Compact(fields)
	return &domain.ValidationError{Fields: fields}
}

// flatten unpacks MultiErrors (nested, as the validator produces them).
func flatten(err error) []error {
	if me, ok := err.(openapi3.MultiError); ok {
		var out []error
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func requestErrorFields(re *openapi3filter.RequestError) []domain.FieldError {
	where := "body"
	if re.Parameter != nil {
		where = re.Parameter.In + "." + re.Parameter.Name
	}
	if re.Err == nil {
		return []domain.FieldError{{Field: where, Message: reasonText(re.Reason)}}
	}
	if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue) {
		return []domain.FieldError{{Field: where, Message: "is required"}}
	}
	var out []domain.FieldError
	for _, e := range flatten(re.Err) {
		var se *openapi3.SchemaError
		var pe *openapi3filter.ParseError
		var syn *json.SyntaxError
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(e, &se):
			out = append(out, schemaFields(where, se)...)
		case errors.As(e, &syn), errors.As(e, &ute):
			out = append(out, domain.FieldError{Field: where, Message: "is not valid JSON"})
		case errors.As(e, &pe):
			field := where
			if path := pe.Path(); len(path) > 0 {
				field += "." + joinPath(path)
			}
			out = append(out, domain.FieldError{Field: field, Message: "could not be parsed: " + reasonText(pe.Reason)})
		default:
			out = append(out, domain.FieldError{Field: where, Message: "is invalid"})
		}
	}
	return out
}

// schemaFields lists the fields a schema error is about. The error of a
// composed schema (allOf) carries the errors of its parts as its origin;
// their paths already start at the validated value.
func schemaFields(where string, se *openapi3.SchemaError) []domain.FieldError {
	var parts openapi3.MultiError
	if se.Origin != nil && errors.As(se.Origin, &parts) {
		var out []domain.FieldError
		for _, o := range flatten(parts) {
			var inner *openapi3.SchemaError
			if errors.As(o, &inner) {
				out = append(out, schemaFields(where, inner)...)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	field := where
	if ptr := se.JSONPointer(); len(ptr) > 0 {
		field += "." + strings.Join(ptr, ".")
	}
	if unknown := unknownMembers(se); len(unknown) > 0 {
		out := make([]domain.FieldError, len(unknown))
		for i, k := range unknown {
			out[i] = domain.FieldError{Field: field + "." + shortName(k), Message: "is not a known field"}
		}
		return out
	}
	return []domain.FieldError{{Field: field, Message: reasonText(se.Reason)}}
}

// shortName keeps a caller's member name short enough to echo.
func shortName(k string) string {
	const maxName = 100
	if len(k) <= maxName {
		return k
	}
	cut := maxName
	for cut > 0 && !utf8.RuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "…"
}

// unknownMembers lists the members of the object se is about that its
// schema does not define, when se is an additionalProperties: false
// refusal. The validator names the member only in its reason text, so the
// members are found from the schema and the value instead.
func unknownMembers(se *openapi3.SchemaError) []string {
	obj, ok := se.Value.(map[string]any)
	if !ok || se.Schema == nil || se.SchemaField != "properties" {
		return nil
	}
	if closed := se.Schema.AdditionalProperties.Has; closed == nil || *closed {
		return nil
	}
	var out []string
	for k := range obj {
		if _, known := se.Schema.Properties[k]; !known {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func joinPath(path []any) string {
	parts := make([]string, len(path))
	for i, p := range path {
		switch v := p.(type) {
		case string:
			parts[i] = v
		default:
			b, _ := json.Marshal(v)
			parts[i] = string(b)
		}
	}
	return strings.Join(parts, ".")
}

// reasonText keeps a validator's reason short and free of echoed values.
func reasonText(s string) string {
	if s == "" {
		return "is invalid"
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
