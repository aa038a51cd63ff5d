package nxcloud_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Every request carries the common headers, signed; the simulator checks
// the signature, so a call that succeeds was signed right.
func TestRequestsAreSigned(t *testing.T) {
	t.Parallel()
	for _, algorithm := range []string{"", nxcloud.AlgorithmMD5, nxcloud.AlgorithmSHA256} {
		t.Run("algorithm "+algorithm, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *envConfig) { c.ad.Algorithm = algorithm })
			seedCustomers(e, 2)
			before := time.Now()
			_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{Q: "王"}, domain.PageRequest{Limit: 5})
			e.Must(err)
			_, err = e.ad.ListFields(context.Background(), domain.PageRequest{Limit: 5})
			e.Must(err)
			if n := e.sim.SignatureFailures(); n != 0 {
				t.Fatalf("%d signatures refused", n)
			}
			for _, r := range e.sim.Requests() {
				h := r.Header
				if h.Get("accessKey") != accessKey || h.Get("bizType") != "2" || h.Get("action") != "mt" || len(h.Get("sign")) == 0 {
					t.Fatalf("%s headers %v", r.Path, h)
				}
				ts, err := strconv.ParseInt(h.Get("ts"), 10, 64)
				if err != nil || len(h.Get("ts")) != 13 || ts < before.Add(-time.Minute).UnixMilli() || ts > time.Now().Add(time.Minute).UnixMilli() {
					t.Fatalf("ts %q is not the adapter's time in epoch milliseconds", h.Get("ts"))
				}
				switch got := h.Get("algorithm"); algorithm {
				case nxcloud.AlgorithmSHA256:
					if got != "sha256" || len(h.Get("sign")) != 64 {
						t.Fatalf("algorithm %q, sign %q", got, h.Get("sign"))
					}
				default:
					if got != "" || len(h.Get("sign")) != 32 {
						t.Fatalf("algorithm header %q with md5, sign %q", got, h.Get("sign"))
					}
				}
				if strings.Contains(r.RawQuery+string(r.Body), accessSecret) || strings.Contains(strings.Join(headerValues(h), " "), accessSecret) {
					t.Fatal("the access secret was sent")
				}
				if r.Method == http.MethodPost && !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
					t.Fatalf("content type %q", h.Get("Content-Type"))
				}
			}
		})
	}
}

func headerValues(h http.Header) []string {
	var out []string
	for _, vs := range h {
		out = append(out, vs...)
	}
	return out
}

// A body changed after signing is refused (1003), which the adapter
// answers as an authentication failure that names the secret setting.
func TestTamperedBodyIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tamper.Store(true)
	_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorAuth)
	if ve.Code != "1003" || ve.TraceID == "" || !strings.Contains(ve.Detail, "access_secret") {
		t.Fatalf("error %+v", ve)
	}
	if n := e.sim.SignatureFailures(); n != 1 {
		t.Fatalf("%d signature failures, want 1", n)
	}
	e.tamper.Store(false)
	_, err = e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
}

func TestWrongSecretIsAnAuthFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.newAdapter(func(c *nxcloud.Config) { c.AccessSecret = "nx-SECRET-wrong-0000" })
	_, err := ad.ListFields(context.Background(), domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorAuth)
	if ve.Code != "1003" || strings.Contains(err.Error(), "nx-SECRET-wrong-0000") {
		t.Fatalf("error %v", err)
	}
	ad = e.newAdapter(func(c *nxcloud.Config) { c.AccessKey = "someone-else" })
	_, err = ad.ListFields(context.Background(), domain.PageRequest{Limit: 5})
	if ve := e.WantVendor(err, domain.VendorAuth); ve.Code != "1005" {
		t.Fatalf("error %+v", ve)
	}
	ad = e.newAdapter(func(c *nxcloud.Config) { c.TenantID = 777 })
	_, err = ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	if ve := e.WantVendor(err, domain.VendorAuth); ve.Code != "1005" {
		t.Fatalf("error %+v", ve)
	}
}

