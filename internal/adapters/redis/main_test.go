package redis

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// server is the redis-server every test in the package shares; tests keep
// apart by key prefix. Tests that stop Redis or kill its clients start
// their own.
var (
	server *redistest.Server
	shared goredis.UniversalClient
)

// quiet drops go-redis's own log lines ("failed to dial ..."), which the
// tests that stop Redis provoke on purpose.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	goredis.SetLogger(quiet{})
	srv, stop, err := redistest.StartMain()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server = srv
	shared, err = NewClient(srv.URL())
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = shared.Close()
	stop()
	os.Exit(code)
}

var prefixes atomic.Int64

// prefix is a key prefix no other test uses.
func prefix(t testing.TB) string {
	name := strings.NewReplacer(" ", "_", "{", "(", "}", ")").Replace(t.Name())
	return fmt.Sprintf("test:%s:%d:", name, prefixes.Add(1))
}

// newClient is a client of srv that the test closes.
func newClient(t testing.TB, url string) goredis.UniversalClient {
	t.Helper()
	c, err := NewClient(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newBindings(t testing.TB, c goredis.UniversalClient, opts BindingsOptions) *Bindings {
	t.Helper()
	b, err := NewBindings(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// ring is a keyring of the given key ids, first current; each id always
// gets the same secret, so rings that share an id open each other's values.
func ring(t testing.TB, ids ...string) *Keyring {
	t.Helper()
	keys := make([]TokenKey, len(ids))
	for i, id := range ids {
		keys[i] = TokenKey{ID: id, Secret: []byte(strings.Repeat(id+" test secret ", 4))}
	}
	k, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newTokens is a token store sealing with keys ("k1" when none are given).
func newTokens(t testing.TB, c goredis.UniversalClient, opts TokensOptions, keys ...string) *Tokens {
	t.Helper()
	if len(keys) == 0 {
		keys = []string{"k1"}
	}
	s, err := NewTokens(c, ring(t, keys...), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
