package app_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

const adminOrigin = "https://admin.example.com"

// withCORS sets the tenants file's cors: adminOrigin only.
func withCORS(credentials bool) func(*config.Config) {
	return func(c *config.Config) {
		c.CORS = &config.CORS{AllowedOrigins: []string{adminOrigin}, AllowCredentials: credentials, MaxAge: 10 * time.Minute}
	}
}

// preflight is a browser's OPTIONS before a cross-origin call: no
// Authorization, no tenant.
func (e *env) preflight(origin, method, path, headers string) resp {
	e.t.Helper()
	h := map[string]string{"Origin": origin, "Access-Control-Request-Method": method}
	if headers != "" {
		h["Access-Control-Request-Headers"] = headers
	}
	return e.do(req{method: http.MethodOptions, path: path, headers: h})
}

// corsHeaderNames lists r's Access-Control-* headers.
func corsHeaderNames(r resp) []string {
	var names []string
	for name := range r.Header {
		if strings.HasPrefix(name, "Access-Control-") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// listHas reports whether a comma-separated header value names name,
// whatever its case.
func listHas(values []string, name string) bool {
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(item), name) {
				return true
			}
		}
	}
	return false
}

// TestCORSPreflight: a preflight from an allowed origin is answered 204
// before authentication (it carries no key, and a key-less request to an
// API route is otherwise a 401), with the method, the requested headers
// and the max age; one from another origin, or asking for a method or a
// header the API does not take, gets no CORS header at all.
func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, withCORS(false))
	// As browsers send it (Fetch): lower case, sorted, no duplicates.
	requested := "authorization,content-type,idempotency-key,if-match,traceparent,tracestate,x-request-id,x-tenant-id"
	r := e.preflight(adminOrigin, http.MethodPost, "/v1/contacts", requested)
	if r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("preflight: %d %s", r.Status, r.Body)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != adminOrigin {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Methods"); got != http.MethodPost {
		t.Errorf("Access-Control-Allow-Methods = %q", got)
	}
	for _, h := range strings.Split(requested, ",") {
		if !listHas(r.Header.Values("Access-Control-Allow-Headers"), h) {
			t.Errorf("Access-Control-Allow-Headers %q lacks %s", r.Header.Values("Access-Control-Allow-Headers"), h)
		}
	}
	if got := r.Header.Get("Access-Control-Max-Age"); got != "600" {
		t.Errorf("Access-Control-Max-Age = %q", got)
	}
	if r.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials allowed without allow_credentials")
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("a preflight without X-Request-Id")
	}
	// Every method the API's operations use passes, on a tenant route too.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if got := e.preflight(adminOrigin, m, "/v1/contacts/lf_1", "authorization").Header.Get("Access-Control-Allow-Origin"); got != adminOrigin {
			t.Errorf("%s: Access-Control-Allow-Origin = %q", m, got)
		}
	}

	refused := map[string]resp{
		"another origin":       e.preflight("https://evil.example.com", http.MethodPost, "/v1/contacts", "authorization"),
		"another scheme":       e.preflight("http://admin.example.com", http.MethodGet, "/v1/contacts", ""),
		"a sub-domain":         e.preflight("https://x.admin.example.com", http.MethodGet, "/v1/contacts", ""),
		"the null origin":      e.preflight("null", http.MethodGet, "/v1/contacts", ""),
		"a method not used":    e.preflight(adminOrigin, "TRACE", "/v1/contacts", ""),
		"a header not read":    e.preflight(adminOrigin, http.MethodGet, "/v1/contacts", "authorization, x-api-secret"),
		"an unknown path, too": e.preflight("https://evil.example.com", http.MethodGet, "/nowhere", ""),
	}
	for name, r := range refused {
		if names := corsHeaderNames(r); len(names) != 0 || r.Status != http.StatusNoContent {
			t.Errorf("%s: %d with %v; want 204 without CORS headers", name, r.Status, names)
		}
	}
	// No preflight reached authentication or the handlers: nothing was
	// refused, nothing reached the vendor.
	for _, l := range e.requestLogs(t) {
		if l["method"] == http.MethodOptions && (l["status"] != float64(http.StatusNoContent) || l["outcome"] != "ok" || l["caller"] != "") {
			t.Errorf("preflight log line: %v", l)
		}
	}
}

