package linkflow_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	good := linkflow.Config{AppKey: appKey, AppSecret: appSecret}
	tests := []struct {
		name string
		mod  func(*linkflow.Config)
	}{
		{"base url without scheme", func(c *linkflow.Config) { c.BaseURL = "open.linkflowtech.com" }},
		{"base url of another scheme", func(c *linkflow.Config) { c.BaseURL = "ftp://open.linkflowtech.com" }},
		{"base url without host", func(c *linkflow.Config) { c.BaseURL = "https://" }},
		{"base url with a query", func(c *linkflow.Config) { c.BaseURL = "https://open.linkflowtech.com/?a=1" }},
		{"base url with a fragment", func(c *linkflow.Config) { c.BaseURL = "https://open.linkflowtech.com/#x" }},
		{"cdp base url unparsable", func(c *linkflow.Config) { c.CDPBaseURL = "http://[::1" }},
		{"no app key", func(c *linkflow.Config) { c.AppKey = "" }},
		{"no app secret", func(c *linkflow.Config) { c.AppSecret = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.mod(&cfg)
			ad, err := linkflow.New(cfg)
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
		ad, err := linkflow.New(good)
		if err != nil {
			t.Fatal(err)
		}
		if ad.Vendor() != linkflow.Driver.Vendor {
			t.Errorf("Vendor() = %q", ad.Vendor())
		}
		if ad.BatchSize() < 1 || ad.MemberBatchSize() < 1 {
			t.Errorf("batch sizes %d, %d", ad.BatchSize(), ad.MemberBatchSize())
		}
	})
}

func TestCapabilities(t *testing.T) {
	t.Parallel()
	ad, err := linkflow.New(linkflow.Config{AppKey: appKey, AppSecret: appSecret})
	if err != nil {
		t.Fatal(err)
	}
	caps := domain.CapabilitiesOf(ad)
	if caps.Vendor != linkflow.Driver.Vendor {
		t.Errorf("capabilities vendor %q", caps.Vendor)
	}
	want := map[string]bool{
		"q": true, "group_id": true, "group_id+q": true, "email": true, "phone": true, "email+phone": true, "updated_since": true,
	}
	got := ad.ContactFilters()
	if len(got) != len(want) {
		t.Errorf("ContactFilters() = %v", got)
	}
	for _, f := range got {
		if !want[f] {
			t.Errorf("unexpected contact filter %q", f)
		}
	}
}

