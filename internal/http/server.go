// Package http is the gateway's HTTP surface: the chi server generated from
// api/openapi.yaml (api.gen.go), thin handlers that call the domain
// Service, request validation and caller authentication against the spec,
// and RFC 9457 problem answers. It knows the domain, never a vendor.
//
// A request travels: observe (request id, nosniff, server span, metrics,
// logs, panic recovery) → CORS when configured (preflights answered here,
// before any auth) → shed (an API request beyond the in-flight bound is
// answered 503 OVERLOADED at once: Shedder) → noStore (Cache-Control for
// personal data) → authorize (from the request line and headers alone, before any body byte
// is read: the API key, the operation's scopes and the tenant grant; the
// caller goes into the request context as an immutable principal) →
// checkWritable (a write to a tenant whose writes a migration's cut-over
// froze is answered 503 TENANT_MIGRATING; one let through is registered
// as running until it ends, which the cut-over waits for) → body limit (per request, and the server's in-flight body budget) → validator
// (parameters and body per the spec) → resolveTenant (binds the tenant's
// current vendor, X-Vendor) → idempotency (writes with Idempotency-Key,
// scoped by the caller's key name) → strict handler → Service.
package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"

	"github.com/cdp-gateway/cdp-gateway/api"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/buildinfo"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// DefaultMaxBodyBytes bounds request bodies (a batch of 1000 contacts fits).
const DefaultMaxBodyBytes = 4 << 20

// DefaultInFlightBodies is how many maximum-size bodies a server holds at
// once by default: MaxInFlightBodyBytes defaults to this many MaxBodyBytes
// (64 MiB with the default limit).
const DefaultInFlightBodies = 16

// ReadinessCheck reports whether one dependency can serve; name labels it.
// When a Critical check fails the gateway is not ready (503); when another
// fails it is ready but degraded.
type ReadinessCheck struct {
	Name     string
	Check    func(ctx context.Context) error
	Critical bool
}

// CheckState is an error a readiness check returns to name its state in
// the answer (e.g. "off") instead of "unavailable".
type CheckState struct {
	State string
	Err   error
}

func (e *CheckState) Error() string { return e.State + ": " + e.Err.Error() }
func (e *CheckState) Unwrap() error { return e.Err }

// Config wires the HTTP surface.
type Config struct {
	Service      *domain.Service
	Keys         []APIKey
	Idempotency  domain.IdempotencyStore // nil: in-process
	Logger       *slog.Logger
	MaxBodyBytes int64
	// MaxInFlightBodyBytes bounds the request body bytes held at once
	// across all requests (see bodyBudget); 0 means DefaultInFlightBodies
	// times MaxBodyBytes. It is never below MaxBodyBytes.
	MaxInFlightBodyBytes int64
	Readiness            []ReadinessCheck
	Telemetry            *telemetry.Telemetry // nil: none
	// Routes are the routes this handler serves (default all of them);
	// the others answer 404.
	Routes Routes
	// CORS is the browser policy; nil: no cross-origin requests.
	CORS *CORS
	// SwitchFaults takes the sandbox fault switch (X-Sandbox-Fault);
	// off, requests carrying it are refused.
	SwitchFaults bool
	// Version is answered by /healthz (default: buildinfo.Read's).
	Version string
	// JobData keeps the items of NDJSON imports (nil: in-process).
	JobData domain.JobDataStore
	// MaxImportBytes bounds an import's body (DefaultMaxImportBytes when
	// zero); an import is streamed, not held, so MaxBodyBytes does not
	// apply to it.
	MaxImportBytes int64
	// Shedder bounds the API requests served at once, shared by every
	// handler of the process; nil: one of the handler's own, with
	// DefaultMaxInFlight.
	Shedder *Shedder
}

// Server implements the generated StrictServerInterface.
type Server struct {
	svc     *domain.Service
	idem    domain.IdempotencyStore
	ready   []ReadinessCheck
	version string
	// jobData keeps import items; contactInput is the schema an import's
	// lines are checked against (imports.go).
	jobData      domain.JobDataStore
	contactInput *openapi3.Schema

	// readyMu guards lastReady, each check's state at the last probe, so
	// that a state is logged when it changes, not on every probe (a
	// Kubernetes probe every few seconds would repeat it all day).
	readyMu   sync.Mutex
	lastReady map[string]string
}

var _ StrictServerInterface = (*Server)(nil)

