package miaokol_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	good := miaokol.Config{AppID: appID, AppSecret: appSecret}
	tests := []struct {
		name string
		mod  func(*miaokol.Config)
	}{
		{"base url without scheme", func(c *miaokol.Config) { c.BaseURL = "oapi-yzj.miaokol.com" }},
		{"base url with a query", func(c *miaokol.Config) { c.BaseURL = "https://oapi-yzj.miaokol.com?a=1" }},
		{"base url with user info", func(c *miaokol.Config) { c.BaseURL = "https://u:p@oapi-yzj.miaokol.com" }},
		{"no app id", func(c *miaokol.Config) { c.AppID = "" }},
		{"no app secret", func(c *miaokol.Config) { c.AppSecret = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.mod(&cfg)
			ad, err := miaokol.New(cfg)
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
		ad, err := miaokol.New(good)
		if err != nil {
			t.Fatal(err)
		}
		if ad.Vendor() != miaokol.Driver.Vendor {
			t.Errorf("Vendor() = %q", ad.Vendor())
		}
		if st := ad.Status(); st.Breaker != "closed" || st.Token != "none" {
			t.Errorf("Status() = %+v before any call", st)
		}
	})
}

// The capabilities follow from the ports the adapter implements: what the
// Miaokol docs offer (smart tags), and nothing else.
func TestCapabilities(t *testing.T) {
	t.Parallel()
	ad, err := miaokol.New(miaokol.Config{AppID: appID, AppSecret: appSecret})
	if err != nil {
		t.Fatal(err)
	}
	caps := domain.CapabilitiesOf(ad)
	want := map[domain.Operation]bool{
		domain.OpListTags: true, domain.OpCreateTag: true, domain.OpRenameTag: true, domain.OpDeleteTag: true,
		domain.OpListTagGroups: true, domain.OpCreateTagGroup: true, domain.OpRenameTagGroup: true, domain.OpDeleteTagGroup: true,
		domain.OpSetContactTags: true, domain.OpPassthrough: true,
	}
	for _, op := range domain.Operations() {
		if caps.Operations[op] != want[op] {
			t.Errorf("%s supported = %v, want %v", op, caps.Operations[op], want[op])
		}
	}
	if len(caps.IfMatch) != 0 || len(caps.ContactFilters) != 0 {
		t.Errorf("If-Match %v, contact filters %v; want none", caps.IfMatch, caps.ContactFilters)
	}
}

// The token call is a JSON POST of the credentials; the token it answers
// serves every call after it, on this replica and on another sharing the
// token store.
func TestTokenIssuedOnceAndReused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for range 3 {
		_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
	}
	_, err := e.newAdapter(nil).ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
	e.Must(err)
	if n := e.sim.TokenCalls(); n != 1 {
		t.Fatalf("%d token calls, want 1", n)
	}
	tr := e.requests("/oauth/token")[0]
	if tr.Method != http.MethodPost || tr.RawQuery != "" || !strings.HasPrefix(tr.Header.Get("Content-Type"), "application/json") {
		t.Errorf("token request %s ?%s %q", tr.Method, tr.RawQuery, tr.Header.Get("Content-Type"))
	}
	body := bodyOf(t, tr)
	if body["app_id"] != appID || body["app_secret"] != appSecret || body["grant_type"] != "client_credential" || len(body) != 3 {
		t.Errorf("token request body %v", body)
	}
	var tokens []string
	for _, r := range e.requests("/smart-tag/list") {
		tokens = append(tokens, r.Query.Get("access_token"))
	}
	if len(tokens) != 4 || tokens[0] == "" || strings.Count(strings.Join(tokens, " "), tokens[0]) != 4 {
		t.Errorf("tokens sent %v, want one token four times", tokens)
	}
	if st := e.ad.Status(); st.Token != "cached" || !st.TokenExpires.Equal(e.clock.Now().Add(miaokoltest.DefaultTokenTTL)) {
		t.Errorf("Status() = %+v, want the token cached until 7200 s from now", st)
	}
}

// The token is replaced a minute before it expires, on the connection's
// clock.
func TestTokenRefreshedEarly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	list := func() {
		t.Helper()
		_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
	}
	list()
	e.clock.Advance(miaokoltest.DefaultTokenTTL - vendorhttp.TokenMargin - time.Second)
	list()
	if n := e.sim.TokenCalls(); n != 1 {
		t.Fatalf("%d token calls before the margin, want 1", n)
	}
	e.clock.Advance(2 * time.Second)
	list()
	if n := e.sim.TokenCalls(); n != 2 {
		t.Fatalf("%d token calls inside the margin, want 2", n)
	}
}

