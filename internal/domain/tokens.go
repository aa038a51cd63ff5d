package domain

import (
	"context"
	"sync"
	"time"
)

// StoredToken is a vendor access token in a TokenStore.
type StoredToken struct {
	Value   string
	Expires time.Time
}

// TokenStore is the state vendor token caches share across replicas: the
// current access token per connection key, a fetch lock so that one
// replica at a time asks the vendor for a token, and rotating refresh
// tokens. In-process caches sit in front of it; it is not on the hot path.
type TokenStore interface {
	// Token returns key's token; ok is false when there is none.
	Token(ctx context.Context, key string) (tok StoredToken, ok bool, err error)
	// PutToken stores tok under key for ttl.
	PutToken(ctx context.Context, key string, tok StoredToken, ttl time.Duration) error
	// DropToken deletes key's token if its value is still value, so that a
	// token another replica already replaced is kept.
	DropToken(ctx context.Context, key, value string) error
	// LockToken tries to take key's fetch lock for ttl. held is false when
	// another owner has it. release frees the lock only while the caller
	// still owns it (a lock that expired and was taken by another owner is
	// left alone).
	LockToken(ctx context.Context, key string, ttl time.Duration) (release func(context.Context) error, held bool, err error)
	// RefreshToken returns key's refresh token; ok is false when there is none.
	RefreshToken(ctx context.Context, key string) (token string, ok bool, err error)
	// SwapRefreshToken sets key's refresh token to next if it is still old
	// ("" for none): a compare-and-swap, so that a rotated refresh token is
	// written once before the access token that came with it is used.
	// swapped is false when another writer changed it first.
	SwapRefreshToken(ctx context.Context, key, old, next string) (swapped bool, err error)
}

// MemoryTokens is an in-process TokenStore for single-process runs.
type MemoryTokens struct {
	mu      sync.Mutex
	tokens  map[string]memToken
	locks   map[string]memLock
	refresh map[string]string
	now     func() time.Time
	seq     uint64
}

type memToken struct {
	tok     StoredToken
	expires time.Time
}

type memLock struct {
	owner   uint64
	expires time.Time
}

// NewMemoryTokens returns an empty in-process token store.
func NewMemoryTokens() *MemoryTokens {
	return &MemoryTokens{tokens: map[string]memToken{}, locks: map[string]memLock{}, refresh: map[string]string{}, now: time.Now}
}

// Token implements TokenStore.
func (s *MemoryTokens) Token(_ context.Context, key string) (StoredToken, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[key]
	if !ok || !s.now().Before(t.expires) {
		return StoredToken{}, false, nil
	}
	return t.tok, true, nil
}

// PutToken implements TokenStore.
func (s *MemoryTokens) PutToken(_ context.Context, key string, tok StoredToken, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[key] = memToken{tok: tok, expires: s.now().Add(ttl)}
	return nil
}

// DropToken implements TokenStore.
func (s *MemoryTokens) DropToken(_ context.Context, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[key]; ok && t.tok.Value == value {
		delete(s.tokens, key)
	}
	return nil
}

// LockToken implements TokenStore.
func (s *MemoryTokens) LockToken(_ context.Context, key string, ttl time.Duration) (func(context.Context) error, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if l, ok := s.locks[key]; ok && now.Before(l.expires) {
		return nil, false, nil
	}
	s.seq++
	owner := s.seq
	s.locks[key] = memLock{owner: owner, expires: now.Add(ttl)}
	return func(context.Context) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if l, ok := s.locks[key]; ok && l.owner == owner {
			delete(s.locks, key)
		}
		return nil
	}, true, nil
}

// RefreshToken implements TokenStore.
func (s *MemoryTokens) RefreshToken(_ context.Context, key string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.refresh[key]
	return v, ok, nil
}

// SwapRefreshToken implements TokenStore.
func (s *MemoryTokens) SwapRefreshToken(_ context.Context, key, old, next string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refresh[key] != old {
		return false, nil
	}
	s.refresh[key] = next
	return true, nil
}
