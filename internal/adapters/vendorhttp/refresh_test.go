package vendorhttp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// authorization reads the connection's authorization state.
func (e *refreshEnv) authorization(t *testing.T) domain.Authorization {
	t.Helper()
	a, err := e.src.Authorization(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// wantKind checks that err is a vendor error of kind (and code, when set).
func wantKind(t *testing.T, step string, err error, kind domain.VendorErrorKind, code string) {
	t.Helper()
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != kind || code != "" && ve.Code != code {
		t.Fatalf("%s: err = %v, want a vendor error of kind %v code %q", step, err, kind, code)
	}
}

// TestRefreshAnswerLost: a refresh whose answer is lost is never resent
// blindly. The next refresh sends the same token once more as a probe,
// whose answer settles the connection; a probe that finds the token
// rotated ends the authorization, and nothing is sent after that.
func TestRefreshAnswerLost(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// lose makes the first refresh's answer go missing.
		lose func(e *refreshEnv)
		// wantFirst is the kind of the first call's error.
		wantFirst domain.VendorErrorKind
		// rotated: the vendor took the first refresh.
		rotated bool
	}{
		{"the vendor rotated, then the connection dropped", func(e *refreshEnv) { e.v.loseAnswer.Store(true) }, domain.VendorUnavailable, true},
		{"no answer in time, the vendor never took it", func(e *refreshEnv) { e.v.stall.Store(true) }, domain.VendorTimeout, false},
		{"the replica stopped while its refresh was out", func(e *refreshEnv) {
			// What a replica leaves behind when it dies between sending
			// and settling: the record still says sending.
			rec := refreshRecord{State: domain.AuthorizationActive, Phase: phaseSending, Token: refreshToken(0), Since: time.Now()}
			if ok, err := e.store.SwapRefreshToken(context.Background(), "acme/meihua", refreshToken(0), rec.encode()); !ok || err != nil {
				panic("seeding the record failed")
			}
		}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The stalled refresh waits this out; the calls that must be
			// answered get time enough on a busy machine.
			e := newRefreshEnv(t, Options{Timeout: 2 * time.Second, Retry: RetryPolicy{MaxAttempts: 3}})
			tc.lose(e)
			refreshes := int32(0)
			if tc.wantFirst != 0 {
				err := e.call(t)
				wantKind(t, "first call", err, tc.wantFirst, "")
				if n := e.v.refreshes.Load(); n != 1 {
					t.Fatalf("the vendor saw %d refreshes, want 1: a lost refresh is never retried", n)
				}
				refreshes = 1
				if a := e.authorization(t); a.State != domain.AuthorizationUnconfirmed {
					t.Fatalf("after the lost answer: %+v, want refresh_unconfirmed", a)
				}
			}
			err := e.call(t)
			if n := e.v.refreshes.Load(); n != refreshes+1 {
				t.Fatalf("the vendor saw %d refreshes, want %d: one probe", n, refreshes+1)
			}
			if !tc.rotated {
				if err != nil {
					t.Fatalf("probe of a token the vendor never took: %v", err)
				}
				if a := e.authorization(t); a.State != domain.AuthorizationActive || e.v.reused.Load() != 0 {
					t.Fatalf("after the probe: %+v (%d reused), want authorized", a, e.v.reused.Load())
				}
				return
			}
			wantKind(t, "probe", err, domain.VendorReauthorizationRequired, domain.ReasonRefreshAnswerLost)
			if a := e.authorization(t); a.State != domain.AuthorizationRequired || a.Reason != domain.ReasonRefreshAnswerLost || a.Since.IsZero() {
				t.Fatalf("after the probe: %+v, want reauthorization_required for a lost answer", a)
			}
			// Nothing more is sent, on this replica or another.
			for _, src := range []*TokenSource{e.src, e.other()} {
				_, _, err := src.Token(context.Background())
				wantKind(t, "after the end", err, domain.VendorReauthorizationRequired, domain.ReasonRefreshAnswerLost)
			}
			if n := e.v.refreshes.Load(); n != 2 || e.v.reused.Load() != 1 {
				t.Fatalf("the vendor saw %d refreshes (%d reused), want 2 (1): the probe only", n, e.v.reused.Load())
			}
			// Connecting again ends it everywhere.
			if err := e.src.Authorize(context.Background(), e.v.authorize()); err != nil {
				t.Fatal(err)
			}
			if err := e.call(t); err != nil {
				t.Fatalf("after a new authorization: %v", err)
			}
			if _, _, err := e.other().Token(context.Background()); err != nil {
				t.Fatalf("another replica after a new authorization: %v", err)
			}
			if a := e.authorization(t); a.State != domain.AuthorizationActive || a.Since.IsZero() {
				t.Fatalf("after a new authorization: %+v, want authorized since it", a)
			}
			// Refreshes keep the authorization's time.
			since := e.authorization(t).Since
			e.v.revoke()
			if err := e.call(t); err != nil {
				t.Fatal(err)
			}
			if a := e.authorization(t); !a.Since.Equal(since) {
				t.Fatalf("after a refresh: %+v, want authorized since %v", a, since)
			}
		})
	}
}

