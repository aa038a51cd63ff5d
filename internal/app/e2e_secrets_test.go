package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// TestSecretsNeverLeak drives successes and every kind of failure through
// a replica on a real Redis, then looks for any secret in every response
// (body and headers), every log line, every span (names, attributes,
// events, including Redis spans) and the metrics: app key and secret, the
// vendor tokens issued, and API keys. Linkflow is the only adapter in this
// build; each new adapter adds its credentials and calls here. Last, the
// whole of Redis (KEYS * and every value), as anyone with access to it
// sees it: vendor tokens are kept there sealed, never in the clear.
func TestSecretsNeverLeak(t *testing.T) {
	sb, cfg := newSandbox(t)
	rs := redistest.Start(t)
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Options{SpanExporter: spans, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	stores, err := app.RedisStores(context.Background(), rs.URL(), cfg, app.RedisOptions{Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stores.Close() })
	e := serve(t, sb, cfg, app.Options{Stores: stores, Telemetry: tel})
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
	// What Redis holds, dumped while an access token is stored and at the
	// end, when a credential refusal is.
	var dumps strings.Builder
	dump := func() { dumps.WriteString(redisDump(t, rs.Addr())) }
	contact := e.firstContact()
	call(req{method: "GET", path: "/v1/contacts?limit=3"})
	call(req{method: "GET", path: "/v1/contacts/" + contact + "?include=raw"})
	call(req{method: "POST", path: "/v1/contacts", body: map[string]any{"name": "x", "external_ids": []any{map[string]any{"channel": "c", "id": "1"}}}})
	call(req{method: "POST", path: "/v1/passthrough", body: map[string]any{"method": "GET", "path": "/open/orders"}})
	call(req{method: "POST", path: "/v1/passthrough", body: map[string]any{"method": "GET", "path": "/token"}})
	call(req{method: "GET", path: "/v1/contacts", key: "sk_wrong"})
	call(req{method: "GET", path: "/v1/contacts", key: keyOther})
	call(req{method: "POST", path: "/v1/contacts", body: `{"name": 1}`})
	dump()
	// Vendor refuses the token twice, fails with a page, then refuses the
	// credentials (remembered: the calls after it are refused from memory).
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 401, Times: 2, ContentType: "application/json", Body: `{}`})
	call(req{method: "GET", path: "/v1/groups"})
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 500, ContentType: "text/html", Body: "<html>token=" + simAppSecret + "</html>"})
	call(req{method: "GET", path: "/v1/groups"})
	call(req{method: "POST", path: "/v1/groups", body: map[string]any{"name": "keyed"}, headers: map[string]string{"Idempotency-Key": "secret-test"}})
	e.sim.ExpireTokens()
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/token", Times: 1, Status: 401, ContentType: "application/json", Body: `{"status":401,"code":"UNAUTHORIZED","message":"bad secret sandbox-linkflow-secret"}`})
	call(req{method: "GET", path: "/v1/groups"})
	call(req{method: "GET", path: "/v1/groups"})
	call(req{method: "GET", path: "/admin/v1/tenants"})
	metrics := e.do(req{method: "GET", path: "/metrics"})
	if metrics.Status != http.StatusOK || !strings.Contains(string(metrics.Body), "cdpgw_vendor_calls_total") {
		t.Fatalf("metrics: %d %.200s", metrics.Status, metrics.Body)
	}
	var spanText strings.Builder
	redisSpans := 0
	for _, s := range spans.GetSpans() {
		spanText.WriteString(s.Name + "\n")
		for _, kv := range s.Attributes {
			spanText.WriteString(string(kv.Key) + "=" + kv.Value.String() + "\n")
			if kv.Key == "db.system" || kv.Key == "db.system.name" {
				redisSpans++
			}
		}
		for _, ev := range s.Events {
			spanText.WriteString(ev.Name + "\n")
			for _, kv := range ev.Attributes {
				spanText.WriteString(string(kv.Key) + "=" + kv.Value.String() + "\n")
			}
		}
		spanText.WriteString(s.Status.Description + "\n")
	}
	if redisSpans == 0 || !strings.Contains(spanText.String(), "linkflow GET /token") {
		t.Fatalf("no Redis or token spans recorded: the span check would prove nothing:\n%.2000s", spanText.String())
	}

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
		if strings.Contains(spanText.String(), s) {
			t.Errorf("secret %.6s… in spans", s)
		}
		if strings.Contains(string(metrics.Body), s) {
			t.Errorf("secret %.6s… in metrics", s)
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
	dump()
	if access, refusals := sealedTokens(dumps.String()); access == 0 || refusals == 0 {
		t.Fatalf("%d sealed access tokens and %d credential refusals in Redis: the dump check would prove nothing:\n%s",
			access, refusals, dumps.String())
	}
	for _, s := range secrets {
		if strings.Contains(dumps.String(), s) {
			t.Errorf("secret %.6s… in Redis", s)
		}
	}
	for _, a := range answers[len(answers)-3 : len(answers)-1] {
		if a.Status != http.StatusBadGateway {
			t.Fatalf("refused credentials answered %d", a.Status)
		}
	}
}
