package http

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// DefaultMaxInFlight is how many API requests a server serves at once
// when the tenants file does not say (max_in_flight_requests). Measured
// with the load harness's mixed traffic at 2000 requests/s offered to two
// cores that serve about 500 (README, Performance): peak RSS 500-800 MiB
// unbounded, 175 at 256, 146 at 128, 74-105 at 64, and no lower below it
// (then the connections waiting to be answered are most of it). A request
// waiting for its vendor holds little: with slow vendors raise it to about
// requests per second times the vendor latency.
const DefaultMaxInFlight = 64

// overloadRetryAfter is the Retry-After of OVERLOADED: a request in flight
// is usually answered well within a second.
const overloadRetryAfter = time.Second

// shedWarnEvery is how often at most a shedding server says so in its log:
// a line per refused request would add to the overload it reports.
const shedWarnEvery = 10 * time.Second

// Shedder bounds the API requests (/v1) a server serves at once. Beyond
// the bound a request is answered at once with 503 OVERLOADED and
// Retry-After, before its caller is authenticated or a byte of its body
// read, instead of queueing: under more traffic than the replica can
// serve, requests waiting their turn would otherwise hold memory without
// bound. Probes, the spec and the operators' routes are never refused.
//
// One Shedder is shared by every handler of a process (both addresses,
// every configuration a reload builds), so the bound is the process's.
type Shedder struct {
	limit    atomic.Int64
	inFlight atomic.Int64
	shed     metric.Int64Counter
	reg      metric.Registration // the in-flight gauge's callback; nil: none

	// lastWarn (unix nanoseconds) and sinceWarn pace the log's warnings.
	lastWarn  atomic.Int64
	sinceWarn atomic.Int64
}

// NewShedder returns a Shedder of limit requests at once (limit < 1:
// DefaultMaxInFlight) recording to tel: cdpgw_http_requests_shed_total
// counts the requests refused, cdpgw_http_requests_in_flight reports those
// being served. Close unregisters the gauge.
func NewShedder(limit int, tel *telemetry.Telemetry) (*Shedder, error) {
	s, err := newShedder(limit, tel)
	if err != nil {
		return nil, err
	}
	m := tel.MeterProvider.Meter(telemetry.Name)
	gauge, err := m.Int64ObservableGauge("cdpgw.http.requests.in_flight",
		metric.WithDescription("API requests being served; beyond max_in_flight_requests they are shed"))
	if err != nil {
		return nil, fmt.Errorf("http: in-flight metric: %w", err)
	}
	s.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, s.inFlight.Load())
		return nil
	}, gauge)
	if err != nil {
		return nil, fmt.Errorf("http: in-flight metric: %w", err)
	}
	return s, nil
}

// newShedder is NewShedder without the gauge (a handler's own Shedder,
// which nobody closes).
func newShedder(limit int, tel *telemetry.Telemetry) (*Shedder, error) {
	c, err := tel.MeterProvider.Meter(telemetry.Name).Int64Counter("cdpgw.http.requests.shed",
		metric.WithDescription("API requests refused with 503 OVERLOADED: max_in_flight_requests were being served"))
	if err != nil {
		return nil, fmt.Errorf("http: shed metric: %w", err)
	}
	s := &Shedder{shed: c}
	s.SetLimit(limit)
	return s, nil
}

// SetLimit changes the bound (limit < 1: DefaultMaxInFlight); requests
// already served are not refused.
func (s *Shedder) SetLimit(limit int) {
	if limit < 1 {
		limit = DefaultMaxInFlight
	}
	s.limit.Store(int64(limit))
}

// Close unregisters the in-flight gauge.
func (s *Shedder) Close() error {
	if s.reg == nil {
		return nil
	}
	return s.reg.Unregister()
}

// apiPath reports whether path is the tenant API's (/v1).
func apiPath(path string) bool { return path == "/v1" || strings.HasPrefix(path, "/v1/") }

// middleware refuses an API request while the bound is reached. It runs
// right after observe (request id, metrics, the access log), before
// routing: nothing cheaper can answer.
func (s *Shedder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !apiPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if s.inFlight.Add(1) > s.limit.Load() {
			s.inFlight.Add(-1)
			s.refuse(w, r)
			return
		}
		defer s.inFlight.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// refuse answers 503 OVERLOADED. Not through writeProblem: its warning
// line per request is paced here instead.
func (s *Shedder) refuse(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.shed.Add(ctx, 1)
	s.sinceWarn.Add(1)
	if now, last := time.Now().UnixNano(), s.lastWarn.Load(); now-last >= int64(shedWarnEvery) && s.lastWarn.CompareAndSwap(last, now) {
		logger(ctx).LogAttrs(ctx, slog.LevelWarn, "shedding requests: as many as max_in_flight_requests are being served",
			slog.Int64("max_in_flight_requests", s.limit.Load()), slog.Int64("shed_since_last_warning", s.sinceWarn.Swap(0)))
	}
	p := newProblem(ProblemCodeOverloaded, "the gateway is serving as many requests as it takes at once; try again shortly")
	p.retryAfter = overloadRetryAfter
	infoFrom(ctx).code = p.Code
	// The connection is closed after the answer: a caller whose requests
	// wait on a busy replica opens ever more connections, each a goroutine
	// with its buffers here, and it is those, not the requests, that
	// fill the memory of an overloaded replica (README: Performance).
	w.Header().Set("Connection", "close")
	sendProblem(w, r, p)
}
