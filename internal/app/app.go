// Package app wires the gateway: configuration → vendor connections →
// domain service → HTTP handler. cmd/gateway runs it; the end-to-end tests
// build the same thing.
//
// drivers.go holds the one list of the vendor drivers built into the
// gateway. Everything else here works from a driver list and names no
// vendor: a connection is built by its vendor's driver, with the call
// settings of the tenants file (or the driver's defaults) and the shared
// stores, so every adapter gets the same resilience.
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Options are the run-time dependencies that do not come from the config.
type Options struct {
	// Drivers are the vendors the gateway can serve (default: Drivers(),
	// the built-in list). cfg must have been checked against the same.
	Drivers *vendorhttp.Drivers
	Logger  *slog.Logger
	// VendorClient sends vendor calls (default: a pooled client).
	VendorClient *http.Client
	// Telemetry records spans and metrics (default: none).
	Telemetry *telemetry.Telemetry
	// Stores hold the state replicas share (default: in-process, for a
	// single process).
	Stores *Stores
	// Version is answered by /healthz (default: buildinfo.Read's).
	Version string
	// SandboxFaults turns on the sandbox fault switch: a request with
	// X-Sandbox-Fault has its vendor calls fail that way (the simulators
	// answer it). Only for a gateway in front of simulators.
	SandboxFaults bool
	// Jobs tune the replica's job runner (migrations): its name in leases
	// (default: host name and a random part), lease and poll interval
	// (domain.JobRunnerConfig's defaults).
	Jobs JobOptions
}

// JobOptions tune the replica's job runner.
type JobOptions struct {
	Owner string
	Lease time.Duration
	Poll  time.Duration
}

// App is a wired gateway. Its configuration can be replaced while it
// serves (Reload): each configuration builds a generation (the domain
// service, the API keys, the HTTP handlers), and a request is served
// from start to end by the generation current when it arrived.
type App struct {
	// Handler serves every route on one address (the sandbox, tests).
	Handler http.Handler
	opts    Options
	tokens  *vendorhttp.Tokens
	// mu serialises Reload; gen is read without it.
	mu      sync.Mutex
	gen     atomic.Pointer[generation]
	routes  map[gwhttp.Routes]bool // the route sets handed out by Routes
	metrics metric.Registration
	// shed bounds the API requests served at once, across every
	// generation's handlers (max_in_flight_requests, applied on reload).
	shed *gwhttp.Shedder
	// stopJobs stops the job runner and waits for it.
	stopJobs func()
}

// generation is what one configuration builds.
type generation struct {
	cfg      *config.Config
	service  *domain.Service
	conns    map[connKey]builtConn
	handlers map[gwhttp.Routes]http.Handler
}

// connKey names a tenant's connection to one vendor.
type connKey struct {
	tenant string
	vendor domain.Vendor
}

// builtConn is a connection's adapter and the digest of the settings it
// was built with: a reload keeps an adapter (its breaker, cached token,
// measured clock) while its settings are the same.
type builtConn struct {
	conn   domain.Connection
	digest [sha256.Size]byte
}

// Routes returns a handler of the same gateway that serves only routes
// (the API's or the operators'), for one of two listening addresses.
// It follows reloads like Handler.
func (a *App) Routes(routes gwhttp.Routes) (http.Handler, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.gen.Load()
	if _, ok := g.handlers[routes]; !ok {
		h, err := gwhttp.NewHandler(g.httpConfig(a, routes))
		if err != nil {
			return nil, err
		}
		// A copy: requests being served read g's handlers unlocked.
		n := *g
		n.handlers = maps.Clone(g.handlers)
		n.handlers[routes] = h
		a.gen.Store(&n)
	}
	a.routes[routes] = true
	return a.serve(routes), nil
}

// serve dispatches each request to the current generation's handler.
func (a *App) serve(routes gwhttp.Routes) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.gen.Load().handlers[routes].ServeHTTP(w, r)
	})
}

// Stores are the gateway's state: in process for one replica
// (MemoryStores), in Redis for several (RedisStores).
type Stores struct {
	Bindings    domain.BindingStore
	Idempotency domain.IdempotencyStore
	Tokens      domain.TokenStore
	Quota       domain.QuotaStore
	Jobs        domain.JobStore
	IDMap       domain.IDMapStore
	Freezes     domain.FreezeStore
	// JobData keeps the items of NDJSON imports until their job ran.
	JobData   domain.JobDataStore
	Readiness []gwhttp.ReadinessCheck
	// shared: the stores are another process's (Redis), where a tenant's
	// binding can be missing; readiness then checks every tenant's.
	shared bool
	close  func() error
}