// Every adapter operation, to check which host each vendor call goes to.
func TestHostsPerOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann", Email: "ann@example.com"})
	e.sim.AddIdentity(cid, "example.com", "", "ann-1")
	gid := e.sim.AddGroup("VIP", "")
	e.sim.AddGroupMembers(gid, cid)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1"})
	e.sim.AddFolder(linkflowtest.Folder{Name: "Folder"})
	e.sim.AddTag(linkflowtest.Tag{TagName: "Tag"})
	e.sim.AddOrder(linkflowtest.Order{OrderID: "o-1"})
	since := e.clock.Now().Add(-time.Hour)
	ctx := t.Context()
	cs, g := idStr(cid), idStr(gid)
	page := domain.PageRequest{Limit: 10}

	ops := []struct {
		name  string
		run   func() error
		guide []string // paths that must be on the guide host
		cdp   []string // paths that must be on the CDP host
	}{
		{"list contacts", func() error { _, err := e.ad.ListContacts(ctx, domain.ContactQuery{Q: "ann"}, page); return err },
			nil, []string{"/open/contacts"}},
		{"lookup contacts", func() error {
			_, err := e.ad.ListContacts(ctx, domain.ContactQuery{Email: "ann@example.com"}, page)
			return err
		}, []string{"/v2/contacts"}, nil},
		{"changed contacts", func() error {
			_, err := e.ad.ListContacts(ctx, domain.ContactQuery{UpdatedSince: &since}, page)
			return err
		}, nil, []string{"/open/contacts_bulk/ids", "/open/contacts_bulk"}},
		{"get contact", func() error { _, err := e.ad.GetContact(ctx, cs); return err },
			[]string{"/contacts/" + cs + "/identities"}, []string{"/open/contacts_bulk"}},
		{"create contact", func() error {
			_, err := e.ad.CreateContact(ctx, domain.ContactInput{Contact: domain.Contact{
				Name: "Bob", Nickname: "B", ExternalIDs: []domain.ExternalID{{Channel: "example.com", ID: "bob"}}}})
			return err
		}, []string{"/identifiers"}, nil},
		{"update contact", func() error {
			_, err := e.ad.UpdateContact(ctx, cs, domain.ContactPatch{Values: domain.Contact{Address: domain.Address{City: "Nanjing"}}, Set: map[domain.ContactField]bool{domain.FieldCity: true}})
			return err
		}, []string{"/v2/contacts/" + cs, "/contacts/" + cs + "/identities"}, nil},
		{"conditional update", func() error {
			c, err := e.ad.GetContact(ctx, cs)
			if err != nil {
				return err
			}
			_, err = e.ad.UpdateContactIfVersion(ctx, cs, c.Version, domain.ContactPatch{Values: domain.Contact{Address: domain.Address{City: "Suzhou"}}, Set: map[domain.ContactField]bool{domain.FieldCity: true}})
			return err
		}, []string{"/v2/contacts/" + cs}, []string{"/open/contacts_bulk"}},
		{"contact groups", func() error { _, err := e.ad.ListContactGroups(ctx, cs, page); return err },
			nil, []string{"/open/contacts/" + cs + "/groups"}},
		{"contact events", func() error { _, err := e.ad.ListContactEvents(ctx, cs, page); return err },
			[]string{"/contacts/" + cs + "/events"}, nil},
		{"record event", func() error {
			_, err := e.ad.RecordEvent(ctx, domain.EventInput{Event: "UDE_X", ContactID: cs})
			return err
		}, []string{"/contacts/" + cs + "/identities", "/ude"}, nil},
		{"list tags", func() error { _, err := e.ad.ListTags(ctx, domain.TagQuery{}, page); return err },
			nil, []string{"/v1/tags"}},
		{"list tag groups", func() error { _, err := e.ad.ListTagGroups(ctx, page); return err },
			nil, []string{"/open/folders"}},
		{"list groups", func() error { _, err := e.ad.ListGroups(ctx, domain.GroupQuery{}, page); return err },
			nil, []string{"/open/groups"}},
		{"get group", func() error { _, err := e.ad.GetGroup(ctx, g); return err },
			nil, []string{"/open/groups"}},
		{"create group", func() error { _, err := e.ad.CreateGroup(ctx, "New"); return err },
			[]string{"/v2/groups"}, nil},
		{"group members", func() error { _, err := e.ad.ListGroupMembers(ctx, g, page); return err },
			nil, []string{"/open/groups/" + g + "/contacts", "/open/contacts_bulk"}},
		{"list contacts with external ids", func() error {
			_, err := e.ad.ListContacts(domain.WithExternalIDs(ctx), domain.ContactQuery{Q: "ann"}, page)
			return err
		}, []string{"/contacts/" + cs + "/identities"}, []string{"/open/contacts"}},
		{"add members", func() error { _, err := e.ad.AddGroupMembers(ctx, g, []string{cs}); return err },
			[]string{"/v2/groups/" + g + "/contacts"}, nil},
		{"remove members", func() error { _, err := e.ad.RemoveGroupMembers(ctx, g, []string{cs}); return err },
			[]string{"/v2/groups/" + g + "/contacts"}, nil},
		{"list fields", func() error { _, err := e.ad.ListFields(ctx, page); return err },
			[]string{"/v2/contacts/meta/properties"}, nil},
		{"passthrough cdp", func() error {
			_, err := e.ad.Passthrough(ctx, domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders"})
			return err
		}, nil, []string{"/open/orders"}},
		{"passthrough guide", func() error {
			_, err := e.ad.Passthrough(ctx, domain.PassthroughRequest{Method: http.MethodGet, Path: "/channels/meta/types"})
			return err
		}, []string{"/channels/meta/types"}, nil},
	}
	// Sequential: the operations share one simulator.
	for _, op := range ops {
		before := len(e.Hits())
		e.Must(op.run())
		seen := map[string]string{}
		for _, h := range e.Hits()[before:] {
			seen[h.path] = h.host
		}
		for _, p := range op.guide {
			if seen[p] != "guide" {
				t.Errorf("%s: %s seen on %q, want the guide host (hits %v)", op.name, p, seen[p], seen)
			}
		}
		for _, p := range op.cdp {
			if seen[p] != "cdp" {
				t.Errorf("%s: %s seen on %q, want the CDP host (hits %v)", op.name, p, seen[p], seen)
			}
		}
	}
	// The token comes from the guide host, with the credentials, once.
	toks := e.hitsTo("/token")
	if len(toks) != 1 || toks[0].host != "guide" {
		t.Errorf("token hits %v", toks)
	}
	for _, r := range e.sim.Requests() {
		isToken := r.Path == "/token"
		if got := r.Header.Get("X-OpenApi-Secret") != ""; got != isToken {
			t.Errorf("%s %s: secret header sent = %v", r.Method, r.Path, got)
		}
		if !isToken && r.Header.Get("X-OpenApi-Token") == "" {
			t.Errorf("%s %s without a token", r.Method, r.Path)
		}
	}
}

