package vendorhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/singleflight"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Token is a vendor access token and when it stops working.
type Token struct {
	Value   string
	Expires time.Time
	// ExpiresIn is the token's lifetime counted from when the vendor
	// answered, for vendors that send a duration instead of a time. It is
	// read only when Expires is zero: the token source turns it into
	// Expires with its own clock.
	ExpiresIn time.Duration
}

// Grant is what a refresh-token vendor answers to a refresh (or to an
// authorization code exchange): an access token and the refresh token to
// send next time.
type Grant struct {
	Token
	// Refresh is the refresh token for the next refresh: a new one when the
	// vendor rotates them, or "" (or the one sent) when it keeps the old.
	Refresh string
}

// TokenMargin is how long before its expiry a token is replaced.
const TokenMargin = 60 * time.Second

// Timings of the shared token path.
const (
	// tokenFetchTimeout bounds one token fetch shared by many waiters; the
	// cross-replica fetch lock lives as long.
	tokenFetchTimeout = 30 * time.Second
	// tokenPollMin and tokenPollMax pace a replica waiting for another
	// replica's fetch to land in the shared store.
	tokenPollMin = 10 * time.Millisecond
	tokenPollMax = 200 * time.Millisecond
)

// RefusalHold is how long a vendor's refusal of a connection's credentials
// is remembered: until then the connection's calls that need a new token
// fail with the refusal at once, without asking the vendor again.
const RefusalHold = 30 * time.Second

// Tokens caches vendor access tokens by connection key in two levels: an
// in-process map in front of a shared domain.TokenStore (Redis across
// replicas). A call whose token is cached in process touches nothing else.
// On a miss, one goroutine per key and process (single-flight) looks in
// the shared store; if the token is not there it takes the store's fetch
// lock, so that one replica asks the vendor while the others wait for the
// token to appear. A cold cache under load thus costs one vendor token call
// in all. Tokens are used until TokenMargin before they expire (half their
// life for tokens shorter than two margins) and stored for as long.
//
// When the shared store cannot be reached, tokens already in process keep
// working and a missing one is fetched from the vendor directly, except for
// refresh-token vendors (see TokenSource).
//
// A vendor refusing the credentials (a fetch failing with VendorAuth) is
// remembered for RefusalHold, in process and in the shared store (as an
// entry of its own next to the key's token), so that a connection with a
// wrong secret costs one vendor token call per RefusalHold across all
// replicas, not one per request. A token obtained later (new credentials
// after a restart, an authorization) ends it.
//
// Adapters do not use Tokens directly: each Client hands out its
// connection's TokenSource, which is bound to the connection's key.
type Tokens struct {
	store domain.TokenStore
	log   *slog.Logger
	mu    sync.RWMutex
	m     map[string]cachedToken
	// rejected is the last token value a vendor refused, by key: a load
	// that read it from the store before it was dropped must not bring it
	// back into the process cache. The vendor issuing it again clears it.
	rejected map[string]string
	// refused is the credential refusal remembered by key.
	refused map[string]refusal
	flight  singleflight.Group
	now     func() time.Time
}

// refusal is a vendor's refusal of a connection's credentials and until
// when it stands.
type refusal struct {
	vendor domain.Vendor
	kind   domain.VendorErrorKind // VendorAuth or VendorReauthorizationRequired
	code   string
	detail string
	until  time.Time
}

// refusalRemembered is a credential refusal answered from memory: the
// vendor was not asked.
type refusalRemembered struct{ *domain.VendorError }

func (e *refusalRemembered) Unwrap() error { return e.VendorError }

// err is the error callers get while r stands, at now.
func (r refusal) err(now time.Time) error {
	if r.kind == domain.VendorReauthorizationRequired {
		return &refusalRemembered{&domain.VendorError{Vendor: r.vendor, Kind: r.kind, Code: r.code, Detail: r.detail}}
	}
	return &refusalRemembered{&domain.VendorError{Vendor: r.vendor, Kind: domain.VendorAuth, Code: r.code,
		RetryAfter: max(r.until.Sub(now), time.Second),
		Detail: fmt.Sprintf("%s refused the gateway's credentials for this tenant moments ago; "+
			"the gateway does not ask it again before Retry-After", r.vendor)}}
}

// refusalKey is the shared store's key for key's credential refusal.
func refusalKey(key string) string { return key + "#refused" }

