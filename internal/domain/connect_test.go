package domain_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// fakeAuthorizer is an OAuth connection: it records the codes exchanged
// and takes only "good-code".
type fakeAuthorizer struct {
	vendor domain.Vendor
	mu     sync.Mutex
	codes  []string
	auth   domain.Authorization
}

func (f *fakeAuthorizer) Vendor() domain.Vendor { return f.vendor }

func (f *fakeAuthorizer) AuthorizeURL(state string) (string, string) {
	return "https://vendor.example/authorize?state=" + url.QueryEscape(state), "https://gw.example/admin/v1/oauth/callback"
}

func (f *fakeAuthorizer) CompleteAuthorization(_ context.Context, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, code)
	if code != "good-code" {
		return &domain.VendorError{Vendor: f.vendor, Kind: domain.VendorRejected, Code: "invalid_grant", Detail: "code refused"}
	}
	f.auth = domain.Authorization{State: domain.AuthorizationActive, Since: time.Unix(1, 0)}
	return nil
}

func (f *fakeAuthorizer) Authorization(context.Context) (domain.Authorization, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auth, nil
}

func (f *fakeAuthorizer) exchanged() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.codes...)
}

// connectEnv is a Service with tenants acme and globex, each with an OAuth
// connection to meihua, and acme with a plain one to linkflow.
type connectEnv struct {
	svc           *domain.Service
	acme, globex  *fakeAuthorizer
	clock         *vendortest.Clock
	idempotencies domain.IdempotencyStore
}

func newConnectEnv(t *testing.T) *connectEnv {
	t.Helper()
	e := &connectEnv{acme: &fakeAuthorizer{vendor: "meihua"}, globex: &fakeAuthorizer{vendor: "meihua"},
		clock: vendortest.NewClock(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)), idempotencies: memory.NewIdempotency(memory.IdempotencyOptions{})}
	e.svc = newService(t, domain.ServiceConfig{Vendors: testVendors, Now: e.clock.Now, Idempotency: e.idempotencies, Tenants: []domain.Tenant{
		{ID: "acme", Initial: "meihua", Connections: map[domain.Vendor]domain.Connection{"meihua": e.acme, "linkflow": domain.NewBareConnection("linkflow")}},
		{ID: "globex", Initial: "meihua", Connections: map[domain.Vendor]domain.Connection{"meihua": e.globex}},
	}})
	return e
}