// MemoryStores returns in-process stores.
func MemoryStores() *Stores {
	return &Stores{
		Bindings: memory.NewBindings(memory.BindingsOptions{}), Idempotency: memory.NewIdempotency(memory.IdempotencyOptions{}),
		Tokens: memory.NewTokens(memory.TokensOptions{}), Quota: memory.NewQuota(memory.QuotaOptions{}),
		Jobs: memory.NewJobs(memory.JobsOptions{}), IDMap: memory.NewIDMap(), Freezes: memory.NewFreezes(nil),
		JobData: memory.NewJobData(memory.JobDataOptions{}),
	}
}

// Close releases the stores' connections and goroutines.
func (s *Stores) Close() error {
	if s.close == nil {
		return nil
	}
	return s.close()
}

// New builds the gateway described by cfg.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Logger = slog.New(telemetry.LogHandler(opts.Logger.Handler()))
	if opts.VendorClient == nil {
		opts.VendorClient = NewVendorClient()
	}
	if opts.SandboxFaults {
		c := *opts.VendorClient
		base := c.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		c.Transport = vendortest.SwitchTransport(base)
		opts.VendorClient = &c
	}
	if opts.Telemetry == nil {
		opts.Telemetry = telemetry.Nop()
	}
	if opts.Stores == nil {
		opts.Stores = MemoryStores()
	}
	if opts.Stores.JobData == nil {
		opts.Stores.JobData = memory.NewJobData(memory.JobDataOptions{})
	}
	if opts.Drivers == nil {
		d, err := Drivers()
		if err != nil {
			return nil, err
		}
		opts.Drivers = d
	}
	a := &App{opts: opts, tokens: vendorhttp.NewTokens(opts.Stores.Tokens, opts.Logger), routes: map[gwhttp.Routes]bool{gwhttp.RoutesAll: true}}
	shed, err := gwhttp.NewShedder(cfg.MaxInFlight, opts.Telemetry)
	if err != nil {
		return nil, err
	}
	a.shed = shed
	g, _, err := a.build(ctx, cfg, nil)
	if err != nil {
		return nil, errors.Join(err, shed.Close())
	}
	a.gen.Store(g)
	a.Handler = a.serve(gwhttp.RoutesAll)
	if a.metrics, err = a.observeBreakers(); err != nil {
		return nil, errors.Join(err, shed.Close())
	}
	if a.stopJobs, err = a.runJobs(); err != nil {
		return nil, errors.Join(err, a.metrics.Unregister(), shed.Close())
	}
	return a, nil
}

