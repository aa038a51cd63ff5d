package redis

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

const secret = "s3cret-pw"

func TestNewClientForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		cluster bool
	}{
		{url: "redis://redis.invalid"}, // port 6379 by default; .invalid never resolves
		{url: "redis://:" + secret + "@127.0.0.1:6390/3?dial_timeout=2s&pool_size=5"},
		{url: "rediss://user:" + secret + "@redis.example:6380"},
		{url: "unix:///run/redis/redis.sock?db=2"},
		{url: "redis+sentinel://:" + secret + "@10.0.0.1:26379/1?master_name=gw&addr=10.0.0.2:26379&password=" + secret},
		{url: "rediss+sentinel://10.0.0.1:26379?master_name=gw"},
		{url: "redis+cluster://user:" + secret + "@10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", cluster: true},
		{url: "rediss+cluster://10.0.0.1:7000", cluster: true},
		{url: "REDIS+CLUSTER://10.0.0.1:7000", cluster: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, isCluster := c.(*goredis.ClusterClient); isCluster != tt.cluster {
				t.Fatalf("NewClient = %T, want cluster %v", c, tt.cluster)
			}
		})
	}
}

func TestNewClientErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, url, want string }{
		{"no scheme", "127.0.0.1:6379", "scheme"},
		{"unknown scheme", "http://u:" + secret + "@h:1", "scheme"},
		{"unknown topology", "redis+ring://u:" + secret + "@h:1", "scheme"},
		{"sentinel over unix", "unix+sentinel://u:" + secret + "@h:1", "scheme"},
		{"bad db", "redis://u:" + secret + "@h:1/x", "database"},
		{"unknown option", "redis://u:" + secret + "@h:1?bogus=1", "bogus"},
		{"option echoing a value", "redis://u:" + secret + "@h:1?dial_timeout=" + secret, "dial_timeout"},
		{"sentinel without master", "redis+sentinel://u:" + secret + "@h:26379", "master_name"},
		{"sentinel echoing the master password", "redis+sentinel://h:1?master_name=m&password=" + secret + "&read_timeout=" + secret, "read_timeout"},
		{"cluster with a bad addr", "redis+cluster://u:" + secret + "@h:1?addr=" + secret, "addr"},
		{"malformed URL", "redis://u:" + secret + "@h:port", "port"},
		{"malformed escape", "redis://u:" + secret + "%zz@h:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tt.url)
			if err == nil {
				_ = c.Close()
				t.Fatalf("NewClient(%q) succeeded", tt.url)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error shows the password: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestNewClientConnects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newClient(t, server.URL()+"/3")
	if err := Ping(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The path selects the database.
	key := prefix(t) + "db"
	if err := c.Set(ctx, key, "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if n, _ := shared.Exists(ctx, key).Result(); n != 0 {
		t.Fatal("a client of db 3 wrote to db 0")
	}
}

// TestStoresWhenRedisIsUnreachable checks that every store method fails
// with ErrStoreUnavailable (the HTTP layer answers 503) and that no error
// shows the URL's password.
func TestStoresWhenRedisIsUnreachable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	c := newClient(t, "redis://user:"+secret+"@"+addr)

	tokens := newTokens(t, c, TokensOptions{})
	idem := NewIdempotency(c, IdempotencyOptions{})
	quota := NewQuota(c, QuotaOptions{})
	calls := map[string]func() error{
		"Ping": func() error { return Ping(ctx, c) },
		"Token": func() error {
			_, _, err := tokens.Token(ctx, "k")
			return err
		},
		"PutToken": func() error {
			return tokens.PutToken(ctx, "k", domain.StoredToken{Value: "v"}, time.Minute)
		},
		"PutToken expired": func() error {
			return tokens.PutToken(ctx, "k", domain.StoredToken{Value: "v"}, 0)
		},
		"DropToken": func() error { return tokens.DropToken(ctx, "k", "v") },
		"LockToken": func() error {
			_, _, err := tokens.LockToken(ctx, "k", time.Minute)
			return err
		},
		"RefreshToken": func() error {
			_, _, err := tokens.RefreshToken(ctx, "k")
			return err
		},
		"SwapRefreshToken": func() error {
			_, err := tokens.SwapRefreshToken(ctx, "k", "", "r")
			return err
		},
		"Reseal": func() error {
			_, err := tokens.Reseal(ctx)
			return err
		},
		"Begin": func() error {
			_, err := idem.Begin(ctx, "k", "fp")
			return err
		},
		"Complete": func() error { return idem.Complete(ctx, "k", domain.IdempotentResponse{Status: 200}) },
		"Release":  func() error { return idem.Release(ctx, "k") },
		"Take": func() error {
			_, _, err := quota.Take(ctx, "k", 10, time.Hour)
			return err
		},
		"NewBindings": func() error {
			_, err := NewBindings(ctx, c, BindingsOptions{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := call()
			if !errors.Is(err, domain.ErrStoreUnavailable) {
				t.Fatalf("%v, want ErrStoreUnavailable", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func TestStoresUsePrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	tokens := newTokens(t, shared, TokensOptions{Prefix: pfx})
	idem := NewIdempotency(shared, IdempotencyOptions{Prefix: pfx, Lease: time.Minute, TTL: time.Hour})
	quota := NewQuota(shared, QuotaOptions{Prefix: pfx, Now: func() time.Time {
		return time.Date(2025, 3, 1, 12, 20, 0, 0, time.UTC)
	}})
	b := newBindings(t, shared, BindingsOptions{Prefix: pfx})

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tokens.PutToken(ctx, "conn", domain.StoredToken{Value: "v"}, time.Hour))
	_, _, err := tokens.LockToken(ctx, "conn", time.Minute)
	must(err)
	_, err = tokens.SwapRefreshToken(ctx, "conn", "", "r")
	must(err)
	_, err = idem.Begin(ctx, "req", "fp")
	must(err)
	_, err = idem.Begin(ctx, "done", "fp")
	must(err)
	must(idem.Complete(ctx, "done", domain.IdempotentResponse{Status: 200}))
	_, _, err = quota.Take(ctx, "meihua", 10, time.Hour)
	must(err)
	must(b.Seed(ctx, "acme", domain.Vendor("linkflow")))

	// key -> the TTL it must have (0: none); each TTL at most that long.
	want := map[string]time.Duration{
		pfx + "token:conn":                        time.Hour,
		pfx + "token-lock:conn":                   time.Minute,
		pfx + "refresh:conn":                      0,
		pfx + "idem:req":                          time.Minute,
		pfx + "idem:done":                         time.Hour,
		pfx + "quota:1h0m0s:1740830400000:meihua": 0, // the clock is fixed: its TTL is not checked
		pfx + "{bindings}:tenant:acme":            0,
		pfx + "{bindings}:index":                  0,
	}
	keys, err := shared.Keys(ctx, pfx+"*").Result()
	must(err)
	if len(keys) != len(want) {
		t.Fatalf("keys %v, want %d keys", keys, len(want))
	}
	for _, k := range keys {
		maxTTL, ok := want[k]
		if !ok {
			t.Fatalf("unexpected key %s", k)
		}
		ttl, err := shared.PTTL(ctx, k).Result()
		must(err)
		switch {
		case strings.Contains(k, ":quota:"):
			if ttl <= 0 {
				t.Errorf("%s never expires", k)
			}
		case maxTTL == 0 && ttl != -1:
			t.Errorf("%s expires in %v, want no expiry", k, ttl)
		case maxTTL > 0 && (ttl <= 0 || ttl > maxTTL):
			t.Errorf("%s expires in %v, want at most %v", k, ttl, maxTTL)
		}
	}
}

func TestQuotaKeyExpiresWithItsWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	q := NewQuota(shared, QuotaOptions{Prefix: pfx})
	before := time.Now()
	if _, _, err := q.Take(ctx, "k", 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	keys, err := shared.Keys(ctx, pfx+"*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	ttl, _ := shared.PTTL(ctx, keys[0]).Result()
	end := before.Truncate(time.Hour).Add(time.Hour) // an hour divides the epoch offset
	if left := time.Until(end); ttl < left-time.Second || ttl > time.Until(end)+quotaExpiryMargin+time.Second {
		t.Fatalf("quota key expires in %v; the window ends in %v", ttl, left)
	}
	if _, _, err := q.Take(ctx, "k", 1, time.Millisecond/2); err == nil {
		t.Fatal("a window under a millisecond was accepted")
	}
}