// A token Miaokol no longer takes (40001) is dropped: the call is sent
// once more with a new one and succeeds.
func TestTokenExpiredDuringUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("分组")
	_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
	e.Must(err)
	e.sim.ExpireTokens()
	got, err := e.ad.CreateTag(t.Context(), "新标签", idStr(g))
	e.Must(err)
	if got.Name != "新标签" || got.GroupID != idStr(g) {
		t.Errorf("tag %+v", got)
	}
	if n := e.sim.TokenCalls(); n != 2 {
		t.Errorf("%d token calls, want 2", n)
	}
	// The lookup was refused once and sent again with the new token.
	lists := e.requests("/smart-tag/list")
	if len(lists) != 3 || lists[1].Query.Get("access_token") == lists[2].Query.Get("access_token") {
		t.Errorf("%d list requests; want the one before and the lookup twice with different tokens", len(lists))
	}
	if adds := e.requests("/smart-tag/add"); len(adds) != 1 || bodyOf(t, adds[0])["access_token"] != lists[2].Query.Get("access_token") {
		t.Errorf("add requests %d, want 1 with the new token", len(adds))
	}
}

// A write whose token Miaokol refuses is sent again with a new one: the
// refusal took nothing.
func TestTokenRefusedOnWrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
	e.Must(err)
	e.sim.ExpireTokens()
	g, err := e.ad.CreateTagGroup(t.Context(), "客户分层")
	e.Must(err)
	if adds := e.requests("/smart-tag/add"); len(adds) != 2 || len(e.sim.Groups()) != 1 || e.sim.Groups()[0].ID != mustID(t, g.ID) {
		t.Errorf("%d add requests, groups %+v; want one refused and one done", len(adds), e.sim.Groups())
	}
}

// A token refused again after a new one was fetched is an auth failure,
// not a loop.
func TestTokenRefusedTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Times: 2, Status: http.StatusOK,
		ContentType: "application/json", Body: miaokoltest.ErrorJSON(miaokoltest.CodeInvalidToken, miaokoltest.MsgInvalidToken)})
	_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorAuth)
	if ve.Code != "40001" {
		t.Errorf("code %q, want 40001", ve.Code)
	}
	if n, m := e.sim.TokenCalls(), len(e.requests("/smart-tag/list")); n != 2 || m != 2 {
		t.Errorf("%d token calls and %d list calls, want 2 and 2", n, m)
	}
}

// A wrong app secret is the credentials' refusal, remembered for a while:
// the next call fails at once without asking Miaokol again.
func TestWrongSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ad := e.newAdapter(func(c *miaokol.Config) { c.AppSecret = "mk-WRONG-77aa01" })
	_, err := ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorAuth)
	if ve.Code != "40125" {
		t.Errorf("code %q, want 40125", ve.Code)
	}
	_, err = ad.CreateTagGroup(t.Context(), "x")
	e.WantVendor(err, domain.VendorAuth)
	if n := e.sim.TokenCalls(); n != 1 {
		t.Errorf("%d token calls, want 1 (the refusal remembered)", n)
	}
	if n := e.apiCalls(); n != 0 {
		t.Errorf("%d smart-tag calls without a token", n)
	}
	if strings.Contains(err.Error(), "mk-WRONG-77aa01") || strings.Contains(domain.SafeDetail(err), "mk-WRONG-77aa01") {
		t.Errorf("error %q shows the secret", err)
	}
	if st := ad.Status(); st.Token != "refused" {
		t.Errorf("Status().Token = %q, want refused", st.Token)
	}
}

