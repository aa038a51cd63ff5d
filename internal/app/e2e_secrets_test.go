package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

// TestSecretsNeverLeak drives successes and every kind of failure, then
// looks for any secret in every response (body and headers) and every log
// line: app key and secret, the vendor tokens issued, and API keys.
func TestSecretsNeverLeak(t *testing.T) {
	e := newEnv(t)
	var answers []resp
	call := func(r req) {
		if r.key == "" {
			r.key = keyAll
		}
		if r.tenant == "" {
			r.tenant = tenantLF
		}
		answers = append(answers, e.do(r))
	}
	contact := e.firstContact()
	call(req{method: "GET", path: "/v1/contacts?limit=3"})
	call(req{method: "GET", path: "/v1/contacts/" + contact + "?include=raw"})
	call(req{method: "POST", path: "/v1/contacts", body: map[string]any{"name": "x", "external_ids": []any{map[string]any{"channel": "c", "id": "1"}}}})
	call(req{method: "POST", path: "/v1/passthrough", body: map[string]any{"method": "GET", "path": "/open/orders"}})
	call(req{method: "POST", path: "/v1/passthrough", body: map[string]any{"method": "GET", "path": "/token"}})
	call(req{method: "GET", path: "/v1/contacts", key: "sk_wrong"})
	call(req{method: "GET", path: "/v1/contacts", key: keyOther})
	call(req{method: "POST", path: "/v1/contacts", body: `{"name": 1}`})
	// Vendor refuses the token, then the credentials.
	e.sim.ExpireTokens()
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/token", Times: 1, Status: 401, ContentType: "application/json", Body: `{"status":401,"code":"UNAUTHORIZED","message":"bad secret sandbox-linkflow-secret"}`})
	call(req{method: "GET", path: "/v1/groups"})
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 401, Times: 2, ContentType: "application/json", Body: `{}`})
	call(req{method: "GET", path: "/v1/groups"})
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 500, ContentType: "text/html", Body: "<html>token=" + simAppSecret + "</html>"})
	call(req{method: "GET", path: "/v1/groups"})
	call(req{method: "GET", path: "/admin/v1/tenants"})

	secrets := []string{simAppSecret, simAppKey, keyAll, keyReader, keyWriter, keyOther, keyAdminOnly}
	tokens := 0
	for _, r := range e.sim.Requests() {
		if tok := r.Header.Get("X-OpenApi-Token"); tok != "" {
			secrets = append(secrets, tok)
			tokens++
		}
	}
	if tokens == 0 {
		t.Fatal("no vendor token seen: the test would prove nothing")
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"status":502`) || !strings.Contains(logs, `"status":503`) {
		t.Fatalf("the failures were not logged, so the log check proves nothing:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("secret %.6s… in logs", s)
		}
		for _, a := range answers {
			if strings.Contains(string(a.Body), s) {
				t.Errorf("secret %.6s… in a %d response: %s", s, a.Status, a.Body)
			}
			for k, vs := range a.Header {
				for _, v := range vs {
					if strings.Contains(v, s) {
						t.Errorf("secret %.6s… in response header %s", s, k)
					}
				}
			}
		}
	}
	if answers[len(answers)-4].Status != http.StatusBadGateway {
		t.Fatalf("refused credentials answered %d", answers[len(answers)-4].Status)
	}
}
