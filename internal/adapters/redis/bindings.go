package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// DefaultResync is how often Bindings reloads every binding from Redis as a
// safety net against lost pub/sub messages.
const DefaultResync = 30 * time.Second

const (
	// startTimeout bounds NewBindings' wait for the subscription.
	startTimeout = 10 * time.Second
	// defaultPingInterval: after this long without traffic the subscriber
	// pings Redis; without an answer for as long again it resubscribes on a
	// new connection (a connection can die without being closed).
	defaultPingInterval = 10 * time.Second
	// retryMin and retryMax bound the backoff between attempts to reach
	// Redis; retryMax keeps a recovered Redis noticed within a second.
	retryMin = 50 * time.Millisecond
	retryMax = time.Second
	// loadBatch is how many bindings one pipelined round trip reads.
	loadBatch = 500
)

// BindingsOptions configures a Bindings store.
type BindingsOptions struct {
	// Prefix is put before every key and the channel; DefaultPrefix when
	// empty. Replicas that must agree use the same prefix.
	Prefix string
	// Now stamps UpdatedAt; time.Now when nil.
	Now func() time.Time
	// Resync is how often every binding is reloaded from Redis in case a
	// message was lost; DefaultResync when zero, never when negative.
	Resync time.Duration
	// Logger receives subscription and resync events; discarded when nil.
	Logger *slog.Logger

	// pingInterval replaces the default in tests.
	pingInterval time.Duration
}

// Bindings is a domain.BindingStore on Redis, with an in-process cache so
// that Binding, which every request calls, makes no round trip for a
// known tenant.
//
// A binding is a hash per tenant; a set indexes the tenants, so that the
// whole cache can be reloaded without scanning the keyspace. Both carry the
// hash tag {bindings}, so the two-key Seed script works on Redis Cluster.
// Switch bumps the version and publishes the new binding on a channel in
// one script; every replica applies a message whose version is higher than
// its cached one. The cache is reloaded whenever the subscription is
// (re)established, since messages published while disconnected are lost,
// and every Resync. While Redis is down cached bindings keep being served.
//
// A replica never goes back: it does not take a binding older than the one
// it holds, from Redis or from a message. When Redis lost a binding that a
// replica has cached, or holds an older one (a restart without
// persistence, after which a starting replica seeded the tenants file's
// binding again), the reload writes the cached binding back and publishes
// it, unless Redis has a newer one by then; so a seeded binding never
// undoes a switch that a live replica still knows, and switching keeps
// working. A switch likewise continues from the replica's version when
// Redis is behind it, so that a version names one binding only.
type Bindings struct {
	c       goredis.UniversalClient
	pfx     string
	channel string
	now     func() time.Time
	resync  time.Duration
	ping    time.Duration
	log     *slog.Logger

	// cache is replaced, never modified, so that Binding reads it without
	// a lock; writers hold mu.
	cache atomic.Pointer[map[string]cachedBinding]
	mu    sync.Mutex
	seq   uint64 // bumped on every cache write, to order writes against reloads

	kick   chan struct{} // asks the resync loop to reload now
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	psMu sync.Mutex
	ps   *goredis.PubSub
}

type cachedBinding struct {
	b   domain.Binding
	seq uint64
}

var _ domain.BindingStore = (*Bindings)(nil)