func TestTokenReused(t *testing.T) {
	t.Parallel()
	for _, millis := range []bool{false, true} {
		t.Run(fmt.Sprintf("expiration as epoch millis %v", millis), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *envConfig) { c.sim.ExpirationAsEpochMillis = millis })
			gid := e.sim.AddGroup("G", "")
			for range 10 {
				_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
				e.Must(err)
				_, err = e.ad.GetGroup(t.Context(), idStr(gid))
				e.Must(err)
				_, err = e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
				e.Must(err)
			}
			if n := e.sim.TokenCalls(); n != 1 {
				t.Errorf("token calls %d, want 1", n)
			}
			sent := map[string]bool{}
			for _, h := range e.Hits() {
				if h.path != "/token" {
					sent[h.token] = true
				}
			}
			if len(sent) != 1 {
				t.Errorf("tokens sent %v, want one", sent)
			}
		})
	}
}

// The expiration is read in the zone Linkflow means (CST for the string
// form): a token whose expiration has passed is never cached, one that
// has not is.
func TestTokenExpirationRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		millis    bool
		simOffset time.Duration // simulator clock relative to now
		ttl       time.Duration
		wantCalls int // token calls for 3 API calls
	}{
		{"string, valid for 2h", false, 0, 2 * time.Hour, 1},
		{"millis, valid for 2h", true, 0, 2 * time.Hour, 1},
		{"string, valid for 90s", false, 0, 90 * time.Second, 1},
		// The vendor clock is 8h behind, so the token expired 7h ago in
		// real time although the vendor still accepts it. Reading the CST
		// string as UTC would make it look valid for another hour.
		{"string, expired 7h ago", false, -8 * time.Hour, time.Hour, 3},
		{"millis, expired 7h ago", true, -8 * time.Hour, time.Hour, 3},
		// A token living less than two margins is kept for half its life,
		// not refetched before every call.
		{"string, valid for 30s", false, 0, 30 * time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *envConfig) {
				c.sim.ExpirationAsEpochMillis = tt.millis
				c.sim.TokenTTL = tt.ttl
			})
			e.clock.Set(time.Now().Add(tt.simOffset))
			for range 3 {
				_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
				e.Must(err)
			}
			if n := e.sim.TokenCalls(); n != tt.wantCalls {
				t.Errorf("token calls %d, want %d", n, tt.wantCalls)
			}
		})
	}
}

