// Package sandbox runs the gateway without real vendors. For every vendor
// driver with a demo it starts the vendor's simulator on a loopback port,
// seeded with demo data, and configures a demo tenant on it
// ("demo-<vendor>"); demo-switch has a connection to every vendor, each
// with its own simulator, for trying vendor switches. Vendors whose drivers
// have no adapter yet are configured too, with a bare connection: they
// answer UNSUPPORTED_OPERATION, as their capabilities say. One documented
// API key may use every demo tenant with every scope. Browser pages served
// from localhost or 127.0.0.1, on any port, may call it (CORS).
//
// The sandbox names no vendor: it loops over the drivers it is given.
package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// APIKey is the sandbox's documented API key: every demo tenant, every scope.
const APIKey = "sk_sandbox_demo"

// TenantSwitch has a connection to every vendor and starts on the first
// vendor with an adapter, so vendor switching can be tried without
// configuration.
const TenantSwitch = "demo-switch"

// DemoTenant is the demo tenant of vendor v.
func DemoTenant(v domain.Vendor) string { return "demo-" + string(v) }

// Sandbox is a running set of simulators and the configuration that
// points at them.
type Sandbox struct {
	Config  *config.Config
	sims    map[string]map[domain.Vendor]http.Handler // tenant -> vendor -> simulator
	tenants []string
	stops   []func(context.Context) error
}

// Options tune a sandbox.
type Options struct {
	// Drivers are the vendors to demonstrate (required).
	Drivers *vendorhttp.Drivers
	// Contacts is the number of demo contacts per simulator (default 300).
	Contacts int
	// Now is the simulators' clock (default time.Now).
	Now func() time.Time
	// CallbackURL is the gateway's OAuth callback (…/admin/v1/oauth/callback)
	// as the account owner's browser reaches it: the simulators of OAuth
	// vendors redirect there (default http://127.0.0.1:8080/admin/v1/oauth/callback).
	CallbackURL string
}

// CORS is the sandbox's browser policy: a front end on a dev server of
// this machine (http://localhost:5173, http://127.0.0.1:3000 …, any
// port) may call the sandbox, without credentials. ":*" stands for the
// port, a pattern the CORS middleware takes; a tenants file lists exact
// origins only.
func CORS() *config.CORS {
	return &config.CORS{
		AllowedOrigins: []string{"http://localhost", "http://localhost:*", "http://127.0.0.1", "http://127.0.0.1:*"},
		MaxAge:         config.DefaultCORSMaxAge,
	}
}

// Demo data seeds: a vendor's demo tenant and demo-switch's connection to
// it hold different data, so a switch back and forth shows which is which.
const (
	demoSeed   = 1
	switchSeed = 2
)

// Start starts the simulators and seeds them.
func Start(opts Options) (*Sandbox, error) {
	if opts.Drivers == nil {
		return nil, errors.New("sandbox: no vendor drivers")
	}
	if opts.Contacts <= 0 {
		opts.Contacts = 300
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CallbackURL == "" {
		opts.CallbackURL = "http://127.0.0.1:8080/admin/v1/oauth/callback"
	}
	secret := make([]byte, 64) // the cursor secret, then the token key
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	sb := &Sandbox{sims: map[string]map[domain.Vendor]http.Handler{}}
	cfg := &config.Config{
		CursorSecret: config.NewSecret(string(secret[:32])),
		// Used only when the sandbox keeps its state in Redis; like the
		// cursor secret, this process's own.
		TokenKeys: []config.TokenKey{{ID: "sandbox", Secret: config.NewSecret(string(secret[32:]))}},
		APIKeys: []config.APIKey{{
			Name: "sandbox-demo", SHA256: sha256.Sum256([]byte(APIKey)),
			Scopes: []string{"read", "write", "admin"}, Tenants: []string{"*"},
		}},
		Vendors: map[domain.Vendor]vendorhttp.Settings{},
		CORS:    CORS(),
	}
	drivers := opts.Drivers.All()
	var switchConns []config.Connection
	switchStart := drivers[0].Vendor
	for _, d := range drivers {
		cfg.Vendors[d.Vendor] = d.Defaults
		tenant := DemoTenant(d.Vendor)
		c, err := sb.connection(d, tenant, opts, demoSeed)
		if err != nil {
			return nil, errors.Join(err, sb.Close())
		}
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: tenant, Vendor: d.Vendor, Connections: []config.Connection{c}})
		sb.tenants = append(sb.tenants, tenant)
		if c, err = sb.connection(d, TenantSwitch, opts, switchSeed); err != nil {
			return nil, errors.Join(err, sb.Close())
		}
		switchConns = append(switchConns, c)
	}
	for _, d := range slices.Backward(drivers) {
		if d.Connect != nil {
			switchStart = d.Vendor
		}
	}
	cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: TenantSwitch, Vendor: switchStart, Connections: switchConns})
	sb.tenants = append(sb.tenants, TenantSwitch)
	sb.Config = cfg
	return sb, nil
}

// connection is tenant's demo connection to d's vendor: to a freshly
// seeded simulator when the driver has a demo, a bare one otherwise.
func (sb *Sandbox) connection(d *vendorhttp.Driver, tenant string, opts Options, seed uint64) (config.Connection, error) {
	c := config.Connection{Vendor: d.Vendor}
	if d.Demo == nil {
		return c, nil
	}
	demo, err := d.Demo(vendorhttp.DemoOptions{Contacts: opts.Contacts, Seed: seed, Now: opts.Now, CallbackURL: opts.CallbackURL})
	if err != nil {
		return c, fmt.Errorf("sandbox: %s demo: %w", d.Vendor, err)
	}
	// Under a base path, so that a stray absolute URL in an adapter fails
	// in the sandbox too.
	base, stop, err := vendortest.Serve("/"+string(d.Vendor), demo.Simulator)
	if err != nil {
		return c, fmt.Errorf("sandbox: %s simulator: %w", d.Vendor, err)
	}
	sb.stops = append(sb.stops, stop)
	if sb.sims[tenant] == nil {
		sb.sims[tenant] = map[domain.Vendor]http.Handler{}
	}
	sb.sims[tenant][d.Vendor] = demo.Simulator
	c.URLs = demo.URLs(base)
	c.Options = demo.Options
	c.Timeout = 10 * time.Second
	c.Credentials = make(map[string]config.Secret, len(demo.Credentials))
	for name, v := range demo.Credentials {
		c.Credentials[name] = config.NewSecret(v)
	}
	return c, nil
}

// Tenants lists the demo tenants: one per vendor in driver order, then
// demo-switch.
func (sb *Sandbox) Tenants() []string { return slices.Clone(sb.tenants) }

// Simulator returns the simulator behind tenant's connection to v (nil
// when it has none), for tests and inspection; each vendor's simulator
// package has its concrete type.
func (sb *Sandbox) Simulator(tenant string, v domain.Vendor) http.Handler { return sb.sims[tenant][v] }

// Close stops the simulators.
func (sb *Sandbox) Close() error {
	// All at once, so that one slow drain does not use up the others'
	// time; each cuts what is left when the time is up.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	errs := make([]error, len(sb.stops))
	var wg sync.WaitGroup
	for i, stop := range sb.stops {
		wg.Go(func() { errs[i] = stop(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
