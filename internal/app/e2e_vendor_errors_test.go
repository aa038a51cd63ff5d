package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

// withLinkflowURL changes one URL setting of tenant's Linkflow connection.
func withLinkflowURL(tenant, setting string, change func(string) string) func(*config.Config) {
	return withLinkflowConnection(tenant, func(c *config.Connection) { c.URLs[setting] = change(c.URLs[setting]) })
}

// TestUnknownVendorEndpointIsAConfigurationError: a vendor 404 that is not
// its "no such record" answer (a wrong base URL) is 502
// VENDOR_ENDPOINT_NOT_FOUND, for lists, single reads and the token call
// alike; a missing record stays 404 NOT_FOUND.
func TestUnknownVendorEndpointIsAConfigurationError(t *testing.T) {
	t.Run("a missing record", func(t *testing.T) {
		e := newEnv(t)
		p := e.get("/v1/contacts/lf_999999/groups").problem(t, http.StatusNotFound, "NOT_FOUND")
		if p["vendor_code"] != "B00008" {
			t.Fatalf("problem %v", p)
		}
	})
	// Another web server at the guide host's address: 404 pages for all.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html><body>404 Not Found</body></html>"))
	}))
	defer other.Close()
	cases := []struct {
		name, setting string
		change        func(string) string
		paths         []string
	}{
		// A wrong path on the CDP host, which serves the lists: Linkflow
		// answers its NOT_FOUND code, not B00008.
		{"wrong cdp_base_url path", "cdp_base_url", func(u string) string { return u + "/wrong" }, []string{"/v1/groups", "/v1/contacts?limit=2", "/v1/tags"}},
		// The guide host, which serves the token every call needs, is
		// another server.
		{"wrong base_url host", "base_url", func(string) string { return other.URL }, []string{"/v1/groups", "/v1/contacts/lf_4", "/v1/fields"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, withLinkflowURL(tenantLF, c.setting, c.change))
			for _, path := range c.paths {
				r := e.get(path)
				p := r.problem(t, http.StatusBadGateway, "VENDOR_ENDPOINT_NOT_FOUND")
				if p["vendor"] != "linkflow" || !strings.Contains(p["detail"].(string), "base URL") {
					t.Fatalf("%s: problem %v does not point at the connection's base URL", path, p)
				}
			}
		})
	}
	t.Run("an HTML 404 page", func(t *testing.T) {
		e := newEnv(t)
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 404, ContentType: "text/html", Body: "<html>404 Not Found</html>"})
		e.get("/v1/groups").problem(t, http.StatusBadGateway, "VENDOR_ENDPOINT_NOT_FOUND")
	})
}

// TestVendorFailureExamplesAreAnswers: the spec's examples of vendor
// failures are what the gateway answers to the vendor answer each
// describes. An HTML page with an error status is the vendor being
// unavailable (503); with a success status it is a bad response (502).
func TestVendorFailureExamplesAreAnswers(t *testing.T) {
	e := newEnv(t)
	var spec struct {
		Components struct {
			Responses map[string]struct {
				Content map[string]struct {
					Example map[string]any `yaml:"example"`
				} `yaml:"content"`
			} `yaml:"responses"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(e.do(req{method: http.MethodGet, path: "/openapi.yaml"}).Body, &spec); err != nil {
		t.Fatal(err)
	}
	html := "<html><head><title>Bad Gateway</title></head><body>nginx</body></html>"
	cases := map[string]linkflowtest.Fault{
		"BadGateway":         {Status: 200, ContentType: "text/html", Body: html},
		"ServiceUnavailable": {Status: 502, ContentType: "text/html", Body: html},
	}
	for name, fault := range cases {
		t.Run(name, func(t *testing.T) {
			example := spec.Components.Responses[name].Content[problemJSON].Example
			if example == nil {
				t.Fatalf("the spec has no %s example", name)
			}
			fault.PathPrefix = "/open/groups"
			e.sim.InjectFault(fault)
			defer e.sim.ClearFaults()
			p := e.get("/v1/groups").JSON(t)
			for _, k := range []string{"status", "code", "title", "detail", "vendor", "type"} {
				if got, want := p[k], example[k]; got != want && !(k == "status" && got == float64(example[k].(int))) {
					t.Errorf("%s: the answer's %s is %v, the spec's example says %v", name, k, got, want)
				}
			}
		})
	}
}

// TestVendorRetryAfterDate: a vendor's Retry-After given as an HTTP date
// reaches the caller as the seconds it stands for.
func TestVendorRetryAfterDate(t *testing.T) {
	e := newEnv(t)
	sent := time.Date(2025, 10, 21, 7, 28, 0, 0, time.UTC)
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 429, ContentType: "application/json", Body: `{"status":429}`,
		Header: http.Header{"Date": {sent.Format(http.TimeFormat)}, "Retry-After": {sent.Add(2 * time.Minute).Format(http.TimeFormat)}}})
	r := e.get("/v1/groups")
	r.problem(t, http.StatusTooManyRequests, "VENDOR_RATE_LIMITED")
	if got := r.Header.Get("Retry-After"); got != "120" {
		t.Fatalf("Retry-After %q, want 120 (the vendor's date, 2 minutes after its Date)", got)
	}
}