// Token answers: both documented forms, the lifetime read as seconds, and
// every failure.
func TestTokenAnswers(t *testing.T) {
	t.Parallel()
	t.Run("forms", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			body func(tok string) string
			life time.Duration
		}{
			{"in data", func(tok string) string {
				return `{"errcode":0,"data":{"access_token":"` + tok + `","expires_in":3600}}`
			}, time.Hour},
			{"at the top level", func(tok string) string { return `{"access_token":"` + tok + `","expires_in":1800}` }, 30 * time.Minute},
			{"lifetime as a string", func(tok string) string {
				return `{"errcode":"0","data":{"access_token":"` + tok + `","expires_in":"600"}}`
			}, 10 * time.Minute},
			{"no lifetime", func(tok string) string { return `{"errcode":0,"data":{"access_token":"` + tok + `"}}` }, 7200 * time.Second},
			{"absurd lifetime", func(tok string) string {
				return `{"errcode":0,"data":{"access_token":"` + tok + `","expires_in":315360000}}`
			}, 7200 * time.Second},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				tok := e.sim.IssueToken()
				e.watch.Secret(tok)
				e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/oauth/token", Status: http.StatusOK, ContentType: "application/json", Body: tt.body(tok)})
				_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
				e.Must(err)
				if got := e.requests("/smart-tag/list")[0].Query.Get("access_token"); got != tok {
					t.Errorf("token sent %q, want the answered one", got)
				}
				if st := e.ad.Status(); !st.TokenExpires.Equal(e.clock.Now().Add(tt.life)) {
					t.Errorf("token expires %v, want %v from now", st.TokenExpires.Sub(e.clock.Now()), tt.life)
				}
			})
		}
	})
	t.Run("failures", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name  string
			fault miaokoltest.Fault
			kind  domain.VendorErrorKind
			code  string
		}{
			{"errcode 1", miaokoltest.Fault{Status: 200, ContentType: "application/json", Body: miaokoltest.ErrorJSON(1, "异常")}, domain.VendorAuth, "1"},
			{"wrong app id", miaokoltest.Fault{Status: 200, ContentType: "application/json", Body: miaokoltest.ErrorJSON(40013, "invalid appid")}, domain.VendorAuth, "40013"},
			{"401", miaokoltest.Fault{Status: 401, ContentType: "application/json", Body: `{}`}, domain.VendorAuth, ""},
			{"400", miaokoltest.Fault{Status: 400, ContentType: "text/plain", Body: "bad"}, domain.VendorAuth, ""},
			{"no token", miaokoltest.Fault{Status: 200, ContentType: "application/json", Body: `{"errcode":0,"data":{}}`}, domain.VendorBadResponse, ""},
			{"HTML", miaokoltest.Fault{Status: 200, ContentType: "text/html", Body: "<html>waf</html>"}, domain.VendorBadResponse, ""},
			{"truncated", miaokoltest.Fault{Status: 200, ContentType: "application/json", Body: `{"errcode":0,"data":{"access_tok`}, domain.VendorBadResponse, ""},
			{"404", miaokoltest.Fault{Status: 404, ContentType: "text/html", Body: "<html>nginx</html>"}, domain.VendorEndpointNotFound, ""},
			{"502", miaokoltest.Fault{Status: 502, ContentType: "text/html", Body: "<html>nginx</html>"}, domain.VendorUnavailable, ""},
			{"dropped", miaokoltest.Fault{Drop: true}, domain.VendorUnavailable, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				f := tt.fault
				f.PathPrefix, f.Times = "/oauth/token", 2 // a failed token call may be tried twice
				e.sim.InjectFault(f)
				_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
				if ve := e.WantVendor(err, tt.kind); ve.Code != tt.code {
					t.Errorf("code %q, want %q", ve.Code, tt.code)
				}
				if n := e.apiCalls(); n != 0 {
					t.Errorf("%d smart-tag calls without a token", n)
				}
			})
		}
	})
}

