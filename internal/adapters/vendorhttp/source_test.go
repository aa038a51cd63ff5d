package vendorhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Every token and secret in these tests starts with secretMark, so that a
// leak check can look for it in logs, spans, metrics and errors.
const (
	secretMark   = "sek-"
	clientSecret = secretMark + "client-secret"
)

func accessToken(n int) string  { return fmt.Sprintf("%saccess-%d", secretMark, n) }
func refreshToken(n int) string { return fmt.Sprintf("%srefresh-%d", secretMark, n) }

// eventLog records, in order, what a store wrote and what a vendor saw.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(format string, args ...any) {
	l.mu.Lock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *eventLog) index(e string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Index(l.events, e)
}

// hookStore wraps a TokenStore: it counts token reads, fails on demand,
// runs a hook before a refresh-token swap and records writes.
type hookStore struct {
	domain.TokenStore
	reads    atomic.Int32
	down     atomic.Bool // every call fails
	lockDown atomic.Bool // LockToken fails
	swapDown atomic.Bool // SwapRefreshToken fails
	// beforeSwap runs before SwapRefreshToken (set before the store is used).
	beforeSwap func(ctx context.Context, old, next string)
	log        eventLog
}

func newHookStore(s domain.TokenStore) *hookStore {
	if s == nil {
		s = memory.NewTokens(memory.TokensOptions{})
	}
	return &hookStore{TokenStore: s}
}

func (s *hookStore) fail() error {
	if s.down.Load() {
		return domain.ErrStoreUnavailable
	}
	return nil
}

func (s *hookStore) Token(ctx context.Context, key string) (domain.StoredToken, bool, error) {
	s.reads.Add(1)
	if err := s.fail(); err != nil {
		return domain.StoredToken{}, false, err
	}
	return s.TokenStore.Token(ctx, key)
}

func (s *hookStore) PutToken(ctx context.Context, key string, tok domain.StoredToken, ttl time.Duration) error {
	if err := s.fail(); err != nil {
		return err
	}
	s.log.add("put %s", tok.Value)
	return s.TokenStore.PutToken(ctx, key, tok, ttl)
}

func (s *hookStore) DropToken(ctx context.Context, key, value string) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.TokenStore.DropToken(ctx, key, value)
}

func (s *hookStore) LockToken(ctx context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	if err := s.fail(); err != nil {
		return nil, false, err
	}
	if s.lockDown.Load() {
		return nil, false, domain.ErrStoreUnavailable
	}
	return s.TokenStore.LockToken(ctx, key, ttl)
}

func (s *hookStore) RefreshToken(ctx context.Context, key string) (string, bool, error) {
	if err := s.fail(); err != nil {
		return "", false, err
	}
	return s.TokenStore.RefreshToken(ctx, key)
}

func (s *hookStore) SwapRefreshToken(ctx context.Context, key, old, next string) (bool, error) {
	if s.beforeSwap != nil {
		s.beforeSwap(ctx, old, next)
	}
	if err := s.fail(); err != nil {
		return false, err
	}
	if s.swapDown.Load() {
		return false, domain.ErrStoreUnavailable
	}
	ok, err := s.TokenStore.SwapRefreshToken(ctx, key, old, next)
	if ok {
		s.log.add("swap %s>%s", describeRecord(old), describeRecord(next))
	}
	return ok, err
}

// describeRecord writes a stored refresh record short: a bare token as
// it is, a record as state/phase:token or state(reason).
func describeRecord(raw string) string {
	rec, err := decodeRecord(raw)
	switch {
	case err != nil:
		return "unreadable"
	case !strings.HasPrefix(raw, recordMark):
		return raw
	case rec.State == domain.AuthorizationRequired:
		return string(rec.State) + "(" + rec.Reason + ")"
	}
	return string(rec.State) + "/" + rec.Phase + ":" + rec.Token
}

// sending is the event of refresh token r handed to the vendor, and
// rotated that of the vendor's answer to it saved.
func sending(r string) string    { return "swap " + r + ">authorized/sending:" + r }
func rotated(r, n string) string { return "swap authorized/sending:" + r + ">" + n }

// oauthVendor is a vendor whose refresh tokens rotate: each works once and
// is replaced by the one sent with the new access token; a refresh token
// sent again is refused, as a rotating vendor does. Its API takes the
// access token in the query and answers 401 to one it does not know. It is
// mounted under /vendor so that a stray absolute URL fails.
type oauthVendor struct {
	srv *httptest.Server
	// keep makes refreshes return the refresh token sent instead of a new one.
	keep atomic.Bool
	// badClient refuses the client's credentials (invalid_client).
	badClient atomic.Bool
	// loseAnswer processes a refresh and then drops the connection
	// without an answer; stall holds a refresh unanswered and unprocessed
	// until the client gives up; unavailable answers 503 without
	// processing it. Each applies to the next refresh only.
	loseAnswer, stall, unavailable atomic.Bool

	mu      sync.Mutex
	current string          // the one refresh token that works
	spent   map[string]bool // refresh tokens used once
	access  map[string]bool // access tokens that work
	seq     int

	refreshes atomic.Int32 // refresh calls
	reused    atomic.Int32 // refresh calls with a spent refresh token
	log       *eventLog    // uses of access tokens, when set
}

