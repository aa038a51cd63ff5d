package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/cdp-gateway/cdp-gateway/api"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
)

// specCheck holds every answer of the end-to-end suite to api/openapi.yaml:
// an operation's answer must have a status the operation declares, the
// declared content type and body schema, declared header values that fit
// their schemas, and no header the spec does not declare for it. Answers
// outside the spec's operations (an unknown path or method) must be
// problems. So spec and behaviour cannot drift apart unnoticed.
type specCheck struct {
	doc     *openapi3.T
	router  routers.Router
	problem *openapi3.Schema
}

// transportHeaders are set by net/http, not by the gateway; Content-Type is
// checked against the declared content.
var transportHeaders = map[string]bool{"Content-Type": true, "Content-Length": true, "Date": true, "Connection": true}

// corsHeaders are the browser policy's (CORS, set per deployment in the
// tenants file), not the API's: they may be on any answer. Preflights
// (isPreflight) are answered before routing, not by an operation, and
// are checked by the CORS tests (e2e_cors_test.go).
var corsHeaders = map[string]bool{
	"Vary": true, "Access-Control-Allow-Origin": true, "Access-Control-Allow-Credentials": true, "Access-Control-Expose-Headers": true,
}

func isPreflight(req *http.Request) bool {
	return req.Method == http.MethodOptions && req.Header.Get("Origin") != "" && req.Header.Get("Access-Control-Request-Method") != ""
}

// problemHeaders may be on any problem, also one outside the spec's
// operations.
var problemHeaders = map[string]bool{"X-Request-Id": true, "X-Content-Type-Options": true, "Cache-Control": true}

// offSpec are the gateway's pages that are not API operations (the spec
// itself, the docs, metrics): their answers are not the spec's to describe.
func offSpec(path string) bool {
	return path == "/openapi.yaml" || path == "/metrics" || path == "/docs" || strings.HasPrefix(path, "/docs/")
}

// newSpecCheck loads the spec. A gateway built with vendors the spec does
// not list (the toy vendor of toyvendor_test.go) is checked against a copy
// of the spec with those vendors' rows added to the Vendor enum, as
// adding the vendor to the spec would add them; the built-in vendors must
// be in the spec as it is.
func newSpecCheck(t *testing.T, drivers *vendorhttp.Drivers) *specCheck {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if drivers != nil {
		vendor := doc.Components.Schemas["Vendor"].Value
		for _, d := range drivers.All() {
			if _, builtIn := builtin.Get(d.Vendor); !builtIn && !slices.Contains(vendor.Enum, any(string(d.Vendor))) {
				vendor.Enum = append(vendor.Enum, string(d.Vendor))
			}
		}
	}
	doc.Servers = nil // match any host: the test server's port changes
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &specCheck{doc: doc, router: router, problem: doc.Components.Schemas["Problem"].Value}
}

// check reports how r, the answer to req, differs from the spec.
func (c *specCheck) check(req *http.Request, r resp) error {
	if offSpec(req.URL.Path) || isPreflight(req) {
		return nil
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		// No operation: the router's 404 or 405, a problem.
		return c.checkProblem(r)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Status,
		Header:                 r.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	declared := route.Operation.Responses.Status(r.Status).Value
	var errs []error
	for name := range r.Header {
		if !transportHeaders[name] && !corsHeaders[name] && declaredHeader(declared, name) == nil {
			errs = append(errs, fmt.Errorf("header %s is not declared for %d", name, r.Status))
		}
	}
	if len(declared.Content) == 0 && (len(r.Body) > 0 || r.Header.Get("Content-Type") != "") {
		errs = append(errs, fmt.Errorf("%d declares no body, but one was sent (%s)", r.Status, r.Header.Get("Content-Type")))
	}
	return errors.Join(errs...)
}

// declaredHeader finds name among the response's headers, whatever its case.
func declaredHeader(resp *openapi3.Response, name string) *openapi3.HeaderRef {
	for k, h := range resp.Headers {
		if http.CanonicalHeaderKey(k) == name {
			return h
		}
	}
	return nil
}

// checkProblem holds an answer outside the spec's operations to the
// Problem schema.
func (c *specCheck) checkProblem(r resp) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Errorf("an answer outside the spec's operations is %q, not a problem", ct)
	}
	var v any
	if err := decodeJSON(bytes.NewReader(r.Body), &v); err != nil {
		return err
	}
	if err := c.problem.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
		return err
	}
	for name := range r.Header {
		if !transportHeaders[name] && !problemHeaders[name] && !corsHeaders[name] {
			return fmt.Errorf("header %s on a problem outside the spec's operations", name)
		}
	}
	return nil
}

