package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
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
	e, rs, spans := tracedOnRedis(t)
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
	if logs := e.logs.String(); !strings.Contains(logs, `"status":502`) || !strings.Contains(logs, `"status":503`) {
		t.Fatalf("the failures were not logged, so the log check proves nothing:\n%s", logs)
	}
	spanText := checkNoSecrets(t, leakRun{secrets: secrets, logs: e.logs.String(), spans: spans, metrics: metrics, answers: answers, redis: func() string {
		dump()
		return dumps.String()
	}})
	if !strings.Contains(spanText, "linkflow GET /token") {
		t.Fatalf("no token spans recorded: the span check would prove nothing:\n%.2000s", spanText)
	}
	if access, refusals := sealedTokens(dumps.String()); access == 0 || refusals == 0 {
		t.Fatalf("%d sealed access tokens and %d credential refusals in Redis: the dump check would prove nothing:\n%s",
			access, refusals, dumps.String())
	}
	for _, a := range answers[len(answers)-3 : len(answers)-1] {
		if a.Status != http.StatusBadGateway {
			t.Fatalf("refused credentials answered %d", a.Status)
		}
	}
}

// tracedOnRedis is a sandbox gateway on a private Redis with every span
// recorded.
func tracedOnRedis(t *testing.T) (*env, *redistest.Server, *tracetest.InMemoryExporter) {
	t.Helper()
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
	return serve(t, sb, cfg, app.Options{Stores: stores, Telemetry: tel}), rs, spans
}

// leakRun is what a leak test gathered: the secrets to look for and
// everywhere they must not be.
type leakRun struct {
	secrets []string
	logs    string
	spans   *tracetest.InMemoryExporter
	metrics resp
	answers []resp
	redis   func() string // the whole of Redis, dumped last
}

