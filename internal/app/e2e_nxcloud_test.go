package app_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const tenantNX = "demo-nxcloud"

// nxSim is the NXCloud simulator behind tenant's NXCloud connection.
func nxSim(sb *sandbox.Sandbox, tenant string) *nxcloudtest.Server {
	sim, _ := sb.Simulator(tenant, nxcloud.Driver.Vendor).(*nxcloudtest.Server)
	return sim
}

// nx is a call as sk_sandbox_demo on demo-nxcloud.
func (e *env) nx(method, path string, body any) resp {
	e.t.Helper()
	return e.do(req{method: method, path: path, key: keyAll, tenant: tenantNX, body: body})
}

func nxID(id int64) string { return "nx_" + strconv.FormatInt(id, 10) }

// TestNXCloudPagingExactlyOnce: every customer once, at several limits,
// ids above 2^53 exact (neighbours float64 would merge stay apart).
func TestNXCloudPagingExactlyOnce(t *testing.T) {
	e := newEnv(t)
	sim := nxSim(e.sb, tenantNX)
	want := map[string]bool{}
	for _, c := range sim.Customers() {
		if c.ID <= 1<<53 {
			t.Fatalf("demo id %d is not above 2^53: the test would prove nothing", c.ID)
		}
		want[nxID(c.ID)] = true
	}
	for _, limit := range []int{1, 7, 50, 100} {
		ids := e.listAll(tenantNX, "/v1/contacts", limit)
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] || !want[id] {
				t.Fatalf("limit %d: %s listed twice or unknown", limit, id)
			}
			seen[id] = true
		}
		if len(seen) != len(want) {
			t.Fatalf("limit %d: %d customers listed, the vendor has %d", limit, len(seen), len(want))
		}
	}
	for _, r := range sim.Requests() {
		if strings.HasSuffix(r.Path, "/customers/query") && !bytes.Contains(r.Body, []byte(`"limit"`)) {
			t.Fatalf("a query without limit: %s", r.Body)
		}
	}
}

