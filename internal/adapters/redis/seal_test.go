package redis

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// plain is a go-redis client of the test server that knows nothing of
// sealing: what anyone with access to Redis sees.
func plain(t *testing.T) *goredis.Client {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: server.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func mustPut(t *testing.T, s *Tokens, key, value string) {
	t.Helper()
	if err := s.PutToken(t.Context(), key, domain.StoredToken{Value: value, Expires: time.Now().Add(time.Hour)}, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func mustSwap(t *testing.T, s *Tokens, key, old, next string) {
	t.Helper()
	if ok, err := s.SwapRefreshToken(t.Context(), key, old, next); err != nil || !ok {
		t.Fatalf("SwapRefreshToken(%s, %q, %q) = %v, %v", key, old, next, ok, err)
	}
}

// wantToken fails unless s reads key's access token as value.
func wantToken(t *testing.T, s *Tokens, key, value string) {
	t.Helper()
	tok, ok, err := s.Token(t.Context(), key)
	if err != nil || !ok || tok.Value != value {
		t.Fatalf("Token(%s) = %q, %v, %v; want %q", key, tok.Value, ok, err, value)
	}
}

// noToken fails unless s reads key's access token as absent, without error.
func noToken(t *testing.T, s *Tokens, key string) {
	t.Helper()
	if tok, ok, err := s.Token(t.Context(), key); err != nil || ok {
		t.Fatalf("Token(%s) = %q, %v, %v; want none, no error", key, tok.Value, ok, err)
	}
}

func wantRefresh(t *testing.T, s *Tokens, key, value string) {
	t.Helper()
	v, ok, err := s.RefreshToken(t.Context(), key)
	if err != nil || !ok || v != value {
		t.Fatalf("RefreshToken(%s) = %q, %v, %v; want %q", key, v, ok, err, value)
	}
}

// refreshFails fails unless reading key's refresh token with s fails with
// an *OpenError of reason want naming keyID, and without the value.
func refreshFails(t *testing.T, s *Tokens, key string, want error, keyID, value string) {
	t.Helper()
	v, ok, err := s.RefreshToken(t.Context(), key)
	var oe *OpenError
	if !errors.As(err, &oe) || !errors.Is(err, want) || oe.KeyID != keyID || v != "" || ok {
		t.Fatalf("RefreshToken(%s) = %q, %v, %v; want an OpenError %q naming key %q", key, v, ok, err, want, keyID)
	}
	if oe.Key != s.refreshKey(key) || !strings.Contains(err.Error(), s.refreshKey(key)) {
		t.Fatalf("the error does not name the Redis key %s: %v", s.refreshKey(key), err)
	}
	if strings.Contains(err.Error(), value) {
		t.Fatalf("the error shows the refresh token: %v", err)
	}
}

// rawToken and rawRefresh are the stored bytes of key's values.
func rawToken(t *testing.T, s *Tokens, key string) string {
	t.Helper()
	v, err := plain(t).HGet(t.Context(), s.tokenKey(key), "value").Result()
	if err != nil {
		t.Fatalf("raw token %s: %v", key, err)
	}
	return v
}

func rawRefresh(t *testing.T, s *Tokens, key string) string {
	t.Helper()
	v, err := plain(t).Get(t.Context(), s.refreshKey(key)).Result()
	if err != nil {
		t.Fatalf("raw refresh token %s: %v", key, err)
	}
	return v
}

func sealedWith(t *testing.T, raw, id string) {
	t.Helper()
	if !strings.HasPrefix(raw, "v1."+id+".") {
		t.Fatalf("stored %.20q…, want a value sealed with %s", raw, id)
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	t.Parallel()
	good := []byte(strings.Repeat("s", MinTokenKeySecret))
	cases := []struct {
		name string
		keys []TokenKey
		want string
	}{
		{"none", nil, "at least one token key is required"},
		{"empty id", []TokenKey{{ID: "", Secret: good}}, "must be 1-32 lower-case"},
		{"upper case id", []TokenKey{{ID: "K1", Secret: good}}, "must be 1-32 lower-case"},
		{"id with a dot", []TokenKey{{ID: "k.1", Secret: good}}, "must be 1-32 lower-case"},
		{"id too long", []TokenKey{{ID: strings.Repeat("k", 33), Secret: good}}, "must be 1-32 lower-case"},
		{"repeated id", []TokenKey{{ID: "k1", Secret: good}, {ID: "k1", Secret: append(good, 'x')}}, "listed twice"},
		{"short secret", []TokenKey{{ID: "k1", Secret: good[:MinTokenKeySecret-1]}}, "at least 32 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewKeyring(c.keys...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	t.Run("the longest id", func(t *testing.T) {
		t.Parallel()
		if _, err := NewKeyring(TokenKey{ID: strings.Repeat("k", 32), Secret: good}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a token store without keys", func(t *testing.T) {
		t.Parallel()
		for _, k := range []*Keyring{nil, {}} {
			if s, err := NewTokens(shared, k, TokensOptions{}); err == nil || s != nil || !strings.Contains(err.Error(), "never stored in Redis in the clear") {
				t.Fatalf("NewTokens(%v) = %v, %v; want an error", k, s, err)
			}
		}
	})
}

// TestSealedFormatIsStable opens a value sealed outside Go (Python's
// cryptography: HKDF-SHA256 with the label, no salt; AES-256-GCM with the
// Redis key as AAD), so that the format and the key derivation cannot
// change by accident: values already in Redis must keep opening.
func TestSealedFormatIsStable(t *testing.T) {
	t.Parallel()
	k, err := NewKeyring(TokenKey{ID: "gold", Secret: []byte("golden secret of at least 32 bytes!!")})
	if err != nil {
		t.Fatal(err)
	}
	const sealed = "v1.gold.AAECAwQFBgcICQoLujNh5lQjUDZ-zxoOIOnVhyEHTpp-4MqbNKyjpLJIig"
	v, stale, err := k.open("cdp-gateway:refresh:meihua:acme", sealed)
	if err != nil || stale || v != "刷新令牌-r1" {
		t.Fatalf("open = %q, %v, %v", v, stale, err)
	}
	if _, _, err := k.open("cdp-gateway:refresh:meihua:other", sealed); !errors.Is(err, ErrNotOpened) {
		t.Fatalf("opened under another Redis key: %v", err)
	}
	// And what seal writes has that shape: 12 bytes of nonce, the
	// ciphertext and a 16-byte tag; never the same twice.
	a, b := k.seal("key", "token"), k.seal("key", "token")
	body, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(a, "v1.gold."))
	if err != nil || !strings.HasPrefix(a, "v1.gold.") || len(body) != 12+len("token")+16 || a == b {
		t.Fatalf("sealed %q and %q (%v)", a, b, err)
	}
}

// TestTokensAtRest: what Redis holds is never a token's plaintext, for
// access tokens, other values kept as tokens, and refresh tokens (seeded,
// then rotated); the store reads each back as written.
func TestTokensAtRest(t *testing.T) {
	t.Parallel()
	s := newTokens(t, shared, TokensOptions{Prefix: prefix(t)})
	values := map[string]string{
		"acme/linkflow":         "lf-access-token-5f1c9a",
		"acme/linkflow#refused": "linkflow UNAUTHORIZED",
		"acme/meihua":           "mh-access-令牌-77",
	}
	for key, v := range values {
		mustPut(t, s, key, v)
	}
	mustSwap(t, s, "acme/meihua", "", "mh-refresh-seed-0001")
	mustSwap(t, s, "acme/meihua", "mh-refresh-seed-0001", "mh-refresh-rotated-0002")
	values["refresh acme/meihua"] = "mh-refresh-rotated-0002"

	for key, v := range values {
		if k, ok := strings.CutPrefix(key, "refresh "); ok {
			wantRefresh(t, s, k, v)
			sealedWith(t, rawRefresh(t, s, k), "k1")
			continue
		}
		wantToken(t, s, key, v)
		sealedWith(t, rawToken(t, s, key), "k1")
	}
	// Everything under the prefix, as a plain client sees it.
	c := plain(t)
	keys, err := c.Keys(t.Context(), s.prefix+"*").Result()
	if err != nil || len(keys) != 4 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	var dump strings.Builder
	for _, k := range keys {
		switch typ := c.Type(t.Context(), k).Val(); typ {
		case "hash":
			for f, v := range c.HGetAll(t.Context(), k).Val() {
				dump.WriteString(k + " " + f + "=" + v + "\n")
			}
		case "string":
			dump.WriteString(k + "=" + c.Get(t.Context(), k).Val() + "\n")
		default:
			t.Fatalf("%s is a %s", k, typ)
		}
	}
	for _, v := range append(mapValues(values), "mh-refresh-seed-0001", "UNAUTHORIZED", "令牌") {
		if strings.Contains(dump.String(), v) {
			t.Errorf("Redis holds %q in the clear:\n%s", v, dump.String())
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestTokensRotation: values sealed with k1 open once the keys are
// [k2, k1] and are sealed again with k2 as they are read; with [k2] alone
// an access token reads as absent and a refresh token fails, naming k1.
func TestTokensRotation(t *testing.T) {
	t.Parallel()
	t.Run("old values open and are sealed again under the new key", func(t *testing.T) {
		t.Parallel()
		pfx := prefix(t)
		old := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1")
		mustPut(t, old, "c", "access-1")
		mustSwap(t, old, "c", "", "refresh-1")

		// Step 1 of a rotation: k2 is added last. Nothing is rewritten.
		added := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1", "k2")
		wantToken(t, added, "c", "access-1")
		wantRefresh(t, added, "c", "refresh-1")
		sealedWith(t, rawToken(t, old, "c"), "k1")
		sealedWith(t, rawRefresh(t, old, "c"), "k1")

		// Step 2: k2 first. Reads rewrite under k2.
		rotated := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2", "k1")
		wantToken(t, rotated, "c", "access-1")
		wantRefresh(t, rotated, "c", "refresh-1")
		sealedWith(t, rawToken(t, old, "c"), "k2")
		sealedWith(t, rawRefresh(t, old, "c"), "k2")
		// The re-sealed token keeps its expiry.
		if ttl := plain(t).PTTL(t.Context(), rotated.tokenKey("c")).Val(); ttl <= 0 || ttl > time.Hour {
			t.Fatalf("re-sealed token expires in %v", ttl)
		}
		// Replicas still on step 1 open what k2 seals. (They seal what
		// they read back under their own current key, k1, which is why
		// step 3 waits until no replica runs step 1.)
		mustPut(t, rotated, "d", "access-d")
		mustSwap(t, rotated, "d", "", "refresh-d")
		wantToken(t, added, "d", "access-d")
		wantRefresh(t, added, "d", "refresh-d")

		// Step 3: k1 is gone, and nothing needed it any more.
		done := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2")
		wantToken(t, done, "c", "access-1")
		wantRefresh(t, done, "c", "refresh-1")
		mustSwap(t, done, "c", "refresh-1", "refresh-2")
		wantRefresh(t, added, "c", "refresh-2")
	})
	t.Run("a dropped key", func(t *testing.T) {
		t.Parallel()
		pfx := prefix(t)
		old := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1")
		mustPut(t, old, "c", "access-1")
		mustSwap(t, old, "c", "", "refresh-1")

		early := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2")
		noToken(t, early, "c")
		refreshFails(t, early, "c", ErrUnknownTokenKey, "k1", "refresh-1")
		_, _, err := early.RefreshToken(t.Context(), "c")
		if !strings.Contains(err.Error(), `token key "k1", which token_keys does not list: add that key back`) {
			t.Fatalf("the error does not say what to do: %v", err)
		}
		// Neither a swap nor a seed may replace what it cannot read.
		for _, from := range []string{"refresh-1", ""} {
			if ok, err := early.SwapRefreshToken(t.Context(), "c", from, "refresh-2"); ok || !errors.Is(err, ErrUnknownTokenKey) {
				t.Fatalf("swap from %q over a value that does not open: %v, %v", from, ok, err)
			}
		}
		// Dropping compares plaintexts: what does not open is not dropped
		// (it is no token this replica handed out).
		if err := early.DropToken(t.Context(), "c", "access-1"); err != nil {
			t.Fatal(err)
		}
		sealedWith(t, rawToken(t, old, "c"), "k1")
		// Putting the key back recovers both.
		back := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2", "k1")
		wantToken(t, back, "c", "access-1")
		wantRefresh(t, back, "c", "refresh-1")
		// An access token fetched meanwhile simply replaces the old one.
		mustPut(t, early, "c", "access-2")
		wantToken(t, early, "c", "access-2")
	})
}

// TestSealedValueIsBoundToItsKey: a sealed value copied under another
// Redis key (another tenant's, another prefix's), changed, or written in
// the clear does not open.
func TestSealedValueIsBoundToItsKey(t *testing.T) {
	t.Parallel()
	c := plain(t)
	s := newTokens(t, shared, TokensOptions{Prefix: prefix(t)})
	other := newTokens(t, shared, TokensOptions{Prefix: prefix(t)})
	mustPut(t, s, "acme", "access-acme")
	mustSwap(t, s, "acme", "", "refresh-acme")
	rawTok, rawRef := rawToken(t, s, "acme"), rawRefresh(t, s, "acme")
	expires := c.HGet(t.Context(), s.tokenKey("acme"), "expires").Val()
	putRaw := func(st *Tokens, key, tok, ref string) {
		t.Helper()
		if err := c.HSet(t.Context(), st.tokenKey(key), "value", tok, "expires", expires).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(t.Context(), st.refreshKey(key), ref, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// The copy reads nothing; the original still opens.
	putRaw(s, "globex", rawTok, rawRef)
	putRaw(other, "acme", rawTok, rawRef)
	for _, st := range []*Tokens{s, other} {
		key := map[*Tokens]string{s: "globex", other: "acme"}[st]
		noToken(t, st, key)
		refreshFails(t, st, key, ErrNotOpened, "k1", "refresh-acme")
		if ok, err := st.SwapRefreshToken(t.Context(), key, "refresh-acme", "stolen"); ok || !errors.Is(err, ErrNotOpened) {
			t.Fatalf("swap over a copied refresh token: %v, %v", ok, err)
		}
	}
	wantToken(t, s, "acme", "access-acme")
	wantRefresh(t, s, "acme", "refresh-acme")

	// One character changed.
	flip := func(v string) string {
		i := len(v) - 10 // inside the ciphertext, away from the last character's spare bits
		return v[:i] + map[bool]string{true: "B", false: "A"}[v[i] == 'A'] + v[i+1:]
	}
	putRaw(s, "changed", flip(rawTok), flip(rawRef))
	noToken(t, s, "changed")
	refreshFails(t, s, "changed", ErrNotOpened, "k1", "refresh-acme")

	// Written in the clear (before sealing was turned on), or garbage.
	for i, v := range []string{"refresh-plain", "", "v1.k1", "v1.k1.!!!", "v2.k1.AAAA", "v1.K1.AAAA"} {
		key := fmt.Sprintf("clear-%d", i)
		putRaw(s, key, v, v)
		noToken(t, s, key)
		want, id := ErrNotSealed, ""
		if strings.HasPrefix(v, "v1.k1.") {
			want, id = ErrNotOpened, "k1"
		}
		refreshFails(t, s, key, want, id, "refresh-plain")
	}
}

// TestSwapComparesPlaintext: the raw compare-and-swap under randomized
// sealing. Between a swapper's read and its write, a re-seal (the same
// plaintext under a new key) does not make it lose; a real swap does.
// DropToken likewise.
func TestSwapComparesPlaintext(t *testing.T) {
	t.Parallel()
	// once runs f the first time the hook is called.
	once := func(f func()) func() {
		var o sync.Once
		return func() { o.Do(f) }
	}
	t.Run("swap across a re-seal", func(t *testing.T) {
		t.Parallel()
		pfx := prefix(t)
		swapper := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1", "k2")
		reader := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2", "k1")
		mustSwap(t, swapper, "c", "", "r1")
		before := rawRefresh(t, swapper, "c")
		swapper.beforeWrite = once(func() { wantRefresh(t, reader, "c", "r1") }) // re-seals under k2
		mustSwap(t, swapper, "c", "r1", "r2")
		if rawRefresh(t, reader, "c") == before {
			t.Fatal("the hook did not re-seal: the test proves nothing")
		}
		wantRefresh(t, reader, "c", "r2")
	})
	for _, old := range []string{"r1", ""} { // a swap, a seed
		t.Run(fmt.Sprintf("swap from %q loses to a rival", old), func(t *testing.T) {
			t.Parallel()
			pfx := prefix(t)
			swapper := newTokens(t, shared, TokensOptions{Prefix: pfx})
			rival := newTokens(t, shared, TokensOptions{Prefix: pfx})
			if old != "" {
				mustSwap(t, swapper, "c", "", old)
			}
			swapper.beforeWrite = once(func() { mustSwap(t, rival, "c", old, "r-rival") })
			if ok, err := swapper.SwapRefreshToken(t.Context(), "c", old, "r2"); ok || err != nil {
				t.Fatalf("swap after a rival's = %v, %v; want false", ok, err)
			}
			wantRefresh(t, swapper, "c", "r-rival")
		})
	}
	t.Run("drop across a re-seal", func(t *testing.T) {
		t.Parallel()
		pfx := prefix(t)
		dropper := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1", "k2")
		reader := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2", "k1")
		mustPut(t, dropper, "c", "t1")
		dropper.beforeWrite = once(func() {
			wantToken(t, reader, "c", "t1")
			sealedWith(t, rawToken(t, reader, "c"), "k2")
		})
		if err := dropper.DropToken(t.Context(), "c", "t1"); err != nil {
			t.Fatal(err)
		}
		noToken(t, reader, "c")
	})
	t.Run("drop loses to a new token", func(t *testing.T) {
		t.Parallel()
		pfx := prefix(t)
		dropper := newTokens(t, shared, TokensOptions{Prefix: pfx})
		mustPut(t, dropper, "c", "t1")
		dropper.beforeWrite = once(func() { mustPut(t, dropper, "c", "t2") })
		if err := dropper.DropToken(t.Context(), "c", "t1"); err != nil {
			t.Fatal(err)
		}
		wantToken(t, dropper, "c", "t2")
	})
}

// TestOneSwapWinsWhileReplicasReseal: concurrent swappers from one old
// value while other replicas read it, on rings in both orders of a
// rotation (each re-seals what the other sealed): exactly one swap wins,
// and its value is what every replica reads.
func TestOneSwapWinsWhileReplicasReseal(t *testing.T) {
	t.Parallel()
	pfx := prefix(t)
	stores := []*Tokens{
		newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1", "k2"),
		newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2", "k1"),
	}
	mustSwap(t, stores[0], "c", "", "r0")
	var wins atomic.Int64
	var winner atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range 60 {
		s := stores[w%2]
		wg.Go(func() {
			<-start
			if w%3 == 0 {
				if v, _, err := s.RefreshToken(context.Background(), "c"); err != nil || v == "" {
					t.Errorf("reader: %q, %v", v, err)
				}
				return
			}
			next := fmt.Sprintf("r%d", w)
			ok, err := s.SwapRefreshToken(context.Background(), "c", "r0", next)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
				winner.Store(next)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Fatalf("%d swaps won, want 1", n)
	}
	for _, s := range stores {
		wantRefresh(t, s, "c", winner.Load().(string))
	}
}

// TestReseal: the sweep a replica runs at start seals every value of an
// older key under the current one, counts what does not open and leaves
// it, and touches no other prefix (glob characters in the prefix are
// matched literally).
func TestReseal(t *testing.T) {
	t.Parallel()
	pfx := prefix(t) + "a*[b]:"
	old := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k1")
	lookalike := newTokens(t, shared, TokensOptions{Prefix: prefix(t) + "aXb:"}, "k1")
	lost := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k0")
	for _, s := range []*Tokens{old, lookalike} {
		mustPut(t, s, "c1", "access-1")
		mustPut(t, s, "c1#refused", "linkflow UNAUTHORIZED")
		mustSwap(t, s, "c1", "", "refresh-1")
		mustSwap(t, s, "c2", "", "refresh-2")
	}
	mustSwap(t, lost, "c3", "", "refresh-3")
	if err := plain(t).Set(t.Context(), old.refreshKey("c4"), "refresh-in-the-clear", 0).Err(); err != nil {
		t.Fatal(err)
	}

	rotated := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2", "k1")
	r, err := rotated.Reseal(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Resealed != 4 || len(r.Unopened) != 2 || r.Unopened["k0"] != 1 || r.Unopened[""] != 1 {
		t.Fatalf("report %+v, want 4 re-sealed, one of k0 and one in the clear unopened", r)
	}
	sealedWith(t, rawToken(t, old, "c1"), "k2")
	sealedWith(t, rawToken(t, old, "c1#refused"), "k2")
	sealedWith(t, rawRefresh(t, old, "c1"), "k2")
	sealedWith(t, rawRefresh(t, old, "c2"), "k2")
	sealedWith(t, rawRefresh(t, old, "c3"), "k0")
	if v := rawRefresh(t, old, "c4"); v != "refresh-in-the-clear" {
		t.Fatalf("an unopened value was changed: %q", v)
	}
	sealedWith(t, rawToken(t, lookalike, "c1"), "k1")
	sealedWith(t, rawRefresh(t, lookalike, "c1"), "k1")
	if ttl := plain(t).PTTL(t.Context(), old.tokenKey("c1")).Val(); ttl <= 0 || ttl > time.Hour {
		t.Fatalf("re-sealed token expires in %v", ttl)
	}

	// k1 can go now.
	done := newTokens(t, shared, TokensOptions{Prefix: pfx}, "k2")
	wantToken(t, done, "c1", "access-1")
	wantToken(t, done, "c1#refused", "linkflow UNAUTHORIZED")
	wantRefresh(t, done, "c1", "refresh-1")
	wantRefresh(t, done, "c2", "refresh-2")
	if r, err := rotated.Reseal(t.Context()); err != nil || r.Resealed != 0 {
		t.Fatalf("second sweep: %+v, %v; want nothing left to re-seal", r, err)
	}
}