func (e *connectEnv) start(t *testing.T, tenant string) domain.AuthorizationStart {
	t.Helper()
	st, err := e.svc.StartAuthorization(context.Background(), tenant, "meihua")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStartAuthorization(t *testing.T) {
	t.Parallel()
	e := newConnectEnv(t)
	st := e.start(t, "acme")
	if st.Tenant != "acme" || st.Vendor != "meihua" || !strings.Contains(st.AuthorizeURL, url.QueryEscape(st.State)) ||
		st.RedirectURI == "" || !st.Expires.Equal(e.clock.Now().Add(domain.AuthorizationStateTTL)) {
		t.Fatalf("start = %+v", st)
	}
	if other := e.start(t, "acme"); other.State == st.State {
		t.Fatal("two starts gave the same state")
	}
	for _, tc := range []struct {
		tenant string
		vendor domain.Vendor
		want   func(error) bool
	}{
		{"nobody", "meihua", func(err error) bool { return errors.Is(err, domain.ErrTenantUnknown) }},
		{"globex", "linkflow", func(err error) bool { var nc *domain.VendorNotConfiguredError; return errors.As(err, &nc) }},
		{"acme", "linkflow", func(err error) bool { var ue *domain.UnsupportedError; return errors.As(err, &ue) }},
	} {
		if _, err := e.svc.StartAuthorization(context.Background(), tc.tenant, tc.vendor); !tc.want(err) {
			t.Errorf("start %s/%s: %v", tc.tenant, tc.vendor, err)
		}
	}
	if len(e.acme.exchanged()) != 0 {
		t.Fatal("starting exchanged a code")
	}
}

// TestCompleteAuthorization: the state is checked (signature, expiry,
// tenant grant, single use) before the code goes to the vendor, and a
// state is spent by its first callback whatever the outcome.
func TestCompleteAuthorization(t *testing.T) {
	t.Parallel()
	all := func(string) bool { return true }
	onlyGlobex := func(t string) bool { return t == "globex" }
	type step struct {
		cb       func(st domain.AuthorizationStart) domain.AuthorizationCallback
		allowed  func(string) bool
		advance  time.Duration
		wantErr  func(error) bool
		wantCode []string // codes the connection saw after the step
	}
	stateErr := func(reason string) func(error) bool {
		return func(err error) bool {
			var se *domain.OAuthStateError
			return errors.As(err, &se) && strings.Contains(se.Reason, reason)
		}
	}
	ok := func(err error) bool { return err == nil }
	good := func(st domain.AuthorizationStart) domain.AuthorizationCallback {
		return domain.AuthorizationCallback{State: st.State, Code: "good-code"}
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"a good code connects", []step{{cb: good, allowed: all, wantErr: ok, wantCode: []string{"good-code"}}}},
		{"a state is good once", []step{
			{cb: good, allowed: all, wantErr: ok, wantCode: []string{"good-code"}},
			{cb: good, allowed: all, wantErr: stateErr("used already"), wantCode: []string{"good-code"}},
		}},
		{"a refused code spends the state too", []step{
			{cb: func(st domain.AuthorizationStart) domain.AuthorizationCallback {
				return domain.AuthorizationCallback{State: st.State, Code: "bad-code"}
			}, allowed: all, wantErr: func(err error) bool {
				var ve *domain.VendorError
				return errors.As(err, &ve) && ve.Kind == domain.VendorRejected
			}, wantCode: []string{"bad-code"}},
			{cb: good, allowed: all, wantErr: stateErr("used already"), wantCode: []string{"bad-code"}},
		}},
		{"expired", []step{{cb: good, allowed: all, advance: domain.AuthorizationStateTTL, wantErr: stateErr("expired")}}},
		{"tampered", []step{{cb: func(st domain.AuthorizationStart) domain.AuthorizationCallback {
			p, sig, _ := strings.Cut(st.State, ".")
			return domain.AuthorizationCallback{State: p + "x." + sig, Code: "good-code"}
		}, allowed: all, wantErr: func(err error) bool { var se *domain.OAuthStateError; return errors.As(err, &se) }}}},
		{"not signed here", []step{{cb: func(domain.AuthorizationStart) domain.AuthorizationCallback {
			return domain.AuthorizationCallback{State: "eyJ0IjoiYWNtZSJ9.AAAA", Code: "good-code"}
		}, allowed: all, wantErr: stateErr("not issued by this gateway")}}},
		{"malformed", []step{{cb: func(domain.AuthorizationStart) domain.AuthorizationCallback {
			return domain.AuthorizationCallback{State: "no-dot", Code: "good-code"}
		}, allowed: all, wantErr: stateErr("malformed")}}},
		{"a key not granted the state's tenant", []step{
			{cb: good, allowed: onlyGlobex, wantErr: func(err error) bool { return errors.Is(err, domain.ErrTenantUnknown) }},
			// Not spent by the refusal: the right key still completes it.
			{cb: good, allowed: all, wantErr: ok, wantCode: []string{"good-code"}},
		}},
		{"the vendor's error", []step{
			{cb: func(st domain.AuthorizationStart) domain.AuthorizationCallback {
				return domain.AuthorizationCallback{State: st.State, Error: "access_denied"}
			}, allowed: all, wantErr: func(err error) bool {
				var de *domain.AuthorizationDeniedError
				return errors.As(err, &de) && de.Code == "access_denied"
			}},
			{cb: good, allowed: all, wantErr: stateErr("used already")},
		}},
		{"a vendor error name that is not one is not repeated", []step{{cb: func(st domain.AuthorizationStart) domain.AuthorizationCallback {
			return domain.AuthorizationCallback{State: st.State, Error: "<script>"}
		}, allowed: all, wantErr: func(err error) bool {
			var de *domain.AuthorizationDeniedError
			return errors.As(err, &de) && de.Code == "other"
		}}}},
		{"neither code nor error", []step{
			{cb: func(st domain.AuthorizationStart) domain.AuthorizationCallback {
				return domain.AuthorizationCallback{State: st.State}
			}, allowed: all, wantErr: func(err error) bool { var ve *domain.ValidationError; return errors.As(err, &ve) }},
			{cb: good, allowed: all, wantErr: ok, wantCode: []string{"good-code"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newConnectEnv(t)
			st := e.start(t, "acme")
			for i, s := range tc.steps {
				e.clock.Advance(s.advance)
				got, err := e.svc.CompleteAuthorization(context.Background(), s.cb(st), s.allowed, "ops")
				if !s.wantErr(err) {
					t.Fatalf("step %d: err = %v", i, err)
				}
				if err == nil && (got.Tenant != "acme" || got.Vendor != "meihua" || got.State != domain.AuthorizationActive) {
					t.Fatalf("step %d: %+v", i, got)
				}
				if codes := e.acme.exchanged(); strings.Join(codes, ",") != strings.Join(s.wantCode, ",") {
					t.Fatalf("step %d: codes exchanged %v, want %v", i, codes, s.wantCode)
				}
				if len(e.globex.exchanged()) != 0 {
					t.Fatal("another tenant's connection exchanged a code")
				}
			}
		})
	}
}

// TestAuthorizationStateAcrossServices: a state made by one replica is
// taken by another sharing the cursor secret and the idempotency store,
// and is still good for one callback only.
func TestAuthorizationStateAcrossServices(t *testing.T) {
	t.Parallel()
	e := newConnectEnv(t)
	other := newService(t, domain.ServiceConfig{Vendors: testVendors, Now: e.clock.Now, Idempotency: e.idempotencies, Tenants: []domain.Tenant{
		{ID: "acme", Initial: "meihua", Connections: map[domain.Vendor]domain.Connection{"meihua": e.acme}},
	}})
	st := e.start(t, "acme")
	if _, err := other.CompleteAuthorization(context.Background(), domain.AuthorizationCallback{State: st.State, Code: "good-code"}, nil, "ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CompleteAuthorization(context.Background(), domain.AuthorizationCallback{State: st.State, Code: "good-code"}, nil, "ops"); err == nil {
		t.Fatal("the state was taken twice across replicas")
	}
	foreign := newService(t, domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte("another-secret-another-secret-32"), Idempotency: memory.NewIdempotency(memory.IdempotencyOptions{}),
		Tenants: []domain.Tenant{{ID: "acme", Initial: "meihua", Connections: map[domain.Vendor]domain.Connection{"meihua": e.acme}}}})
	st = e.start(t, "acme")
	var se *domain.OAuthStateError
	if _, err := foreign.CompleteAuthorization(context.Background(), domain.AuthorizationCallback{State: st.State, Code: "good-code"}, nil, "ops"); !errors.As(err, &se) {
		t.Fatalf("a gateway with another secret took the state: %v", err)
	}
}