func TestClockSkew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		offset time.Duration
		words  string
	}{
		{"ahead", 2 * time.Minute, "2m0s ahead of"},
		{"behind", -2 * time.Minute, "2m0s behind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			if _, ok := e.ad.ClockSkew(); ok {
				t.Fatal("a clock offset measured before any call")
			}
			e.setClockOffset(tc.offset)
			_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
			ve := e.WantVendor(err, domain.VendorClockSkew)
			if ve.Code != "1004" || ve.TraceID == "" || ve.Status != http.StatusOK {
				t.Fatalf("error %+v", ve)
			}
			// The Date header has whole seconds: the detail names the
			// offset rounded to them, give or take one.
			if !strings.Contains(ve.Detail, tc.words) && !strings.Contains(ve.Detail, strings.Replace(tc.words, "2m0s", "2m1s", 1)) &&
				!strings.Contains(ve.Detail, strings.Replace(tc.words, "2m0s", "1m59s", 1)) {
				t.Fatalf("detail %q does not name the offset (%s)", ve.Detail, tc.words)
			}
			if !strings.Contains(ve.Detail, "NTP") {
				t.Fatalf("detail %q does not tell the operator what to do", ve.Detail)
			}
			skew, ok := e.ad.ClockSkew()
			if !ok || (skew-tc.offset).Abs() > 5*time.Second {
				t.Fatalf("ClockSkew %v (measured %v), want about %v", skew, ok, tc.offset)
			}
			// More refusals log no more than the first did.
			for range 3 {
				_, err := e.ad.ListFields(context.Background(), domain.PageRequest{Limit: 5})
				e.WantVendor(err, domain.VendorClockSkew)
			}
			lines, err := e.logs.JSONLines()
			if err != nil {
				t.Fatal(err)
			}
			warnings := 0
			for _, l := range lines {
				if l["level"] == "WARN" {
					warnings++
				}
			}
			if warnings == 0 || warnings > 2 {
				t.Fatalf("%d warnings about the clock in %d lines: want one or two, not one per call\n%s", warnings, len(lines), e.logs.String())
			}
			// Fixed: calls go through, the offset measured is small again.
			e.setClockOffset(0)
			_, err = e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
			e.Must(err)
			if skew, ok := e.ad.ClockSkew(); !ok || skew.Abs() > 5*time.Second {
				t.Fatalf("ClockSkew %v after the fix", skew)
			}
		})
	}
}

// A clock within the vendor's window is measured and logged once.
func TestClockMeasuredOnEveryAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setClockOffset(40 * time.Second) // inside NXCloud's 60 s, beyond the gateway's 30 s warning
	for range 3 {
		_, err := e.ad.ListFields(context.Background(), domain.PageRequest{Limit: 5})
		e.Must(err)
	}
	skew, ok := e.ad.ClockSkew()
	if !ok || (skew-40*time.Second).Abs() > 5*time.Second {
		t.Fatalf("ClockSkew %v %v", skew, ok)
	}
	if n := strings.Count(e.logs.String(), `"level":"WARN"`); n != 1 {
		t.Fatalf("%d warnings, want 1:\n%s", n, e.logs.String())
	}
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		code int
		kind domain.VendorErrorKind
	}{
		{1001, domain.VendorUnknown},
		{1002, domain.VendorRejected},
		{1003, domain.VendorAuth},
		{1004, domain.VendorClockSkew},
		{1005, domain.VendorAuth},
		{4711, domain.VendorUnknown},
	} {
		trace := "trace-" + strconv.Itoa(tc.code)
		e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathQuery, Status: http.StatusOK, ContentType: "application/json;charset=UTF-8",
			Body: envelope(tc.code, trace, "null")})
		_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
		ve := e.WantVendor(err, tc.kind)
		if ve.Code != strconv.Itoa(tc.code) || ve.TraceID != trace || ve.Status != http.StatusOK {
			t.Errorf("code %d: error %+v", tc.code, ve)
		}
		if strings.Contains(ve.Detail, `"m"`) || ve.Detail == "m" {
			t.Errorf("code %d: the vendor's message reached the detail %q", tc.code, ve.Detail)
		}
	}
	// The code may come as a string; data of another shape does not hide it.
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathQuery, Status: http.StatusOK, ContentType: "application/json",
		Body: `{"code":"1002","message":"bad","traceId":"t-s","data":"oops"}`})
	_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	if ve := e.WantVendor(err, domain.VendorRejected); ve.Code != "1002" || ve.TraceID != "t-s" {
		t.Fatalf("error %+v", ve)
	}
}

func TestUnusableAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name  string
		fault vendortest.Fault
		kind  domain.VendorErrorKind
		trace string // the trace id the error keeps: what a reader finds before anything goes wrong
	}{
		{"html 200", vendortest.Fault{Status: 200, ContentType: "text/html", Body: "<html>maintenance</html>"}, domain.VendorBadResponse, ""},
		{"truncated json", vendortest.Fault{Status: 200, ContentType: "application/json", Body: `{"code":0,"traceId":"t","data":{"customer_list":[{"id":1`}, domain.VendorBadResponse, "t"},
		{"no content type", vendortest.Fault{Status: 200, Body: `{"code":0,"data":null}`}, domain.VendorBadResponse, ""},
		{"no code", vendortest.Fault{Status: 200, ContentType: "application/json", Body: `{"traceId":"t","data":{"customer_list":[]}}`}, domain.VendorBadResponse, "t"},
		{"list of another shape", vendortest.Fault{Status: 200, ContentType: "application/json", Body: envelope(0, "t", `{"customer_list":{"id":1}}`)}, domain.VendorBadResponse, "t"},
		{"customer without id", vendortest.Fault{Status: 200, ContentType: "application/json", Body: envelope(0, "t", `{"customer_list":[{"email":"a@b"}]}`)}, domain.VendorBadResponse, "t"},
		{"502 html", vendortest.Fault{Status: 502, ContentType: "text/html", Body: "<html>bad gateway</html>"}, domain.VendorUnavailable, ""},
		{"503 empty", vendortest.Fault{Status: 503}, domain.VendorUnavailable, ""},
		{"500 with the simulator's system error", vendortest.Fault{Status: 500, ContentType: "application/json", Body: envelope(500, "t5", "null")}, domain.VendorUnavailable, "t5"},
		{"504", vendortest.Fault{Status: 504}, domain.VendorTimeout, ""},
		{"404 of a wrong base url", vendortest.Fault{Status: 404, ContentType: "text/html", Body: "<html>not found</html>"}, domain.VendorEndpointNotFound, ""},
		{"dropped", vendortest.Fault{Drop: true, Times: 2}, domain.VendorUnavailable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fault
			f.PathPrefix = nxcloudtest.PathQuery
			e.sim.InjectFault(f)
			_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
			ve := e.WantVendor(err, tc.kind)
			if strings.Contains(ve.Detail, "<html>") {
				t.Fatalf("detail %q carries the vendor's page", ve.Detail)
			}
			if ve.TraceID != tc.trace {
				t.Fatalf("trace id %q, want %q", ve.TraceID, tc.trace)
			}
			e.sim.ClearFaults()
		})
	}
	// A documented code keeps its meaning under a 5xx status, and does not
	// count as a vendor failure.
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathQuery, Status: 500, ContentType: "application/json", Body: envelope(1002, "t-5", "null")})
	_, err := e.ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	if ve := e.WantVendor(err, domain.VendorRejected); ve.Code != "1002" || ve.Status != 500 || ve.TraceID != "t-5" {
		t.Fatalf("error %+v", ve)
	}
	// The simulator's own 404 for a path it does not serve, through
	// passthrough, which answers the vendor's status as it is.
	res, err := e.ad.Passthrough(context.Background(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/saas/cdp/openapi/nothing"})
	e.Must(err)
	if res.Status != http.StatusNotFound {
		t.Fatalf("passthrough to an unknown path: %d", res.Status)
	}
}

// A retried call is signed again with a new ts over the same bytes.
func TestRetrySignsAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) {
		c.ad.Client.Retry = vendorhttp.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}
	})
	seedCustomers(e, 3)
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathQuery, Status: 503})
	// An adapter clock that moves a millisecond per reading, so that the
	// retry's ts differs from the first attempt's whatever the timing.
	var tick atomic.Int64
	e.cfg.Now = func() time.Time { return time.Now().Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	ad := e.newAdapter(nil)
	p, err := ad.ListContacts(context.Background(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
	if len(p.Items) != 3 {
		t.Fatalf("%d contacts", len(p.Items))
	}
	reqs := e.requests(nxcloudtest.PathQuery)
	if len(reqs) != 2 {
		t.Fatalf("%d attempts, want 2", len(reqs))
	}
	if string(reqs[0].Body) != string(reqs[1].Body) {
		t.Fatalf("bodies differ: %s / %s", reqs[0].Body, reqs[1].Body)
	}
	if reqs[0].Header.Get("ts") == reqs[1].Header.Get("ts") || reqs[0].Header.Get("sign") == reqs[1].Header.Get("sign") {
		t.Fatal("the retry reused the first attempt's ts and sign")
	}
}

func TestListFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddField(nxcloudtest.Field{Name: "customize_1_101", Label: "会员号", Type: nxcloudtest.FieldText})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_2_102", Label: "积分", Type: nxcloudtest.FieldNumber})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_3_103", Label: "首购日期", Type: nxcloudtest.FieldDate})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_4_104", Label: "兴趣", Type: nxcloudtest.FieldMultiSelect, Options: []string{"美妆", "数码"}})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_5_105", Label: "等级", Type: nxcloudtest.FieldSelect, Options: []string{"A", "B"}})
	p, err := e.ad.ListFields(context.Background(), domain.PageRequest{Limit: 200})
	e.Must(err)
	want := []domain.FieldDef{
		{ID: "customize_1_101", Key: "customize_1_101", Label: "会员号", Type: domain.FieldTypeText},
		{ID: "customize_2_102", Key: "customize_2_102", Label: "积分", Type: domain.FieldTypeNumber},
		{ID: "customize_3_103", Key: "customize_3_103", Label: "首购日期", Type: domain.FieldTypeDate},
		{ID: "customize_4_104", Key: "customize_4_104", Label: "兴趣", Type: domain.FieldTypeMultiSelect, Options: []string{"美妆", "数码"}},
		// A select's value is an array of at most one option: no canonical
		// type takes exactly that, so it is not checked.
		{ID: "customize_5_105", Key: "customize_5_105", Label: "等级", Type: domain.FieldTypeUnknown, Options: []string{"A", "B"}},
	}
	if len(p.Items) != len(want) || p.Next != "" {
		t.Fatalf("fields %+v (next %q), want %d custom fields", p.Items, p.Next, len(want))
	}
	for i, w := range want {
		g := p.Items[i]
		if g.ID != w.ID || g.Key != w.Key || g.Label != w.Label || g.Type != w.Type || strings.Join(g.Options, ",") != strings.Join(w.Options, ",") || g.Raw != nil {
			t.Errorf("field %d: %+v, want %+v", i, g, w)
		}
	}
	r := e.requests(nxcloudtest.PathFields)[0]
	if r.Method != http.MethodGet || r.Query.Get("tenant_id") != idStr(tenantID) || r.Query.Get("app_key") != appKey || r.Query.Get("is_preset") != "0" || len(r.Body) != 0 {
		t.Fatalf("fields request %s %s body %q", r.Method, r.RawQuery, r.Body)
	}
	// Paged out of the whole list, and raw on request.
	p, err = e.ad.ListFields(domain.WithRaw(context.Background()), domain.PageRequest{Limit: 2})
	e.Must(err)
	if len(p.Items) != 2 || p.Next == "" || !strings.Contains(string(p.Items[0].Raw), "customize_1_101") {
		t.Fatalf("page %+v", p)
	}
}

func TestPassthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := seedCustomers(e, 3)
	res, err := e.ad.Passthrough(context.Background(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/saas/cdp/openapi/customers/query",
		Body: json.RawMessage(`{"limit": 2, "tenant_id": 1, "after": ` + ids[0] + `}`)})
	e.Must(err)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"id":`+ids[1]) || !strings.Contains(string(res.Body), `"code":0`) {
		t.Fatalf("passthrough answer %d %s", res.Status, res.Body)
	}
	b := e.lastBody(nxcloudtest.PathQuery)
	if b["tenant_id"] != json.Number(idStr(tenantID)) || b["app_key"] != appKey || b["after"] != json.Number(ids[0]) {
		t.Fatalf("passthrough body %v: the connection's tenant and app key, the caller's exact cursor", b)
	}
	res, err = e.ad.Passthrough(context.Background(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/saas/cdp/openapi/customers/fields",
		Query: map[string][]string{"is_preset": {"1"}, "app_key": {"other"}}})
	e.Must(err)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "first_name") {
		t.Fatalf("passthrough answer %d %s", res.Status, res.Body)
	}
	for _, path := range []string{"/saas/cdp/openapiX", "/sms/send", "/saas/cdp/openapi/../x", "https://evil.example/saas/cdp/openapi"} {
		_, err := e.ad.Passthrough(context.Background(), domain.PassthroughRequest{Method: http.MethodGet, Path: path})
		e.WantValidation(err, "body.path")
	}
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathQuery, Status: 200, ContentType: "text/html", Body: "<html></html>"})
	_, err = e.ad.Passthrough(context.Background(), domain.PassthroughRequest{Method: http.MethodPost, Path: nxcloudtest.PathQuery, Body: json.RawMessage(`{}`)})
	e.WantVendor(err, domain.VendorBadResponse)
	if n := e.sim.SignatureFailures(); n != 0 {
		t.Fatalf("%d passthrough calls badly signed", n)
	}
}