// TestRefreshProbeLostToo: when the probe's answer is lost as well, the
// gateway gives up instead of sending the token a third time.
func TestRefreshProbeLostToo(t *testing.T) {
	t.Parallel()
	// Long enough for a dropped answer to show as one on a busy machine.
	e := newRefreshEnv(t, Options{Timeout: time.Second})
	e.v.loseAnswer.Store(true)
	wantKind(t, "first", e.call(t), domain.VendorUnavailable, "")
	e.v.stall.Store(true)
	wantKind(t, "probe", e.call(t), domain.VendorReauthorizationRequired, domain.ReasonRefreshAnswerLost)
	wantKind(t, "third", e.call(t), domain.VendorReauthorizationRequired, domain.ReasonRefreshAnswerLost)
	if n := e.v.refreshes.Load(); n != 2 {
		t.Fatalf("the vendor saw %d refreshes, want 2", n)
	}
}

// TestRefreshNotTakenKeepsTheToken: failures that show the vendor did
// not take the refresh token leave it standing, to be sent next time as
// an ordinary refresh.
func TestRefreshNotTakenKeepsTheToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		fail func(e *refreshEnv)
		kind domain.VendorErrorKind
	}{
		{"the vendor answers 503", func(e *refreshEnv) { e.v.unavailable.Store(true) }, domain.VendorUnavailable},
		{"the client's credentials are refused", func(e *refreshEnv) { e.v.badClient.Store(true) }, domain.VendorAuth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			e := newRefreshEnv(t, Options{Retry: RetryPolicy{MaxAttempts: 3}}, WithTokenClock(clock.Now))
			tc.fail(e)
			wantKind(t, "first", e.call(t), tc.kind, "")
			if a := e.authorization(t); a.State != domain.AuthorizationActive {
				t.Fatalf("after %s: %+v, want authorized", tc.name, a)
			}
			if got, _, _ := e.src.RefreshToken(context.Background()); got != refreshToken(0) {
				t.Fatalf("refresh token %q, want the one sent", got)
			}
			e.v.badClient.Store(false)
			clock.Advance(RefusalHold) // past a remembered credential refusal
			if err := e.call(t); err != nil {
				t.Fatal(err)
			}
			if n, r := e.v.refreshes.Load(), e.v.reused.Load(); n != 2 || r != 0 {
				t.Fatalf("the vendor saw %d refreshes, %d reused; want 2, 0", n, r)
			}
		})
	}

	t.Run("no connection to the vendor at all", func(t *testing.T) {
		t.Parallel()
		e := newRefreshEnv(t, Options{})
		e.v.srv.Close()
		wantKind(t, "first", e.call(t), domain.VendorUnavailable, "")
		if a := e.authorization(t); a.State != domain.AuthorizationActive || e.v.refreshes.Load() != 0 {
			t.Fatalf("%+v after %d refreshes, want authorized and none", a, e.v.refreshes.Load())
		}
	})
}

