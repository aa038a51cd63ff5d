package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/buildinfo"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

func fieldNames(t *testing.T, p map[string]any) []string {
	t.Helper()
	var out []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func TestValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		r      req
		status int
		code   string
		fields []string
	}{
		{"bad JSON", req{method: "POST", path: "/v1/contacts", body: `{"name": `}, 400, "VALIDATION_FAILED", []string{"body"}},
		{"wrong type", req{method: "POST", path: "/v1/contacts", body: `{"name": 5, "external_ids": [{"channel":"c","id":"1"}]}`}, 400, "VALIDATION_FAILED", []string{"body.name"}},
		{"unknown enum", req{method: "POST", path: "/v1/contacts", body: `{"gender": "robot"}`}, 400, "VALIDATION_FAILED", []string{"body.gender"}},
		{"several fields", req{method: "POST", path: "/v1/contacts", body: `{"gender": "robot", "birthday": "yesterday", "email": 1}`}, 400, "VALIDATION_FAILED", []string{"body.birthday", "body.email", "body.gender"}},
		{"missing required", req{method: "POST", path: "/v1/groups", body: `{}`}, 400, "VALIDATION_FAILED", []string{"body.name"}},
		{"empty body", req{method: "POST", path: "/v1/groups"}, 400, "VALIDATION_FAILED", []string{"body"}},
		{"limit too big", req{method: "GET", path: "/v1/contacts?limit=201"}, 400, "VALIDATION_FAILED", []string{"query.limit"}},
		{"limit not a number", req{method: "GET", path: "/v1/contacts?limit=ten"}, 400, "VALIDATION_FAILED", []string{"query.limit"}},
		{"bad updated_since", req{method: "GET", path: "/v1/contacts?updated_since=yesterday"}, 400, "VALIDATION_FAILED", []string{"query.updated_since"}},
		{"unknown include", req{method: "GET", path: "/v1/contacts?include=all"}, 400, "VALIDATION_FAILED", []string{"query.include"}},
		{"malformed id", req{method: "GET", path: "/v1/contacts/12345"}, 400, "VALIDATION_FAILED", []string{"path.contact_id"}},
		{"unknown vendor prefix", req{method: "GET", path: "/v1/contacts/zz_1"}, 400, "VALIDATION_FAILED", []string{"path.contact_id"}},
		{"batch item", req{method: "POST", path: "/v1/contacts/batch", body: `{"items":[{},{},{"gender":"robot"}]}`}, 400, "VALIDATION_FAILED", []string{"body.items.2.gender"}},
		{"too many members", req{method: "POST", path: "/v1/groups/lf_1/members", body: map[string]any{"contact_ids": []string{}}}, 400, "VALIDATION_FAILED", []string{"body.contact_ids"}},
		{"bad idempotency key", req{method: "POST", path: "/v1/groups", body: `{"name":"x"}`, headers: map[string]string{"Idempotency-Key": "has space"}}, 400, "VALIDATION_FAILED", []string{"header.Idempotency-Key"}},
		{"wrong content type", req{method: "POST", path: "/v1/groups", body: `name=x`, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "UNSUPPORTED_MEDIA_TYPE", nil},
		{"unknown route", req{method: "GET", path: "/v1/nothing"}, 404, "NOT_FOUND", nil},
		{"method not allowed", req{method: "DELETE", path: "/v1/contacts"}, 405, "METHOD_NOT_ALLOWED", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.key, c.r.tenant = keyAll, tenantLF
			e.sim.ResetRequests()
			p := e.do(c.r).problem(t, c.status, c.code)
			if c.fields != nil {
				got := fieldNames(t, p)
				for _, f := range c.fields {
					if !contains(got, f) {
						t.Errorf("fields %v lack %s", got, f)
					}
				}
			}
			if n := len(e.sim.Requests()); n != 0 {
				t.Errorf("invalid request reached the vendor %d times", n)
			}
		})
	}
	t.Run("missing tenant header", func(t *testing.T) {
		p := e.do(req{method: "GET", path: "/v1/contacts", key: keyAll}).problem(t, 400, "VALIDATION_FAILED")
		if !contains(fieldNames(t, p), "header.X-Tenant-ID") {
			t.Fatalf("fields %v", fieldNames(t, p))
		}
	})
	t.Run("oversize body", func(t *testing.T) {
		big := `{"name":"` + strings.Repeat("x", 5<<20) + `"}`
		e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: big}).problem(t, 413, "PAYLOAD_TOO_LARGE")
	})
	t.Run("oversize chunked body", func(t *testing.T) {
		big := `{"items":[` + strings.Repeat(`{"name":"xxxxxxxxxxxxxxxxxxxxxxxx"},`, 200000) + `{}]}`
		hr, _ := http.NewRequest("POST", e.url+"/v1/contacts/batch", &chunked{s: big})
		hr.Header.Set("Authorization", "Bearer "+keyAll)
		hr.Header.Set("X-Tenant-ID", tenantLF)
		hr.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 413 {
			t.Fatalf("status %d, want 413", res.StatusCode)
		}
	})
}