// NewBindings subscribes to binding changes, loads every binding into the
// cache and starts keeping it current. It fails, wrapping
// domain.ErrStoreUnavailable, when Redis cannot be reached. Close stops
// it; the client stays open.
func NewBindings(ctx context.Context, client goredis.UniversalClient, opts BindingsOptions) (*Bindings, error) {
	s := &Bindings{
		c:      client,
		pfx:    prefixOr(opts.Prefix),
		now:    opts.Now,
		resync: opts.Resync,
		ping:   opts.pingInterval,
		log:    opts.Logger,
		kick:   make(chan struct{}, 1),
	}
	s.channel = s.pfx + "bindings"
	if s.now == nil {
		s.now = time.Now
	}
	if s.resync == 0 {
		s.resync = DefaultResync
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ping <= 0 {
		s.ping = defaultPingInterval
	}
	s.cache.Store(&map[string]cachedBinding{})

	// Subscribe before loading, so that no switch falls between the two.
	ps := client.Subscribe(ctx, s.channel)
	msg, err := ps.ReceiveTimeout(ctx, startTimeout)
	if err == nil {
		if _, ok := msg.(*goredis.Subscription); !ok {
			err = fmt.Errorf("unexpected %v", msg)
		}
	}
	if err == nil {
		err = s.Load(ctx)
	}
	if err != nil {
		_ = ps.Close()
		if !errors.Is(err, domain.ErrStoreUnavailable) {
			err = unavailable("subscribe to binding changes", err)
		}
		return nil, err
	}
	s.ps = ps

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.wg.Add(2)
	go s.listen(bg)
	go s.resyncLoop(bg)
	return s, nil
}

// Close stops following changes. Binding keeps answering from the cache
// (and from Redis on a miss); the client is not closed.
func (s *Bindings) Close() error {
	s.once.Do(func() {
		s.cancel()
		s.psMu.Lock()
		_ = s.ps.Close() // unblocks the receive
		s.psMu.Unlock()
		s.wg.Wait()
	})
	return nil
}

func (s *Bindings) tenantKey(tenant string) string { return s.pfx + "{bindings}:tenant:" + tenant }
func (s *Bindings) indexKey() string               { return s.pfx + "{bindings}:index" }

// Binding implements domain.BindingStore: from the cache, or from Redis
// when the tenant is not cached yet.
func (s *Bindings) Binding(ctx context.Context, tenant string) (domain.Binding, error) {
	if c, ok := (*s.cache.Load())[tenant]; ok {
		return c.b, nil
	}
	vals, err := s.c.HMGet(ctx, s.tenantKey(tenant), "vendor", "version", "updated_at").Result()
	if err != nil {
		return domain.Binding{}, unavailable("get binding", err)
	}
	b, ok, err := bindingFrom(tenant, vals)
	switch {
	case err != nil:
		return domain.Binding{}, unavailable("get binding", err)
	case !ok:
		return domain.Binding{}, domain.ErrTenantUnknown
	}
	s.apply(b)
	return b, nil
}

// seedScript writes a binding unless the tenant has one, indexes the
// tenant and returns its binding. KEYS: the tenant's hash, the index.
var seedScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	redis.call('HSET', KEYS[1], 'vendor', ARGV[2], 'version', ARGV[3], 'updated_at', ARGV[4])
end
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('HMGET', KEYS[1], 'vendor', 'version', 'updated_at')
`)

// Seed implements domain.BindingStore.
func (s *Bindings) Seed(ctx context.Context, tenant string, v domain.Vendor) error {
	b, err := s.putIfAbsent(ctx, domain.Binding{Tenant: tenant, Vendor: v, Version: 1, UpdatedAt: s.now()})
	if err != nil {
		return unavailable("seed binding", err)
	}
	s.apply(b)
	return nil
}

func (s *Bindings) putIfAbsent(ctx context.Context, b domain.Binding) (domain.Binding, error) {
	vals, err := seedScript.Run(ctx, s.c, []string{s.tenantKey(b.Tenant), s.indexKey()},
		b.Tenant, string(b.Vendor), b.Version, formatTime(b.UpdatedAt)).Slice()
	if err != nil {
		return domain.Binding{}, err
	}
	got, ok, err := bindingFrom(b.Tenant, vals)
	if err == nil && !ok {
		err = errors.New("binding missing right after seeding")
	}
	return got, err
}

// restoreLua writes the binding in ARGV[5..7] (vendor, version,
// updated_at) when Redis has none for the tenant or an older one, indexes
// the tenant and publishes the restored binding on channel ARGV[3];
// restored is set to 1 when it wrote. KEYS: the tenant's hash, the index.
// ARGV[4] is the tenant. Both scripts below begin with it.
const restoreLua = `
local restored = 0
local held = tonumber(ARGV[6])
if held and held > 0 then
	local cur = tonumber(redis.call('HGET', KEYS[1], 'version'))
	if not cur or cur < held then
		redis.call('HSET', KEYS[1], 'vendor', ARGV[5], 'version', ARGV[6], 'updated_at', ARGV[7])
		redis.call('SADD', KEYS[2], ARGV[4])
		redis.call('PUBLISH', ARGV[3], cjson.encode({tenant = ARGV[4], vendor = ARGV[5], version = held, updated_at = ARGV[7]}))
		restored = 1
	end
end
`

// restoreScript writes a replica's binding back (see restoreLua), indexes
// the tenant and returns the binding Redis then holds and whether it was
// written. ARGV[1..2] are unused.
var restoreScript = goredis.NewScript(restoreLua + `
redis.call('SADD', KEYS[2], ARGV[4])
local b = redis.call('HMGET', KEYS[1], 'vendor', 'version', 'updated_at')
return {b[1], b[2], b[3], restored}
`)

// switchScript restores the replica's binding when Redis is behind it (see
// restoreLua; version 0 in ARGV[6] when the replica holds none), then
// changes the vendor to ARGV[1], bumps the version and publishes the new
// binding, atomically. It returns nil for an unknown tenant, else the old
// vendor, version and updated_at, the new version (0: unchanged) and
// whether the replica's binding was restored. ARGV[2] is updated_at.
var switchScript = goredis.NewScript(restoreLua + `
local cur = redis.call('HMGET', KEYS[1], 'vendor', 'version', 'updated_at')
if not cur[1] then
	return false
end
if cur[1] == ARGV[1] then
	return {cur[1], cur[2], cur[3], 0, restored}
end
local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'vendor', ARGV[1], 'updated_at', ARGV[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({tenant = ARGV[4], vendor = ARGV[1], version = v, updated_at = ARGV[2]}))
return {cur[1], cur[2], cur[3], v, restored}
`)

// heldArgs are the restore arguments (ARGV[5..7]) for a replica's binding
// of tenant; version 0 when it holds none.
func (s *Bindings) heldArgs(tenant string) []any {
	c, ok := (*s.cache.Load())[tenant]
	if !ok {
		return []any{"", 0, ""}
	}
	return []any{string(c.b.Vendor), c.b.Version, formatTime(c.b.UpdatedAt)}
}

// restore writes b back unless Redis has a binding as new, and returns
// what Redis holds then.
func (s *Bindings) restore(ctx context.Context, b domain.Binding) (domain.Binding, error) {
	args := append([]any{"", "", s.channel, b.Tenant}, string(b.Vendor), b.Version, formatTime(b.UpdatedAt))
	r, err := restoreScript.Run(ctx, s.c, []string{s.tenantKey(b.Tenant), s.indexKey()}, args...).Slice()
	if err != nil {
		return domain.Binding{}, unavailable("restore binding", err)
	}
	if len(r) != 4 {
		return domain.Binding{}, unavailable("restore binding", fmt.Errorf("unexpected reply %v", r))
	}
	got, ok, err := bindingFrom(b.Tenant, r[:3])
	if err == nil && !ok {
		err = errors.New("binding missing right after restoring it")
	}
	if err != nil {
		return domain.Binding{}, unavailable("restore binding", err)
	}
	if restored, _ := r[3].(int64); restored == 1 {
		s.logRestored(b)
	}
	return got, nil
}

func (s *Bindings) logRestored(b domain.Binding) {
	s.log.Warn("Redis had lost this tenant's binding or held an older one (a restart without persistence?); "+
		"wrote back this replica's binding", "tenant", b.Tenant, "vendor", b.Vendor, "version", b.Version)
}

// Switch implements domain.BindingStore. The new binding is in this
// replica's cache when Switch returns, and published to the others.
func (s *Bindings) Switch(ctx context.Context, tenant string, v domain.Vendor) (domain.Binding, domain.Binding, error) {
	at := formatTime(s.now())
	held := s.heldArgs(tenant)
	args := append([]any{string(v), at, s.channel, tenant}, held...)
	r, err := switchScript.Run(ctx, s.c, []string{s.tenantKey(tenant), s.indexKey()}, args...).Slice()
	switch {
	case errors.Is(err, goredis.Nil):
		return domain.Binding{}, domain.Binding{}, domain.ErrTenantUnknown
	case err != nil:
		return domain.Binding{}, domain.Binding{}, unavailable("switch binding", err)
	case len(r) != 5:
		return domain.Binding{}, domain.Binding{}, unavailable("switch binding", fmt.Errorf("unexpected reply %v", r))
	}
	from, ok, err := bindingFrom(tenant, r[:3])
	if err == nil && !ok {
		err = fmt.Errorf("unexpected reply %v", r)
	}
	if err != nil {
		return domain.Binding{}, domain.Binding{}, unavailable("switch binding", err)
	}
	if restored, _ := r[4].(int64); restored == 1 {
		s.logRestored(from)
	}
	version, _ := r[3].(int64)
	if version == 0 {
		s.apply(from)
		return from, from, nil
	}
	updated, err := parseTime(at)
	if err != nil {
		return domain.Binding{}, domain.Binding{}, err
	}
	to := domain.Binding{Tenant: tenant, Vendor: v, Version: version, UpdatedAt: updated}
	s.apply(to)
	return from, to, nil
}

// Load reads every binding from Redis into the cache. NewBindings calls
// it; the store calls it again whenever its subscription is
// (re)established and every Resync.
//
// A cached binding is never replaced by an older one. When Redis has lost
// a cached binding or holds an older one, the cached binding is written
// back (and published), unless Redis has a newer one by then. A cached
// binding that changed while Load was reading (a local switch or a
// message) is only replaced by a higher version; any other cached binding
// takes Redis's value (the same version with another vendor: the switch
// Redis recorded).
func (s *Bindings) Load(ctx context.Context) error {
	s.mu.Lock()
	mark := s.seq
	s.mu.Unlock()
	cur := *s.cache.Load()

	tenants, err := s.c.SMembers(ctx, s.indexKey()).Result()
	if err != nil {
		return unavailable("load bindings", err)
	}
	indexed := make(map[string]bool, len(tenants))
	for _, t := range tenants {
		indexed[t] = true
	}
	for t := range cur {
		if !indexed[t] {
			tenants = append(tenants, t)
		}
	}

	fresh := make(map[string]domain.Binding, len(tenants))
	var behind []domain.Binding // cached, and lost or older in Redis
	for chunk := range slices.Chunk(tenants, loadBatch) {
		cmds := make([]*goredis.SliceCmd, len(chunk))
		_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, t := range chunk {
				cmds[i] = p.HMGet(ctx, s.tenantKey(t), "vendor", "version", "updated_at")
			}
			return nil
		})
		if err != nil {
			return unavailable("load bindings", err)
		}
		for i, t := range chunk {
			b, ok, err := bindingFrom(t, cmds[i].Val())
			switch {
			case err != nil:
				s.log.Warn("skipping a malformed binding in Redis", "tenant", t, "err", err)
			case ok && (!cached(cur, t) || b.Version >= cur[t].b.Version):
				fresh[t] = b
			case cached(cur, t):
				behind = append(behind, cur[t].b)
			}
		}
	}
	for _, b := range behind {
		got, err := s.restore(ctx, b)
		if err != nil {
			return err
		}
		fresh[b.Tenant] = got
	}
	s.replace(fresh, mark)
	return nil
}

func cached(m map[string]cachedBinding, tenant string) bool {
	_, ok := m[tenant]
	return ok
}

// apply caches b unless the cache has the same or a newer version.
func (s *Bindings) apply(b domain.Binding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.cache.Load()
	if c, ok := old[b.Tenant]; ok && c.b.Version >= b.Version {
		return
	}
	next := maps.Clone(old)
	s.seq++
	next[b.Tenant] = cachedBinding{b: b, seq: s.seq}
	s.cache.Store(&next)
}

// replace installs what Load read. mark is the write sequence before the
// read started: entries written after it are newer than the read unless
// their version is lower.
func (s *Bindings) replace(fresh map[string]domain.Binding, mark uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.cache.Load()
	next := maps.Clone(old)
	for t, b := range fresh {
		c, ok := old[t]
		if ok && (c.b == b || c.b.Version > b.Version || c.seq > mark && c.b.Version >= b.Version) {
			continue
		}
		if ok {
			s.log.Info("binding reloaded from Redis", "tenant", t,
				"cached_vendor", c.b.Vendor, "cached_version", c.b.Version, "vendor", b.Vendor, "version", b.Version)
		}
		s.seq++
		next[t] = cachedBinding{b: b, seq: s.seq}
	}
	s.cache.Store(&next)
}

// listen applies published switches and asks for a reload whenever the
// subscription is (re)established. go-redis reconnects and resubscribes
// by itself after a failed receive; the Subscription message tells us.
func (s *Bindings) listen(ctx context.Context) {
	defer s.wg.Done()
	backoff, pinged, down := retryMin, false, false
	for ctx.Err() == nil {
		s.psMu.Lock()
		ps := s.ps
		s.psMu.Unlock()
		msg, err := ps.ReceiveTimeout(ctx, s.ping)
		if ctx.Err() != nil {
			return
		}
		var ne net.Error
		switch {
		case err != nil && errors.As(err, &ne) && ne.Timeout():
			if !pinged {
				// The answer, or the error of a dead connection, arrives
				// with the next receive.
				pinged = true
				_ = ps.Ping(ctx)
				continue
			}
			s.log.Warn("no answer from Redis on the binding subscription; resubscribing")
			s.resubscribe(ctx)
			pinged = false
			continue
		case err != nil:
			if !down {
				s.log.Warn("binding subscription lost; serving cached bindings and retrying", "err", err)
				down = true
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, retryMax)
			continue
		}
		backoff, pinged = retryMin, false
		switch m := msg.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				if down {
					s.log.Info("binding subscription restored; reloading bindings")
					down = false
				}
				s.reloadSoon()
			}
		case *goredis.Message:
			s.onMessage(m.Payload)
		}
	}
}

// resubscribe replaces the subscription with one on a new connection.
func (s *Bindings) resubscribe(ctx context.Context) {
	s.psMu.Lock()
	defer s.psMu.Unlock()
	if ctx.Err() != nil {
		return // Close owns s.ps now
	}
	_ = s.ps.Close()
	s.ps = s.c.Subscribe(ctx, s.channel)
}

func (s *Bindings) reloadSoon() {
	select {
	case s.kick <- struct{}{}:
	default: // a reload is pending already
	}
}

// resyncLoop reloads on request and every Resync, and retries a failed
// reload with backoff.
func (s *Bindings) resyncLoop(ctx context.Context) {
	defer s.wg.Done()
	var tick <-chan time.Time
	if s.resync > 0 {
		t := time.NewTicker(s.resync)
		defer t.Stop()
		tick = t.C
	}
	var retry <-chan time.Time
	backoff := retryMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-s.kick:
		case <-retry:
		}
		if err := s.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("reloading bindings failed; serving cached bindings", "err", err, "retry_in", backoff)
			retry = time.After(backoff)
			backoff = min(2*backoff, retryMax)
			continue
		}
		retry, backoff = nil, retryMin
	}
}

// switchMessage is what Switch publishes.
type switchMessage struct {
	Tenant    string `json:"tenant"`
	Vendor    string `json:"vendor"`
	Version   int64  `json:"version"`
	UpdatedAt string `json:"updated_at"`
}

func (s *Bindings) onMessage(payload string) {
	var m switchMessage
	err := json.Unmarshal([]byte(payload), &m)
	var at time.Time
	if err == nil {
		at, err = parseTime(m.UpdatedAt)
	}
	if err != nil || m.Tenant == "" || m.Vendor == "" || m.Version < 1 {
		s.log.Warn("ignoring a malformed binding message", "payload", payload, "err", err)
		return
	}
	b := domain.Binding{Tenant: m.Tenant, Vendor: domain.Vendor(m.Vendor), Version: m.Version, UpdatedAt: at}
	if c, ok := (*s.cache.Load())[b.Tenant]; ok && c.b.Version == b.Version && c.b.Vendor != b.Vendor {
		// Two bindings with one version: a switch made on a binding seeded
		// again after Redis lost its data, before this replica wrote its
		// own back. Redis decides; read it.
		s.log.Warn("a binding message names another vendor at the cached version; reloading",
			"tenant", b.Tenant, "cached_vendor", c.b.Vendor, "vendor", b.Vendor, "version", b.Version)
		s.reloadSoon()
		return
	}
	s.apply(b)
}

// bindingFrom reads HMGET vendor, version, updated_at; ok is false when the
// tenant has no binding.
func bindingFrom(tenant string, vals []any) (domain.Binding, bool, error) {
	if len(vals) != 3 || vals[0] == nil {
		return domain.Binding{}, false, nil
	}
	vendor, ok1 := vals[0].(string)
	version, ok2 := vals[1].(string)
	at, ok3 := vals[2].(string)
	if !ok1 || !ok2 || !ok3 {
		return domain.Binding{}, false, fmt.Errorf("binding of %s: unexpected fields %v", tenant, vals)
	}
	n, err := strconv.ParseInt(version, 10, 64)
	if err != nil {
		return domain.Binding{}, false, fmt.Errorf("binding of %s: version: %w", tenant, err)
	}
	t, err := parseTime(at)
	if err != nil {
		return domain.Binding{}, false, fmt.Errorf("binding of %s: updated_at: %w", tenant, err)
	}
	return domain.Binding{Tenant: tenant, Vendor: domain.Vendor(vendor), Version: n, UpdatedAt: t}, true, nil
}
