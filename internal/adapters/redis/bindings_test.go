package redis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// propagation is how fast a switch must reach every replica (the
// architecture promises "within a second").
const propagation = time.Second

// eventually polls cond until it holds, failing t after within.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sees reports whether b serves tenant at version v on vendor.
func sees(b *Bindings, tenant string, vendor domain.Vendor, v int64) func() bool {
	return func() bool {
		got, err := b.Binding(context.Background(), tenant)
		return err == nil && got.Vendor == vendor && got.Version == v
	}
}

func mustSeed(t *testing.T, s domain.BindingStore, tenant string, v domain.Vendor) {
	t.Helper()
	if err := s.Seed(context.Background(), tenant, v); err != nil {
		t.Fatal(err)
	}
}

func mustSwitch(t *testing.T, s domain.BindingStore, tenant string, v domain.Vendor) domain.Binding {
	t.Helper()
	_, to, err := s.Switch(context.Background(), tenant, v)
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h *countingHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countingHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		h.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func TestBindingsSwitchReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	a := newBindings(t, shared, BindingsOptions{Prefix: pfx, Resync: -1})
	mustSeed(t, a, "acme", domain.Vendor("linkflow"))
	b := newBindings(t, newClient(t, server.URL()), BindingsOptions{Prefix: pfx, Resync: -1})
	if !sees(b, "acme", domain.Vendor("linkflow"), 1)() {
		t.Fatal("second replica did not load the seeded binding at start")
	}

	// Listen on the channel too, to check the message itself.
	sub := shared.Subscribe(ctx, pfx+"bindings")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}

	to := mustSwitch(t, a, "acme", domain.Vendor("meihua"))
	eventually(t, propagation, "replica b sees the switch made on a", sees(b, "acme", domain.Vendor("meihua"), 2))
	if got, _ := b.Binding(ctx, "acme"); got != to {
		t.Fatalf("b serves %+v, want exactly what a's Switch returned %+v", got, to)
	}

	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(msg.Payload), &m); err != nil {
		t.Fatalf("message %q: %v", msg.Payload, err)
	}
	want := map[string]any{"tenant": "acme", "vendor": "meihua", "version": 2.0, "updated_at": to.UpdatedAt.Format(time.RFC3339Nano)}
	if len(m) != len(want) {
		t.Fatalf("message %v, want %v", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Fatalf("message %v, want %v", m, want)
		}
	}

	// And back, from the other replica.
	mustSwitch(t, b, "acme", domain.Vendor("linkflow"))
	eventually(t, propagation, "replica a sees the switch made on b", sees(a, "acme", domain.Vendor("linkflow"), 3))
}

func TestBindingsConcurrentSwitchesOnTwoReplicas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	replicas := []*Bindings{
		newBindings(t, shared, BindingsOptions{Prefix: pfx, Resync: -1}),
		newBindings(t, newClient(t, server.URL()), BindingsOptions{Prefix: pfx, Resync: -1}),
	}
	mustSeed(t, replicas[0], "acme", domain.Vendor("linkflow"))
	vendors := []domain.Vendor{"linkflow", "meihua", "nxcloud", "miaokol"}
	var changes atomic.Int64
	var wg sync.WaitGroup
	for w := range 20 {
		wg.Go(func() {
			for r := range 20 {
				from, to, err := replicas[w%2].Switch(ctx, "acme", vendors[(w+r)%len(vendors)])
				if err != nil {
					t.Error(err)
					return
				}
				if from.Version != to.Version {
					changes.Add(1)
				}
			}
		})
	}
	wg.Wait()
	final, err := NewBindings(ctx, shared, BindingsOptions{Prefix: pfx})
	if err != nil {
		t.Fatal(err)
	}
	defer final.Close()
	want, _ := final.Binding(ctx, "acme")
	if want.Version != 1+changes.Load() {
		t.Fatalf("version %d in Redis after %d changes, want %d", want.Version, changes.Load(), 1+changes.Load())
	}
	for i, r := range replicas {
		eventually(t, propagation, "replica "+strconv.Itoa(i)+" converges on the last switch", sees(r, "acme", want.Vendor, want.Version))
	}
}

func TestBindingsHotPathMakesNoRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	seeder := newBindings(t, shared, BindingsOptions{Prefix: pfx})
	mustSeed(t, seeder, "acme", domain.Vendor("linkflow"))
	mustSeed(t, seeder, "beta", domain.Vendor("nxcloud"))
	mustSwitch(t, seeder, "beta", domain.Vendor("miaokol"))

	c := newClient(t, server.URL())
	hook := &countingHook{}
	c.AddHook(hook)
	b := newBindings(t, c, BindingsOptions{Prefix: pfx, Resync: -1})
	before := hook.n.Load()
	for range 100 {
		if !sees(b, "acme", domain.Vendor("linkflow"), 1)() || !sees(b, "beta", domain.Vendor("miaokol"), 2)() {
			t.Fatal("loaded bindings are wrong")
		}
	}
	if n := hook.n.Load() - before; n != 0 {
		t.Fatalf("%d Redis commands for cached bindings, want none", n)
	}
	// A tenant seeded later by another replica is read once, then cached.
	mustSeed(t, seeder, "gamma", domain.Vendor("meihua"))
	for range 10 {
		if !sees(b, "gamma", domain.Vendor("meihua"), 1)() {
			t.Fatal("gamma not found")
		}
	}
	if n := hook.n.Load() - before; n > 1 {
		t.Fatalf("%d Redis commands for a tenant missed once, want at most 1", n)
	}
	if _, err := b.Binding(ctx, "nobody"); !errors.Is(err, domain.ErrTenantUnknown) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestBindingsMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	b := newBindings(t, shared, BindingsOptions{Prefix: pfx, Resync: -1})
	mustSeed(t, b, "acme", domain.Vendor("linkflow"))
	mustSwitch(t, b, "acme", domain.Vendor("meihua"))
	mustSwitch(t, b, "acme", domain.Vendor("nxcloud")) // version 3

	publish := func(payload string) {
		t.Helper()
		if err := shared.Publish(ctx, pfx+"bindings", payload).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Late or duplicate messages and garbage change nothing ...
	publish(`{"tenant":"acme","vendor":"linkflow","version":2,"updated_at":"2025-01-01T00:00:00Z"}`)
	publish(`{"tenant":"acme","vendor":"miaokol","version":3,"updated_at":"2025-01-01T00:00:00Z"}`)
	publish(`not json`)
	publish(`{"tenant":"acme","vendor":"miaokol","version":9,"updated_at":"yesterday"}`)
	// ... a newer one applies (here it was not written to Redis: only the
	// message is under test).
	publish(`{"tenant":"acme","vendor":"miaokol","version":4,"updated_at":"2025-01-01T00:00:00Z"}`)
	eventually(t, propagation, "version 4 applied", sees(b, "acme", domain.Vendor("miaokol"), 4))
}

func TestBindingsReloadWhenResubscribed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t) // CLIENT KILL would disturb the shared server's other tests
	admin := newClient(t, srv.URL())
	b := newBindings(t, newClient(t, srv.URL()), BindingsOptions{Resync: -1})
	mustSeed(t, b, "acme", domain.Vendor("linkflow"))

	// A switch whose message this replica never got: written behind its
	// back, without PUBLISH.
	if err := admin.HSet(ctx, DefaultPrefix+"{bindings}:tenant:acme", "vendor", "meihua", "version", 2).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if !sees(b, "acme", domain.Vendor("linkflow"), 1)() {
		t.Fatal("the cache changed without a message or a reload")
	}
	// Dropping the subscriber's connection is when messages get lost; on
	// resubscribing it reloads everything.
	if err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, propagation, "reload after resubscribing", sees(b, "acme", domain.Vendor("meihua"), 2))
}

func TestBindingsPeriodicResync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	b := newBindings(t, shared, BindingsOptions{Prefix: pfx, Resync: 50 * time.Millisecond})
	mustSeed(t, b, "acme", domain.Vendor("linkflow"))
	if err := shared.HSet(ctx, pfx+"{bindings}:tenant:acme", "vendor", "nxcloud", "version", 7).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, propagation, "periodic resync picks up a change without a message", sees(b, "acme", domain.Vendor("nxcloud"), 7))
	// Redis going back (lost data, seeded again) is not followed: the
	// resync writes the newer binding back.
	if err := shared.HSet(ctx, pfx+"{bindings}:tenant:acme", "vendor", "linkflow", "version", 3).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, propagation, "resync writes the newer binding back", func() bool {
		v, err := shared.HMGet(ctx, pfx+"{bindings}:tenant:acme", "vendor", "version").Result()
		return err == nil && v[0] == "nxcloud" && v[1] == "7"
	})
	if !sees(b, "acme", domain.Vendor("nxcloud"), 7)() {
		t.Fatal("the replica followed Redis back")
	}
}

func TestBindingsWhileRedisIsDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	a := newBindings(t, newClient(t, srv.URL()), BindingsOptions{Resync: -1})
	b := newBindings(t, newClient(t, srv.URL()), BindingsOptions{Resync: -1})
	mustSeed(t, a, "acme", domain.Vendor("linkflow"))
	mustSwitch(t, a, "acme", domain.Vendor("meihua"))
	eventually(t, propagation, "b has acme", sees(b, "acme", domain.Vendor("meihua"), 2))

	srv.Stop()
	// Requests keep being routed from the cache.
	for _, r := range []*Bindings{a, b} {
		if !sees(r, "acme", domain.Vendor("meihua"), 2)() {
			t.Fatal("cached binding not served while Redis is down")
		}
	}
	// What needs Redis fails as unavailable (503), not as unknown tenant.
	if _, _, err := a.Switch(ctx, "acme", domain.Vendor("nxcloud")); !errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("Switch while down: %v, want ErrStoreUnavailable", err)
	}
	if err := a.Seed(ctx, "beta", domain.Vendor("nxcloud")); !errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("Seed while down: %v, want ErrStoreUnavailable", err)
	}
	if _, err := a.Binding(ctx, "beta"); !errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("uncached Binding while down: %v, want ErrStoreUnavailable", err)
	}
	if _, err := NewBindings(ctx, newClient(t, srv.URL()), BindingsOptions{}); !errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("NewBindings while down: %v, want ErrStoreUnavailable", err)
	}

	// Redis comes back empty (no persistence). The replicas put back what
	// they had, so switching works again without a gateway restart.
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// A switch right away works: it does not wait for the reload. go-redis
	// may keep failing fast for up to a second after Redis is back (its
	// dial breaker probes once a second), hence the retries.
	var to domain.Binding
	eventually(t, 5*time.Second, "a switch succeeds after the restart", func() bool {
		var err error
		_, to, err = a.Switch(ctx, "acme", domain.Vendor("nxcloud"))
		if errors.Is(err, domain.ErrTenantUnknown) {
			t.Fatal("Switch after Redis lost its data: unknown tenant")
		}
		return err == nil
	})
	if to.Version != 3 {
		t.Fatalf("switch after restore: %+v, want version 3 (the lost binding was at 2)", to)
	}
	eventually(t, propagation, "b follows switches after the restart", sees(b, "acme", domain.Vendor("nxcloud"), 3))
}

// TestBindingsRestoreOnReload: when Redis comes back empty, the reload that
// the new subscription triggers writes cached bindings back.
func TestBindingsRestoreOnReload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	a := newBindings(t, newClient(t, srv.URL()), BindingsOptions{Resync: -1})
	mustSeed(t, a, "acme", domain.Vendor("linkflow"))
	mustSwitch(t, a, "acme", domain.Vendor("meihua"))
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	admin := newClient(t, srv.URL())
	eventually(t, 5*time.Second, "the replica restores the lost binding", func() bool {
		v, err := admin.HMGet(ctx, DefaultPrefix+"{bindings}:tenant:acme", "vendor", "version").Result()
		return err == nil && v[0] == "meihua" && v[1] == "2"
	})
	if ok, _ := admin.SIsMember(ctx, DefaultPrefix+"{bindings}:index", "acme").Result(); !ok {
		t.Fatal("restored tenant not indexed")
	}
}

// TestBindingsNeverGoBack: Redis restarts without persistence while a
// replica restarts too. The new replica seeds the tenants file's binding
// (version 1) before the live replicas, which held version 2, reach Redis
// again. They must neither take version 1 nor let it stand: they write
// their binding back, and the new replica follows.
func TestBindingsNeverGoBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv.Addr())
	a := newBindings(t, newClient(t, proxy.URL()), BindingsOptions{Resync: -1})
	b := newBindings(t, newClient(t, proxy.URL()), BindingsOptions{Resync: -1})
	mustSeed(t, a, "acme", domain.Vendor("linkflow"))
	mustSwitch(t, a, "acme", domain.Vendor("meihua"))
	eventually(t, propagation, "b has the switch", sees(b, "acme", domain.Vendor("meihua"), 2))

	// Redis is killed and comes back empty; the live replicas cannot reach
	// it yet, the restarting one can.
	proxy.Refuse(true)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	fresh := newBindings(t, newClient(t, srv.URL()), BindingsOptions{Resync: -1})
	mustSeed(t, fresh, "acme", domain.Vendor("linkflow"))
	if !sees(fresh, "acme", domain.Vendor("linkflow"), 1)() {
		t.Fatal("the new replica did not seed")
	}

	// The live replicas reconnect and reload: version 1 in Redis is older
	// than what they hold.
	var wentBack atomic.Bool
	watch := func() bool {
		for _, r := range []*Bindings{a, b} {
			if got, err := r.Binding(ctx, "acme"); err != nil || got.Version < 2 {
				wentBack.Store(true)
			}
		}
		return !wentBack.Load()
	}
	proxy.Refuse(false)
	admin := newClient(t, srv.URL())
	eventually(t, 5*time.Second, "Redis holds the live replicas' binding again", func() bool {
		watch()
		v, err := admin.HMGet(ctx, DefaultPrefix+"{bindings}:tenant:acme", "vendor", "version").Result()
		return err == nil && v[0] == "meihua" && v[1] == "2"
	})
	eventually(t, propagation, "the new replica follows", func() bool {
		watch()
		return sees(fresh, "acme", domain.Vendor("meihua"), 2)()
	})
	for range 20 { // a few more reloads' worth
		watch()
		time.Sleep(5 * time.Millisecond)
	}
	if wentBack.Load() {
		t.Fatal("a live replica served a binding older than the one it held")
	}
	for _, r := range []*Bindings{a, b} {
		if !sees(r, "acme", domain.Vendor("meihua"), 2)() {
			got, _ := r.Binding(ctx, "acme")
			t.Fatalf("live replica serves %+v, want meihua at version 2", got)
		}
	}

	// A switch through the new replica continues from version 2.
	if to := mustSwitch(t, fresh, "acme", domain.Vendor("nxcloud")); to.Version != 3 {
		t.Fatalf("switch after the restore: %+v, want version 3", to)
	}
}