func newOAuthVendor(t *testing.T) *oauthVendor {
	t.Helper()
	v := &oauthVendor{current: refreshToken(0), spent: map[string]bool{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /vendor/oauth/access_token", v.serveRefresh)
	mux.HandleFunc("GET /vendor/api", v.serveAPI)
	v.srv = httptest.NewServer(mux)
	t.Cleanup(v.srv.Close)
	return v
}

func (v *oauthVendor) serveRefresh(w http.ResponseWriter, r *http.Request) {
	v.refreshes.Add(1)
	switch {
	case v.stall.CompareAndSwap(true, false):
		<-r.Context().Done()
		return
	case v.unavailable.CompareAndSwap(true, false):
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case v.loseAnswer.CompareAndSwap(true, false):
		v.respond(httptest.NewRecorder(), r)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	v.respond(w, r)
}

// respond answers a refresh.
func (v *oauthVendor) respond(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sent := q.Get("refresh_token")
	w.Header().Set("Content-Type", "application/json")
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.badClient.Load() {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	if q.Get("client_secret") != clientSecret || q.Get("grant_type") != "refresh_token" || sent != v.current {
		if v.spent[sent] {
			v.reused.Add(1)
		}
		w.WriteHeader(http.StatusBadRequest)
		// Like real vendors, the refusal repeats what it refused.
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "refresh token " + sent + " is not valid"})
		return
	}
	v.seq++
	v.spent[sent] = true
	if !v.keep.Load() {
		v.current = refreshToken(v.seq)
	}
	v.access[accessToken(v.seq)] = true
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": accessToken(v.seq), "refresh_token": v.current,
		"expires_in": time.Now().Add(24 * time.Hour).UnixMilli(), // epoch ms, as Meihua sends it
	})
}

func (v *oauthVendor) serveAPI(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	v.mu.Lock()
	ok := v.access[tok]
	v.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if v.log != nil {
		v.log.add("use %s", tok)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok":true}`))
}

// authorize is a new authorization (an authorization code exchange): a new
// grant that replaces the current refresh token.
func (v *oauthVendor) authorize() Grant {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seq++
	v.current = refreshToken(v.seq)
	v.access[accessToken(v.seq)] = true
	return Grant{Token: Token{Value: accessToken(v.seq), Expires: time.Now().Add(24 * time.Hour)}, Refresh: v.current}
}

// revoke makes every access token issued so far stop working.
func (v *oauthVendor) revoke() {
	v.mu.Lock()
	clear(v.access)
	v.mu.Unlock()
}

// deauthorize ends the authorization: no refresh token works any more.
func (v *oauthVendor) deauthorize() {
	v.mu.Lock()
	v.current = ""
	v.mu.Unlock()
}

func (v *oauthVendor) refreshToken() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.current
}

// replica is one gateway process's client of the connection acme/meihua,
// with tokens over store (o.Tokens, when set, wins) and Auth as an adapter
// of a refresh-token vendor sets it.
func (v *oauthVendor) replica(store domain.TokenStore, o Options) *Client {
	o.Tenant = "acme"
	if o.Tokens == nil {
		o.Tokens = NewTokens(store, o.Logger)
	}
	c := NewClient(domain.Vendor("meihua"), o)
	c.Auth = &Auth{Refresh: v.refresher(c), Rejected: func(r *Response) bool { return r.Status == http.StatusUnauthorized }}
	return c
}

// refresher is the refresh call an adapter makes: the refresh token and
// the client secret go in the query, as Meihua wants them.
func (v *oauthVendor) refresher(c *Client) func(context.Context, string) (Grant, error) {
	return func(ctx context.Context, refresh string) (Grant, error) {
		resp, err := c.Call(ctx, Request{Op: "POST /oauth/access_token", Method: http.MethodPost, Public: true, Once: true,
			Build: func(ctx context.Context, _ string) (*http.Request, error) {
				q := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"app"}, "client_secret": {clientSecret}}
				return http.NewRequestWithContext(ctx, http.MethodPost, v.srv.URL+"/vendor/oauth/access_token?"+q.Encode(), nil)
			}})
		if err != nil {
			return Grant{}, err
		}
		if resp.Status >= 500 {
			return Grant{}, &domain.VendorError{Vendor: c.Vendor(), Kind: domain.VendorUnavailable, Status: resp.Status, Detail: "meihua failed"}
		}
		if resp.Status != http.StatusOK {
			var oauthErr struct {
				Error string `json:"error"`
			}
			_ = resp.Decode(c.Vendor(), &oauthErr)
			ve := &domain.VendorError{Vendor: c.Vendor(), Kind: domain.VendorAuth, Status: resp.Status, Code: oauthErr.Error, Detail: "meihua refused the refresh token"}
			if oauthErr.Error == "invalid_grant" {
				return Grant{}, GrantRejected(ve)
			}
			return Grant{}, ve
		}
		var body struct {
			AccessToken  string `json:"access_token"`
			RefreshToken string `json:"refresh_token"`
			ExpiresIn    int64  `json:"expires_in"`
		}
		if err := resp.Decode(c.Vendor(), &body); err != nil {
			return Grant{}, err
		}
		return Grant{Token: Token{Value: body.AccessToken, Expires: time.UnixMilli(body.ExpiresIn)}, Refresh: body.RefreshToken}, nil
	}
}

