// Package sandbox runs the gateway without real vendors: in-process vendor
// simulators on loopback ports, seeded with demo data, and a configuration
// with one demo tenant per vendor and a documented API key. Vendors whose
// adapters do not exist yet are configured too; they answer
// UNSUPPORTED_OPERATION, as their capabilities say.
package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// APIKey is the sandbox's documented API key: every demo tenant, every scope.
const APIKey = "sk_sandbox_demo"

// Demo tenants.
const (
	TenantLinkflow = "demo-linkflow"
	TenantMeihua   = "demo-meihua"
	TenantNXCloud  = "demo-nxcloud"
	TenantMiaokol  = "demo-miaokol"
	// TenantSwitch has a connection to every vendor and starts on Linkflow,
	// so vendor switching can be tried without configuration.
	TenantSwitch = "demo-switch"
)

// Simulator credentials (they only open the in-process simulators).
const (
	linkflowKey    = "sandbox-linkflow-key"
	linkflowSecret = "sandbox-linkflow-secret"
)

// Sandbox is a running set of simulators and the configuration that
// points at them.
type Sandbox struct {
	Config *config.Config
	// Linkflow holds the simulators by tenant, for tests and inspection.
	Linkflow map[string]*linkflowtest.Server
	servers  []*http.Server
}

// Options tune a sandbox.
type Options struct {
	// Contacts is the number of demo contacts per Linkflow tenant (default 300).
	Contacts int
	// Now is the simulators' clock (default time.Now).
	Now func() time.Time
}

// Start starts the simulators and seeds them.
func Start(opts Options) (*Sandbox, error) {
	if opts.Contacts <= 0 {
		opts.Contacts = 300
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	sb := &Sandbox{Linkflow: map[string]*linkflowtest.Server{}}
	cfg := &config.Config{
		CursorSecret: config.NewSecret(string(secret)),
		APIKeys: []config.APIKey{{
			Name: "sandbox-demo", SHA256: sha256Of(APIKey),
			Scopes: []string{"read", "write", "admin"}, Tenants: []string{"*"},
		}},
	}
	for i, tenant := range []string{TenantLinkflow, TenantSwitch} {
		sim := linkflowtest.New(linkflowtest.Config{AppKey: linkflowKey, AppSecret: linkflowSecret, Now: opts.Now})
		Seed(sim, SeedOptions{Contacts: opts.Contacts, Seed: uint64(i + 1), Now: opts.Now()})
		url, err := sb.serve(sim)
		if err != nil {
			_ = sb.Close()
			return nil, err
		}
		sb.Linkflow[tenant] = sim
		conns := []config.Connection{linkflowConnection(url)}
		if tenant == TenantSwitch {
			conns = append(conns, bare(domain.Meihua), bare(domain.NXCloud), bare(domain.Miaokol))
		}
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: tenant, Vendor: domain.Linkflow, Connections: conns})
	}
	for _, t := range []struct {
		id string
		v  domain.Vendor
	}{{TenantMeihua, domain.Meihua}, {TenantNXCloud, domain.NXCloud}, {TenantMiaokol, domain.Miaokol}} {
		cfg.Tenants = append(cfg.Tenants, config.Tenant{ID: t.id, Vendor: t.v, Connections: []config.Connection{bare(t.v)}})
	}
	sb.Config = cfg
	return sb, nil
}

func linkflowConnection(baseURL string) config.Connection {
	return config.Connection{
		Vendor: domain.Linkflow, BaseURL: baseURL, CDPBaseURL: baseURL, Timeout: 10 * time.Second,
		Credentials: map[string]config.Secret{
			"app_key":    config.NewSecret(linkflowKey),
			"app_secret": config.NewSecret(linkflowSecret),
		},
	}
}

// bare is a connection to a vendor that has no adapter in this build.
func bare(v domain.Vendor) config.Connection { return config.Connection{Vendor: v} }

// serve runs h on a loopback port and returns its base URL.
func (sb *Sandbox) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sandbox: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	sb.servers = append(sb.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops the simulators.
func (sb *Sandbox) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, s := range sb.servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