func TestTokenRefreshedAfter401(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expire func(*env)
	}{
		{"revoked", func(e *env) { e.sim.ExpireTokens() }},
		{"expired at the vendor before the cache expected", func(e *env) { e.clock.Advance(3 * time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sim.AddGroup("G", "")
			_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
			e.Must(err)
			tt.expire(e)
			page, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
			e.Must(err)
			if len(page.Items) != 1 {
				t.Errorf("groups %v", page.Items)
			}
			if n := e.sim.TokenCalls(); n != 2 {
				t.Errorf("token calls %d, want 2", n)
			}
			calls := e.hitsTo("/open/groups")
			if len(calls) != 3 || calls[1].token != calls[0].token || calls[2].token == calls[1].token {
				t.Errorf("group calls %+v: want old, old (refused), new token", calls)
			}
			// The new token is kept.
			_, err = e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
			e.Must(err)
			if n := e.sim.TokenCalls(); n != 2 {
				t.Errorf("token calls %d after one more call, want 2", n)
			}
		})
	}
}

func TestSecond401IsNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
	e.Must(err)
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Times: 3, Status: http.StatusUnauthorized,
		ContentType: jsonCT(), Body: errBody(401, "UNAUTHORIZED")})
	_, err = e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorAuth)
	if ve.Status != http.StatusUnauthorized {
		t.Errorf("status %d", ve.Status)
	}
	if n := len(e.hitsTo("/open/groups")); n != 3 {
		t.Errorf("group calls %d, want 1 + 2 (one retry)", n)
	}
	if n := e.sim.TokenCalls(); n != 2 {
		t.Errorf("token calls %d, want 2", n)
	}
}

func TestTokenRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		key, secret string
	}{
		{"wrong secret", appKey, "wrong-" + appSecret},
		{"wrong key", "wrong-" + appKey, appSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			ad := e.newAdapter(func(c *linkflow.Config) { c.AppKey, c.AppSecret = tt.key, tt.secret })
			_, err := ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
			ve := e.WantVendor(err, domain.VendorAuth)
			for _, txt := range []string{err.Error(), domain.SafeDetail(err), ve.Detail} {
				if strings.Contains(txt, tt.secret) || strings.Contains(txt, tt.key) {
					t.Errorf("error text %q shows the credentials", txt)
				}
			}
			if n := e.sim.TokenCalls(); n != 1 {
				t.Errorf("token calls %d, want 1", n)
			}
			if n := len(e.hitsTo("/open/groups")); n != 0 {
				t.Errorf("the call was sent without a token (%d times)", n)
			}
		})
	}
}

