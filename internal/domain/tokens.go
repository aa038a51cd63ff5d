package domain

import (
	"context"
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
	// ReplaceRefreshToken sets key's refresh token to next whatever it
	// holds, even a value that can no longer be read (a new authorization
	// replaces everything before it).
	ReplaceRefreshToken(ctx context.Context, key, next string) error
}