// TestSpecCheckCatchesDrift: the check the suite runs on every answer
// refuses answers the spec does not describe, and takes those it does
// (vendor records with nulls in raw, replayed answers, the toy vendor's
// name once its spec row is added).
func TestSpecCheckCatchesDrift(t *testing.T) {
	t.Parallel()
	plain := newSpecCheck(t, nil)
	toy := newSpecCheck(t, toyDrivers(t))
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	contact := `{"id":"lf_4","external_ids":[],"custom_fields":{"attr2":12345678901234567890},"tags":[]}`
	for _, c := range []struct {
		name         string
		check        *specCheck
		method, path string
		r            resp
		ok           bool
	}{
		{"a contact", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "application/json", "X-Vendor", "linkflow", "Cache-Control", "no-store"), []byte(contact)}, true},
		{"raw with nulls", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "application/json"), []byte(`{"id":"lf_4","external_ids":[],"custom_fields":{},"tags":[],"raw":{"a":null,"b":[null,{"c":[null]}]}}`)}, true},
		{"a vendor's null", plain, "POST", "/v1/passthrough", resp{200, h("Content-Type", "application/json", "Cache-Control", "no-store"), []byte(`{"status":200,"body":null}`)}, true},
		{"a replayed write", plain, "POST", "/v1/groups", resp{201, h("Content-Type", "application/json", "Idempotent-Replayed", "true"), []byte(`{"id":"lf_1","name":"g","type":"static"}`)}, true},
		{"no id", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "application/json"), []byte(`{"external_ids":[],"custom_fields":{},"tags":[]}`)}, false},
		{"a custom value of no type", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "application/json"), []byte(`{"id":"lf_4","external_ids":[],"custom_fields":{"a":{"b":1}},"tags":[]}`)}, false},
		{"an undeclared status", plain, "GET", "/v1/contacts/lf_4", resp{418, h("Content-Type", "application/problem+json"), []byte(`{}`)}, false},
		{"an undeclared header", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "application/json", "X-Debug", "1"), []byte(contact)}, false},
		{"a bad header value", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "application/json", "X-Content-Type-Options", "sniff"), []byte(contact)}, false},
		{"another content type", plain, "GET", "/v1/contacts/lf_4", resp{200, h("Content-Type", "text/html"), []byte(contact)}, false},
		{"a body on a 204", plain, "DELETE", "/v1/groups/lf_1", resp{204, h("Content-Type", "application/json"), []byte(`{}`)}, false},
		{"an unrouted problem", plain, "GET", "/v9/nothing", resp{404, h("Content-Type", "application/problem+json"), []byte(`{"type":"t","title":"t","status":404,"code":"NOT_FOUND","request_id":"r"}`)}, true},
		{"an unrouted non-problem", plain, "GET", "/v9/nothing", resp{404, h("Content-Type", "text/plain"), []byte(`404 page not found`)}, false},
		{"the toy without its row", plain, "GET", "/v1/capabilities", resp{200, h("Content-Type", "application/json", "X-Vendor", "toy"), []byte(`{"tenant":"demo-toy","vendor":"toy","binding_version":1,"operations":{},"contact_filters":[]}`)}, false},
		{"the toy with its row", toy, "GET", "/v1/capabilities", resp{200, h("Content-Type", "application/json", "X-Vendor", "toy"), []byte(`{"tenant":"demo-toy","vendor":"toy","binding_version":1,"operations":{},"contact_filters":[],"if_match":[]}`)}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			hr, err := http.NewRequest(c.method, "http://127.0.0.1:1"+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.check.check(hr, c.r); (err == nil) != c.ok {
				t.Fatalf("check = %v, want ok %v", err, c.ok)
			}
		})
	}
}