// Token answers the adapter must refuse, and odd but usable ones.
func TestTokenAnswers(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(2 * time.Hour)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantKind    domain.VendorErrorKind
		ok          bool
	}{
		{"HTML page", 200, "text/html", "<html><body>maintenance</body></html>", domain.VendorBadResponse, false},
		{"truncated JSON", 200, jsonCT(), `{"token":"abc","expir`, domain.VendorBadResponse, false},
		{"no token", 200, jsonCT(), `{"expiration":"2099-01-01 00:00:00"}`, domain.VendorBadResponse, false},
		{"no expiration", 200, jsonCT(), `{"token":"tok-1"}`, domain.VendorBadResponse, false},
		{"unreadable expiration", 200, jsonCT(), `{"token":"tok-1","expiration":"next tuesday"}`, domain.VendorBadResponse, false},
		{"expiration of another type", 200, jsonCT(), `{"token":"tok-1","expiration":true}`, domain.VendorBadResponse, false},
		{"JSON array", 200, jsonCT(), `[]`, domain.VendorBadResponse, false},
		{"500 JSON", 500, jsonCT(), errBody(500, "INTERNAL_ERROR"), domain.VendorUnavailable, false},
		{"502 HTML", 502, "text/html", "<html>bad gateway</html>", domain.VendorUnavailable, false},
		{"403", 403, jsonCT(), errBody(403, "FORBIDDEN"), domain.VendorAuth, false},
		// No such endpoint: a wrong base URL, not a credential refusal.
		{"404", 404, jsonCT(), errBody(404, "NOT_FOUND"), domain.VendorEndpointNotFound, false},
		{"429", 429, jsonCT(), errBody(429, "TOO_MANY"), domain.VendorRateLimited, false},
		// Usable: the fault's token is unknown to the simulator, so the
		// call is refused once and succeeds with a real token.
		{"expiration as a string of millis", 200, jsonCT(), fmt.Sprintf(`{"token":"tok-1","expiration":"%d"}`, future.UnixMilli()), 0, true},
		{"expiration as a number of millis", 200, jsonCT(), fmt.Sprintf(`{"token":"tok-1","expiration":%d}`, future.UnixMilli()), 0, true},
		{"expiration as a CST string", 200, jsonCT(), fmt.Sprintf(`{"token":"tok-1","expiration":%q}`, linkflowtest.FormatTime(future)), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/token", Status: tt.status, ContentType: tt.contentType, Body: tt.body})
			_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
			if tt.ok {
				e.Must(err)
				if n := e.sim.TokenCalls(); n != 2 {
					t.Errorf("token calls %d, want 2", n)
				}
				return
			}
			ve := e.WantVendor(err, tt.wantKind)
			if strings.Contains(err.Error(), "<html") || strings.Contains(domain.SafeDetail(err), "<html") {
				t.Errorf("error shows the vendor page: %v", err)
			}
			if ve.Status != tt.status {
				t.Errorf("status %d, want %d", ve.Status, tt.status)
			}
			// A refusal of the credentials is remembered for a while: the
			// next call fails at once, without a token call.
			_, err = e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
			if tt.wantKind == domain.VendorAuth {
				e.WantVendor(err, domain.VendorAuth)
				if n := e.sim.TokenCalls(); n != 1 {
					t.Errorf("token calls %d after a refusal, want 1", n)
				}
				return
			}
			// Another failed fetch is not cached: the next call fetches again.
			e.Must(err)
			if n := e.sim.TokenCalls(); n != 2 {
				t.Errorf("token calls %d, want 2", n)
			}
		})
	}
}

func TestColdCacheConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1"})
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		e.Must(err)
	}
	if c := e.sim.TokenCalls(); c != 1 {
		t.Errorf("token calls %d, want 1", c)
	}
}

// Many calls meeting the revoked token at once drop it once and share one
// new token.
func TestConcurrentCallsAfterRevocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
	e.Must(err)
	e.sim.ExpireTokens()
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5}) })
	}
	wg.Wait()
	for _, err := range errs {
		e.Must(err)
	}
	if c := e.sim.TokenCalls(); c != 2 {
		t.Errorf("token calls %d, want 2", c)
	}
}

func TestSharedTokenCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	shared := vendorhttp.NewTokens(nil, nil)
	a1 := e.newAdapter(func(c *linkflow.Config) { c.Client.Tokens, c.Client.Tenant = shared, "tenant-a" })
	a2 := e.newAdapter(func(c *linkflow.Config) { c.Client.Tokens, c.Client.Tenant = shared, "tenant-a" })
	a3 := e.newAdapter(func(c *linkflow.Config) { c.Client.Tokens, c.Client.Tenant = shared, "tenant-b" })
	for _, ad := range []*linkflow.Adapter{a1, a2, a1, a2} {
		_, err := ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
	}
	if c := e.sim.TokenCalls(); c != 1 {
		t.Errorf("token calls %d for one key, want 1", c)
	}
	_, err := a3.ListFields(t.Context(), domain.PageRequest{Limit: 5})
	e.Must(err)
	if c := e.sim.TokenCalls(); c != 2 {
		t.Errorf("token calls %d for two keys, want 2", c)
	}
}