// api is a call of the vendor's API with the access token.
func (v *oauthVendor) api() Request {
	return Request{Op: "GET /api", Method: http.MethodGet, Build: func(ctx context.Context, tok string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, v.srv.URL+"/vendor/api?token="+url.QueryEscape(tok), nil)
	}}
}

// newFakeClock is a clock the test moves.
func newFakeClock() *vendortest.Clock {
	return vendortest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
}

var errRefused = errors.New("vendor refused the credentials")

// lockedByAnother takes the connection's fetch lock as another replica
// would, and after a moment runs finish (which may store a token) and
// releases it.
func lockedByAnother(t *testing.T, s domain.TokenStore, finish func()) {
	t.Helper()
	release, held, err := s.LockToken(context.Background(), "acme/"+string(domain.Vendor("meihua")), time.Minute)
	if err != nil || !held {
		t.Fatalf("lock: %v %v", held, err)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		finish()
		_ = release(context.Background())
	}()
}

func TestTokenSourceFetch(t *testing.T) {
	t.Parallel()
	const key = "acme/meihua"
	later := time.Now().Add(time.Hour)
	put := func(s domain.TokenStore, value string) {
		_ = s.PutToken(context.Background(), key, domain.StoredToken{Value: value, Expires: later}, time.Hour)
	}
	cases := []struct {
		name        string
		setup       func(t *testing.T, s *hookStore)
		fail        bool // the vendor refuses
		want        string
		wantErr     error
		wantFetches int32
		wantShared  string // the token the store holds afterwards
	}{
		{name: "cold: fetched under the lock and shared", want: "t1", wantFetches: 1, wantShared: "t1"},
		{name: "a token in the shared store is used", setup: func(_ *testing.T, s *hookStore) { put(s, "theirs") },
			want: "theirs", wantShared: "theirs"},
		{name: "fetch failure: returned, nothing kept", fail: true, wantErr: errRefused, wantFetches: 1},
		{name: "store unavailable: fetched directly", setup: func(_ *testing.T, s *hookStore) { s.down.Store(true) },
			want: "t1", wantFetches: 1},
		{name: "lock unavailable: fetched directly", setup: func(_ *testing.T, s *hookStore) { s.lockDown.Store(true) },
			want: "t1", wantFetches: 1},
		{name: "lock held by another replica: its token is used", setup: func(t *testing.T, s *hookStore) {
			lockedByAnother(t, s, func() { put(s.TokenStore, "theirs") })
		}, want: "theirs", wantShared: "theirs"},
		{name: "lock holder stored nothing: fetched after it", setup: func(t *testing.T, s *hookStore) {
			lockedByAnother(t, s, func() {})
		}, want: "t1", wantFetches: 1, wantShared: "t1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newHookStore(nil)
			if tc.setup != nil {
				tc.setup(t, store)
			}
			c := NewClient(domain.Vendor("meihua"), Options{Tenant: "acme", Tokens: NewTokens(store, nil)})
			var fetches atomic.Int32
			c.Auth = &Auth{Fetch: func(context.Context) (Token, error) {
				n := fetches.Add(1)
				if tc.fail {
					return Token{}, errRefused
				}
				return Token{Value: fmt.Sprintf("t%d", n), Expires: later}, nil
			}}
			src := c.TokenSource()
			tok, hit, err := src.Token(context.Background())
			if !errors.Is(err, tc.wantErr) || tok.Value != tc.want || hit {
				t.Fatalf("Token = %q hit=%v err=%v; want %q, a miss, err %v", tok.Value, hit, err, tc.want, tc.wantErr)
			}
			if n := fetches.Load(); n != tc.wantFetches {
				t.Errorf("%d fetches, want %d", n, tc.wantFetches)
			}
			store.down.Store(false)
			store.lockDown.Store(false)
			if st, _, _ := store.Token(context.Background(), key); st.Value != tc.wantShared {
				t.Errorf("shared store holds %q, want %q", st.Value, tc.wantShared)
			}
			// A token obtained is kept in process; a failure keeps nothing,
			// not even the lock.
			tok2, hit, err := src.Token(context.Background())
			if tc.wantErr == nil && err != nil {
				t.Errorf("second Token: %v", err)
			}
			if tc.wantErr == nil && (!hit || tok2 != tok || fetches.Load() != tc.wantFetches) {
				t.Errorf("second Token = %v hit=%v after %d fetches; want the same token from the process cache", tok2, hit, fetches.Load())
			}
			if tc.wantErr != nil && fetches.Load() != tc.wantFetches+1 {
				t.Errorf("after a failure the next Token made %d fetches in all, want %d", fetches.Load(), tc.wantFetches+1)
			}
			if exp, cached := src.Status(); cached != (tc.wantErr == nil) || cached && !exp.Equal(later) {
				t.Errorf("Status = %v %v", exp, cached)
			}
		})
	}
}

func TestTokenSourceNeedsOneWayToGetTokens(t *testing.T) {
	t.Parallel()
	fetch := func(context.Context) (Token, error) { t.Error("fetched"); return Token{}, nil }
	refresh := func(context.Context, string) (Grant, error) { t.Error("refreshed"); return Grant{}, nil }
	for name, auth := range map[string]*Auth{
		"no Auth":                     nil,
		"Auth with neither":           {},
		"Auth with Fetch and Refresh": {Fetch: fetch, Refresh: refresh},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := NewClient(domain.Vendor("meihua"), Options{Tenant: "acme"})
			c.Auth = auth
			if _, _, err := c.TokenSource().Token(context.Background()); err == nil || !strings.Contains(err.Error(), "Auth") {
				t.Fatalf("err = %v, want one about the connection's Auth", err)
			}
		})
	}
}

