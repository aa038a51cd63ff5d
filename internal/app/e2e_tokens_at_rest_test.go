package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// redisDump is every key of the Redis at addr and its value, as anyone
// with access to Redis sees them (a plain client, KEYS *), one line each.
func redisDump(t *testing.T, addr string) string {
	t.Helper()
	ctx := context.Background()
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var v any
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			v = c.Get(ctx, k).Val()
		case "hash":
			v = c.HGetAll(ctx, k).Val()
		case "set":
			v = c.SMembers(ctx, k).Val()
		case "list":
			v = c.LRange(ctx, k, 0, -1).Val()
		case "zset":
			v = c.ZRange(ctx, k, 0, -1).Val()
		default:
			t.Fatalf("key %s is a %s: the dump does not read it", k, typ)
		}
		fmt.Fprintf(&b, "%s = %q\n", k, fmt.Sprint(v))
	}
	return b.String()
}

// sealedTokens counts the sealed access tokens and credential refusals in
// a redisDump.
func sealedTokens(dump string) (access, refusals int) {
	for line := range strings.Lines(dump) {
		key, value, _ := strings.Cut(line, " = ")
		if !strings.Contains(key, ":token:") || !strings.Contains(value, "value:v1.") {
			continue
		}
		if strings.HasSuffix(key, "#refused") {
			refusals++
		} else {
			access++
		}
	}
	return access, refusals
}

// TestRedisStoresNeedTokenKeys: tokens are never written to Redis in the
// clear, so a configuration without token keys gets no Redis stores, and
// says why, before anything connects.
func TestRedisStoresNeedTokenKeys(t *testing.T) {
	t.Parallel()
	_, cfg := newSandbox(t)
	cfg.TokenKeys = nil
	_, err := app.RedisStores(context.Background(), "redis://127.0.0.1:1", cfg, app.RedisOptions{ConnectTimeout: time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "token_keys: at least one token key is required") || strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("err = %v", err)
	}
}

// TestTokenKeyRotationOnRedis: a key rotation as the README tells it, on
// replicas sharing one Redis. The token a [k1] replica fetched is still
// used by a [k2, k1] replica, whose start re-seals it under k2, and then by
// a [k2] replica: no new vendor token in all. A replica whose keys open
// nothing there fetches a new token instead of failing.
func TestTokenKeyRotationOnRedis(t *testing.T) {
	t.Parallel()
	sb, cfg := newSandbox(t)
	rs := redistest.Start(t)
	tokenKeys := map[string]config.TokenKey{}
	for _, id := range []string{"k1", "k2", "k3"} {
		tokenKeys[id] = config.TokenKey{ID: id, Secret: cfgSecret(strings.Repeat(id+"-e2e-secret.", 4))}
	}
	replica := func(ids ...string) (*env, *vendortest.LogBuffer) {
		t.Helper()
		c := *cfg
		c.TokenKeys = nil
		for _, id := range ids {
			c.TokenKeys = append(c.TokenKeys, tokenKeys[id])
		}
		logs := &vendortest.LogBuffer{}
		stores, err := app.RedisStores(context.Background(), rs.URL(), &c, app.RedisOptions{ConnectTimeout: 5 * time.Second,
			Logger: slog.New(slog.NewJSONHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = stores.Close() })
		// The start sweep has looked at every value.
		waitFor(t, func() bool { return strings.Contains(logs.String(), "token values in Redis checked") })
		return serve(t, sb, &c, app.Options{Stores: stores}), logs
	}
	tokenValue := func() string {
		t.Helper()
		for line := range strings.Lines(redisDump(t, rs.Addr())) {
			if strings.Contains(line, ":token:") && strings.Contains(line, tenantLF) && !strings.Contains(line, "#refused") {
				return line
			}
		}
		t.Fatalf("no access token of %s in Redis:\n%s", tenantLF, redisDump(t, rs.Addr()))
		return ""
	}

	first, _ := replica("k1")
	sim := first.sim
	first.get("/v1/groups").ok(t, http.StatusOK)
	if n := sim.TokenCalls(); n != 1 {
		t.Fatalf("%d token calls", n)
	}
	if v := tokenValue(); !strings.Contains(v, "value:v1.k1.") {
		t.Fatalf("stored token %s, want it sealed with k1", v)
	}

	// Steps 1 and 2 (k2 added, then first): the token is re-sealed under
	// k2 at start, and used, not fetched again.
	_, logs := replica("k1", "k2")
	if v := tokenValue(); !strings.Contains(v, "value:v1.k1.") || !strings.Contains(logs.String(), `"resealed":0`) {
		t.Fatalf("a replica with k2 listed last re-sealed: %s\n%s", v, logs.String())
	}
	second, logs := replica("k2", "k1")
	if v := tokenValue(); !strings.Contains(v, "value:v1.k2.") || !strings.Contains(logs.String(), `"resealed":1`) {
		t.Fatalf("after the start of a [k2, k1] replica the stored token is %s; its logs:\n%s", v, logs.String())
	}
	second.get("/v1/groups").ok(t, http.StatusOK)
	// Step 3: k1 is gone.
	third, logs := replica("k2")
	third.get("/v1/groups").ok(t, http.StatusOK)
	if n := sim.TokenCalls(); n != 1 || strings.Contains(logs.String(), "do not open") {
		t.Fatalf("%d token calls after the rotation, want still 1; logs:\n%s", n, logs.String())
	}

	// A replica with a key that opens nothing here: it says so at start,
	// and fetches a token of its own.
	lost, logs := replica("k3")
	if !strings.Contains(logs.String(), "do not open with token_keys") || !strings.Contains(logs.String(), "token key k2: 1") {
		t.Fatalf("no warning of values that do not open:\n%s", logs.String())
	}
	lost.get("/v1/groups").ok(t, http.StatusOK)
	if n := sim.TokenCalls(); n != 2 {
		t.Fatalf("%d token calls, want a second one for the replica that opens nothing", n)
	}
	if v := tokenValue(); !strings.Contains(v, "value:v1.k3.") {
		t.Fatalf("stored token %s, want the new one sealed with k3", v)
	}
}