// The shared store keeps a refusal as a token entry whose value is the
// vendor, the kind and the vendor's error code (a connection needing a
// new authorization: its reason). Details are the gateway's own words,
// rebuilt from these.
func (r refusal) stored() domain.StoredToken {
	kind := "auth"
	if r.kind == domain.VendorReauthorizationRequired {
		kind = "authorization"
	}
	return domain.StoredToken{Value: string(r.vendor) + " " + kind + " " + r.code, Expires: r.until}
}

func refusalFrom(st domain.StoredToken) refusal {
	v, rest, _ := strings.Cut(st.Value, " ")
	kind, code, _ := strings.Cut(rest, " ")
	r := refusal{vendor: domain.Vendor(v), kind: domain.VendorAuth, code: code, until: st.Expires}
	if kind == "authorization" {
		r.kind = domain.VendorReauthorizationRequired
		r.detail = authorizationDetail(r.vendor, code)
	}
	return r
}

type cachedToken struct {
	Token
	useUntil time.Time
}

// TokensOption configures NewTokens.
type TokensOption func(*Tokens)

// WithTokenClock makes the cache read the time from now instead of
// time.Now: token expiry, the margin and lifetimes given as ExpiresIn are
// judged by it.
func WithTokenClock(now func() time.Time) TokensOption {
	return func(t *Tokens) { t.now = now }
}

