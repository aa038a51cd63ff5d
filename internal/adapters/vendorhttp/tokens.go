package vendorhttp

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Token is a vendor access token and when it stops working.
type Token struct {
	Value   string
	Expires time.Time
	fetched time.Time
}

// TokenMargin is how long before its expiry a token is replaced.
const TokenMargin = 60 * time.Second

// tokenFetchTimeout bounds one token fetch shared by many waiters.
const tokenFetchTimeout = 30 * time.Second

// Tokens caches vendor access tokens by key (one key per tenant
// connection). Concurrent misses for one key share a single fetch; a token
// is used until TokenMargin before it expires.
type Tokens struct {
	mu     sync.RWMutex
	m      map[string]Token
	flight singleflight.Group
	now    func() time.Time
}

// NewTokens returns an empty in-process token cache.
func NewTokens() *Tokens {
	return &Tokens{m: make(map[string]Token), now: time.Now}
}

// Get returns the cached token for key, or fetches one. The fetch runs
// detached from any one caller's cancellation (other callers may be
// waiting for it) but bounded in time; each caller stops waiting when its
// own context ends.
func (t *Tokens) Get(ctx context.Context, key string, fetch func(context.Context) (Token, error)) (Token, error) {
	if tok, ok := t.cached(key); ok {
		return tok, nil
	}
	ch := t.flight.DoChan(key, func() (any, error) {
		if tok, ok := t.cached(key); ok {
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		defer cancel()
		tok, err := fetch(fctx)
		if err != nil {
			return Token{}, err
		}
		tok.fetched = t.now()
		t.mu.Lock()
		t.m[key] = tok
		t.mu.Unlock()
		return tok, nil
	})
	select {
	case <-ctx.Done():
		return Token{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return Token{}, r.Err
		}
		return r.Val.(Token), nil
	}
}

// cached returns key's token unless it is within its margin of expiry:
// TokenMargin, or half its lifetime for tokens that live less than two
// margins (so they are still reused).
func (t *Tokens) cached(key string) (Token, bool) {
	t.mu.RLock()
	tok, ok := t.m[key]
	t.mu.RUnlock()
	if !ok {
		return Token{}, false
	}
	margin := TokenMargin
	if life := tok.Expires.Sub(tok.fetched); life < 2*TokenMargin {
		margin = life / 2
	}
	return tok, t.now().Add(margin).Before(tok.Expires)
}

// Invalidate drops key's token if it is still value (a vendor said it no
// longer works), so the next Get fetches a new one. A token that another
// caller already replaced is kept.
func (t *Tokens) Invalidate(key, value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok, ok := t.m[key]; ok && tok.Value == value {
		delete(t.m, key)
	}
}
