package meihua_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	good := meihua.Config{AppKey: appKey, AppSecret: appSecret, RedirectURI: redirectURI}
	tests := []struct {
		name string
		mod  func(*meihua.Config)
	}{
		{"base url without scheme", func(c *meihua.Config) { c.BaseURL = "api.m1world.com/v2" }},
		{"base url with a query", func(c *meihua.Config) { c.BaseURL = "http://api.m1world.com/v2?a=1" }},
		{"auth url of another scheme", func(c *meihua.Config) { c.AuthURL = "ftp://auth2.m1world.com" }},
		{"auth url without host", func(c *meihua.Config) { c.AuthURL = "http://" }},
		{"relative redirect uri", func(c *meihua.Config) { c.RedirectURI = "/callback" }},
		{"no app key", func(c *meihua.Config) { c.AppKey = "" }},
		{"no app secret", func(c *meihua.Config) { c.AppSecret = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.mod(&cfg)
			ad, err := meihua.New(cfg)
			if err == nil || ad != nil {
				t.Fatalf("New = %v, %v; want an error", ad, err)
			}
			if strings.Contains(err.Error(), appSecret) {
				t.Errorf("error %q shows the app secret", err)
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		ad, err := meihua.New(good)
		if err != nil {
			t.Fatal(err)
		}
		if ad.Vendor() != meihua.Driver.Vendor {
			t.Errorf("Vendor() = %q", ad.Vendor())
		}
		if ad.BatchSize() != 1000 || ad.MemberBatchSize() != 1000 {
			t.Errorf("batch sizes %d, %d; want 1000 (one add)", ad.BatchSize(), ad.MemberBatchSize())
		}
		u, redirect := ad.AuthorizeURL("s")
		if !strings.HasPrefix(u, meihua.DefaultAuthURL+"/authorize?") || redirect != redirectURI {
			t.Errorf("AuthorizeURL = %q, %q", u, redirect)
		}
	})
}

// The capabilities follow from the ports the adapter implements: what the
// Meihua docs offer, and nothing else.
func TestCapabilities(t *testing.T) {
	t.Parallel()
	ad, err := meihua.New(meihua.Config{AppKey: appKey, AppSecret: appSecret, RedirectURI: redirectURI})
	if err != nil {
		t.Fatal(err)
	}
	caps := domain.CapabilitiesOf(ad)
	want := map[domain.Operation]bool{
		domain.OpListContacts: true, domain.OpGetContact: true, domain.OpCreateContact: true, domain.OpUpdateContact: true,
		domain.OpDeleteContact: true, domain.OpBatchUpsertContacts: true, domain.OpListContactGroups: true,
		domain.OpListTags: true, domain.OpCreateTag: true,
		domain.OpListGroups: true, domain.OpGetGroup: true, domain.OpCreateGroup: true, domain.OpDeleteGroup: true,
		domain.OpListGroupMembers: true, domain.OpAddGroupMembers: true,
		domain.OpListFields: true, domain.OpCreateField: true, domain.OpPassthrough: true,
	}
	for _, op := range domain.Operations() {
		if caps.Operations[op] != want[op] {
			t.Errorf("%s supported = %v, want %v", op, caps.Operations[op], want[op])
		}
	}
	if !slices.Equal(caps.ContactFilters, []string{"group_id"}) {
		t.Errorf("contact filters %v", caps.ContactFilters)
	}
	if !slices.Equal(caps.IfMatch, []domain.Operation{domain.OpUpdateContact, domain.OpDeleteContact}) {
		t.Errorf("If-Match operations %v", caps.IfMatch)
	}
	if _, ok := any(ad).(domain.Authorizer); !ok {
		t.Error("the adapter is not a domain.Authorizer")
	}
	if _, ok := any(ad).(domain.GroupContactsDeleter); !ok {
		t.Error("the adapter is not a domain.GroupContactsDeleter")
	}
}

// Every call carries the access token in its query, and nothing else of
// the connection's secrets.
func TestTokenInQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
	reqs := e.requests("/contact/tag/all")
	if len(reqs) != 1 {
		t.Fatalf("%d requests to /contact/tag/all", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodGet || r.Query.Get("token") == "" || len(r.Body) != 0 {
		t.Errorf("request %s %s body %q: want a GET with the token in the query", r.Method, r.RawQuery, r.Body)
	}
	if strings.Contains(r.RawQuery, appSecret) {
		t.Errorf("API query %q holds the app secret", r.RawQuery)
	}
	if r.Query.Get("page") != "1" || r.Query.Get("limit") != "5" {
		t.Errorf("paging parameters %q", r.RawQuery)
	}
}

// Every documented error code, as the simulator answers it, maps to its
// kind; E10104's Retry-After runs to the end of the clock hour.
func TestErrorCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  string
		kind  domain.VendorErrorKind
		retry bool
	}{
		{meihuatest.CodeServerError, domain.VendorUnavailable, false},
		{meihuatest.CodeNoPermission, domain.VendorAuth, false},
		{meihuatest.CodeMissingParameter, domain.VendorRejected, false},
		{meihuatest.CodeFreeCap, domain.VendorLimit, false},
		{meihuatest.CodeGoldExpiredCap, domain.VendorLimit, false},
		{meihuatest.CodeGoldCap, domain.VendorLimit, false},
		{meihuatest.CodeDiamondExpiredCap, domain.VendorLimit, false},
		{meihuatest.CodeTooManyContacts, domain.VendorRejected, false},
		{meihuatest.CodeRateLimited, domain.VendorRateLimited, true},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.clock.Set(time.Date(2025, 6, 1, 9, 59, 30, 0, time.UTC))
			e.sim.FailNext(tt.code)
			_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5})
			ve := e.WantVendor(err, tt.kind)
			if ve.Code != tt.code {
				t.Errorf("code %q, want %q", ve.Code, tt.code)
			}
			if tt.retry && ve.RetryAfter != 30*time.Second {
				t.Errorf("Retry-After %v, want 30s (to the end of the hour)", ve.RetryAfter)
			}
			if strings.Contains(ve.Detail, meihuatest.Message(tt.code)) {
				t.Errorf("detail %q repeats the vendor's message", ve.Detail)
			}
		})
	}
}

