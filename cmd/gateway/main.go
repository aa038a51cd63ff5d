// Command gateway runs cdp-gateway.
//
//	gateway --sandbox                 in-process vendor simulators and demo tenants
//	gateway --config tenants.yaml     real vendors, tenants from the file
//
// REDIS_URL (or --redis-url) points every replica at the Redis they share
// (tokens, bindings, quotas, idempotency records), and then the tenants
// file must list token_keys, which seal the tokens there; without it the
// state is in-process, which is right for the sandbox and a single replica
// only.
// OTEL_* variables configure trace and metric export.
//
//	gateway --version                 version, commit and build date
//	gateway migrate --tenant T --to V move a tenant to another vendor (migrate.go)
//
// See README.md for the configuration reference.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/buildinfo"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "migrate" {
		os.Exit(migrateMain(os.Args[2:]))
	}
	tuneGC(os.Getenv, os.ReadFile)
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// Server timeouts. Writes get long enough for a 1000-contact batch on a
// vendor without a batch endpoint (a tenant write's context ends then
// too, so a cut-over knows when it is over); every vendor call has its
// own timeout.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = domain.WriteTimeout
	idleTimeout       = 120 * time.Second
	shutdownTimeout   = 30 * time.Second
	// defaultDrainDelay is how long /readyz fails before the server stops
	// taking requests: a few readiness probe periods.
	defaultDrainDelay = 5 * time.Second
	// defaultOpsAddr is where the operators' routes listen when the
	// configuration runs the gateway (not the sandbox).
	defaultOpsAddr = ":9090"
	// configPoll re-reads the configuration's files in case their file
	// system reports no change (the watch reports them at once).
	configPoll = 30 * time.Second
)