// chunked hides its length so the request is sent chunked.
type chunked struct {
	s string
	i int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.i >= len(c.s) {
		return 0, errEOF
	}
	n := copy(p, c.s[c.i:])
	c.i += n
	return n, nil
}

func TestCursorMisuse(t *testing.T) {
	e := newEnv(t)
	first := e.get("/v1/contacts?limit=2").ok(t, 200)
	cursor := first["next_cursor"].(string)
	e.get("/v1/contacts?limit=2&cursor="+cursor).ok(t, 200)

	tampered := []byte(cursor)
	tampered[5] ^= 1
	cases := map[string]string{
		"tampered":       "/v1/contacts?cursor=" + string(tampered),
		"garbage":        "/v1/contacts?cursor=not-a-cursor",
		"other filter":   "/v1/contacts?q=wang&cursor=" + cursor,
		"other list":     "/v1/groups?cursor=" + cursor,
		"other resource": "/v1/groups/" + e.firstGroup() + "/members?cursor=" + cursor,
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			e.get(path).problem(t, 400, "INVALID_CURSOR")
		})
	}
	t.Run("other tenant", func(t *testing.T) {
		e.do(req{method: "GET", path: "/v1/contacts?cursor=" + cursor, key: keyAll, tenant: tenantSwitch}).problem(t, 400, "INVALID_CURSOR")
	})
	t.Run("after a vendor switch", func(t *testing.T) {
		page := e.do(req{method: "GET", path: "/v1/contacts?limit=2", key: keyAll, tenant: tenantSwitch}).ok(t, 200)
		old := page["next_cursor"].(string)
		for _, v := range []string{"meihua", "linkflow"} {
			e.do(req{method: "PUT", path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll, body: map[string]any{"vendor": v}}).ok(t, 200)
		}
		p := e.do(req{method: "GET", path: "/v1/contacts?limit=2&cursor=" + url.QueryEscape(old), key: keyAll, tenant: tenantSwitch}).problem(t, 400, "INVALID_CURSOR")
		if !strings.Contains(p["detail"].(string), "binding") {
			t.Fatalf("detail does not explain: %v", p["detail"])
		}
	})
}

func TestIDOfAnotherVendor(t *testing.T) {
	e := newEnv(t)
	for _, r := range []req{
		{method: "GET", path: "/v1/contacts/mh_4338372"},
		{method: "PATCH", path: "/v1/contacts/nx_1021110718827683840", body: map[string]any{"name": "x"}},
		{method: "GET", path: "/v1/groups/mk_1/members"},
		{method: "GET", path: "/v1/contacts?group_id=mh_1"},
		{method: "POST", path: "/v1/events", body: map[string]any{"event": "X", "contact_id": "mh_1"}},
	} {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			r.key, r.tenant = keyAll, tenantLF
			e.sim.ResetRequests()
			p := e.do(r).problem(t, 409, "ID_VENDOR_MISMATCH")
			if p["vendor"] != "linkflow" {
				t.Fatalf("problem = %v", p)
			}
			if n := len(e.sim.Requests()); n != 0 {
				t.Fatalf("a foreign id reached the vendor (%d requests)", n)
			}
		})
	}
}