// Where each parameter goes: app_id and access_token in a GET's query,
// first in a POST's JSON body next to the call's parameters; the secret
// never leaves the token call.
func TestParameterPlacement(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 7})
	e.Must(err)
	g, err := e.ad.CreateTagGroup(t.Context(), "api分组")
	e.Must(err)

	list := e.requests("/smart-tag/list")[0]
	q := list.Query
	if list.Method != http.MethodGet || len(list.Body) != 0 || q.Get("app_id") != appID || q.Get("access_token") == "" ||
		q.Get("page") != "1" || q.Get("page_size") != "7" || q.Has("with_tags") || q.Has("id") || len(q) != 4 {
		t.Errorf("list request %s ?%s body %q", list.Method, list.RawQuery, list.Body)
	}
	add := e.requests("/smart-tag/add")[0]
	if add.RawQuery != "" || !strings.HasPrefix(add.Header.Get("Content-Type"), "application/json") {
		t.Errorf("add request ?%s %q", add.RawQuery, add.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(string(add.Body), `{"app_id":`) {
		t.Errorf("add body %s: want app_id first, as the docs' examples", add.Body)
	}
	body := bodyOf(t, add)
	if body["app_id"] != appID || body["access_token"] != q.Get("access_token") || body["name"] != "api分组" ||
		body["type"] != jsonNum(2) || body["id"] != jsonNum(0) || body["parent_id"] != nil || len(body) != 5 {
		t.Errorf("add body %v", body)
	}
	if g.Name != "api分组" || g.ID == "" || g.CreatedAt.IsZero() {
		t.Errorf("group %+v", g)
	}
	for _, r := range e.sim.Requests() {
		if r.Path != "/oauth/token" && (strings.Contains(string(r.Body), appSecret) || strings.Contains(r.RawQuery, appSecret)) {
			t.Errorf("%s %s carries the app secret", r.Method, r.Path)
		}
	}
}

// Every kind of failed answer, on a read and on a write; the vendor's
// errmsg is never shown.
func TestErrors(t *testing.T) {
	t.Parallel()
	const leak = "errmsg-LEAK-19f2"
	ctJSON := "application/json"
	tests := []struct {
		name      string
		fault     miaokoltest.Fault
		readKind  domain.VendorErrorKind
		writeKind domain.VendorErrorKind
		code      string
	}{
		{"errcode 1", miaokoltest.Fault{Status: 200, ContentType: ctJSON, Body: miaokoltest.ErrorJSON(1, "异常 "+leak)},
			domain.VendorUnknown, domain.VendorRejected, "1"},
		{"errcode 1 as a string", miaokoltest.Fault{Status: 200, ContentType: ctJSON, Body: `{"data":null,"errcode":"1","errmsg":"` + leak + `"}`},
			domain.VendorUnknown, domain.VendorRejected, "1"},
		{"unknown errcode", miaokoltest.Fault{Status: 200, ContentType: ctJSON, Body: miaokoltest.ErrorJSON(99999, leak)},
			domain.VendorUnknown, domain.VendorUnknown, "99999"},
		{"wrong app id", miaokoltest.Fault{Status: 200, ContentType: ctJSON, Body: miaokoltest.ErrorJSON(40013, leak)},
			domain.VendorAuth, domain.VendorAuth, "40013"},
		{"no errcode", miaokoltest.Fault{Status: 200, ContentType: ctJSON, Body: `{"data":[]}`},
			domain.VendorBadResponse, domain.VendorBadResponse, ""},
		{"HTML", miaokoltest.Fault{Status: 200, ContentType: "text/html", Body: "<html>" + leak + "</html>"},
			domain.VendorBadResponse, domain.VendorBadResponse, ""},
		{"no content type", miaokoltest.Fault{Status: 200, Body: `{"data":[],"errcode":0}`},
			domain.VendorBadResponse, domain.VendorBadResponse, ""},
		{"truncated JSON", miaokoltest.Fault{Status: 200, ContentType: ctJSON, Body: `{"data":[{"id":1,"na`},
			domain.VendorBadResponse, domain.VendorBadResponse, ""},
		{"500 HTML", miaokoltest.Fault{Status: 500, ContentType: "text/html", Body: "<html>" + leak + "</html>"},
			domain.VendorUnavailable, domain.VendorUnavailable, ""},
		{"503 JSON", miaokoltest.Fault{Status: 503, ContentType: ctJSON, Body: miaokoltest.ErrorJSON(1, leak)},
			domain.VendorUnavailable, domain.VendorUnavailable, "1"},
		{"404", miaokoltest.Fault{Status: 404, ContentType: "text/html", Body: "<html>" + leak + "</html>"},
			domain.VendorEndpointNotFound, domain.VendorEndpointNotFound, ""},
		{"429", miaokoltest.Fault{Status: 429, ContentType: ctJSON, Body: `{}`, Header: http.Header{"Retry-After": {"7"}}},
			domain.VendorRateLimited, domain.VendorRateLimited, ""},
		// Twice: Go's transport resends a request once on a reused
		// connection that closed before answering.
		{"dropped", miaokoltest.Fault{Drop: true, Times: 2},
			domain.VendorUnavailable, domain.VendorUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			g := e.sim.AddGroup("分组")
			check := func(err error, kind domain.VendorErrorKind) {
				t.Helper()
				ve := e.WantVendor(err, kind)
				if ve.Code != tt.code {
					t.Errorf("code %q, want %q", ve.Code, tt.code)
				}
				if strings.Contains(err.Error(), leak) || strings.Contains(domain.SafeDetail(err), leak) || strings.Contains(ve.Detail, "<html") {
					t.Errorf("error %q shows the vendor's answer", err)
				}
				if tt.name == "429" && ve.RetryAfter != 7*time.Second {
					t.Errorf("Retry-After %v", ve.RetryAfter)
				}
			}
			f := tt.fault
			f.PathPrefix = "/smart-tag/list"
			e.sim.InjectFault(f)
			_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5})
			check(err, tt.readKind)

			f.PathPrefix = "/smart-tag/add"
			e.sim.InjectFault(f)
			_, err = e.ad.RenameTagGroup(t.Context(), idStr(g), "新名")
			check(err, tt.writeKind)
		})
	}
}

func mustID(t *testing.T, id string) int64 {
	t.Helper()
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		t.Fatalf("id %q is not a positive integer", id)
	}
	return n
}