// TestNXCloudTamperedBody: a body changed after it was signed is refused
// by the vendor (1003); the gateway says so with the vendor's trace id.
func TestNXCloudTamperedBody(t *testing.T) {
	sb, cfg := newSandbox(t)
	tamper := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil && strings.HasSuffix(r.URL.Path, "/customers/batch_create") {
			b, _ := io.ReadAll(r.Body)
			b = bytes.Replace(b, []byte("张"), []byte("李"), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	e := serve(t, sb, cfg, app.Options{VendorClient: tamper})
	sim := nxSim(sb, tenantNX)
	p := e.nx(http.MethodPost, "/v1/contacts", map[string]any{"name": "张三", "whatsapp_phone": "8613800000001"}).
		problem(t, http.StatusBadGateway, "VENDOR_AUTH_FAILED")
	if p["vendor_code"] != "1003" || p["vendor_trace_id"] == nil || sim.SignatureFailures() != 1 {
		t.Fatalf("problem %v, %d signature failures", p, sim.SignatureFailures())
	}
	// Reads are untouched and signed right.
	e.nx(http.MethodGet, "/v1/contacts?limit=2", nil).ok(t, http.StatusOK)
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestNXCloudClockSkew: the vendor's clock two minutes ahead of the
// gateway's: its signed calls are refused (1004), the problem names the
// offset, and /readyz reports the clock as skewed while still ready.
func TestNXCloudClockSkew(t *testing.T) {
	sb, err := sandbox.Start(sandbox.Options{Drivers: builtin, Contacts: 10, Now: func() time.Time { return time.Now().Add(2 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	cfg := sb.Config
	e := serve(t, sb, cfg, app.Options{})
	p := e.nx(http.MethodGet, "/v1/contacts?limit=2", nil).problem(t, http.StatusBadGateway, "VENDOR_CLOCK_SKEW")
	if d := p["detail"].(string); p["vendor_code"] != "1004" || p["vendor_trace_id"] == nil || !regexp.MustCompile(`(1m5\ds|2m0s|2m1s) behind`).MatchString(d) {
		t.Fatalf("problem %v: want about 2 minutes behind named", p)
	}
	r := e.do(req{method: http.MethodGet, path: "/readyz"})
	ready := r.JSON(t)
	if r.Status != http.StatusOK || ready["status"] != "degraded" || ready["checks"].(map[string]any)["vendor_clock"] != "skewed" {
		t.Fatalf("readyz %d %v", r.Status, ready)
	}
	if !strings.Contains(e.logs.String(), "clock") {
		t.Fatal("the skew was not logged")
	}
}

// TestNXCloudCodes: every published code, and one it does not publish,
// each with the vendor's trace id kept.
func TestNXCloudCodes(t *testing.T) {
	e := newEnv(t)
	sim := nxSim(e.sb, tenantNX)
	for _, tc := range []struct {
		code   string
		status int
		want   string
	}{
		{"1001", 502, "VENDOR_ERROR"},
		{"1002", 422, "VENDOR_REJECTED"},
		{"1003", 502, "VENDOR_AUTH_FAILED"},
		{"1004", 502, "VENDOR_CLOCK_SKEW"},
		{"1005", 502, "VENDOR_AUTH_FAILED"},
		{"4242", 502, "VENDOR_ERROR"},
	} {
		sim.InjectFault(vendortest.Fault{PathPrefix: "/saas/cdp/openapi/customers/query", Times: 1, Status: 200, ContentType: "application/json",
			Body: `{"code":` + tc.code + `,"message":"x","data":null,"traceId":"trace` + tc.code + `"}`})
		p := e.nx(http.MethodGet, "/v1/contacts?limit=1", nil).problem(t, tc.status, tc.want)
		if p["vendor_code"] != tc.code || p["vendor_trace_id"] != "trace"+tc.code {
			t.Errorf("%s: %v", tc.code, p)
		}
	}
	for _, f := range []vendortest.Fault{
		{Status: 200, ContentType: "text/html", Body: "<html>维护中</html>"},
		{Status: 200, ContentType: "application/json", Body: `{"code":0,"data":{"paging":{`},
	} {
		f.PathPrefix, f.Times = "/saas/cdp/openapi/customers/query", 1
		sim.InjectFault(f)
		e.nx(http.MethodGet, "/v1/contacts?limit=1", nil).problem(t, http.StatusBadGateway, "VENDOR_BAD_RESPONSE")
	}
	sim.InjectFault(vendortest.Fault{PathPrefix: "/saas/cdp/openapi/customers/query", Times: 1, Status: 503, ContentType: "text/html", Body: "busy"})
	e.nx(http.MethodGet, "/v1/contacts?limit=1", nil).problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
}

// TestNXCloudContacts: get, filters, create, batch in chunks of 100 and
// fields, checked at the vendor.
func TestNXCloudContacts(t *testing.T) {
	e := newEnv(t)
	sim := nxSim(e.sb, tenantNX)
	var c nxcloudtest.Customer
	for _, cu := range sim.Customers() {
		if cu.Email != "" && cu.WhatsAppPhone != "" && len(cu.TagIDs) > 0 {
			c = cu
			break
		}
	}
	if c.ID == 0 {
		t.Fatal("no demo customer with an email, a WhatsApp number and a tag")
	}
	got := e.nx(http.MethodGet, "/v1/contacts/"+nxID(c.ID)+"?include=raw", nil)
	if body := got.ok(t, http.StatusOK); body["id"] != nxID(c.ID) || body["email"] != c.Email || body["whatsapp_phone"] != c.WhatsAppPhone ||
		!strings.Contains(string(got.Body), `"id":`+strconv.FormatInt(c.ID, 10)) {
		t.Fatalf("contact %s", got.Body)
	}
	e.nx(http.MethodGet, "/v1/contacts/nx_1", nil).problem(t, http.StatusNotFound, "NOT_FOUND")
	for _, q := range []string{
		"email=" + url.QueryEscape(c.Email),
		"whatsapp_phone=" + c.WhatsAppPhone,
		"tag_id=" + nxID(c.TagIDs[0]),
		"email=" + url.QueryEscape(c.Email) + "&whatsapp_phone=" + c.WhatsAppPhone,
	} {
		ids := e.listAll(tenantNX, "/v1/contacts?"+q, 50)
		if !slices.Contains(ids, nxID(c.ID)) {
			t.Fatalf("%s: %v lacks %s", q, ids, nxID(c.ID))
		}
	}
	e.nx(http.MethodGet, "/v1/contacts?group_id=nx_1", nil).problem(t, http.StatusNotImplemented, "UNSUPPORTED_FILTER")

	created := e.nx(http.MethodPost, "/v1/contacts", map[string]any{"name": "张三", "first_name": "三", "whatsapp_phone": "8613800009999", "email": "zhangsan.nx@example.com", "birthday": "1990-05-10", "gender": "male"}).ok(t, http.StatusCreated)
	id, _ := strconv.ParseInt(strings.TrimPrefix(created["id"].(string), "nx_"), 10, 64)
	if cu, ok := sim.Customer(id); !ok || cu.WhatsAppPhone != "8613800009999" || cu.Birthday != "1990-05-10" || cu.Gender == nil || *cu.Gender != 1 {
		t.Fatalf("created %v; the vendor has %+v", created, cu)
	}
	e.nx(http.MethodPost, "/v1/contacts", map[string]any{"name": "again", "whatsapp_phone": "8613800009999"}).problem(t, http.StatusConflict, "ALREADY_EXISTS")

	items := make([]any, 101)
	for i := range items {
		items[i] = map[string]any{"name": "批量" + itoa(i), "whatsapp_phone": "86139" + strconv.Itoa(10000000+i)}
	}
	before := sim.Calls("/saas/cdp/openapi/customers/batch_create")
	b := e.nx(http.MethodPost, "/v1/contacts/batch", map[string]any{"on_conflict": "merge", "items": items}).ok(t, http.StatusOK)
	if n := sim.Calls("/saas/cdp/openapi/customers/batch_create") - before; n != 2 {
		t.Fatalf("%d batch_create calls for 101 contacts, want 2", n)
	}
	for i, r := range b["results"].([]any) {
		if r := r.(map[string]any); r["status"] != "created" || r["id"] == nil {
			t.Fatalf("item %d: %v", i, r)
		}
	}

	fields := e.nx(http.MethodGet, "/v1/fields", nil).ok(t, http.StatusOK)["data"].([]any)
	if len(fields) == 0 || !strings.HasPrefix(fields[0].(map[string]any)["key"].(string), "customize_") {
		t.Fatalf("fields %v", fields)
	}
}

// TestNXCloudSwitch: demo-switch moved to NXCloud is served by it.
func TestNXCloudSwitch(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll, body: map[string]any{"vendor": "nxcloud"}}).ok(t, http.StatusOK)
	r := e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=2", key: keyAll, tenant: tenantSwitch})
	data := r.ok(t, http.StatusOK)["data"].([]any)
	if r.Header.Get("X-Vendor") != "nxcloud" || len(data) != 2 || !strings.HasPrefix(data[0].(map[string]any)["id"].(string), "nx_") {
		t.Fatalf("after the switch: %s %v", r.Header.Get("X-Vendor"), data)
	}
}

// TestNXCloudPassthrough: a signed raw call within the CDP family, the
// connection's account forced; anything else refused.
func TestNXCloudPassthrough(t *testing.T) {
	e := newEnv(t)
	pt := e.nx(http.MethodPost, "/v1/passthrough", map[string]any{"method": "POST", "path": "/saas/cdp/openapi/customers/query",
		"body": map[string]any{"limit": 1, "tenant_id": 999, "app_key": "someone-else"}}).ok(t, http.StatusOK)
	body := pt["body"].(map[string]any)
	if pt["status"] != float64(200) || body["code"] != float64(0) || len(body["data"].(map[string]any)["customer_list"].([]any)) != 1 {
		t.Fatalf("passthrough %v", pt)
	}
	e.nx(http.MethodPost, "/v1/passthrough", map[string]any{"method": "GET", "path": "/saas/other"}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
}