// TestVendorFailures injects vendor answers and checks the canonical error
// for each, and that no vendor body leaks.
func TestVendorFailures(t *testing.T) {
	e := newEnv(t)
	html := "<html><head><title>502 Bad Gateway</title></head><body>secret-internal-host</body></html>"
	cases := []struct {
		name       string
		fault      linkflowtest.Fault
		status     int
		code       string
		vendorCode string
		retryAfter string
		path       string
	}{
		{"5xx JSON", linkflowtest.Fault{Status: 500, ContentType: "application/json", Body: `{"status":500,"message":"boom"}`}, 503, "VENDOR_UNAVAILABLE", "", "5", ""},
		{"HTML error page", linkflowtest.Fault{Status: 502, ContentType: "text/html", Body: html}, 503, "VENDOR_UNAVAILABLE", "", "5", ""},
		{"200 with HTML", linkflowtest.Fault{Status: 200, ContentType: "text/html", Body: html}, 502, "VENDOR_BAD_RESPONSE", "", "", ""},
		{"wrong content type", linkflowtest.Fault{Status: 200, ContentType: "text/plain", Body: `[]`}, 502, "VENDOR_BAD_RESPONSE", "", "", ""},
		{"truncated JSON", linkflowtest.Fault{Status: 200, ContentType: "application/json", Body: `[{"id": 1, "name": "trunc`}, 502, "VENDOR_BAD_RESPONSE", "", "", ""},
		{"rate limited", linkflowtest.Fault{Status: 429, ContentType: "application/json", Body: `{"status":429}`}, 429, "VENDOR_RATE_LIMITED", "", "", ""},
		{"unknown code", linkflowtest.Fault{Status: 400, ContentType: "application/json", Body: `{"status":400,"code":"B99999","message":"new"}`}, 502, "VENDOR_ERROR", "B99999", "", ""},
		{"B00008", linkflowtest.Fault{Status: 404, ContentType: "application/json", Body: `{"status":404,"code":"B00008","message":"x"}`}, 404, "NOT_FOUND", "B00008", "", ""},
		{"B00001", linkflowtest.Fault{Status: 400, ContentType: "application/json", Body: `{"status":400,"code":"B00001","message":"x"}`}, 409, "ALREADY_EXISTS", "B00001", "", ""},
		{"B00010", linkflowtest.Fault{Status: 500, ContentType: "application/json", Body: `{"status":500,"code":"B00010","message":"x"}`}, 422, "VENDOR_REJECTED", "B00010", "", ""},
		{"B00030", linkflowtest.Fault{Status: 500, ContentType: "application/json", Body: `{"status":500,"code":"B00030","message":"x"}`}, 422, "VENDOR_REJECTED", "B00030", "", ""},
		{"B00031", linkflowtest.Fault{Status: 400, ContentType: "application/json", Body: `{"status":400,"code":"B00031","message":"x"}`}, 422, "VENDOR_REJECTED", "B00031", "", ""},
		{"B00093", linkflowtest.Fault{Status: 500, ContentType: "application/json", Body: `{"status":500,"code":"B00093","message":"x"}`}, 422, "RESULT_WINDOW_EXCEEDED", "B00093", "", ""},
		{"B00157", linkflowtest.Fault{Status: 412, ContentType: "application/json", Body: `{"status":412,"code":"B00157","message":"x"}`}, 422, "VENDOR_LIMIT_REACHED", "B00157", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := c.fault
			if f.PathPrefix == "" {
				f.PathPrefix = "/open/groups"
			}
			e.sim.InjectFault(f)
			defer e.sim.ClearFaults()
			r := e.get("/v1/groups")
			p := r.problem(t, c.status, c.code)
			if c.vendorCode != "" && p["vendor_code"] != c.vendorCode {
				t.Errorf("vendor_code = %v, want %s", p["vendor_code"], c.vendorCode)
			}
			if p["vendor"] != "linkflow" || r.Header.Get("X-Vendor") != "linkflow" {
				t.Errorf("vendor not named: %v %v", p["vendor"], r.Header.Get("X-Vendor"))
			}
			if c.retryAfter != "" && r.Header.Get("Retry-After") != c.retryAfter {
				t.Errorf("Retry-After = %q, want %s", r.Header.Get("Retry-After"), c.retryAfter)
			}
			for _, leak := range []string{"secret-internal-host", "<html", "boom", "trunc"} {
				if strings.Contains(string(r.Body), leak) {
					t.Errorf("vendor body leaked (%s): %s", leak, r.Body)
				}
			}
		})
	}
	t.Run("rate limited carries Retry-After", func(t *testing.T) {
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 429, ContentType: "application/json", Body: `{}`})
		r := e.get("/v1/groups")
		r.problem(t, 429, "VENDOR_RATE_LIMITED")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	})
}