// runJobs starts the replica's job runner. Jobs run with the service of
// the generation current when they start.
func (a *App) runJobs() (stop func(), err error) {
	st, o := a.opts.Stores, a.opts.Jobs
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = host + "-" + strings.ToLower(rand.Text()[:8])
	}
	migrate := domain.JobHandlerFunc(func(ctx context.Context, run *domain.JobRun) error {
		return a.gen.Load().service.MigrationHandler().RunJob(ctx, run)
	})
	batch := domain.JobHandlerFunc(func(ctx context.Context, run *domain.JobRun) error {
		return a.gen.Load().service.ContactBatchHandler(gwhttp.EncodeBatchResult).RunJob(ctx, run)
	})
	imports := domain.JobHandlerFunc(func(ctx context.Context, run *domain.JobRun) error {
		return a.gen.Load().service.ContactImportHandler(st.JobData).RunJob(ctx, run)
	})
	r, err := domain.NewJobRunner(domain.JobRunnerConfig{
		Store: st.Jobs, Owner: o.Owner, Lease: o.Lease, Poll: o.Poll, Logger: a.opts.Logger,
		Handlers: map[string]domain.JobHandler{
			domain.JobKindMigration: migrate, domain.JobKindContactBatch: batch, domain.JobKindContactImport: imports,
		},
		OnState: func(kind string, from, to domain.JobState) {
			a.opts.Telemetry.JobStateChanged(kind, string(from), string(to))
		},
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	return func() { cancel(); <-done }, nil
}

// Close stops the job runner (a job it runs is paused for another
// replica) and what the gateway registered beyond its stores (metric
// callbacks).
func (a *App) Close() error {
	a.stopJobs()
	return errors.Join(a.metrics.Unregister(), a.shed.Close())
}

// Reload replaces the gateway's configuration: cfg is built in full
// (connections, service, handlers) and then put in place at once, or not
// at all when anything fails, the current one serving on. Requests that
// arrived before finish with the configuration they started with.
// Connections whose settings did not change are kept as they are (their
// breaker, cached token and quota); the listen address and token_keys
// take effect at the next start only.
func (a *App) Reload(ctx context.Context, cfg *config.Config) (Reloaded, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.gen.Load()
	g, r, err := a.build(ctx, cfg, old)
	if err != nil {
		return Reloaded{}, err
	}
	for k, c := range old.conns {
		if n, ok := g.conns[k]; ok && n.digest != c.digest {
			// New credentials deserve a try: forget the token and any
			// refusal of the old ones.
			a.tokens.CredentialsChanged(ctx, k.tenant, k.vendor)
		}
	}
	if cfg.Listen != old.cfg.Listen {
		r.RestartRequired = append(r.RestartRequired, "listen")
	}
	if !slices.EqualFunc(cfg.TokenKeys, old.cfg.TokenKeys, func(x, y config.TokenKey) bool {
		return x.ID == y.ID && x.Secret.Value() == y.Secret.Value()
	}) {
		r.RestartRequired = append(r.RestartRequired, "token_keys")
	}
	a.shed.SetLimit(cfg.MaxInFlight)
	a.gen.Store(g)
	return r, nil
}

// Reloaded says what a reload changed.
type Reloaded struct {
	Tenants, APIKeys int
	// Connections counts the connections built anew (new, or with changed
	// settings); Kept those carried over; Removed those dropped.
	Connections, Kept, Removed int
	// RestartRequired names the changed settings that take effect only at
	// the next start.
	RestartRequired []string
}

// build makes the generation of cfg, reusing old's unchanged connections.
func (a *App) build(ctx context.Context, cfg *config.Config, old *generation) (*generation, Reloaded, error) {
	opts, st := a.opts, a.opts.Stores
	g := &generation{cfg: cfg, conns: map[connKey]builtConn{}, handlers: map[gwhttp.Routes]http.Handler{}}
	r := Reloaded{Tenants: len(cfg.Tenants), APIKeys: len(cfg.APIKeys)}
	var tenants []domain.Tenant
	for _, t := range cfg.Tenants {
		dt := domain.Tenant{ID: t.ID, Initial: t.Vendor, Connections: map[domain.Vendor]domain.Connection{}, FieldNames: t.CustomFields}
		for _, c := range t.Connections {
			d, ok := opts.Drivers.Get(c.Vendor)
			if !ok {
				return nil, r, fmt.Errorf("tenant %s: no driver for vendor %q", t.ID, c.Vendor)
			}
			s, ok := cfg.Vendors[c.Vendor]
			if !ok {
				s = d.Defaults
			}
			if c.Timeout > 0 {
				s.Timeout = c.Timeout
			}
			if c.Concurrency > 0 {
				s.Concurrency = c.Concurrency
			}
			if c.Quota != nil {
				s.Quota = *c.Quota
			}
			key, digest := connKey{t.ID, c.Vendor}, connDigest(c, s)
			if old != nil {
				if b, ok := old.conns[key]; ok && b.digest == digest {
					g.conns[key] = b
					dt.Connections[c.Vendor] = b.conn
					r.Kept++
					continue
				}
			}
			conn, err := connect(d, c, vendorhttp.Options{
				Tenant: t.ID, HTTP: opts.VendorClient,
				Timeout: s.Timeout, Retry: s.Retry, Breaker: s.Breaker, Quota: s.Quota, Concurrency: s.Concurrency,
				QuotaStore: st.Quota, Tokens: a.tokens, Telemetry: opts.Telemetry, Logger: opts.Logger,
			})
			if err != nil {
				return nil, r, fmt.Errorf("tenant %s: %s connection: %w", t.ID, c.Vendor, err)
			}
			g.conns[key] = builtConn{conn: conn, digest: digest}
			dt.Connections[c.Vendor] = conn
			r.Connections++
		}
		tenants = append(tenants, dt)
	}
	if old != nil {
		for k := range old.conns {
			if _, ok := g.conns[k]; !ok {
				r.Removed++
			}
		}
	}
	// Before the service seeds bindings: a reload that fails here
	// changes nothing.
	if err := checkFieldNames(ctx, opts.Logger, tenants); err != nil {
		return nil, r, err
	}
	svc, err := domain.NewService(ctx, domain.ServiceConfig{
		Vendors: opts.Drivers.Vendors(), Tenants: tenants, Bindings: st.Bindings,
		CursorSecret: []byte(cfg.CursorSecret.Value()), Idempotency: st.Idempotency, Logger: opts.Logger,
		Jobs: st.Jobs, IDMap: st.IDMap, Freezes: st.Freezes,
	})
	if err != nil {
		return nil, r, err
	}
	g.service = svc
	for routes := range a.routes {
		if g.handlers[routes], err = gwhttp.NewHandler(g.httpConfig(a, routes)); err != nil {
			return nil, r, err
		}
	}
	return g, r, nil
}

// httpConfig is the HTTP configuration of the generation, serving routes.
func (g *generation) httpConfig(a *App, routes gwhttp.Routes) gwhttp.Config {
	cfg, st := g.cfg, a.opts.Stores
	keys := make([]gwhttp.APIKey, len(cfg.APIKeys))
	for i, k := range cfg.APIKeys {
		scopes := make([]gwhttp.Scope, len(k.Scopes))
		for j, s := range k.Scopes {
			scopes[j] = gwhttp.Scope(s)
		}
		keys[i] = gwhttp.APIKey{Name: k.Name, SHA256: k.SHA256, Scopes: scopes, Tenants: k.Tenants}
	}
	readiness := slices.Clip(st.Readiness)
	if st.shared {
		readiness = append(readiness, bindingsCheck(st.Bindings, cfg.Tenants))
	}
	if check, ok := clockCheck(g.conns); ok {
		readiness = append(readiness, check)
	}
	var cors *gwhttp.CORS
	if c := cfg.CORS; c != nil {
		cors = &gwhttp.CORS{AllowedOrigins: c.AllowedOrigins, AllowCredentials: c.AllowCredentials, MaxAge: c.MaxAge}
	}
	return gwhttp.Config{
		Service: g.service, Keys: keys, Idempotency: st.Idempotency, Logger: a.opts.Logger, MaxBodyBytes: cfg.MaxBodyBytes,
		Readiness: readiness, Telemetry: a.opts.Telemetry, CORS: cors, Version: a.opts.Version,
		SwitchFaults: a.opts.SandboxFaults, Routes: routes, Shedder: a.shed,
		JobData: st.JobData, MaxImportBytes: cfg.MaxImportBytes,
	}
}

// bindingsCheck makes the replica unready while some tenant's binding is
// unknown to it (shared stores only: in process every tenant is seeded).
func bindingsCheck(bindings domain.BindingStore, tenants []config.Tenant) gwhttp.ReadinessCheck {
	return gwhttp.ReadinessCheck{Name: "bindings", Critical: true, Check: func(ctx context.Context) error {
		for _, t := range tenants {
			if _, err := bindings.Binding(ctx, t.ID); err != nil {
				return fmt.Errorf("tenant %s: %w", t.ID, err)
			}
		}
		return nil
	}}
}

// connDigest digests everything a connection is built from, credentials
// included (the digest stays in memory).
func connDigest(c config.Connection, s vendorhttp.Settings) [sha256.Size]byte {
	h := sha256.New()
	field := func(k, v string) { _, _ = fmt.Fprintf(h, "%q=%q;", k, v) } // a hash never fails a write
	field("vendor", string(c.Vendor))
	field("settings", fmt.Sprintf("%+v", s))
	for _, k := range slices.Sorted(maps.Keys(c.Credentials)) {
		field("credential."+k, c.Credentials[k].Value())
	}
	for _, k := range slices.Sorted(maps.Keys(c.URLs)) {
		field("url."+k, c.URLs[k])
	}
	for _, k := range slices.Sorted(maps.Keys(c.Options)) {
		field("option."+k, c.Options[k])
	}
	return [sha256.Size]byte(h.Sum(nil))
}

// observeBreakers reports cdpgw_breaker_state per connection of the
// current configuration: 0 closed, 1 half-open, 2 open.
func (a *App) observeBreakers() (metric.Registration, error) {
	m := a.opts.Telemetry.MeterProvider.Meter(telemetry.Name)
	gauge, err := m.Int64ObservableGauge("cdpgw.breaker.state",
		metric.WithDescription("Circuit breaker state per connection: 0 closed, 1 half-open, 2 open"))
	if err != nil {
		return nil, fmt.Errorf("breaker metric: %w", err)
	}
	states := map[string]int64{"closed": 0, "half_open": 1, "open": 2}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for k, c := range a.gen.Load().conns {
			if s, ok := c.conn.(domain.StatusReporter); ok {
				o.ObserveInt64(gauge, states[s.Status().Breaker],
					metric.WithAttributes(attribute.String("vendor", string(k.vendor)), attribute.String("tenant", k.tenant)))
			}
		}
		return nil
	}, gauge)
}