// NewHandler builds the gateway's whole HTTP handler.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("http: no service")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = slog.New(telemetry.LogHandler(cfg.Logger.Handler()))
	if cfg.Telemetry == nil {
		cfg.Telemetry = telemetry.Nop()
	}
	if cfg.Version == "" {
		cfg.Version = buildinfo.Read().Version
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxInFlightBodyBytes <= 0 {
		cfg.MaxInFlightBodyBytes = DefaultInFlightBodies * cfg.MaxBodyBytes
	}
	cfg.MaxInFlightBodyBytes = max(cfg.MaxInFlightBodyBytes, cfg.MaxBodyBytes)
	if cfg.Shedder == nil {
		sh, err := newShedder(DefaultMaxInFlight, cfg.Telemetry)
		if err != nil {
			return nil, err
		}
		cfg.Shedder = sh
	}
	if cfg.Idempotency == nil {
		cfg.Idempotency = memory.NewIdempotency(memory.IdempotencyOptions{})
	}
	if cfg.JobData == nil {
		cfg.JobData = memory.NewJobData(memory.JobDataOptions{})
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = DefaultMaxImportBytes
	}
	spec, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("http: load api/openapi.yaml: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("http: api/openapi.yaml is invalid: %w", err)
	}
	s := &Server{svc: cfg.Service, idem: cfg.Idempotency, ready: cfg.Readiness, version: cfg.Version, jobData: cfg.JobData}
	if ref := spec.Components.Schemas["ContactInput"]; ref != nil {
		s.contactInput = ref.Value
	}
	if s.contactInput == nil {
		return nil, errors.New("http: api/openapi.yaml has no ContactInput schema")
	}

	r := chi.NewRouter()
	r.Use(observe(cfg.Logger, cfg.Telemetry))
	if cfg.CORS != nil {
		// Before routing and authorize: a preflight is answered here.
		r.Use(corsPolicy(*cfg.CORS))
	}
	r.Use(cfg.Routes.only)
	r.Use(cfg.Shedder.middleware)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, newProblem(ProblemCodeNotFound, "no such endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, newProblem(ProblemCodeMethodNotAllowed, ""))
	})
	r.Get("/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(api.OpenAPI)
	})
	if err := mountDocs(r); err != nil {
		return nil, err
	}
	r.Method(http.MethodGet, "/metrics", cfg.Telemetry.Handler())

	keys := keyring{keys: cfg.Keys}
	budget := &bodyBudget{limit: cfg.MaxInFlightBodyBytes}
	rules, private := accessRules(spec), noStore(spec)
	r.Group(func(api chi.Router) {
		api.Use(
			private,
			keys.authorize(rules),
			s.checkWritable,
			switchFaults(cfg.SwitchFaults),
			limitBody(cfg.MaxBodyBytes, cfg.MaxImportBytes, budget),
			validator(withoutSecurity(spec)),
			s.resolveTenant,
			s.idempotency,
		)
		strict := NewStrictHandlerWithOptions(s, nil, StrictHTTPServerOptions{
			RequestErrorHandlerFunc:  requestError,
			ResponseErrorHandlerFunc: writeProblem,
		})
		HandlerWithOptions(strict, ChiServerOptions{BaseRouter: api, ErrorHandlerFunc: requestError})
	})
	return r, nil
}

// requestError answers binding failures the validator let through (it
// checks first, so these are rare): always a 400 that names no internals.
func requestError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeProblem(w, r, err)
		return
	}
	writeProblem(w, r, domain.Invalid("request", "could not be read: check the parameters and the JSON body"))
}

func withInclude(ctx context.Context, include *Include) context.Context {
	if include != nil && *include == IncludeRaw {
		return domain.WithRaw(ctx)
	}
	return ctx
}

func listOptions(limit *int, cursor *string) domain.ListOptions {
	o := domain.ListOptions{}
	if limit != nil {
		o.Limit = *limit
	}
	if cursor != nil {
		o.Cursor = *cursor
	}
	return o
}

func nextCursor(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Healthz implements StrictServerInterface.
func (s *Server) Healthz(context.Context, HealthzRequestObject) (HealthzResponseObject, error) {
	return Healthz200JSONResponse{Body: Health{Status: HealthStatusOk, Version: &s.version}}, nil
}

// readyChanged records check's state and reports whether it differs from
// the last probe's. A check first seen ok is not a change worth a line.
func (s *Server) readyChanged(check, state string) bool {
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if s.lastReady == nil {
		s.lastReady = map[string]string{}
	}
	last, seen := s.lastReady[check]
	s.lastReady[check] = state
	if !seen {
		return state != "ok"
	}
	return last != state
}

// Readyz implements StrictServerInterface.
func (s *Server) Readyz(ctx context.Context, _ ReadyzRequestObject) (ReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	checks := map[string]string{"config": "ok"}
	status := HealthStatusOk
	for _, c := range s.ready {
		if err := c.Check(ctx); err != nil {
			checks[c.Name] = "unavailable"
			if st := (*CheckState)(nil); errors.As(err, &st) {
				checks[c.Name] = st.State
			}
			if c.Critical {
				status = HealthStatusUnavailable
			} else if status == HealthStatusOk {
				status = HealthStatusDegraded
			}
			if s.readyChanged(c.Name, checks[c.Name]) {
				logger(ctx).Warn("readiness check failed", slog.String("check", c.Name), slog.Bool("critical", c.Critical),
					slog.String("state", checks[c.Name]), slog.String("error", err.Error()))
			}
			continue
		}
		checks[c.Name] = "ok"
		if s.readyChanged(c.Name, "ok") {
			logger(ctx).Info("readiness check ok", slog.String("check", c.Name))
		}
	}
	if status == HealthStatusUnavailable {
		retry := 5
		return Readyz503JSONResponse{Body: Health{Status: status, Checks: checks}, Headers: Readyz503ResponseHeaders{RetryAfter: &retry}}, nil
	}
	return Readyz200JSONResponse{Body: Health{Status: status, Checks: checks}}, nil
}