// TestBindingsSwitchNeverReusesAVersion: a replica that holds version 2
// switches while Redis holds an older binding (lost, then seeded again):
// the switch continues from the replica's version, so version 3 names one
// binding only.
func TestBindingsSwitchNeverReusesAVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pfx := prefix(t)
	a := newBindings(t, shared, BindingsOptions{Prefix: pfx, Resync: -1})
	mustSeed(t, a, "acme", domain.Vendor("linkflow"))
	mustSwitch(t, a, "acme", domain.Vendor("meihua"))
	// Redis goes back to a seeded binding behind a's back (no message).
	if err := shared.HSet(ctx, pfx+"{bindings}:tenant:acme", "vendor", "linkflow", "version", 1).Err(); err != nil {
		t.Fatal(err)
	}
	from, to, err := a.Switch(ctx, "acme", domain.Vendor("nxcloud"))
	if err != nil {
		t.Fatal(err)
	}
	if from.Vendor != "meihua" || from.Version != 2 || to.Vendor != "nxcloud" || to.Version != 3 {
		t.Fatalf("switch from %+v to %+v; want from meihua 2 to nxcloud 3", from, to)
	}
	// A switch to the vendor Redis went back to is a switch all the same.
	from, to, err = a.Switch(ctx, "acme", domain.Vendor("nxcloud"))
	if err != nil || from != to || to.Version != 3 {
		t.Fatalf("repeat switch: %+v %+v %v", from, to, err)
	}
}

func TestBindingsResubscribeAfterSilentConnection(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	proxy := redistest.NewProxy(t, srv.Addr())
	b := newBindings(t, newClient(t, proxy.URL()), BindingsOptions{Resync: -1, pingInterval: 50 * time.Millisecond})
	a := newBindings(t, newClient(t, srv.URL()), BindingsOptions{Resync: -1})
	mustSeed(t, a, "acme", domain.Vendor("linkflow"))
	eventually(t, propagation, "b has acme", sees(b, "acme", domain.Vendor("linkflow"), 1))

	// The subscriber's connection goes silent without being closed (a
	// dead peer, a dropped NAT entry): the switch's message never arrives.
	proxy.FreezeSubscribers()
	mustSwitch(t, a, "acme", domain.Vendor("meihua"))
	// The unanswered ping makes b subscribe again on a new connection,
	// and the new subscription reloads.
	eventually(t, 2*propagation, "b resubscribes and reloads", sees(b, "acme", domain.Vendor("meihua"), 2))
}

func TestBindingsClose(t *testing.T) {
	t.Parallel()
	pfx := prefix(t)
	b, err := NewBindings(context.Background(), shared, BindingsOptions{Prefix: pfx})
	if err != nil {
		t.Fatal(err)
	}
	mustSeed(t, b, "acme", domain.Vendor("linkflow"))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// The store still answers; it only stops following changes.
	if !sees(b, "acme", domain.Vendor("linkflow"), 1)() {
		t.Fatal("Binding after Close")
	}
	if err := shared.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Close closed the caller's client: %v", err)
	}
}

func TestBindingsUpdatedAtFromClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	b := newBindings(t, shared, BindingsOptions{Prefix: prefix(t), Now: func() time.Time { return at }})
	mustSeed(t, b, "acme", domain.Vendor("linkflow"))
	at = at.Add(time.Hour)
	to := mustSwitch(t, b, "acme", domain.Vendor("meihua"))
	if !to.UpdatedAt.Equal(at) || to.UpdatedAt.Location() != time.UTC {
		t.Fatalf("UpdatedAt = %v, want %v in UTC", to.UpdatedAt, at)
	}
}