// run runs the gateway until ctx ends or a signal arrives. Errors of the
// shutdown (the server's drain, closing the stores, flushing telemetry,
// stopping the sandbox) are returned with the run's own.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useSandbox := fs.Bool("sandbox", false, "run with in-process vendor simulators and demo tenants (no configuration needed)")
	configPath := fs.String("config", os.Getenv("CDP_GATEWAY_CONFIG"), "tenants file (env CDP_GATEWAY_CONFIG)")
	addr := fs.String("addr", "", "listen address (default: the config's listen, else :8080; sandbox: 127.0.0.1:8080)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	redisURL := fs.String("redis-url", os.Getenv("REDIS_URL"), "Redis shared by every replica (env REDIS_URL); empty: in-process state, one replica only")
	opsAddr := fs.String("ops-addr", "", "address of the operators' routes (/admin/v1, /metrics, /docs); the API address then serves only /v1 and the probes (default :9090; sandbox: none, everything on --addr)")
	drainDelay := fs.Duration("drain-delay", -1, "on SIGTERM, how long /readyz answers 503 while requests are still served, before the server shuts down, so that load balancers stop sending (default 5s; sandbox 0s)")
	configWatch := fs.Bool("config-watch", true, "reload the tenants file when it or a secret file it names changes (SIGHUP reloads it either way)")
	showVersion := fs.Bool("version", false, "print the version, commit and build date, and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // --help: the usage is printed, which is what was asked
		}
		return err
	}
	build := buildinfo.Read()
	if *showVersion {
		_, err := fmt.Fprintln(stdout, build)
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(telemetry.LogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})))

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var cl closers
	defer func() { err = errors.Join(err, cl.close()) }()

	drivers, err := app.Drivers()
	if err != nil {
		return err
	}
	var cfg *config.Config
	var cfgOpts []config.Option
	var sb *sandbox.Sandbox
	var ln net.Listener
	listen := *addr
	switch {
	case *useSandbox:
		if listen == "" {
			listen = "127.0.0.1:8080"
		}
		// Listening first, the simulators know where to send OAuth
		// redirects (the port may be chosen by the system).
		if ln, err = listenOn(listen, &cl); err != nil {
			return err
		}
		if sb, err = sandbox.Start(sandbox.Options{Drivers: drivers, CallbackURL: callbackURL(ln.Addr().String())}); err != nil {
			return err
		}
		cl.add("stop the sandbox simulators", sb.Close)
		cfg = sb.Config
	case *configPath == "":
		return errors.New("no configuration: pass --config tenants.yaml (or CDP_GATEWAY_CONFIG), or --sandbox to try the gateway with simulated vendors")
	default:
		if *redisURL != "" {
			cfgOpts = append(cfgOpts, config.WithRedis()) // token_keys are required
		}
		if cfg, err = config.Load(*configPath, drivers, cfgOpts...); err != nil {
			return err
		}
		if listen == "" {
			listen = cfg.Listen
		}
		if listen == "" {
			listen = ":8080"
		}
	}

	tel, err := telemetry.New(ctx, telemetry.Options{Version: build.Version})
	if err != nil {
		return err
	}
	cl.add("flush telemetry", func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return tel.Shutdown(sctx)
	})
	stores := app.MemoryStores()
	if *redisURL != "" {
		if stores, err = app.RedisStores(ctx, *redisURL, cfg, app.RedisOptions{Telemetry: tel, Logger: logger}); err != nil {
			return err
		}
	} else if !*useSandbox {
		logger.Warn("no REDIS_URL: tokens, bindings, quotas and idempotency records are in-process; run a single replica only")
	}
	cl.add("close the stores", stores.Close)
	// On SIGTERM readiness fails first: load balancers stop sending while
	// the replica still serves, then the server drains.
	var draining atomic.Bool
	stores.Readiness = append(slices.Clip(stores.Readiness), gwhttp.ReadinessCheck{Name: "shutdown", Critical: true,
		Check: func(context.Context) error {
			if draining.Load() {
				return &gwhttp.CheckState{State: "draining", Err: errors.New("the replica is shutting down")}
			}
			return nil
		}})
	if *drainDelay < 0 {
		*drainDelay = defaultDrainDelay
		if *useSandbox {
			*drainDelay = 0
		}
	}
	a, err := app.New(ctx, cfg, app.Options{Drivers: drivers, Logger: logger, Telemetry: tel, Stores: stores, SandboxFaults: *useSandbox, Version: build.Version})
	if err != nil {
		return err
	}
	cl.add("stop the job runner (its jobs pause for another replica) and unregister the gateway's metrics", a.Close)
	if !*useSandbox {
		// Hot reload: the files' changes (Kubernetes updates mounted
		// ConfigMaps and Secrets in place) and SIGHUP.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		wctx, stopWatch := context.WithCancel(ctx)
		watched := make(chan error, 1)
		go func() {
			watched <- a.Watch(wctx, app.WatchOptions{Path: *configPath, Config: cfgOpts, Files: *configWatch, Poll: configPoll, Signals: hup})
		}()
		cl.add("stop watching the configuration", func() error { stopWatch(); return <-watched })
	}
	if ln == nil {
		if ln, err = listenOn(listen, &cl); err != nil {
			return err
		}
	}
	if *opsAddr == "" && !*useSandbox {
		*opsAddr = defaultOpsAddr
	}
	servers := []*server{{ln: ln, handler: a.Handler}}
	if *opsAddr != "" {
		// Two addresses: an ingress exposes the API's, and nothing else.
		opsLn, err := listenOn(*opsAddr, &cl)
		if err != nil {
			return fmt.Errorf("--ops-addr: %w", err)
		}
		api, err := a.Routes(gwhttp.RoutesAPI)
		if err != nil {
			return err
		}
		ops, err := a.Routes(gwhttp.RoutesOps)
		if err != nil {
			return err
		}
		servers = []*server{{ln: ln, handler: api}, {ln: opsLn, handler: ops}}
	}
	served := make(chan error, len(servers))
	for _, sv := range servers {
		sv.srv = &http.Server{
			Handler:           sv.handler,
			ReadHeaderTimeout: readHeaderTimeout,
			ReadTimeout:       readTimeout,
			WriteTimeout:      writeTimeout,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		go func() { served <- sv.srv.Serve(sv.ln) }()
	}
	opsListening := "(on addr)"
	if len(servers) == 2 {
		opsListening = servers[1].ln.Addr().String()
	}
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("ops_addr", opsListening),
		slog.String("version", build.Version), slog.String("commit", build.Commit), slog.Bool("sandbox", *useSandbox),
		slog.Int("tenants", len(cfg.Tenants)), slog.Bool("redis", *redisURL != ""))
	if sb != nil {
		if err := printSandboxHelp(stdout, ln.Addr().String(), sb); err != nil {
			logger.Warn("sandbox help not printed", slog.String("error", err.Error()))
		}
	}

	select {
	case err := <-served:
		return err // one server stopped on its own; the closers stop the rest
	case <-ctx.Done():
	}
	draining.Store(true)
	logger.Info("shutting down", slog.String("drain_delay", drainDelay.String()))
	if *drainDelay > 0 {
		time.Sleep(*drainDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var errs []error
	for _, sv := range servers {
		if err := sv.srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
	}
	for range servers {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// server is one listening address and what it serves.
type server struct {
	ln      net.Listener
	handler http.Handler
	srv     *http.Server
}

// closers undo what run opened, last first. Their errors are returned
// with the run's own, each naming what it failed to do, so a failed flush
// or close is not lost at exit.
type closers []func() error

func (c *closers) add(what string, f func() error) {
	*c = append(*c, func() error {
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}

func (c closers) close() error {
	var errs []error
	for _, f := range slices.Backward(c) {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

// listenOn opens the API listener; cl closes it if the server never
// takes it over (the server's shutdown closes it otherwise).
func listenOn(addr string, cl *closers) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	cl.add("close the listener", func() error {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	return ln, nil
}

// callbackURL is the sandbox gateway's OAuth callback as a browser on
// this machine reaches it.
func callbackURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/admin/v1/oauth/callback"
}

func printSandboxHelp(w io.Writer, addr string, sb *sandbox.Sandbox) error {
	host := addr
	if strings.HasPrefix(host, "[::]") || strings.HasPrefix(host, "0.0.0.0") {
		_, port, _ := net.SplitHostPort(addr)
		host = "127.0.0.1:" + port
	}
	// Try the first demo tenant; switch demo-switch to another vendor than
	// the one it starts on.
	try, switchTo := sb.Tenants()[0], ""
	for _, t := range sb.Config.Tenants {
		if t.ID != sandbox.TenantSwitch {
			continue
		}
		for _, c := range t.Connections {
			if c.Vendor != t.Vendor && switchTo == "" {
				switchTo = string(c.Vendor)
			}
		}
		try = sandbox.DemoTenant(t.Vendor)
	}
	_, err := fmt.Fprintf(w, `cdp-gateway sandbox on http://%[1]s
  API key: %[2]s (every demo tenant, every scope)
  tenants: %[3]s
  docs:    http://%[1]s/docs/

Try:
  curl -H 'Authorization: Bearer %[2]s' -H 'X-Tenant-ID: %[4]s' 'http://%[1]s/v1/contacts?limit=5'
Switch %[5]s to another vendor:
  curl -X PUT -H 'Authorization: Bearer %[2]s' -H 'Content-Type: application/json' -d '{"vendor":"%[6]s"}' 'http://%[1]s/admin/v1/tenants/%[5]s/vendor'
`, host, sandbox.APIKey, strings.Join(sb.Tenants(), ", "), try, sandbox.TenantSwitch, switchTo)
	return err
}
