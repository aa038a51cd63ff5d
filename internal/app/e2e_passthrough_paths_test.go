package app_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestPassthroughPathsOutsideTheAllowList: every spelling of a path outside
// Linkflow's passthrough allow-list (the token endpoint with another case,
// matrix parameters, escapes, extra or trailing slashes) is a 400 naming
// body.path, and nothing reaches the vendor, not even a token call.
func TestPassthroughPathsOutsideTheAllowList(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/token", "/token;x", "/token%3Bx", "/token%3bx", "/Token", "/TOKEN", "/token/", "//token", "/%74oken",
		"/open/../token", "/open/%2e%2e/token", "/open;x/../token", "/open/orders;jsessionid=1",
		"/open//orders", "/open/orders/", "/OPEN/orders", "/v1/other", "/",
	} {
		t.Run(strconv.Quote(path), func(t *testing.T) {
			e.sim.ResetRequests()
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				p := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": m, "path": path}).
					problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
				if got := fieldNames(t, p); len(got) != 1 || got[0] != "body.path" {
					t.Errorf("%s: fields %v, want [body.path]", m, got)
				}
			}
			if reqs := e.sim.Requests(); len(reqs) != 0 {
				t.Errorf("a refused path reached linkflow: %s %s", reqs[0].Method, reqs[0].Path)
			}
		})
	}
	t.Run("the answer says what is allowed", func(t *testing.T) {
		p := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/Token"}).
			problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
		if d, _ := p["detail"].(string); !strings.Contains(d, "/open") || strings.Contains(d, "/token") {
			t.Errorf("detail %q does not list the allowed prefixes (and only them)", d)
		}
	})
	t.Run("documented paths still pass", func(t *testing.T) {
		e.sim.ResetRequests()
		for _, path := range []string{"/open/orders", "/channels/meta/types", "/v2/contacts/meta/properties"} {
			got := e.send(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": path}).ok(t, http.StatusOK)
			if got["status"] != float64(http.StatusOK) {
				t.Errorf("%s: vendor status %v", path, got["status"])
			}
		}
	})
}