// NewTokens returns a token cache over store (nil: an in-process store).
func NewTokens(store domain.TokenStore, log *slog.Logger, opts ...TokensOption) *Tokens {
	if store == nil {
		store = memory.NewTokens(memory.TokensOptions{})
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Tokens{store: store, log: log, m: make(map[string]cachedToken), rejected: make(map[string]string),
		refused: make(map[string]refusal), now: time.Now}
	for _, o := range opts {
		o(t)
	}
	return t
}

// fetcher gets new tokens for one key from its vendor.
type fetcher interface {
	// fetch asks the vendor for a token. It runs while this replica holds
	// the key's fetch lock, or without the lock when the shared store
	// cannot be reached and needsStore is false. It returns
	// errRotatedElsewhere when another replica's tokens are to be used.
	fetch(ctx context.Context) (Token, error)
	// needsStore reports whether fetch must not run without the shared
	// store.
	needsStore() bool
}

// errRotatedElsewhere: another replica changed the refresh token first;
// its access token is the one to use.
var errRotatedElsewhere = errors.New("the refresh token was rotated by another replica")

// get returns key's token and whether it came from the in-process cache,
// fetching one with f when needed. The fetch runs detached from any one
// caller's cancellation (other callers may be waiting for it) but bounded
// in time; each caller stops waiting when its own context ends.
func (t *Tokens) get(ctx context.Context, key string, f fetcher) (Token, bool, error) {
	if tok, ok := t.cached(key); ok {
		return tok, true, nil
	}
	if r, ok := t.refusal(key); ok {
		// A token obtained meanwhile (by an authorization on another
		// replica) ends the refusal.
		if tok, ok, err := t.shared(ctx, key); err == nil && ok {
			t.mu.Lock()
			delete(t.refused, key)
			t.mu.Unlock()
			return tok, false, nil
		}
		return Token{}, false, r.err(t.now())
	}
	ch := t.flight.DoChan(key, func() (any, error) {
		if tok, ok := t.cached(key); ok {
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		defer cancel()
		return t.load(fctx, key, f)
	})
	select {
	case <-ctx.Done():
		return Token{}, false, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return Token{}, false, r.Err
		}
		return r.Val.(Token), false, nil
	}
}

// load finds key's token in the shared store or fetches it under the
// store's lock, unless the shared store remembers a credential refusal.
func (t *Tokens) load(ctx context.Context, key string, f fetcher) (Token, error) {
	wait := tokenPollMin
	for {
		if tok, ok, err := t.shared(ctx, key); err != nil {
			return t.fetchDirect(ctx, key, f, err)
		} else if ok {
			return tok, nil
		}
		if r, ok := t.sharedRefusal(ctx, key); ok {
			return Token{}, r.err(t.now())
		}
		release, held, err := t.store.LockToken(ctx, key, tokenFetchTimeout)
		if err != nil {
			return t.fetchDirect(ctx, key, f, err)
		}
		if held {
			return t.fetchLocked(ctx, key, f, release)
		}
		// Another replica is fetching: wait for its token to land.
		if err := pause(ctx, &wait); err != nil {
			return Token{}, err
		}
	}
}

// awaitShared waits for another replica's token to land in the store.
func (t *Tokens) awaitShared(ctx context.Context, key string) (Token, error) {
	wait := tokenPollMin
	for {
		if tok, ok, err := t.shared(ctx, key); err != nil || ok {
			return tok, err
		}
		if err := pause(ctx, &wait); err != nil {
			return Token{}, err
		}
	}
}

// pause sleeps *wait (or until ctx ends) and doubles it up to tokenPollMax.
func pause(ctx context.Context, wait *time.Duration) error {
	if err := sleep(ctx, *wait); err != nil {
		return err
	}
	*wait = min(*wait*2, tokenPollMax)
	return nil
}

// shared reads key's token from the store into the process cache.
func (t *Tokens) shared(ctx context.Context, key string) (Token, bool, error) {
	st, ok, err := t.store.Token(ctx, key)
	if err != nil || !ok || !t.now().Before(st.Expires) || t.wasRejected(key, st.Value) {
		return Token{}, false, err
	}
	// The store keeps the use-until time; the true expiry is not needed
	// past it.
	tok := Token{Value: st.Value, Expires: st.Expires}
	t.keep(key, cachedToken{Token: tok, useUntil: st.Expires}, false)
	return tok, true, nil
}

func (t *Tokens) fetchLocked(ctx context.Context, key string, f fetcher, release func(context.Context) error) (Token, error) {
	defer func() {
		if err := release(context.WithoutCancel(ctx)); err != nil {
			t.log.LogAttrs(ctx, slog.LevelWarn, "token lock not released; it expires by itself", slog.String("key", key), slog.String("error", err.Error()))
		}
	}()
	// The lock holder before us may have stored a token just now.
	if tok, ok, err := t.shared(ctx, key); err == nil && ok {
		return tok, nil
	}
	tok, err := f.fetch(ctx)
	if errors.Is(err, errRotatedElsewhere) {
		return t.awaitShared(ctx, key)
	}
	if err != nil {
		t.refuse(ctx, key, err, true)
		return Token{}, err
	}
	t.share(ctx, key, tok)
	return tok, nil
}

// fetchDirect fetches without the shared store, which failed with cause.
func (t *Tokens) fetchDirect(ctx context.Context, key string, f fetcher, cause error) (Token, error) {
	msg := "token store unavailable; fetching the token without it"
	if f.needsStore() {
		msg = "token store unavailable; the token cannot be refreshed without it"
	}
	t.log.LogAttrs(ctx, slog.LevelWarn, msg, slog.String("key", key), slog.String("error", cause.Error()))
	if f.needsStore() {
		return Token{}, fmt.Errorf("no access token: it cannot be refreshed while the token store is unavailable: %w", cause)
	}
	tok, err := f.fetch(ctx)
	if err != nil {
		t.refuse(ctx, key, err, false)
		return Token{}, err
	}
	t.cache(key, tok)
	return tok, nil
}

// refuse remembers err when it is the vendor refusing key's credentials:
// in process, and in the shared store when shared.
func (t *Tokens) refuse(ctx context.Context, key string, err error, shared bool) {
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != domain.VendorAuth && ve.Kind != domain.VendorReauthorizationRequired {
		return
	}
	r := refusal{vendor: ve.Vendor, kind: ve.Kind, code: ve.Code, detail: ve.Detail, until: t.now().Add(RefusalHold)}
	t.mu.Lock()
	t.refused[key] = r
	t.mu.Unlock()
	t.log.LogAttrs(ctx, slog.LevelWarn, "vendor refused the connection's credentials; not asking again for a while",
		slog.String("key", key), slog.Duration("for", RefusalHold))
	if !shared {
		return
	}
	if err := t.store.PutToken(ctx, refusalKey(key), r.stored(), RefusalHold); err != nil {
		t.log.LogAttrs(ctx, slog.LevelWarn, "credential refusal not shared: store unavailable", slog.String("key", key), slog.String("error", err.Error()))
	}
}

// refusal returns key's credential refusal while it stands in process.
func (t *Tokens) refusal(key string) (refusal, bool) {
	t.mu.RLock()
	r, ok := t.refused[key]
	t.mu.RUnlock()
	return r, ok && t.now().Before(r.until)
}

// sharedRefusal reads key's credential refusal from the shared store into
// the process. A store failure reads as none: the fetch that follows finds
// out about the store.
func (t *Tokens) sharedRefusal(ctx context.Context, key string) (refusal, bool) {
	st, ok, err := t.store.Token(ctx, refusalKey(key))
	if err != nil || !ok || !t.now().Before(st.Expires) {
		return refusal{}, false
	}
	r := refusalFrom(st)
	t.mu.Lock()
	t.refused[key] = r
	t.mu.Unlock()
	return r, true
}

// share keeps a freshly fetched token in process and in the shared store,
// where it also ends a credential refusal.
func (t *Tokens) share(ctx context.Context, key string, tok Token) {
	c := t.cache(key, tok)
	if ttl := c.useUntil.Sub(t.now()); ttl > 0 {
		if err := t.store.PutToken(ctx, key, domain.StoredToken{Value: tok.Value, Expires: c.useUntil}, ttl); err != nil {
			t.log.LogAttrs(ctx, slog.LevelWarn, "token not shared: store unavailable", slog.String("key", key), slog.String("error", err.Error()))
			return
		}
	}
	if err := t.store.PutToken(ctx, refusalKey(key), domain.StoredToken{}, 0); err != nil {
		t.log.LogAttrs(ctx, slog.LevelWarn, "credential refusal not cleared: store unavailable", slog.String("key", key), slog.String("error", err.Error()))
	}
}

// cache keeps a freshly fetched token in process, where it ends a
// credential refusal, and returns the entry.
func (t *Tokens) cache(key string, tok Token) cachedToken {
	now := t.now()
	margin := TokenMargin
	if life := tok.Expires.Sub(now); life < 2*TokenMargin {
		margin = life / 2
	}
	c := cachedToken{Token: tok, useUntil: tok.Expires.Add(-margin)}
	t.keep(key, c, true)
	return c
}

// keep caches c in process. A token read from the store (fresh false) is
// not kept when the vendor has refused it meanwhile; a token the vendor
// has just issued (fresh) is, even the one it refused (some vendors hand
// out the same token until it expires).
func (t *Tokens) keep(key string, c cachedToken, fresh bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.rejected[key]; ok && v == c.Value {
		if !fresh {
			return
		}
		delete(t.rejected, key)
	}
	if fresh {
		delete(t.refused, key)
	}
	t.m[key] = c
}

func (t *Tokens) wasRejected(key, value string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.rejected[key]
	return ok && v == value
}

// cached returns key's in-process token while it may be used.
func (t *Tokens) cached(key string) (Token, bool) {
	t.mu.RLock()
	c, ok := t.m[key]
	t.mu.RUnlock()
	if !ok || !t.now().Before(c.useUntil) {
		return Token{}, false
	}
	return c.Token, true
}

// invalidate drops key's token if it is still value, here and in the
// shared store.
//
// A load already under way may have read value from the store before it
// was dropped: callers that come after this do not join it (they start a
// load of their own), and what it read is not cached again.
func (t *Tokens) invalidate(ctx context.Context, key, value string) {
	t.mu.Lock()
	if c, ok := t.m[key]; ok && c.Value == value {
		delete(t.m, key)
	}
	t.rejected[key] = value
	t.mu.Unlock()
	t.flight.Forget(key)
	if err := t.store.DropToken(context.WithoutCancel(ctx), key, value); err != nil {
		t.log.LogAttrs(ctx, slog.LevelWarn, "rejected token not dropped from the store", slog.String("key", key), slog.String("error", err.Error()))
	}
}

// TokenSource hands out the access tokens of one tenant connection, in the
// manner of golang.org/x/oauth2's ReuseTokenSource: a token is reused from
// the Tokens cache (in process, then the shared store) while it is valid,
// and a new one is obtained from the vendor under the cross-replica fetch
// lock when it is not. The connection's Client makes it (Client.TokenSource)
// and obtains tokens through the adapter's Auth:
//
//   - Auth.Fetch (credentials for a token: Linkflow, Miaokol) is called as
//     it is; when the shared store is unavailable it is called directly;
//   - Auth.Refresh (refresh-token vendors: Meihua) is called with the
//     connection's refresh token from the shared store, under the fetch
//     lock, and only through the refresh record kept there (refresh.go):
//     a refresh token is sent to the vendor once across all replicas, a
//     rotated one is saved with a compare-and-swap before its access token
//     is cached, shared or used, a refused one ends the connection's
//     authorization until an operator connects it again, and a refresh
//     whose answer is lost is never resent blindly. Without the shared
//     store nothing is refreshed (the rotated token could not be saved);
//     tokens already in process keep working.
//
// A vendor that signs its requests instead (NXCloud) sets no Auth and has
// no use for a TokenSource.
type TokenSource struct {
	tokens *Tokens
	key    string
	c      *Client
}

// Token returns a valid access token for the connection and whether it
// came from this process's cache.
func (s *TokenSource) Token(ctx context.Context) (Token, bool, error) {
	return s.tokens.get(ctx, s.key, s)
}

// Invalidate drops token value (a vendor said it no longer works) here and
// in the shared store, so the next Token finds or obtains a new one. A
// token that another caller or replica already replaced is kept. Other
// replicas still holding value in process find out on their own next
// rejected call and then pick up the new token from the store.
func (s *TokenSource) Invalidate(ctx context.Context, value string) {
	s.tokens.invalidate(ctx, s.key, value)
}

// Status reports whether this process holds a usable token and when it
// expires; never the token.
func (s *TokenSource) Status() (expires time.Time, cached bool) {
	tok, ok := s.tokens.cached(s.key)
	return tok.Expires, ok
}

// RefusedUntil reports whether this process remembers the vendor refusing
// the connection's credentials, and until when.
func (s *TokenSource) RefusedUntil() (until time.Time, refused bool) {
	r, ok := s.tokens.refusal(s.key)
	return r.until, ok
}

// needsStore implements fetcher: a refresh needs the store to save a
// rotated refresh token before its access token is used.
func (s *TokenSource) needsStore() bool {
	a, err := s.auth()
	return err == nil && a.Refresh != nil
}

func (s *TokenSource) auth() (*Auth, error) {
	a := s.c.Auth
	switch {
	case a == nil:
		return nil, fmt.Errorf("%s: the connection has no Auth to obtain tokens with", s.c.vendor)
	case (a.Fetch == nil) == (a.Refresh == nil):
		return nil, fmt.Errorf("%s: the connection's Auth must set exactly one of Fetch and Refresh", s.c.vendor)
	}
	return a, nil
}

// count records one vendor token call: ok, refused (the vendor refused the
// credentials) or error.
func (s *TokenSource) count(ctx context.Context, err error) {
	outcome := "ok"
	var ve *domain.VendorError
	switch {
	case errors.As(err, &ve) && ve.Kind == domain.VendorAuth:
		outcome = "refused"
	case err != nil:
		outcome = "error"
	}
	s.c.tel.TokenFetches.Add(ctx, 1, metric.WithAttributeSet(s.c.attrs), metric.WithAttributes(attribute.String("outcome", outcome)))
}

// expiry turns a lifetime (ExpiresIn) into an expiry time by the cache's
// clock.
func (s *TokenSource) expiry(tok Token) Token {
	if tok.Expires.IsZero() && tok.ExpiresIn > 0 {
		tok.Expires = s.tokens.now().Add(tok.ExpiresIn)
	}
	tok.ExpiresIn = 0
	return tok
}

// CredentialsChanged forgets what the tenant's connection to vendor
// learnt with its previous credentials (a configuration reload changed
// them): its access token and a remembered credential refusal, in process
// and in the shared store, so that the next call fetches a token with the
// new credentials and a wrong new secret shows at once, not when the old
// token expires. An authorization the vendor ended stands: new app
// credentials do not revive a refused refresh token.
func (t *Tokens) CredentialsChanged(ctx context.Context, tenant string, vendor domain.Vendor) {
	key := connectionKey(tenant, vendor)
	t.mu.Lock()
	delete(t.m, key)
	if r, ok := t.refused[key]; ok && r.kind == domain.VendorAuth {
		delete(t.refused, key)
	}
	t.mu.Unlock()
	drop := []string{key}
	if st, ok, err := t.store.Token(ctx, refusalKey(key)); err == nil && ok && refusalFrom(st).kind == domain.VendorAuth {
		drop = append(drop, refusalKey(key))
	}
	for _, k := range drop {
		if err := t.store.PutToken(ctx, k, domain.StoredToken{}, 0); err != nil {
			t.log.LogAttrs(ctx, slog.LevelWarn, "token of replaced credentials not dropped: store unavailable", slog.String("key", key), slog.String("error", err.Error()))
			return
		}
	}
}

// connectionKey is the key of a tenant's connection to vendor in Tokens.
func connectionKey(tenant string, vendor domain.Vendor) string { return tenant + "/" + string(vendor) }