// TestTokenSourceExpiryByClock: lifetimes and margins are judged by the
// injected clock, in process and in the shared store.
func TestTokenSourceExpiryByClock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		token      func(now time.Time) Token
		useFor     time.Duration // how long after the fetch it is used
		wantExpire time.Duration // its expiry, after the fetch
	}{
		{"long life: replaced a margin before expiry", func(now time.Time) Token { return Token{Expires: now.Add(10 * time.Minute)} },
			10*time.Minute - TokenMargin, 10 * time.Minute},
		{"short life: replaced at half of it", func(now time.Time) Token { return Token{Expires: now.Add(30 * time.Second)} },
			15 * time.Second, 30 * time.Second},
		{"lifetime in seconds (Miaokol's 7200 s), counted on the clock", func(time.Time) Token { return Token{ExpiresIn: 7200 * time.Second} },
			7200*time.Second - TokenMargin, 7200 * time.Second},
		{"an expiry also set wins over a lifetime", func(now time.Time) Token {
			return Token{Expires: now.Add(10 * time.Minute), ExpiresIn: time.Hour}
		}, 10*time.Minute - TokenMargin, 10 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			start := clock.Now()
			store := memory.NewTokens(memory.TokensOptions{})
			var fetches atomic.Int32
			replica := func() *TokenSource {
				c := NewClient(domain.Vendor("miaokol"), Options{Tenant: "acme", Tokens: NewTokens(store, nil, WithTokenClock(clock.Now))})
				c.Auth = &Auth{Fetch: func(context.Context) (Token, error) {
					tok := tc.token(clock.Now())
					tok.Value = fmt.Sprintf("t%d", fetches.Add(1))
					return tok, nil
				}}
				return c.TokenSource()
			}
			a, b := replica(), replica()
			ctx := context.Background()
			first, _, err := a.Token(ctx)
			if err != nil || first.Value != "t1" {
				t.Fatal(first, err)
			}
			if exp, ok := a.Status(); !ok || !exp.Equal(start.Add(tc.wantExpire)) || !first.Expires.Equal(exp) || first.ExpiresIn != 0 {
				t.Fatalf("Status = %v %v, token %+v; want it cached, expiring %v after the fetch", exp, ok, first, tc.wantExpire)
			}
			clock.Set(start.Add(tc.useFor - time.Second))
			if tok, hit, _ := a.Token(ctx); !hit || tok.Value != "t1" {
				t.Fatalf("just inside the margin: %v hit=%v; want t1 from the process", tok, hit)
			}
			if tok, hit, _ := b.Token(ctx); hit || tok.Value != "t1" || fetches.Load() != 1 {
				t.Fatalf("another replica: %v hit=%v after %d fetches; want t1 from the shared store", tok, hit, fetches.Load())
			}
			clock.Set(start.Add(tc.useFor))
			if tok, _, _ := a.Token(ctx); tok.Value != "t2" {
				t.Fatalf("at the margin: %v; want a new token", tok)
			}
			if tok, _, _ := b.Token(ctx); tok.Value != "t2" || fetches.Load() != 2 {
				t.Fatalf("another replica at the margin: %v after %d fetches; want t2 from the store", tok, fetches.Load())
			}
		})
	}

	t.Run("an expired token is used once, never kept", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		c := NewClient(domain.Vendor("linkflow"), Options{Tenant: "acme", Tokens: NewTokens(nil, nil, WithTokenClock(clock.Now))})
		var fetches atomic.Int32
		c.Auth = &Auth{Fetch: func(context.Context) (Token, error) {
			fetches.Add(1)
			return Token{Value: "old", Expires: clock.Now().Add(-time.Hour)}, nil
		}}
		for range 3 {
			if tok, hit, err := c.TokenSource().Token(context.Background()); err != nil || hit || tok.Value != "old" {
				t.Fatal(tok, hit, err)
			}
		}
		if _, cached := c.TokenSource().Status(); cached || fetches.Load() != 3 {
			t.Fatalf("cached=%v after %d fetches", cached, fetches.Load())
		}
	})
}

// refreshEnv is one replica of a refresh-token connection over a hookable
// store, seeded with the vendor's first refresh token.
type refreshEnv struct {
	v     *oauthVendor
	store *hookStore
	c     *Client
	src   *TokenSource
}

func newRefreshEnv(t *testing.T, o Options, topts ...TokensOption) *refreshEnv {
	t.Helper()
	e := &refreshEnv{v: newOAuthVendor(t), store: newHookStore(nil)}
	e.v.log = &e.store.log
	if len(topts) > 0 {
		o.Tokens = NewTokens(e.store, o.Logger, topts...)
	}
	e.c = e.v.replica(e.store, o)
	e.src = e.c.TokenSource()
	if ok, err := e.src.SeedRefreshToken(context.Background(), refreshToken(0)); !ok || err != nil {
		t.Fatalf("seed: %v %v", ok, err)
	}
	return e
}

// other is another replica of the same connection over the same store.
func (e *refreshEnv) other() *TokenSource { return e.v.replica(e.store, Options{}).TokenSource() }

