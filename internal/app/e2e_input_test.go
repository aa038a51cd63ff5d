package app_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestRefusedCallersDoNotGetToTheBody: over real HTTP, a body over the
// limit from a caller that may not make the call is answered for the
// caller (401 or 403), not with 413: the key, the scope and the tenant are
// checked from the headers before the body counts. Before, every one of
// these was a 413.
func TestRefusedCallersDoNotGetToTheBody(t *testing.T) {
	e := newEnv(t)
	big := `{"name":"` + strings.Repeat("x", 5<<20) + `"}`
	for _, c := range []struct {
		name, key, tenant string
		status            int
		code              string
	}{
		{"no key", "", tenantLF, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"wrong key", "sk_wrong", tenantLF, http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"read-only key writing", keyReader, tenantLF, http.StatusForbidden, "INSUFFICIENT_SCOPE"},
		{"ungranted tenant", keyOther, tenantLF, http.StatusForbidden, "TENANT_FORBIDDEN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.do(req{method: http.MethodPost, path: "/v1/groups", key: c.key, tenant: c.tenant, body: big}).problem(t, c.status, c.code)
		})
	}
}