// connect builds the adapter of one vendor connection with its driver. A
// vendor without an adapter in this build gets a bare connection: every
// operation answers UNSUPPORTED_OPERATION, as its capabilities say.
// (Configuration files cannot name such vendors; the sandbox does, to show
// them.)
//
// Every adapter gets its calls' resilience (quota, breaker, retries,
// timeouts, shared tokens, telemetry) from the vendorhttp.Options given here.
func connect(d *vendorhttp.Driver, c config.Connection, vo vendorhttp.Options) (domain.Connection, error) {
	if d.Connect == nil {
		return domain.NewBareConnection(c.Vendor), nil
	}
	creds := make(map[string]string, len(c.Credentials))
	for name, secret := range c.Credentials {
		creds[name] = secret.Value()
	}
	urls := make(map[string]string, len(d.URLs))
	for _, u := range d.URLs {
		urls[u.Name] = u.Default
		if c.URLs[u.Name] != "" {
			urls[u.Name] = c.URLs[u.Name]
		}
	}
	options := make(map[string]string, len(d.Options))
	for _, o := range d.Options {
		options[o.Name] = o.Default
		if v := c.Options[o.Name]; v != "" {
			options[o.Name] = v
		}
	}
	return d.Connect(vendorhttp.Connection{Credentials: creds, URLs: urls, Options: options, Client: vo})
}

