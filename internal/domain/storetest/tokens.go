package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Tokens is the contract of a TokenStore. newStore returns an empty store.
func Tokens(t *testing.T, newStore func(t *testing.T) domain.TokenStore) {
	t.Helper()
	const short = 150 * time.Millisecond
	expires := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)

	token := func(t *testing.T, s domain.TokenStore, key string) (domain.StoredToken, bool) {
		t.Helper()
		tok, ok, err := s.Token(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		return tok, ok
	}
	put := func(t *testing.T, s domain.TokenStore, key, value string, ttl time.Duration) {
		t.Helper()
		if err := s.PutToken(t.Context(), key, domain.StoredToken{Value: value, Expires: expires}, ttl); err != nil {
			t.Fatal(err)
		}
	}
	wantToken := func(t *testing.T, s domain.TokenStore, key, value string) {
		t.Helper()
		tok, ok := token(t, s, key)
		if !ok || tok.Value != value || !tok.Expires.Equal(expires) {
			t.Fatalf("Token(%s) = %+v, %v; want %q expiring %v", key, tok, ok, value, expires)
		}
	}
	noToken := func(t *testing.T, s domain.TokenStore, key string) {
		t.Helper()
		if tok, ok := token(t, s, key); ok {
			t.Fatalf("Token(%s) = %+v; want none", key, tok)
		}
	}
	lock := func(t *testing.T, s domain.TokenStore, key string, ttl time.Duration) (func(context.Context) error, bool) {
		t.Helper()
		release, held, err := s.LockToken(t.Context(), key, ttl)
		if err != nil {
			t.Fatal(err)
		}
		if held == (release == nil) {
			t.Fatalf("LockToken: held %v with release %v; want a release func exactly when held", held, release != nil)
		}
		return release, held
	}
	unlock := func(t *testing.T, release func(context.Context) error) {
		t.Helper()
		if err := release(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	refresh := func(t *testing.T, s domain.TokenStore, key string) (string, bool) {
		t.Helper()
		v, ok, err := s.RefreshToken(t.Context(), key)
		if err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
	swap := func(t *testing.T, s domain.TokenStore, key, old, next string) bool {
		t.Helper()
		ok, err := s.SwapRefreshToken(t.Context(), key, old, next)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	tests := []struct {
		name string
		run  func(t *testing.T, s domain.TokenStore)
	}{
		{"replace sets the refresh token whatever it held", func(t *testing.T, s domain.TokenStore) {
			if err := s.ReplaceRefreshToken(t.Context(), "k", "r1"); err != nil {
				t.Fatal(err)
			}
			if v, _ := refresh(t, s, "k"); v != "r1" {
				t.Fatalf("after a replace of none: %q", v)
			}
			if err := s.ReplaceRefreshToken(t.Context(), "k", "r2"); err != nil {
				t.Fatal(err)
			}
			if v, _ := refresh(t, s, "k"); v != "r2" || swap(t, s, "k", "r1", "r3") || !swap(t, s, "k", "r2", "r3") {
				t.Fatalf("after a replace: %q", v)
			}
			if v, ok := refresh(t, s, "other"); ok {
				t.Fatalf("another key: %q", v)
			}
		}},
		{"empty", func(t *testing.T, s domain.TokenStore) {
			noToken(t, s, "k")
			if v, ok := refresh(t, s, "k"); ok {
				t.Fatalf("RefreshToken = %q; want none", v)
			}
		}},
		{"put and replace", func(t *testing.T, s domain.TokenStore) {
			put(t, s, "k", "t1", time.Hour)
			wantToken(t, s, "k", "t1")
			put(t, s, "k", "t2", time.Hour)
			wantToken(t, s, "k", "t2")
			noToken(t, s, "other")
		}},
		{"token expires after its ttl", func(t *testing.T, s domain.TokenStore) {
			put(t, s, "k", "t1", short)
			time.Sleep(2 * short)
			noToken(t, s, "k")
		}},
		{"a shorter ttl replaces a longer one", func(t *testing.T, s domain.TokenStore) {
			put(t, s, "k", "t1", time.Hour)
			put(t, s, "k", "t2", short)
			time.Sleep(2 * short)
			noToken(t, s, "k")
		}},
		{"a ttl that is not positive removes the token", func(t *testing.T, s domain.TokenStore) {
			// Callers end a remembered credential refusal this way.
			put(t, s, "k", "t1", time.Hour)
			put(t, s, "k", "", 0)
			noToken(t, s, "k")
		}},
		{"values are kept byte for byte", func(t *testing.T, s domain.TokenStore) {
			// Callers keep more than opaque tokens here (a refusal is
			// "vendor code"; a refresh token may be an encoded record),
			// and a store that transforms values must give them back.
			values := []string{"", " ", "linkflow UNAUTHORIZED", "令牌.v1.k1.AAAA", "v1.k1.AAECAwQFBgcICQoL", "a\x00b\n", strings.Repeat("x", 8<<10)}
			for i, v := range values {
				key := fmt.Sprint("k", i)
				put(t, s, key, v, time.Hour)
				wantToken(t, s, key, v)
				if !swap(t, s, key, "", v) {
					t.Fatalf("seeding refresh token %d failed", i)
				}
				if got, ok := refresh(t, s, key); !ok || got != v {
					t.Fatalf("RefreshToken(%s) = %.40q, %v; want %.40q", key, got, ok, v)
				}
				if next := v + "'"; !swap(t, s, key, v, next) {
					t.Fatalf("swap from value %d failed", i)
				}
			}
		}},
		{"drop compares the value", func(t *testing.T, s domain.TokenStore) {
			put(t, s, "k", "t2", time.Hour)
			// A replica that saw t1 rejected must not drop the t2 that
			// another replica stored meanwhile.
			if err := s.DropToken(t.Context(), "k", "t1"); err != nil {
				t.Fatal(err)
			}
			wantToken(t, s, "k", "t2")
			if err := s.DropToken(t.Context(), "k", "t2"); err != nil {
				t.Fatal(err)
			}
			noToken(t, s, "k")
			if err := s.DropToken(t.Context(), "k", "t2"); err != nil {
				t.Fatalf("dropping a missing token: %v", err)
			}
		}},
		{"lock is exclusive until released", func(t *testing.T, s domain.TokenStore) {
			release, held := lock(t, s, "k", time.Hour)
			if !held {
				t.Fatal("first LockToken not held")
			}
			if _, held := lock(t, s, "k", time.Hour); held {
				t.Fatal("second LockToken held while the first owner has it")
			}
			if _, held := lock(t, s, "other", time.Hour); !held {
				t.Fatal("lock of another key not held")
			}
			unlock(t, release)
			release2, held := lock(t, s, "k", time.Hour)
			if !held {
				t.Fatal("LockToken after release not held")
			}
			// A second release by the first owner is a no-op: it must not
			// free the lock the second owner holds now.
			unlock(t, release)
			if _, held := lock(t, s, "k", time.Hour); held {
				t.Fatal("a stale release freed another owner's lock")
			}
			unlock(t, release2)
		}},
		{"lock expires and is released only by its owner", func(t *testing.T, s domain.TokenStore) {
			release1, held := lock(t, s, "k", short)
			if !held {
				t.Fatal("first LockToken not held")
			}
			time.Sleep(2 * short)
			release2, held := lock(t, s, "k", time.Hour)
			if !held {
				t.Fatal("LockToken after the first lock expired not held")
			}
			// The first owner finishes late: its lock expired and is
			// another owner's now.
			unlock(t, release1)
			if _, held := lock(t, s, "k", time.Hour); held {
				t.Fatal("the expired owner's release freed the new owner's lock")
			}
			unlock(t, release2)
			if _, held := lock(t, s, "k", time.Hour); !held {
				t.Fatal("LockToken after the owner released not held")
			}
		}},
		{"one lock holder under concurrency", func(t *testing.T, s domain.TokenStore) {
			var holders atomic.Int64
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					_, held, err := s.LockToken(t.Context(), "k", time.Hour)
					if err != nil {
						t.Error(err)
					}
					if held {
						holders.Add(1)
					}
				})
			}
			wg.Wait()
			if n := holders.Load(); n != 1 {
				t.Fatalf("%d holders, want 1", n)
			}
		}},
		{"refresh token compare-and-swap", func(t *testing.T, s domain.TokenStore) {
			if swap(t, s, "k", "r0", "r1") {
				t.Fatal("swap from r0 succeeded when there is none")
			}
			if !swap(t, s, "k", "", "r1") {
				t.Fatal("first swap from none failed")
			}
			if v, ok := refresh(t, s, "k"); !ok || v != "r1" {
				t.Fatalf("RefreshToken = %q, %v; want r1", v, ok)
			}
			// Another replica that also read "none" lost the race.
			if swap(t, s, "k", "", "r9") {
				t.Fatal("second swap from none succeeded")
			}
			if !swap(t, s, "k", "r1", "r2") {
				t.Fatal("swap r1 -> r2 failed")
			}
			if swap(t, s, "k", "r1", "r3") {
				t.Fatal("swap from the stale r1 succeeded")
			}
			if v, ok := refresh(t, s, "k"); !ok || v != "r2" {
				t.Fatalf("RefreshToken = %q, %v; want r2", v, ok)
			}
			if v, ok := refresh(t, s, "other"); ok {
				t.Fatalf("RefreshToken(other) = %q; want none", v)
			}
		}},
		{"one refresh swap wins under concurrency", func(t *testing.T, s domain.TokenStore) {
			if !swap(t, s, "k", "", "r0") {
				t.Fatal("seeding r0 failed")
			}
			var wins atomic.Int64
			var winner atomic.Value
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					next := fmt.Sprintf("r%d", w+1)
					ok, err := s.SwapRefreshToken(t.Context(), "k", "r0", next)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
						winner.Store(next)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%d swaps won, want 1", n)
			}
			if v, _ := refresh(t, s, "k"); v != winner.Load() {
				t.Fatalf("RefreshToken = %q, want the winner's %q", v, winner.Load())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}
