package vendorhttp

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	redisstore "github.com/cdp-gateway/cdp-gateway/internal/adapters/redis"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// TestOneRefreshAcrossReplicas: replicas of one connection, each with its
// own process cache over one shared store, hammered by concurrent calls
// from a cold cache, send the vendor's refresh token once: one refresh call
// in all, and none with a refresh token already spent. When the vendor
// then revokes the access token, every replica sees it refused, and again
// one refresh serves them all.
func TestOneRefreshAcrossReplicas(t *testing.T) {
	t.Parallel()
	const replicas, calls = 3, 300
	stores := []struct {
		name string
		open func(t *testing.T) []domain.TokenStore // one per replica
	}{
		{"in-process store", func(*testing.T) []domain.TokenStore {
			return slices.Repeat([]domain.TokenStore{memory.NewTokens(memory.TokensOptions{})}, replicas)
		}},
		{"redis", func(t *testing.T) []domain.TokenStore {
			srv := redistest.Start(t)
			var out []domain.TokenStore
			for range replicas {
				c, err := redisstore.NewClient(srv.URL())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Close() })
				keys, err := redisstore.NewKeyring(redisstore.TokenKey{ID: "k1", Secret: []byte(strings.Repeat("k", 32))})
				if err != nil {
					t.Fatal(err)
				}
				s, err := redisstore.NewTokens(c, keys, redisstore.TokensOptions{})
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
			return out
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			v := newOAuthVendor(t)
			var clients []*Client
			for _, s := range st.open(t) {
				c := v.replica(s, Options{})
				// Every replica seeds the configured refresh token as it
				// starts; only the first is stored.
				seeded, err := c.TokenSource().SeedRefreshToken(ctx, refreshToken(0))
				if err != nil || seeded != (len(clients) == 0) {
					t.Fatalf("replica %d seeded=%v err=%v", len(clients), seeded, err)
				}
				clients = append(clients, c)
			}
			hammer := func(round string, wantRefreshes int32) {
				t.Helper()
				var wg sync.WaitGroup
				for i := range calls {
					wg.Go(func() {
						resp, err := clients[i%replicas].Call(ctx, v.api())
						if err != nil || resp.Status != http.StatusOK {
							t.Errorf("%s: call %d: %v %v", round, i, resp, err)
						}
					})
				}
				wg.Wait()
				if n := v.refreshes.Load(); n != wantRefreshes {
					t.Errorf("%s: the vendor saw %d refresh calls in all, want %d", round, n, wantRefreshes)
				}
				if n := v.reused.Load(); n != 0 {
					t.Errorf("%s: %d refresh calls sent a spent refresh token", round, n)
				}
			}
			hammer("cold", 1)
			v.revoke()
			hammer("revoked", 2)
			for i, c := range clients {
				if got, _, err := c.TokenSource().RefreshToken(ctx); err != nil || got != v.refreshToken() {
					t.Errorf("replica %d reads refresh token %q (%v), want the vendor's current one", i, got, err)
				}
			}
		})
	}
}