// NewVendorClient returns the HTTP client for vendor calls: pooled
// keep-alive connections, bounded dials and TLS handshakes. Per-call
// deadlines come from each connection's timeout.
func NewVendorClient() *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{Transport: t, CheckRedirect: func(*http.Request, []*http.Request) error {
		// A vendor redirect is an answer to report, not to follow: following
		// it could send the token to another host.
		return http.ErrUseLastResponse
	}}
}

// MaxClockSkew is the clock offset from a vendor that /readyz reports as
// "skewed": half of the 60 s NXCloud allows a signed request's timestamp.
const MaxClockSkew = 30 * time.Second

// clockCheck is a readiness check of the gateway's clock against the
// vendors that check it (domain.ClockReporter), when any connection does:
// degraded ("skewed") while one of them measured an offset beyond
// MaxClockSkew, since its signed calls are then refused or about to be.
// It never makes the replica unready: other tenants are served.
func clockCheck(conns map[connKey]builtConn) (gwhttp.ReadinessCheck, bool) {
	type reporter struct {
		name string
		r    domain.ClockReporter
	}
	var rs []reporter
	for k, c := range conns {
		if r, ok := c.conn.(domain.ClockReporter); ok {
			rs = append(rs, reporter{k.tenant + "/" + string(k.vendor), r})
		}
	}
	slices.SortFunc(rs, func(x, y reporter) int { return strings.Compare(x.name, y.name) })
	if len(rs) == 0 {
		return gwhttp.ReadinessCheck{}, false
	}
	return gwhttp.ReadinessCheck{Name: "vendor_clock", Check: func(context.Context) error {
		for _, r := range rs {
			if skew, ok := r.r.ClockSkew(); ok && (skew > MaxClockSkew || skew < -MaxClockSkew) {
				return &gwhttp.CheckState{State: "skewed", Err: fmt.Errorf("%s: the gateway's clock is %v off the vendor's", r.name, skew.Round(time.Second))}
			}
		}
		return nil
	}}, true
}
