// Package app wires the gateway: configuration → vendor connections →
// domain service → HTTP handler. cmd/gateway runs it; the end-to-end tests
// build the same thing.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
)

// Options are the run-time dependencies that do not come from the config.
type Options struct {
	Logger *slog.Logger
	// VendorClient sends vendor calls (default: a pooled client).
	VendorClient *http.Client
}

// App is a wired gateway.
type App struct {
	Handler http.Handler
	Service *domain.Service
}

// New builds the gateway described by cfg.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.VendorClient == nil {
		opts.VendorClient = NewVendorClient()
	}
	tokens := vendorhttp.NewTokens()
	var tenants []domain.Tenant
	for _, t := range cfg.Tenants {
		dt := domain.Tenant{ID: t.ID, Initial: t.Vendor, Connections: map[domain.Vendor]domain.Connection{}}
		for _, c := range t.Connections {
			conn, err := connect(t.ID, c, tokens, opts.VendorClient)
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
			}
			dt.Connections[c.Vendor] = conn
		}
		tenants = append(tenants, dt)
	}
	svc, err := domain.NewService(ctx, domain.ServiceConfig{
		Tenants: tenants, CursorSecret: []byte(cfg.CursorSecret.Value()), Logger: opts.Logger,
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
	h, err := gwhttp.NewHandler(gwhttp.Config{Service: svc, Keys: keys, Logger: opts.Logger, MaxBodyBytes: cfg.MaxBodyBytes})
	if err != nil {
		return nil, err
	}
	return &App{Handler: h, Service: svc}, nil
}

// connect builds the adapter for one vendor connection. A vendor without
// an adapter in this build gets a bare connection: every operation answers
// UNSUPPORTED_OPERATION, as its capabilities say. (Configuration files
// cannot name such vendors; the sandbox does, to show them.)
func connect(tenant string, c config.Connection, tokens *vendorhttp.Tokens, hc *http.Client) (domain.Connection, error) {
	switch c.Vendor {
	case domain.Linkflow:
		return linkflow.New(linkflow.Config{
			BaseURL: c.BaseURL, CDPBaseURL: c.CDPBaseURL,
			AppKey: c.Credentials["app_key"].Value(), AppSecret: c.Credentials["app_secret"].Value(),
			HTTPClient: hc, Timeout: c.Timeout, Tokens: tokens, TokenKey: tenant + "/" + string(c.Vendor),
		})
	}
	return domain.NewBareConnection(c.Vendor), nil
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