// checkNoSecrets looks for every secret in the logs, spans, metrics,
// every answer (body and headers) and Redis, and returns the spans as
// text for the caller's own checks that they recorded something.
func checkNoSecrets(t *testing.T, r leakRun) string {
	t.Helper()
	var spanText strings.Builder
	redisSpans := 0
	for _, s := range r.spans.GetSpans() {
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
	if redisSpans == 0 {
		t.Fatalf("no Redis spans recorded: the span check would prove nothing:\n%.2000s", spanText.String())
	}
	if r.metrics.Status != http.StatusOK || !strings.Contains(string(r.metrics.Body), "cdpgw_vendor_calls_total") {
		t.Fatalf("metrics: %d %.200s", r.metrics.Status, r.metrics.Body)
	}
	dump := r.redis()
	for _, s := range r.secrets {
		if strings.Contains(r.logs, s) {
			t.Errorf("secret %.6s… in logs", s)
		}
		if strings.Contains(spanText.String(), s) {
			t.Errorf("secret %.6s… in spans", s)
		}
		if strings.Contains(string(r.metrics.Body), s) {
			t.Errorf("secret %.6s… in metrics", s)
		}
		if strings.Contains(dump, s) {
			t.Errorf("secret %.6s… in Redis", s)
		}
		for _, a := range r.answers {
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
	return spanText.String()
}

// TestMeihuaSecretsNeverLeak does for Meihua what TestSecretsNeverLeak
// does for Linkflow, through every path its tokens take: the bootstrap
// refresh, rotation, a connect flow (code exchange), a token the vendor
// drops, a refused code, a lost refresh answer and the probe after it,
// a refused refresh token. Its secrets: the app key and secret, every
// code, access token and refresh token that crossed the wire, and the
// bootstrap refresh token.
func TestMeihuaSecretsNeverLeak(t *testing.T) {
	e, rs, spans := tracedOnRedis(t)
	sim := meihuaSim(e.sb, tenantMeihua)
	var answers []resp
	call := func(method, path string, body any) {
		answers = append(answers, e.mh(method, path, body))
	}
	var dumps strings.Builder
	call(http.MethodGet, "/v1/contacts?limit=3", nil)
	call(http.MethodGet, "/v1/contacts/mh_5?include=raw", nil)
	call(http.MethodPost, "/v1/contacts", map[string]any{"name": "x", "email": "leak@example.com"})
	call(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/contact/tag/all", "query": map[string]any{"page": []string{"1"}, "limit": []string{"1"}}})
	call(http.MethodPost, "/v1/passthrough", map[string]any{"method": "POST", "path": "/access_token"})
	dumps.WriteString(redisDump(t, rs.Addr()))
	// A new authorization, and a code the vendor refuses.
	q := e.authorize(tenantMeihua)
	answers = append(answers, e.callback(q, keyAll))
	q = e.authorize(tenantMeihua)
	q.Set("code", "sk-not-a-code-"+q.Get("code"))
	answers = append(answers, e.callback(q, keyAll))
	// A dropped token, then a lost refresh answer, its probe, and the end.
	sim.ExpireAccessTokens()
	call(http.MethodGet, "/v1/tags?limit=1", nil)
	sim.ExpireAccessTokens()
	sim.InjectFault(vendortest.Fault{PathPrefix: "/access_token", Times: 1, AfterHandler: true, Drop: true})
	call(http.MethodGet, "/v1/tags?limit=1", nil)
	call(http.MethodGet, "/v1/tags?limit=1", nil)
	call(http.MethodGet, "/admin/v1/tenants/"+tenantMeihua, nil)
	metrics := e.do(req{method: http.MethodGet, path: "/metrics"})

	secrets := []string{keyAll}
	for _, c := range e.cfg.Tenants {
		for _, conn := range c.Connections {
			if conn.Vendor == "meihua" {
				for _, s := range conn.Credentials {
					secrets = append(secrets, s.Value())
				}
			}
		}
	}
	wire := 0
	for _, r := range sim.Requests() {
		for _, p := range []string{"token", "refresh_token", "code", "client_secret"} {
			if v := r.Query.Get(p); v != "" {
				secrets = append(secrets, v)
				wire++
			}
		}
	}
	if wire == 0 || sim.RefreshCalls() < 3 || sim.CodeExchanges() != 2 {
		t.Fatalf("%d secrets on the wire, %d refreshes, %d code exchanges: the run did not take every path", wire, sim.RefreshCalls(), sim.CodeExchanges())
	}
	if view := string(answers[len(answers)-1].Body); !strings.Contains(view, `"reauthorization_required"`) {
		t.Fatalf("the run did not end the authorization: %s", view)
	}
	spanText := checkNoSecrets(t, leakRun{secrets: secrets, logs: e.logs.String(), spans: spans, metrics: metrics, answers: answers, redis: func() string {
		dumps.WriteString(redisDump(t, rs.Addr()))
		return dumps.String()
	}})
	if !strings.Contains(spanText, "meihua POST /access_token") {
		t.Fatalf("no token spans recorded: the span check would prove nothing:\n%.2000s", spanText)
	}
	if !strings.Contains(dumps.String(), ":refresh:") || !strings.Contains(e.logs.String(), "vendor authorization ended") {
		t.Fatalf("no refresh record in Redis or no end of the authorization logged: the run proves less than it says:\n%s", dumps.String())
	}
}

// TestMiaokolSecretsNeverLeak: the app secret (sent only to the token
// endpoint), the app id and every access token Miaokol issued stay out of
// answers, logs, spans, metrics and Redis, through token issue, reuse,
// expiry during use, a refused token call and writes.
func TestMiaokolSecretsNeverLeak(t *testing.T) {
	e, rs, spans := tracedOnRedis(t)
	sim := mkSim(e.sb, tenantMK)
	var answers []resp
	call := func(method, path string, body any) {
		answers = append(answers, e.mk(method, path, body))
	}
	var dumps strings.Builder
	call(http.MethodGet, "/v1/tag-groups?limit=3", nil)
	call(http.MethodGet, "/v1/tags?limit=3&include=raw", nil)
	call(http.MethodPost, "/v1/tag-groups", map[string]any{"name": "leak"})
	c := sim.Contacts()[0]
	call(http.MethodPut, "/v1/contacts/"+url.PathEscape(mkContact(c.RelWxid, c.ContactWxid))+"/tags", map[string]any{"tag_ids": []string{}})
	call(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/smart-tag/list"})
	call(http.MethodPost, "/v1/passthrough", map[string]any{"method": "POST", "path": "/oauth/token"})
	dumps.WriteString(redisDump(t, rs.Addr()))
	sim.ExpireTokens()
	call(http.MethodGet, "/v1/tag-groups", nil)
	// The vendor refuses the credentials: the refusal repeats the secret.
	sim.ExpireTokens()
	sim.InjectFault(vendortest.Fault{PathPrefix: "/oauth/token", Times: 1, Status: 200, ContentType: "application/json",
		Body: `{"data":null,"errcode":40125,"errmsg":"invalid appsecret ` + miaokoltest.DefaultAppSecret + `"}`})
	call(http.MethodGet, "/v1/tag-groups", nil)
	call(http.MethodGet, "/admin/v1/tenants/"+tenantMK, nil)
	metrics := e.do(req{method: http.MethodGet, path: "/metrics"})

	secrets := []string{keyAll}
	for _, t := range e.cfg.Tenants {
		for _, conn := range t.Connections {
			if conn.Vendor == miaokol.Driver.Vendor {
				for _, s := range conn.Credentials {
					secrets = append(secrets, s.Value())
				}
			}
		}
	}
	tokens := 0
	for _, r := range sim.Requests() {
		if tok := r.Query.Get("access_token"); tok != "" {
			secrets, tokens = append(secrets, tok), tokens+1
		}
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if decodeJSON(bytes.NewReader(r.Body), &body) == nil && body.AccessToken != "" {
			secrets, tokens = append(secrets, body.AccessToken), tokens+1
		}
	}
	if tokens == 0 || sim.TokenCalls() < 3 {
		t.Fatalf("%d tokens on the wire, %d token calls: the run did not take every path", tokens, sim.TokenCalls())
	}
	if last := answers[len(answers)-2]; last.Status != http.StatusBadGateway {
		t.Fatalf("the refused token call answered %d", last.Status)
	}
	spanText := checkNoSecrets(t, leakRun{secrets: secrets, logs: e.logs.String(), spans: spans, metrics: metrics, answers: answers, redis: func() string {
		dumps.WriteString(redisDump(t, rs.Addr()))
		return dumps.String()
	}})
	if !strings.Contains(spanText, "miaokol POST /oauth/token") {
		t.Fatalf("no token spans recorded: the span check would prove nothing:\n%.2000s", spanText)
	}
}

// TestNXCloudSecretsNeverLeak: the access secret never leaves the
// process, and no credential (access key, app key) shows in answers,
// logs, spans, metrics or Redis, through reads, writes, a tampered-looking
// refusal, clock skew and a refusal that repeats the secret.
func TestNXCloudSecretsNeverLeak(t *testing.T) {
	e, rs, spans := tracedOnRedis(t)
	sim := nxSim(e.sb, tenantNX)
	var answers []resp
	call := func(method, path string, body any) {
		answers = append(answers, e.nx(method, path, body))
	}
	call(http.MethodGet, "/v1/contacts?limit=3&include=raw", nil)
	call(http.MethodPost, "/v1/contacts", map[string]any{"name": "leak", "whatsapp_phone": "8613700001111"})
	call(http.MethodGet, "/v1/fields", nil)
	call(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/saas/cdp/openapi/customers/fields"})
	for _, code := range []string{"1003", "1004", "1005"} {
		sim.InjectFault(vendortest.Fault{PathPrefix: "/saas/cdp/openapi/customers/query", Times: 1, Status: 200, ContentType: "application/json",
			Body: `{"code":` + code + `,"message":"bad sign for secret ` + nxcloudtest.DefaultAccessSecret + `","data":null,"traceId":"t"}`})
		call(http.MethodGet, "/v1/contacts?limit=1", nil)
	}
	call(http.MethodGet, "/admin/v1/tenants/"+tenantNX, nil)
	metrics := e.do(req{method: http.MethodGet, path: "/metrics"})
	secrets := []string{keyAll}
	for _, t := range e.cfg.Tenants {
		for _, conn := range t.Connections {
			if conn.Vendor == nxcloud.Driver.Vendor {
				for _, s := range conn.Credentials {
					secrets = append(secrets, s.Value())
				}
			}
		}
	}
	if len(secrets) < 4 {
		t.Fatalf("secrets %d: want the API key, access key and secret, and app key", len(secrets))
	}
	for _, r := range sim.Requests() {
		if bytes.Contains(r.Body, []byte(nxcloudtest.DefaultAccessSecret)) || strings.Contains(fmt.Sprint(r.Header), nxcloudtest.DefaultAccessSecret) {
			t.Fatal("the access secret went on the wire")
		}
	}
	spanText := checkNoSecrets(t, leakRun{secrets: secrets, logs: e.logs.String(), spans: spans, metrics: metrics, answers: answers,
		redis: func() string { return redisDump(t, rs.Addr()) }})
	if !strings.Contains(spanText, "nxcloud POST") || !strings.Contains(spanText, "vendor.trace_id=") {
		t.Fatalf("no NXCloud call spans with trace ids: the span check would prove nothing:\n%.2000s", spanText)
	}
}