// TestBootstrapRefreshToken: a configured refresh token starts a
// connection with an empty store; the stored one wins once there.
func TestBootstrapRefreshToken(t *testing.T) {
	t.Parallel()
	e := newRefreshEnv(t, Options{})
	if ok, _ := e.store.SwapRefreshToken(context.Background(), "acme/meihua", refreshToken(0), ""); !ok {
		t.Fatal("clearing failed")
	}
	e.c.Auth.Bootstrap = "stale-bootstrap-token"
	wantKind(t, "stale bootstrap", e.call(t), domain.VendorReauthorizationRequired, domain.ReasonRefreshRejected)

	e2 := newRefreshEnv(t, Options{})
	if ok, _ := e2.store.SwapRefreshToken(context.Background(), "acme/meihua", refreshToken(0), ""); !ok {
		t.Fatal("clearing failed")
	}
	if a := e2.authorization(t); a.State != domain.AuthorizationNone {
		t.Fatalf("empty store: %+v", a)
	}
	e2.c.Auth.Bootstrap = refreshToken(0)
	if a := e2.authorization(t); a.State != domain.AuthorizationActive {
		t.Fatalf("with a configured token: %+v", a)
	}
	if err := e2.call(t); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := e2.src.RefreshToken(context.Background()); got != e2.v.refreshToken() || got == refreshToken(0) {
		t.Fatalf("stored %q, want the rotated %q", got, e2.v.refreshToken())
	}
}

// TestAuthorizeReplacesAnyRecord: a new authorization replaces whatever
// the record says and ends a remembered refusal.
func TestAuthorizeReplacesAnyRecord(t *testing.T) {
	t.Parallel()
	e := newRefreshEnv(t, Options{})
	e.v.deauthorize()
	wantKind(t, "refused", e.call(t), domain.VendorReauthorizationRequired, domain.ReasonRefreshRejected)
	wantKind(t, "remembered", e.call(t), domain.VendorReauthorizationRequired, domain.ReasonRefreshRejected)
	if n := e.v.refreshes.Load(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	if err := e.src.Authorize(context.Background(), Grant{Token: Token{Value: "a"}}); err == nil {
		t.Fatal("a grant without a refresh token was taken")
	}
	if err := e.src.Authorize(context.Background(), e.v.authorize()); err != nil {
		t.Fatal(err)
	}
	if err := e.call(t); err != nil {
		t.Fatal(err)
	}
}

// TestLateLostAnswerLeavesAProbeAlone: a refresh whose lock ran out while
// its answer was lost finds another replica already probing the same
// token; it must not write its own outcome over the probe's record, while
// a grant, which is the truth about that token, is written over it.
func TestLateLostAnswerLeavesAProbeAlone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		lose      bool
		wantState domain.AuthorizationState
		wantPhase string
	}{
		{"a lost answer leaves the probe", true, domain.AuthorizationUnconfirmed, phaseProbing},
		{"a grant wins over the probe", false, domain.AuthorizationActive, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A stalled answer is lost after the timeout; a grant must not be
			// lost to a busy machine, so it gets time enough.
			timeout := 10 * time.Second
			if tc.lose {
				timeout = 200 * time.Millisecond
			}
			e := newRefreshEnv(t, Options{Timeout: timeout})
			if tc.lose {
				e.v.stall.Store(true)
			}
			probing := refreshRecord{State: domain.AuthorizationUnconfirmed, Phase: phaseProbing, Token: refreshToken(0), Since: time.Now()}
			e.store.beforeSwap = func(ctx context.Context, old, _ string) {
				if rec, _ := decodeRecord(old); rec.Phase == phaseSending {
					e.store.beforeSwap = nil
					// Another replica took the expired lock and began its probe.
					if ok, err := e.store.TokenStore.SwapRefreshToken(ctx, "acme/meihua", old, probing.encode()); !ok || err != nil {
						t.Errorf("probe record: %v %v", ok, err)
					}
				}
			}
			_ = e.call(t)
			raw, _, _ := e.store.TokenStore.RefreshToken(context.Background(), "acme/meihua")
			rec, err := decodeRecord(raw)
			if err != nil || rec.State != tc.wantState || rec.Phase != tc.wantPhase {
				t.Fatalf("record %+v (%v), want %s/%s", rec, err, tc.wantState, tc.wantPhase)
			}
		})
	}
}