// Vendor error answers, in the simulator's error body shape, and what
// they become.
func TestErrorMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		kind        domain.VendorErrorKind
		code        string
		is          error
	}{
		{"B00001 group exists", 400, jsonCT(), errBody(400, "B00001"), domain.VendorExists, "B00001", domain.ErrAlreadyExists},
		{"B00008 not found", 404, jsonCT(), errBody(404, "B00008"), domain.VendorNotFound, "B00008", domain.ErrNotFound},
		{"B00010 invalid parameter on 400", 400, jsonCT(), errBody(400, "B00010"), domain.VendorRejected, "B00010", nil},
		{"B00010 invalid parameter on 500", 500, jsonCT(), errBody(500, "B00010"), domain.VendorRejected, "B00010", nil},
		{"B00030 query limit", 500, jsonCT(), errBody(500, "B00030"), domain.VendorRejected, "B00030", nil},
		{"B00031 too many", 400, jsonCT(), errBody(400, "B00031"), domain.VendorRejected, "B00031", nil},
		{"B00093 page limit", 500, jsonCT(), errBody(500, "B00093"), domain.VendorResultWindow, "B00093", nil},
		{"B00157 group limit", 412, jsonCT(), errBody(412, "B00157"), domain.VendorLimit, "B00157", nil},
		{"unknown code", 400, jsonCT(), errBody(400, "B99999"), domain.VendorUnknown, "B99999", nil},
		{"code under errorCode", 400, jsonCT(), `{"errorCode":"B00008"}`, domain.VendorNotFound, "B00008", domain.ErrNotFound},
		{"code that is not a vendor code", 400, jsonCT(), `{"code":"something went wrong"}`, domain.VendorUnknown, "", nil},
		{"numeric code", 400, jsonCT(), `{"code":12}`, domain.VendorUnknown, "", nil},
		{"400 without a body", 400, "", "", domain.VendorUnknown, "", nil},
		{"500 JSON without code", 500, jsonCT(), `{"status":500,"message":"boom"}`, domain.VendorUnavailable, "", nil},
		{"503 empty", 503, "", "", domain.VendorUnavailable, "", nil},
		{"502 HTML page", 502, "text/html", "<html><head><title>502</title></head><body>nginx-MARKER</body></html>", domain.VendorUnavailable, "", nil},
		{"504", 504, "text/html", "<html>gateway timeout nginx-MARKER</html>", domain.VendorTimeout, "", nil},
		// Only B00008 says "no such record"; another 404 is an unknown path.
		{"404 without code", 404, jsonCT(), errBody(404, "NOT_FOUND"), domain.VendorEndpointNotFound, "", nil},
		{"404 HTML page", 404, "text/html", "<html>nginx-MARKER not found</html>", domain.VendorEndpointNotFound, "", nil},
		{"403", 403, jsonCT(), errBody(403, "FORBIDDEN"), domain.VendorAuth, "", nil},
		{"429", 429, jsonCT(), errBody(429, "TOO_MANY_REQUESTS"), domain.VendorRateLimited, "", nil},
		{"200 HTML page", 200, "text/html", "<html><body>nginx-MARKER welcome</body></html>", domain.VendorBadResponse, "", nil},
		{"200 truncated JSON", 200, jsonCT(), `[{"id":1,"name":"nginx-MARKER`, domain.VendorBadResponse, "", nil},
		{"200 JSON of the wrong shape", 200, jsonCT(), `{"id":1}`, domain.VendorBadResponse, "", nil},
		{"200 JSON without content type", 200, "", `[]`, domain.VendorBadResponse, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: tt.status, ContentType: tt.contentType, Body: tt.body})
			_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
			ve := e.WantVendor(err, tt.kind)
			if ve.Code != tt.code {
				t.Errorf("code %q, want %q", ve.Code, tt.code)
			}
			if ve.Status != tt.status {
				t.Errorf("status %d, want %d", ve.Status, tt.status)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if tt.kind == domain.VendorEndpointNotFound && errors.Is(err, domain.ErrNotFound) {
				t.Errorf("an unknown endpoint reads as a missing record: %v", err)
			}
			if tt.code != "" && !strings.Contains(domain.SafeDetail(err), tt.code) {
				t.Errorf("SafeDetail %q does not name the vendor code", domain.SafeDetail(err))
			}
			for _, txt := range []string{err.Error(), domain.SafeDetail(err)} {
				for _, leak := range []string{"MARKER", "<html", "simulated failure", "boom", "something went wrong"} {
					if strings.Contains(txt, leak) {
						t.Errorf("error text %q shows the vendor body (%q)", txt, leak)
					}
				}
			}
		})
	}
}

