package memory

import (
	"context"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TokensOptions configures a Tokens store.
type TokensOptions struct {
	// Now is the clock tokens and fetch locks expire by; time.Now when nil.
	Now func() time.Time
}

// Tokens is an in-process domain.TokenStore for single-process runs.
type Tokens struct {
	mu      sync.Mutex
	tokens  map[string]storedToken
	locks   map[string]fetchLock
	refresh map[string]string
	now     func() time.Time
	seq     uint64
}

var _ domain.TokenStore = (*Tokens)(nil)

type storedToken struct {
	tok     domain.StoredToken
	expires time.Time
}

type fetchLock struct {
	owner   uint64
	expires time.Time
}

// NewTokens returns an empty in-process token store.
func NewTokens(opts TokensOptions) *Tokens {
	return &Tokens{
		tokens: map[string]storedToken{}, locks: map[string]fetchLock{}, refresh: map[string]string{},
		now: clock(opts.Now),
	}
}

// Token implements domain.TokenStore.
func (s *Tokens) Token(_ context.Context, key string) (domain.StoredToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	if !ok || !s.now().Before(t.expires) {
		return domain.StoredToken{}, false, nil
	}
	return t.tok, true, nil
}

// PutToken implements domain.TokenStore.
func (s *Tokens) PutToken(_ context.Context, key string, tok domain.StoredToken, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[key] = storedToken{tok: tok, expires: s.now().Add(ttl)}
	return nil
}

// DropToken implements domain.TokenStore.
func (s *Tokens) DropToken(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[key]; ok && t.tok.Value == value {
		delete(s.tokens, key)
	}
	return nil
}

// LockToken implements domain.TokenStore.
func (s *Tokens) LockToken(_ context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if l, ok := s.locks[key]; ok && now.Before(l.expires) {
		return nil, false, nil
	}
	s.seq++
	owner := s.seq
	s.locks[key] = fetchLock{owner: owner, expires: now.Add(ttl)}
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if l, ok := s.locks[key]; ok && l.owner == owner {
			delete(s.locks, key)
		}
		return nil
	}, true, nil
}

// RefreshToken implements domain.TokenStore.
func (s *Tokens) RefreshToken(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.refresh[key]
	return v, ok, nil
}

// ReplaceRefreshToken implements domain.TokenStore.
func (s *Tokens) ReplaceRefreshToken(_ context.Context, key, next string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[key] = next
	return nil
}

// SwapRefreshToken implements domain.TokenStore.
func (s *Tokens) SwapRefreshToken(_ context.Context, key, old, next string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refresh[key] != old {
		return false, nil
	}
	s.refresh[key] = next
	return true, nil
}