func (e *refreshEnv) call(t *testing.T) error {
	t.Helper()
	resp, err := e.c.Call(context.Background(), e.v.api())
	if err == nil && resp.Status != http.StatusOK {
		t.Fatalf("API answered %d", resp.Status)
	}
	return err
}

func TestTokenSourceRefresh(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		setup         func(t *testing.T, e *refreshEnv)
		wantErr       error                     // errors.Is target
		wantKind      domain.VendorErrorKind    // when the error is a VendorError
		wantRefreshes int32                     // refresh calls the vendor saw
		wantStored    func(*oauthVendor) string // the store's refresh token afterwards
		inOrder       []string                  // events that happen in this order
		never         []string                  // events that never happen
	}{
		{
			name:          "the rotated refresh token is saved before its access token is shared or used",
			wantRefreshes: 1, wantStored: (*oauthVendor).refreshToken,
			inOrder: []string{sending(refreshToken(0)), rotated(refreshToken(0), refreshToken(1)), "put " + accessToken(1), "use " + accessToken(1)},
		},
		{
			name:          "the vendor keeps the refresh token: nothing to swap",
			setup:         func(_ *testing.T, e *refreshEnv) { e.v.keep.Store(true) },
			wantRefreshes: 1, wantStored: func(*oauthVendor) string { return refreshToken(0) },
			inOrder: []string{"put " + accessToken(1), "use " + accessToken(1)},
		},
		{
			name: "saving the rotated refresh token fails: its access token is never used",
			setup: func(_ *testing.T, e *refreshEnv) {
				e.store.beforeSwap = func(_ context.Context, old, _ string) {
					if strings.HasPrefix(old, recordMark) {
						e.store.swapDown.Store(true) // the vendor has answered
					}
				}
			},
			wantErr:       domain.ErrStoreUnavailable,
			wantRefreshes: 1, wantStored: func(*oauthVendor) string { return refreshToken(0) },
			never: []string{"put " + accessToken(1), "use " + accessToken(1)},
		},
		{
			name: "another replica rotated first: its token is used, no second refresh",
			setup: func(t *testing.T, e *refreshEnv) {
				other := e.other()
				e.store.beforeSwap = func(ctx context.Context, old, _ string) {
					if !strings.HasPrefix(old, recordMark) {
						return // not yet answered
					}
					e.store.beforeSwap = nil
					if ok, err := other.Rotate(ctx, refreshToken(0), e.v.authorize()); !ok || err != nil {
						t.Errorf("other replica's Rotate: %v %v", ok, err)
					}
				}
			},
			wantRefreshes: 1, wantStored: (*oauthVendor).refreshToken,
			inOrder: []string{"swap authorized/sending:" + refreshToken(0) + ">" + refreshToken(2), "put " + accessToken(2), "use " + accessToken(2)},
			never:   []string{"put " + accessToken(1), "use " + accessToken(1)},
		},
		{
			name: "another replica rotated first and stores its token late: waited for",
			setup: func(_ *testing.T, e *refreshEnv) {
				e.store.beforeSwap = func(ctx context.Context, old, _ string) {
					if !strings.HasPrefix(old, recordMark) {
						return
					}
					e.store.beforeSwap = nil
					g := e.v.authorize()
					_, _ = e.store.SwapRefreshToken(ctx, "acme/meihua", old, g.Refresh)
					go func() {
						time.Sleep(30 * time.Millisecond)
						_ = e.store.PutToken(context.Background(), "acme/meihua", domain.StoredToken{Value: g.Value, Expires: g.Expires}, time.Hour)
					}()
				}
			},
			wantRefreshes: 1, wantStored: (*oauthVendor).refreshToken,
			inOrder: []string{"swap authorized/sending:" + refreshToken(0) + ">" + refreshToken(2), "put " + accessToken(2), "use " + accessToken(2)},
			never:   []string{"put " + accessToken(1), "use " + accessToken(1)},
		},
		{
			name: "lock held by another replica: waits for its token",
			setup: func(t *testing.T, e *refreshEnv) {
				other := e.other()
				lockedByAnother(t, e.store, func() {
					if ok, err := other.Rotate(context.Background(), refreshToken(0), e.v.authorize()); !ok || err != nil {
						t.Errorf("other replica's Rotate: %v %v", ok, err)
					}
				})
			},
			wantRefreshes: 0, wantStored: (*oauthVendor).refreshToken,
			inOrder: []string{"put " + accessToken(1), "use " + accessToken(1)},
		},
		{
			name: "no refresh token: not connected, the vendor is not called",
			setup: func(t *testing.T, e *refreshEnv) {
				if ok, _ := e.store.SwapRefreshToken(context.Background(), "acme/meihua", refreshToken(0), ""); !ok {
					t.Fatal("clearing the refresh token failed")
				}
			},
			wantKind: domain.VendorReauthorizationRequired, wantStored: func(*oauthVendor) string { return "" },
		},
		{
			name:          "the vendor refuses the refresh token: the authorization ends",
			setup:         func(_ *testing.T, e *refreshEnv) { e.v.deauthorize() },
			wantKind:      domain.VendorReauthorizationRequired,
			wantRefreshes: 1, wantStored: func(*oauthVendor) string { return "" },
			inOrder: []string{sending(refreshToken(0)), "swap authorized/sending:" + refreshToken(0) + ">reauthorization_required(refresh_token_rejected)"},
		},
		{
			name:          "the vendor refuses the client's credentials: the refresh token is kept",
			setup:         func(_ *testing.T, e *refreshEnv) { e.v.badClient.Store(true) },
			wantKind:      domain.VendorAuth,
			wantRefreshes: 1, wantStored: func(*oauthVendor) string { return refreshToken(0) },
			inOrder: []string{sending(refreshToken(0)), "swap authorized/sending:" + refreshToken(0) + ">" + refreshToken(0)},
		},
		{
			name:     "store unavailable: nothing is refreshed",
			setup:    func(_ *testing.T, e *refreshEnv) { e.store.down.Store(true) },
			wantErr:  domain.ErrStoreUnavailable,
			wantKind: 0, wantStored: func(*oauthVendor) string { return refreshToken(0) },
		},
		{
			name:     "lock unavailable: nothing is refreshed without it",
			setup:    func(_ *testing.T, e *refreshEnv) { e.store.lockDown.Store(true) },
			wantErr:  domain.ErrStoreUnavailable,
			wantKind: 0, wantStored: func(*oauthVendor) string { return refreshToken(0) },
		},
		{
			name: "a rejected access token is dropped and refreshed once; the call is sent again",
			setup: func(t *testing.T, e *refreshEnv) {
				if err := e.call(t); err != nil {
					t.Fatal(err)
				}
				e.v.revoke()
			},
			wantRefreshes: 2, wantStored: (*oauthVendor).refreshToken,
			inOrder: []string{"use " + accessToken(1), rotated(refreshToken(1), refreshToken(2)), "put " + accessToken(2), "use " + accessToken(2)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newRefreshEnv(t, Options{})
			if tc.setup != nil {
				tc.setup(t, e)
			}
			err := e.call(t)
			var ve *domain.VendorError
			switch {
			case tc.wantErr == nil && tc.wantKind == 0 && err != nil:
				t.Fatalf("call: %v", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			case tc.wantKind != 0 && (!errors.As(err, &ve) || ve.Kind != tc.wantKind):
				t.Fatalf("err = %v, want a vendor error of kind %v", err, tc.wantKind)
			}
			if n := e.v.refreshes.Load(); n != tc.wantRefreshes {
				t.Errorf("the vendor saw %d refresh calls, want %d", n, tc.wantRefreshes)
			}
			if n := e.v.reused.Load(); n != 0 {
				t.Errorf("%d refresh tokens were sent twice", n)
			}
			e.store.down.Store(false)
			e.store.lockDown.Store(false)
			if got, _, _ := e.src.RefreshToken(context.Background()); got != tc.wantStored(e.v) {
				t.Errorf("stored refresh token %q, want %q", got, tc.wantStored(e.v))
			}
			last := -1
			for _, ev := range tc.inOrder {
				i := e.store.log.index(ev)
				if i <= last {
					t.Errorf("%q at %d, want it after %v (events %v)", ev, i, tc.inOrder, e.store.log.events)
				}
				last = i
			}
			for _, ev := range tc.never {
				if e.store.log.index(ev) >= 0 {
					t.Errorf("%q happened (events %v)", ev, e.store.log.events)
				}
			}
			if _, cached := e.src.Status(); cached != (err == nil) {
				t.Errorf("cached=%v after err %v", cached, err)
			}
		})
	}
}