// A vendor body that echoes credentials never reaches the error text.
func TestErrorBodyEchoingSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
	e.Must(err)
	tok := e.hitsTo("/v2/contacts/meta/properties")[0].token
	for _, status := range []int{400, 401, 500} {
		body := fmt.Sprintf(`{"status":%d,"code":"B00010","message":"token %s key %s secret %s"}`, status, tok, appKey, appSecret)
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Times: 2, Status: status, ContentType: jsonCT(), Body: body})
		_, err = e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		e.record(err)
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		e.sim.ClearFaults()
	}
}

func TestRateLimitedRetryAfter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 429, ContentType: jsonCT(), Header: http.Header{"Retry-After": {"7"}}, Body: errBody(429, "TOO_MANY_REQUESTS")})
	_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
	ve := e.WantVendor(err, domain.VendorRateLimited)
	if ve.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter %v, want 7s", ve.RetryAfter)
	}
	if ve.Retryable() {
		t.Error("a rate-limit answer is not a transient failure to retry at once")
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()

	t.Run("slow answer beyond the timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		// Warm the shared token cache with a patient adapter, so only the
		// slow call meets the short timeout.
		shared := vendorhttp.NewTokens(nil, nil)
		warm := e.newAdapter(func(c *linkflow.Config) { c.Client.Tokens, c.Client.Tenant = shared, "k" })
		_, err := warm.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
		hasty := e.newAdapter(func(c *linkflow.Config) {
			c.Client.Tokens, c.Client.Tenant, c.Client.Timeout = shared, "k", 200*time.Millisecond
		})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Delay: time.Minute})
		_, err = hasty.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		ve := e.WantVendor(err, domain.VendorTimeout)
		if !ve.Retryable() {
			t.Error("a timeout should be retryable")
		}
		if errors.Is(err, context.DeadlineExceeded) && t.Context().Err() != nil {
			t.Error("the caller's context ended")
		}
	})

	t.Run("slow token answer beyond the timeout", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(c *envConfig) { c.ad.Client.Timeout = 200 * time.Millisecond })
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/token", Delay: time.Minute})
		_, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		e.WantVendor(err, domain.VendorTimeout)
	})

	t.Run("nothing listening", func(t *testing.T) {
		t.Parallel()
		dead := httptest.NewServer(http.NotFoundHandler())
		base := dead.URL
		dead.Close()
		ad, err := linkflow.New(linkflow.Config{BaseURL: base + "/guide", CDPBaseURL: base + "/cdp", AppKey: appKey, AppSecret: appSecret})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		var ve *domain.VendorError
		if !errors.As(err, &ve) || ve.Kind != domain.VendorUnavailable {
			t.Fatalf("error %v, want VendorUnavailable", err)
		}
		for _, txt := range []string{err.Error(), domain.SafeDetail(err)} {
			if strings.Contains(txt, appSecret) || strings.Contains(txt, appKey) || strings.Contains(txt, base) {
				t.Errorf("error text %q shows a credential or the URL", txt)
			}
		}
	})

	t.Run("vendor gone after the token", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
		e.srv.Close()
		_, err = e.ad.ListGroups(t.Context(), domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		e.WantVendor(err, domain.VendorUnavailable)
	})

	t.Run("caller cancelled before the call", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err = e.ad.ListGroups(ctx, domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		e.record(err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})

	t.Run("caller cancelled before the token", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := e.ad.ListGroups(ctx, domain.GroupQuery{}, domain.PageRequest{Limit: 5})
		e.record(err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
	})

	t.Run("caller cancelled during the call", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Delay: time.Minute})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			_, err := e.ad.ListGroups(ctx, domain.GroupQuery{}, domain.PageRequest{Limit: 5})
			done <- err
		}()
		for len(e.hitsTo("/open/groups")) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
		err = <-done
		e.record(err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		var ve *domain.VendorError
		if errors.As(err, &ve) {
			t.Errorf("a cancelled call is not a vendor failure: %v", err)
		}
	})
}
