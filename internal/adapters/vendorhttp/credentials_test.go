package vendorhttp_test

import (
	"context"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TestCredentialsChanged: new credentials drop the connection's shared
// token and its credential refusal, and leave other connections' entries
// and an ended authorization alone.
func TestCredentialsChanged(t *testing.T) {
	ctx := context.Background()
	store := memory.NewTokens(memory.TokensOptions{})
	put := func(key, value string) {
		t.Helper()
		if err := store.PutToken(ctx, key, domain.StoredToken{Value: value, Expires: time.Now().Add(time.Hour)}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	has := func(key string) bool {
		t.Helper()
		_, ok, err := store.Token(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	put("acme/linkflow", "token")
	put("acme/linkflow#refused", "linkflow auth invalid_secret")
	put("beta/linkflow", "other tenant's token")
	put("acme/meihua", "token")
	put("acme/meihua#refused", "meihua authorization refresh_token_rejected")
	tokens := vendorhttp.NewTokens(store, nil)

	tokens.CredentialsChanged(ctx, "acme", "linkflow")
	tokens.CredentialsChanged(ctx, "acme", "meihua")
	for key, want := range map[string]bool{
		"acme/linkflow": false, "acme/linkflow#refused": false, "beta/linkflow": true,
		"acme/meihua": false, "acme/meihua#refused": true,
	} {
		if got := has(key); got != want {
			t.Errorf("%s kept = %v, want %v", key, got, want)
		}
	}
}