// The hourly budget, spent for real on the simulator.
func TestHourlyBudgetSpent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *envConfig) { c.sim.CallsPerHour = 2 })
	e.clock.Set(time.Date(2025, 6, 1, 9, 15, 0, 0, time.UTC))
	for range 2 {
		_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		e.Must(err)
	}
	_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorRateLimited)
	if ve.Code != meihuatest.CodeRateLimited || ve.RetryAfter != 45*time.Minute {
		t.Errorf("code %s, Retry-After %v; want E10104, 45m", ve.Code, ve.RetryAfter)
	}
	e.clock.Advance(45 * time.Minute) // the next hour: a new budget
	_, err = e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
}

// Answers that are not the documented envelope.
func TestUnusableAnswers(t *testing.T) {
	t.Parallel()
	json := "application/json;charset=UTF-8"
	tests := []struct {
		name   string
		fault  vendortest.Fault
		kind   domain.VendorErrorKind
		code   string
		status int
	}{
		{"unknown code", vendortest.Fault{Status: 200, ContentType: json, Body: `{"success":false,"code":"E99999","msg":"x"}`}, domain.VendorUnknown, "E99999", 200},
		{"code under errorCode", vendortest.Fault{Status: 200, ContentType: json, Body: `{"success":false,"errorCode":"E10103"}`}, domain.VendorRejected, "E10103", 200},
		{"code in the message", vendortest.Fault{Status: 200, ContentType: json, Body: `{"success":false,"msg":"E10102:无权限访问API"}`}, domain.VendorAuth, "E10102", 200},
		{"failure without a code", vendortest.Fault{Status: 200, ContentType: json, Body: `{"success":false,"msg":"出错了"}`}, domain.VendorUnknown, "", 200},
		{"no success flag", vendortest.Fault{Status: 200, ContentType: json, Body: `{"data":{}}`}, domain.VendorBadResponse, "", 200},
		{"html page", vendortest.Fault{Status: 200, ContentType: "text/html", Body: "<html>maintenance</html>"}, domain.VendorBadResponse, "", 200},
		{"no content type", vendortest.Fault{Status: 200, Body: `{"success":true,"data":{"total":0,"tags":[]}}`}, domain.VendorBadResponse, "", 200},
		{"truncated json", vendortest.Fault{Status: 200, ContentType: json, Body: `{"success":true,"data":{"total":1,"tags":[{"id":`}, domain.VendorBadResponse, "", 200},
		{"list of another shape", vendortest.Fault{Status: 200, ContentType: json, Body: `{"success":true,"data":{"tags":{"id":1}}}`}, domain.VendorBadResponse, "", 200},
		{"502 html", vendortest.Fault{Status: 502, ContentType: "text/html", Body: "<html>bad gateway</html>"}, domain.VendorUnavailable, "", 502},
		{"504", vendortest.Fault{Status: 504}, domain.VendorTimeout, "", 504},
		{"500 with a code", vendortest.Fault{Status: 500, ContentType: json, Body: `{"success":false,"code":"E10001"}`}, domain.VendorUnavailable, "E10001", 500},
		{"429 with retry-after", vendortest.Fault{Status: 429, Header: http.Header{"Retry-After": {"7"}}}, domain.VendorRateLimited, "", 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			f := tt.fault
			f.PathPrefix = "/contact/tag/all"
			e.sim.InjectFault(f)
			_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5})
			ve := e.WantVendor(err, tt.kind)
			if ve.Code != tt.code || ve.Status != tt.status {
				t.Errorf("code %q status %d, want %q %d", ve.Code, ve.Status, tt.code, tt.status)
			}
			if tt.kind == domain.VendorRateLimited && ve.RetryAfter != 7*time.Second {
				t.Errorf("Retry-After %v, want the vendor's 7s", ve.RetryAfter)
			}
			if strings.Contains(ve.Detail, "<html>") || strings.Contains(ve.Detail, "出错了") {
				t.Errorf("detail %q repeats the vendor's body", ve.Detail)
			}
		})
	}
}

// A base URL that misses the API answers 404: a configuration error, not
// a missing record.
func TestWrongBaseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.newAdapter(func(c *meihua.Config) { c.BaseURL = e.base + "/v9" })
	_, err := ad.GetContact(t.Context(), "1")
	e.WantVendor(err, domain.VendorEndpointNotFound)
}

// A transport failure names no URL: URLs carry the token.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.InjectFault(vendortest.Fault{PathPrefix: "/contact/", Drop: true, Times: 2})
	_, err := e.ad.ListContacts(t.Context(), domain.ContactQuery{}, domain.PageRequest{Limit: 5})
	e.WantVendor(err, domain.VendorUnavailable)
	if strings.Contains(err.Error(), "token=") || strings.Contains(err.Error(), e.base) {
		t.Errorf("error %q shows the URL", err)
	}
}