func TestSeedRefreshTokenNeverOverwrites(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		setup      func(s *hookStore)
		seed       string
		wantSeeded bool
		wantErr    error
		want       string
	}{
		{"empty store: seeded", nil, "boot", true, nil, "boot"},
		{"a rotated token is kept", func(s *hookStore) {
			_, _ = s.SwapRefreshToken(context.Background(), "acme/meihua", "", "boot")
			_, _ = s.SwapRefreshToken(context.Background(), "acme/meihua", "boot", "rotated")
		}, "boot", false, nil, "rotated"},
		{"nothing to seed", nil, "", false, nil, ""},
		{"store unavailable", func(s *hookStore) { s.down.Store(true) }, "boot", false, domain.ErrStoreUnavailable, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newHookStore(nil)
			if tc.setup != nil {
				tc.setup(store)
			}
			src := NewClient(domain.Vendor("meihua"), Options{Tenant: "acme", Tokens: NewTokens(store, nil)}).TokenSource()
			seeded, err := src.SeedRefreshToken(context.Background(), tc.seed)
			if seeded != tc.wantSeeded || !errors.Is(err, tc.wantErr) {
				t.Fatalf("SeedRefreshToken = %v %v; want %v %v", seeded, err, tc.wantSeeded, tc.wantErr)
			}
			store.down.Store(false)
			if got, _, _ := src.RefreshToken(context.Background()); got != tc.want {
				t.Fatalf("stored %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRefreshPathLeaksNoSecret drives the refresh path through success and
// every failure, with logs, spans and metrics recorded, and looks for any
// token or the client secret in them, in the errors and in the status.
func TestRefreshPathLeaksNoSecret(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Options{SpanExporter: spans, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := vendortest.NewClock(time.Now())
	e := newRefreshEnv(t, Options{Telemetry: tel, Logger: log, Retry: RetryPolicy{MaxAttempts: 1}}, WithTokenClock(clock.Now))
	var seen []string
	steps := []struct {
		name    string
		prepare func()
		fails   bool
	}{
		{"refresh and use", func() {}, false},
		{"swap lost to another replica", func() {
			e.v.revoke()
			other := e.other()
			e.store.beforeSwap = func(ctx context.Context, old, _ string) {
				e.store.beforeSwap = nil
				_, _ = other.Rotate(ctx, old, e.v.authorize())
			}
		}, false},
		{"rotated refresh token not saved", func() {
			e.v.revoke()
			e.store.beforeSwap = func(_ context.Context, old, _ string) {
				if strings.HasPrefix(old, recordMark) {
					e.store.beforeSwap = nil
					e.store.swapDown.Store(true) // the vendor has answered
				}
			}
		}, true},
		// The vendor rotated, the store kept the old refresh token: the
		// probe that follows gets a refusal that repeats the token.
		{"vendor refuses the refresh token", func() { e.store.swapDown.Store(false) }, true},
		// Past the refusal, which is remembered for a while.
		{"store unavailable", func() { clock.Advance(RefusalHold); e.store.down.Store(true) }, true},
		{"lock unavailable", func() { e.store.down.Store(false); e.store.lockDown.Store(true) }, true},
		// The refresh URL carries the refresh token and the client secret.
		// Connected again, with a token that then expires.
		{"vendor unreachable", func() {
			e.store.lockDown.Store(false)
			if err := e.src.Authorize(context.Background(), e.v.authorize()); err != nil {
				t.Fatal(err)
			}
			clock.Advance(25 * time.Hour)
			e.v.srv.Close()
		}, true},
	}
	for _, s := range steps {
		s.prepare()
		err := e.call(t)
		if (err != nil) != s.fails {
			t.Fatalf("%s: err = %v, want failure %v", s.name, err, s.fails)
		}
		if err != nil {
			seen = append(seen, s.name+": "+err.Error())
		}
		exp, cached := e.src.Status()
		seen = append(seen, fmt.Sprint(e.c.Status(), exp, cached))
	}
	for _, s := range spans.GetSpans() {
		seen = append(seen, s.Name, s.Status.Description, fmt.Sprint(s.Attributes), fmt.Sprint(s.Events))
	}
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	seen = append(seen, logs.String(), rec.Body.String())
	all := strings.Join(seen, "\n")
	if strings.Contains(all, secretMark) {
		t.Fatalf("a secret leaked:\n%s", all)
	}
	// The failures were logged and reported, so the check above had
	// something to look at.
	for _, want := range []string{"were not saved", "another replica first", "cannot be refreshed without it", "authorization ended", "could not be reached"} {
		if !strings.Contains(all, want) {
			t.Errorf("nothing says %q:\n%s", want, all)
		}
	}
}

// TestRefreshTelemetry: refresh calls are counted as token fetches by
// outcome, and vendor call spans say whether the token came from the
// process cache.
func TestRefreshTelemetry(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Options{SpanExporter: spans, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	e := newRefreshEnv(t, Options{Telemetry: tel})
	for range 2 {
		if err := e.call(t); err != nil {
			t.Fatal(err)
		}
	}
	e.v.revoke()
	e.v.deauthorize()
	if err := e.call(t); err == nil {
		t.Fatal("a call succeeded with a revoked token and no authorization")
	}
	var states []string
	for _, s := range spans.GetSpans() {
		for _, kv := range s.Attributes {
			if kv.Key == telemetry.KeyTokenHit {
				states = append(states, s.Name+" "+kv.Value.String())
			}
		}
	}
	want := []string{
		"meihua POST /oauth/access_token none", "meihua GET /api miss",
		"meihua GET /api hit",
		"meihua GET /api hit", "meihua POST /oauth/access_token none",
	}
	if !slices.Equal(states, want) {
		t.Errorf("span token states %q, want %q", states, want)
	}
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	counts := map[string]string{}
	for line := range strings.Lines(rec.Body.String()) {
		if !strings.HasPrefix(line, "cdpgw_vendor_token_fetches_total{") {
			continue
		}
		for _, outcome := range []string{"ok", "refused"} {
			if strings.Contains(line, `outcome="`+outcome+`"`) && strings.Contains(line, `vendor="meihua"`) {
				counts[outcome] = strings.TrimSpace(line[strings.LastIndexByte(line, ' '):])
			}
		}
	}
	if counts["ok"] != "1" || counts["refused"] != "1" {
		t.Errorf("token fetches by outcome %v, want one ok and one refused\n%s", counts, rec.Body.String())
	}
}

// pausedReadStore holds its first Token read after reading, until release
// is closed: a load that read the store just before a token was dropped.
type pausedReadStore struct {
	domain.TokenStore
	paused  atomic.Bool
	read    chan struct{}
	release chan struct{}
}

func (s *pausedReadStore) Token(ctx context.Context, key string) (domain.StoredToken, bool, error) {
	tok, ok, err := s.TokenStore.Token(ctx, key)
	if s.paused.CompareAndSwap(false, true) {
		close(s.read)
		<-s.release
	}
	return tok, ok, err
}

// TestRejectedTokenNotBroughtBack: a load that read a token from the store
// before the vendor refused it must not hand it to callers that come after
// the refusal, nor cache it again; they get a new token.
func TestRejectedTokenNotBroughtBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &pausedReadStore{TokenStore: memory.NewTokens(memory.TokensOptions{}), read: make(chan struct{}), release: make(chan struct{})}
	const key = "acme/toy"
	if err := store.PutToken(ctx, key, domain.StoredToken{Value: "t1", Expires: time.Now().Add(time.Hour)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens(store, nil)
	var fetches atomic.Int32
	f := fetchFunc(func(context.Context) (Token, error) {
		fetches.Add(1)
		return Token{Value: "t2", Expires: time.Now().Add(time.Hour)}, nil
	})

	early := make(chan Token, 1)
	go func() {
		tok, _, _ := tokens.get(ctx, key, f)
		early <- tok
	}()
	<-store.read // the early load holds t1, read before the refusal
	tokens.invalidate(ctx, key, "t1")

	late := make(chan Token, 1)
	go func() {
		tok, _, err := tokens.get(ctx, key, f)
		if err != nil {
			t.Error(err)
		}
		late <- tok
	}()
	// The late caller must not wait for the early load: it gets t2 while
	// the early load is still held.
	select {
	case tok := <-late:
		if tok.Value != "t2" {
			t.Fatalf("a caller after the refusal got %q, want a new token", tok.Value)
		}
	case <-time.After(10 * time.Second):
		close(store.release)
		t.Fatal("a caller after the refusal joined the load that read the refused token")
	}
	close(store.release)
	<-early
	if tok, ok := tokens.cached(key); !ok || tok.Value != "t2" {
		t.Fatalf("process cache holds %v %v after the early load ended, want t2", tok, ok)
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

// TestCredentialRefusalRemembered: a vendor refusing the credentials is
// asked once per RefusalHold across replicas, not once per call; callers
// get the refusal with a Retry-After, the breaker does not count it, the
// status and a metric show it, and a token obtained later ends it.
func TestCredentialRefusalRemembered(t *testing.T) {
	t.Parallel()
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	clock := vendortest.NewClock(time.Now())
	store := memory.NewTokens(memory.TokensOptions{Now: clock.Now})
	var fetches atomic.Int32
	var good atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	replica := func() *Client {
		c := NewClient(domain.Vendor("linkflow"), Options{Tenant: "acme", Telemetry: tel, Breaker: BreakerSettings{Failures: 1},
			Tokens: NewTokens(store, nil, WithTokenClock(clock.Now))})
		c.Auth = &Auth{
			Fetch: func(context.Context) (Token, error) {
				fetches.Add(1)
				if !good.Load() {
					return Token{}, &domain.VendorError{Vendor: "linkflow", Kind: domain.VendorAuth, Status: 401, Code: "E401", Detail: "linkflow refused the app key and secret"}
				}
				return Token{Value: "tok", Expires: clock.Now().Add(time.Hour)}, nil
			},
			Rejected: func(r *Response) bool { return r.Status == http.StatusUnauthorized },
		}
		return c
	}
	call := func(c *Client) error {
		_, err := c.Call(context.Background(), Request{Op: "GET /x", Method: http.MethodGet, Build: func(ctx context.Context, _ string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		}})
		return err
	}
	a, b := replica(), replica()
	for i := range 11 {
		err := call([]*Client{a, b}[i%2])
		var ve *domain.VendorError
		if !errors.As(err, &ve) || ve.Kind != domain.VendorAuth || ve.Code != "E401" {
			t.Fatalf("call %d: %v, want the vendor's refusal", i+1, err)
		}
		if i > 0 && (ve.RetryAfter <= 0 || ve.RetryAfter > RefusalHold) {
			t.Fatalf("call %d: Retry-After %v, want the rest of %v", i+1, ve.RetryAfter, RefusalHold)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d token calls for 11 calls on two replicas, want 1", n)
	}
	for _, c := range []*Client{a, b} {
		if st := c.Status(); st.Breaker != "closed" || st.Token != "refused" || !st.TokenExpires.After(clock.Now()) {
			t.Fatalf("status %+v, want a closed breaker and the refusal until a later time", st)
		}
	}
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `cdpgw_vendor_credential_refusals_total{tenant="acme",vendor="linkflow"} 10`) {
		t.Fatalf("remembered refusals not counted:\n%s", rec.Body.String())
	}

	// Past the hold the vendor is asked again, once; with new credentials
	// (a restart) its token ends the refusal here and in the shared store.
	clock.Advance(RefusalHold)
	good.Store(true)
	if err := call(a); err != nil {
		t.Fatal(err)
	}
	if err := call(b); err != nil {
		t.Fatal(err)
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("%d token calls, want 2", n)
	}
	if st := a.Status(); st.Token != "cached" {
		t.Fatalf("status %+v after a token", st)
	}
	// The credentials stop working: both replicas remember the refusal.
	good.Store(false)
	for _, c := range []*Client{a, b} {
		c.TokenSource().Invalidate(context.Background(), "tok")
		if err := call(c); err == nil {
			t.Fatal("refused credentials worked")
		}
	}
	if n := fetches.Load(); n != 3 {
		t.Fatalf("%d token calls, want 3", n)
	}
	// A token obtained on one replica (here: an authorization) ends the
	// refusal there and on the other at once.
	if ok, err := a.TokenSource().Rotate(context.Background(), "", Grant{Token: Token{Value: "tok2", Expires: clock.Now().Add(time.Hour)}}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	for i, c := range []*Client{a, b, replica()} {
		if err := call(c); err != nil {
			t.Fatalf("replica %d after a new token: %v", i, err)
		}
	}
	if n := fetches.Load(); n != 3 {
		t.Fatalf("%d token calls, want no more", n)
	}
}