// TestCORSActualRequests: answers to an allowed origin name it and expose
// the headers a page's script needs; a problem (401) carries them too, so
// the page can read it; another origin gets none; allow_credentials adds
// Access-Control-Allow-Credentials.
func TestCORSActualRequests(t *testing.T) {
	e := newEnv(t, withCORS(false))
	origin := map[string]string{"Origin": adminOrigin}
	ok := e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=2", key: keyAll, tenant: tenantLF, headers: origin})
	if ok.Status != http.StatusOK {
		t.Fatalf("%d %s", ok.Status, ok.Body)
	}
	unauth := e.do(req{method: http.MethodGet, path: "/v1/contacts", tenant: tenantLF, headers: origin})
	unauth.problem(t, http.StatusUnauthorized, "UNAUTHENTICATED")
	forbidden := e.do(req{method: http.MethodGet, path: "/v1/contacts", key: keyReader, tenant: tenantSwitch, headers: origin})
	if forbidden.Status/100 != 4 {
		t.Fatalf("another tenant: %d", forbidden.Status)
	}
	for name, r := range map[string]resp{"200": ok, "401 problem": unauth, "refused tenant": forbidden} {
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != adminOrigin {
			t.Errorf("%s: Access-Control-Allow-Origin = %q", name, got)
		}
		for _, h := range []string{"X-Request-Id", "ETag", "Retry-After", "Idempotent-Replayed", "X-Vendor", "Location"} {
			if !listHas(r.Header.Values("Access-Control-Expose-Headers"), h) {
				t.Errorf("%s: Access-Control-Expose-Headers %q lacks %s", name, r.Header.Values("Access-Control-Expose-Headers"), h)
			}
		}
		if !listHas(r.Header.Values("Vary"), "Origin") {
			t.Errorf("%s: Vary = %q: a cache would serve one origin's answer to another", name, r.Header.Values("Vary"))
		}
		if r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s: credentials allowed without allow_credentials", name)
		}
	}
	other := e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=1", key: keyAll, tenant: tenantLF, headers: map[string]string{"Origin": "https://evil.example.com"}})
	if names := corsHeaderNames(other); other.Status != http.StatusOK || len(names) != 0 {
		t.Errorf("another origin: %d with %v", other.Status, names)
	}

	t.Run("credentials", func(t *testing.T) {
		e := newEnv(t, withCORS(true))
		pre := e.preflight(adminOrigin, http.MethodGet, "/v1/contacts", "authorization, x-tenant-id")
		got := e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=1", key: keyAll, tenant: tenantLF, headers: origin})
		for name, r := range map[string]resp{"preflight": pre, "GET": got} {
			if r.Header.Get("Access-Control-Allow-Credentials") != "true" || r.Header.Get("Access-Control-Allow-Origin") != adminOrigin {
				t.Errorf("%s: %v", name, r.Header)
			}
		}
	})
}

// TestCORSOffWhenUnconfigured: without cors in the tenants file no answer
// has a CORS header, and a preflight is an OPTIONS like any other: a 405
// problem.
func TestCORSOffWhenUnconfigured(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.CORS = nil })
	origin := map[string]string{"Origin": adminOrigin}
	answers := map[string]resp{
		"GET":       e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=1", key: keyAll, tenant: tenantLF, headers: origin}),
		"401":       e.do(req{method: http.MethodGet, path: "/v1/contacts", tenant: tenantLF, headers: origin}),
		"preflight": e.preflight(adminOrigin, http.MethodGet, "/v1/contacts", "authorization"),
	}
	for name, r := range answers {
		if names := corsHeaderNames(r); len(names) != 0 || len(r.Header.Values("Vary")) != 0 {
			t.Errorf("%s: CORS headers %v, Vary %q", name, names, r.Header.Values("Vary"))
		}
	}
	answers["preflight"].problem(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

// TestSandboxCORS: the sandbox (make run) lets pages on this machine's dev
// servers call it, on any port, without credentials; nothing else.
func TestSandboxCORS(t *testing.T) {
	e := newEnv(t)
	for _, o := range []string{"http://localhost:5173", "http://localhost:3000", "http://127.0.0.1:8080", "http://127.0.0.1:4200", "http://localhost"} {
		r := e.preflight(o, http.MethodGet, "/v1/contacts", "authorization, x-tenant-id")
		if r.Header.Get("Access-Control-Allow-Origin") != o || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("%s: %v", o, r.Header)
		}
	}
	for _, o := range []string{"https://evil.example.com", "http://localhost.evil.example.com", "http://127.0.0.2:3000", "http://evil.example.com:3000"} {
		if names := corsHeaderNames(e.preflight(o, http.MethodGet, "/v1/contacts", "")); len(names) != 0 {
			t.Errorf("%s: %v", o, names)
		}
	}
}
