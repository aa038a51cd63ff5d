package vendorhttp

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Token is a vendor access token and when it stops working.
type Token struct {
	Value   string
	Expires time.Time
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
// working and a missing one is fetched from the vendor directly.
type Tokens struct {
	store  domain.TokenStore
	log    *slog.Logger
	mu     sync.RWMutex
	m      map[string]cachedToken
	flight singleflight.Group
	now    func() time.Time
}

type cachedToken struct {
	Token
	useUntil time.Time
}

// NewTokens returns a token cache over store (nil: an in-process store).
func NewTokens(store domain.TokenStore, log *slog.Logger) *Tokens {
	if store == nil {
		store = memory.NewTokens(memory.TokensOptions{})
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tokens{store: store, log: log, m: make(map[string]cachedToken), now: time.Now}
}

// Get returns key's token and whether it came from the in-process cache,
// fetching one with fetch when needed. The fetch runs detached from any
// one caller's cancellation (other callers may be waiting for it) but
// bounded in time; each caller stops waiting when its own context ends.
func (t *Tokens) Get(ctx context.Context, key string, fetch func(context.Context) (Token, error)) (Token, bool, error) {
	if tok, ok := t.cached(key); ok {
		return tok, true, nil
	}
	ch := t.flight.DoChan(key, func() (any, error) {
		if tok, ok := t.cached(key); ok {
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		defer cancel()
		return t.load(fctx, key, fetch)
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
// store's lock.
func (t *Tokens) load(ctx context.Context, key string, fetch func(context.Context) (Token, error)) (Token, error) {
	wait := tokenPollMin
	for {
		if tok, ok, err := t.shared(ctx, key); err != nil {
			return t.fetchDirect(ctx, key, fetch, err)
		} else if ok {
			return tok, nil
		}
		release, held, err := t.store.LockToken(ctx, key, tokenFetchTimeout)
		if err != nil {
			return t.fetchDirect(ctx, key, fetch, err)
		}
		if held {
			return t.fetchLocked(ctx, key, fetch, release)
		}
		// Another replica is fetching: wait for its token to land.
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return Token{}, ctx.Err()
		case <-timer.C:
		}
		wait = min(wait*2, tokenPollMax)
	}
}

// shared reads key's token from the store into the process cache.
func (t *Tokens) shared(ctx context.Context, key string) (Token, bool, error) {
	st, ok, err := t.store.Token(ctx, key)
	if err != nil || !ok || !t.now().Before(st.Expires) {
		return Token{}, false, err
	}
	// The store keeps the use-until time; the true expiry is not needed
	// past it.
	tok := Token{Value: st.Value, Expires: st.Expires}
	t.keep(key, cachedToken{Token: tok, useUntil: st.Expires})
	return tok, true, nil
}

func (t *Tokens) fetchLocked(ctx context.Context, key string, fetch func(context.Context) (Token, error), release func(context.Context) error) (Token, error) {
	defer func() {
		if err := release(context.WithoutCancel(ctx)); err != nil {
			t.log.LogAttrs(ctx, slog.LevelWarn, "token lock not released; it expires by itself", slog.String("key", key), slog.String("error", err.Error()))
		}
	}()
	// The lock holder before us may have stored a token just now.
	if tok, ok, err := t.shared(ctx, key); err == nil && ok {
		return tok, nil
	}
	tok, err := fetch(ctx)
	if err != nil {
		return Token{}, err
	}
	c := t.cache(key, tok)
	if ttl := c.useUntil.Sub(t.now()); ttl > 0 {
		if err := t.store.PutToken(ctx, key, domain.StoredToken{Value: tok.Value, Expires: c.useUntil}, ttl); err != nil {
			t.log.LogAttrs(ctx, slog.LevelWarn, "token not shared: store unavailable", slog.String("key", key), slog.String("error", err.Error()))
		}
	}
	return tok, nil
}

// fetchDirect fetches without the shared store, which failed with cause.
func (t *Tokens) fetchDirect(ctx context.Context, key string, fetch func(context.Context) (Token, error), cause error) (Token, error) {
	t.log.LogAttrs(ctx, slog.LevelWarn, "token store unavailable; fetching the token without it",
		slog.String("key", key), slog.String("error", cause.Error()))
	tok, err := fetch(ctx)
	if err != nil {
		return Token{}, err
	}
	t.cache(key, tok)
	return tok, nil
}

// cache keeps a freshly fetched token in process and returns the entry.
func (t *Tokens) cache(key string, tok Token) cachedToken {
	now := t.now()
	margin := TokenMargin
	if life := tok.Expires.Sub(now); life < 2*TokenMargin {
		margin = life / 2
	}
	c := cachedToken{Token: tok, useUntil: tok.Expires.Add(-margin)}
	t.keep(key, c)
	return c
}

func (t *Tokens) keep(key string, c cachedToken) {
	t.mu.Lock()
	t.m[key] = c
	t.mu.Unlock()
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

// Expiry reports when key's in-process token expires, if one is usable.
func (t *Tokens) Expiry(key string) (time.Time, bool) {
	tok, ok := t.cached(key)
	return tok.Expires, ok
}

// Invalidate drops key's token if it is still value (a vendor said it no
// longer works), here and in the shared store, so the next Get finds or
// fetches a new one. A token that another caller or replica already
// replaced is kept. Other replicas still holding value in process find out
// on their own next rejected call and then pick up the new token from the
// store.
func (t *Tokens) Invalidate(ctx context.Context, key, value string) {
	t.mu.Lock()
	if c, ok := t.m[key]; ok && c.Value == value {
		delete(t.m, key)
	}
	t.mu.Unlock()
	if err := t.store.DropToken(context.WithoutCancel(ctx), key, value); err != nil {
		t.log.LogAttrs(ctx, slog.LevelWarn, "rejected token not dropped from the store", slog.String("key", key), slog.String("error", err.Error()))
	}
}

// RefreshToken returns key's current refresh token from the shared store.
func (t *Tokens) RefreshToken(ctx context.Context, key string) (string, bool, error) {
	return t.store.RefreshToken(ctx, key)
}

// RotateRefreshToken records that the vendor replaced refresh token old
// with next. Vendors that rotate refresh tokens invalidate old at once, so
// an adapter must call this, and see it succeed, before it uses the access
// token that came with next; false means another replica rotated first and
// its token is the one to use.
func (t *Tokens) RotateRefreshToken(ctx context.Context, key, old, next string) (bool, error) {
	return t.store.SwapRefreshToken(ctx, key, old, next)
}