func TestVendorTimeout(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		for i := range c.Tenants {
			for j := range c.Tenants[i].Connections {
				c.Tenants[i].Connections[j].Timeout = 200 * time.Millisecond
			}
		}
	})
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Delay: 2 * time.Second})
	e.get("/v1/groups").problem(t, 504, "VENDOR_TIMEOUT")
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	body := map[string]any{"name": "幂等组"}
	hdr := map[string]string{"Idempotency-Key": "create-group-1"}
	first := e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: body, headers: hdr})
	first.ok(t, 201)
	e.sim.ResetRequests()
	replay := e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: body, headers: hdr})
	replay.ok(t, 201)
	if string(replay.Body) != string(first.Body) || replay.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs: %s vs %s (%v)", replay.Body, first.Body, replay.Header)
	}
	if n := len(e.sim.Requests()); n != 0 {
		t.Fatalf("replay reached the vendor %d times", n)
	}
	e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "other"}, headers: hdr}).
		problem(t, 422, "IDEMPOTENCY_KEY_REUSED")
	// The same key from another API key or tenant is another key.
	e.do(req{method: "POST", path: "/v1/groups", key: keyWriter, tenant: tenantLF, body: map[string]any{"name": "幂等组2"}, headers: hdr}).ok(t, 201)

	t.Run("in flight", func(t *testing.T) {
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups", Delay: 500 * time.Millisecond})
		h := map[string]string{"Idempotency-Key": "slow-1"}
		e.sim.ResetRequests()
		var wg sync.WaitGroup
		var slow resp
		wg.Add(1)
		go func() {
			defer wg.Done()
			slow = e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "slow"}, headers: h})
		}()
		// Wait until the first call is at the vendor, then retry it.
		for deadline := time.Now().Add(5 * time.Second); ; {
			if hasRequest(e.sim, "POST", "/v2/groups") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("first call never reached the vendor")
			}
			time.Sleep(5 * time.Millisecond)
		}
		e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "slow"}, headers: h}).
			problem(t, 409, "IDEMPOTENCY_IN_FLIGHT")
		wg.Wait()
		slow.ok(t, 201)
	})
	t.Run("failures are not stored", func(t *testing.T) {
		h := map[string]string{"Idempotency-Key": "retry-after-5xx"}
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups", Status: 503, ContentType: "application/json", Body: `{}`})
		e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "retry"}, headers: h}).problem(t, 503, "VENDOR_UNAVAILABLE")
		e.do(req{method: "POST", path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "retry"}, headers: h}).ok(t, 201)
	})
}

func hasRequest(sim *linkflowtest.Server, method, path string) bool {
	for _, r := range sim.Requests() {
		if r.Method == method && r.Path == path {
			return true
		}
	}
	return false
}

func TestRequestIDAndVendorHeaders(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/v1/groups", key: keyAll, tenant: tenantLF, headers: map[string]string{"X-Request-Id": "caller-abc.123"}})
	if r.Header.Get("X-Request-Id") != "caller-abc.123" || r.Header.Get("X-Vendor") != "linkflow" {
		t.Fatalf("headers = %v", r.Header)
	}
	bad := e.do(req{method: "GET", path: "/v1/groups", key: keyAll, tenant: tenantLF, headers: map[string]string{"X-Request-Id": "has spaces and \"quotes\""}})
	if id := bad.Header.Get("X-Request-Id"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("unsafe request id echoed: %q", id)
	}
	if id := e.do(req{method: "GET", path: "/healthz"}).Header.Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("generated id = %q", id)
	}
	if !strings.Contains(e.logs.String(), `"request_id":"caller-abc.123"`) {
		t.Fatal("request id not in logs")
	}
}

func TestProbesSpecAndDocs(t *testing.T) {
	e := newEnv(t)
	// Without a version given, the binary's own (buildinfo) is answered.
	want := `{"status":"ok","version":"` + buildinfo.Read().Version + `"}`
	if r := e.do(req{method: "GET", path: "/healthz"}); r.Status != 200 || strings.TrimSpace(string(r.Body)) != want {
		t.Fatalf("healthz = %d %s, want %s", r.Status, r.Body, want)
	}
	sb, cfg := newSandbox(t)
	versioned := serve(t, sb, cfg, app.Options{Version: "v1.2.0-3-g1a2b3c4"})
	if r := versioned.do(req{method: "GET", path: "/healthz"}); !strings.Contains(string(r.Body), `"version":"v1.2.0-3-g1a2b3c4"`) {
		t.Fatalf("healthz = %d %s, want the version the gateway was given", r.Status, r.Body)
	}
	if r := e.do(req{method: "GET", path: "/readyz"}); r.Status != 200 {
		t.Fatalf("readyz = %d %s", r.Status, r.Body)
	}
	spec := e.do(req{method: "GET", path: "/openapi.yaml"})
	if spec.Status != 200 || !strings.HasPrefix(string(spec.Body), "openapi: 3.0") {
		t.Fatalf("openapi.yaml = %d", spec.Status)
	}
	docs := e.do(req{method: "GET", path: "/docs/"})
	if docs.Status != 200 || !strings.Contains(string(docs.Body), "/openapi.yaml") {
		t.Fatalf("docs = %d %s", docs.Status, docs.Body)
	}
	// Every asset the page loads is served by the gateway itself.
	for _, ref := range []string{"https://", "http://", "//cdn", "unpkg", "jsdelivr"} {
		if strings.Contains(strings.ReplaceAll(string(docs.Body), "http://' + ", ""), `src="`+ref) || strings.Contains(string(docs.Body), `href="`+ref) {
			t.Fatalf("docs page loads %s from outside", ref)
		}
	}
	asset := e.do(req{method: "GET", path: "/docs/swagger-ui-bundle.js"})
	if asset.Status != 200 || len(asset.Body) < 100000 {
		t.Fatalf("embedded asset = %d (%d bytes)", asset.Status, len(asset.Body))
	}
}
