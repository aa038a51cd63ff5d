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
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
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
}

// App is a wired gateway.
type App struct {
	// Handler serves every route on one address (the sandbox, tests).
	Handler http.Handler
	Service *domain.Service
	http    gwhttp.Config
}

// Routes returns a handler of the same gateway that serves only routes
// (the API's or the operators'), for one of two listening addresses.
func (a *App) Routes(routes gwhttp.Routes) (http.Handler, error) {
	c := a.http
	c.Routes = routes
	return gwhttp.NewHandler(c)
}

// Stores are the gateway's state: in process for one replica
// (MemoryStores), in Redis for several (RedisStores).
type Stores struct {
	Bindings    domain.BindingStore
	Idempotency domain.IdempotencyStore
	Tokens      domain.TokenStore
	Quota       domain.QuotaStore
	Readiness   []gwhttp.ReadinessCheck
	close       func() error
}

// MemoryStores returns in-process stores.
func MemoryStores() *Stores {
	return &Stores{
		Bindings: memory.NewBindings(memory.BindingsOptions{}), Idempotency: memory.NewIdempotency(memory.IdempotencyOptions{}),
		Tokens: memory.NewTokens(memory.TokensOptions{}), Quota: memory.NewQuota(memory.QuotaOptions{}),
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
	if opts.Drivers == nil {
		d, err := Drivers()
		if err != nil {
			return nil, err
		}
		opts.Drivers = d
	}
	st := opts.Stores
	tokens := vendorhttp.NewTokens(st.Tokens, opts.Logger)
	var tenants []domain.Tenant
	for _, t := range cfg.Tenants {
		dt := domain.Tenant{ID: t.ID, Initial: t.Vendor, Connections: map[domain.Vendor]domain.Connection{}}
		for _, c := range t.Connections {
			d, ok := opts.Drivers.Get(c.Vendor)
			if !ok {
				return nil, fmt.Errorf("tenant %s: no driver for vendor %q", t.ID, c.Vendor)
			}
			s, ok := cfg.Vendors[c.Vendor]
			if !ok {
				s = d.Defaults
			}
			if c.Timeout > 0 {
				s.Timeout = c.Timeout
			}
			if c.Quota != nil {
				s.Quota = *c.Quota
			}
			conn, err := connect(d, c, vendorhttp.Options{
				Tenant: t.ID, HTTP: opts.VendorClient,
				Timeout: s.Timeout, Retry: s.Retry, Breaker: s.Breaker, Quota: s.Quota,
				QuotaStore: st.Quota, Tokens: tokens, Telemetry: opts.Telemetry, Logger: opts.Logger,
			})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %s connection: %w", t.ID, c.Vendor, err)
			}
			dt.Connections[c.Vendor] = conn
		}
		tenants = append(tenants, dt)
	}
	svc, err := domain.NewService(ctx, domain.ServiceConfig{
		Vendors: opts.Drivers.Vendors(), Tenants: tenants, Bindings: st.Bindings,
		CursorSecret: []byte(cfg.CursorSecret.Value()), Idempotency: st.Idempotency, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	keys := make([]gwhttp.APIKey, len(cfg.APIKeys))
	for i, k := range cfg.APIKeys {
		scopes := make([]gwhttp.Scope, len(k.Scopes))
		for j, s := range k.Scopes {
			scopes[j] = gwhttp.Scope(s)
		}
		keys[i] = gwhttp.APIKey{Name: k.Name, SHA256: k.SHA256, Scopes: scopes, Tenants: k.Tenants}
	}
	readiness := st.Readiness
	if check, ok := clockCheck(tenants); ok {
		readiness = append(slices.Clip(readiness), check)
	}
	var cors *gwhttp.CORS
	if c := cfg.CORS; c != nil {
		cors = &gwhttp.CORS{AllowedOrigins: c.AllowedOrigins, AllowCredentials: c.AllowCredentials, MaxAge: c.MaxAge}
	}
	a := &App{Service: svc, http: gwhttp.Config{
		Service: svc, Keys: keys, Idempotency: st.Idempotency, Logger: opts.Logger, MaxBodyBytes: cfg.MaxBodyBytes,
		Readiness: readiness, Telemetry: opts.Telemetry, CORS: cors, Version: opts.Version, SwitchFaults: opts.SandboxFaults,
	}}
	if a.Handler, err = gwhttp.NewHandler(a.http); err != nil {
		return nil, err
	}
	return a, nil
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
func clockCheck(tenants []domain.Tenant) (gwhttp.ReadinessCheck, bool) {
	type reporter struct {
		name string
		r    domain.ClockReporter
	}
	var rs []reporter
	for _, t := range tenants {
		for v, c := range t.Connections {
			if r, ok := c.(domain.ClockReporter); ok {
				rs = append(rs, reporter{t.ID + "/" + string(v), r})
			}
		}
	}
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
