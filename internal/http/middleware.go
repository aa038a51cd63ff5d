package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// validRequestID reports whether a caller's X-Request-Id is a sane token
// to adopt: 1 to 128 of A-Z a-z 0-9 . _ : -.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func requestIDFrom(ctx context.Context) string {
	if i, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return i.id
	}
	return ""
}

func logger(ctx context.Context) *slog.Logger {
	if i, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok && i.logger != nil {
		return i.logger
	}
	return slog.Default()
}

// statusRecorder remembers the status and size of a response, and puts
// the request's id translations (X-Id-Translated) on it as it starts.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	info   *reqInfo
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
		r.translated()
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
		r.translated()
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// translated names the ids the call had translated from a vendor the
// tenant has left: "lf_2865=mh_4338372, lf_2866=mh_4338373".
func (r *statusRecorder) translated() {
	if r.info == nil {
		return
	}
	pairs := r.info.translations.Pairs()
	if len(pairs) == 0 {
		return
	}
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p[0] + "=" + p[1])
	}
	r.Header().Set("X-Id-Translated", b.String())
}

// reqInfo is what observe gives a request (its id and logger) and what
// later middleware learns about it for its log line, span and metrics and
// for the handler (the tenant's binding): one context value, not one each.
type reqInfo struct {
	id     string
	logger *slog.Logger
	caller string // the API key's configured name, once authenticated
	tenant string // set once the caller was authorised for it
	code   ProblemCode
	target *domain.Target // set by resolveTenant
	// translations are the ids of a vendor the tenant left that the
	// call had translated (the domain records them through the context).
	translations domain.IDTranslations
}

type reqInfoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

// observe gives every request an id (the caller's X-Request-Id when it is
// a sane token), a server span continuing the caller's trace (traceparent),
// a logger, panic recovery into a 500 problem, metrics and one access log
// line. The query string is never logged: it can hold email addresses and
// phone numbers; nor is any header but the user agent (clipped). The
// remote address is the connection's: X-Forwarded-For is anyone's to
// write.
//
// It is on every request's path, so it keeps its allocations few: span
// attributes only when the span records (see telemetry.New), metric
// attribute sets made once per label set (requestMetrics), the log line
// built only when its level is on.
func observe(base *slog.Logger, tel *telemetry.Telemetry) func(http.Handler) http.Handler {
	metrics := &requestMetrics{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get("X-Request-Id")
			if !validRequestID(id) {
				id = newRequestID()
			}
			w.Header().Set("X-Request-Id", id)
			// Every answer is what its Content-Type says: a browser must not
			// guess another type (a JSON body run as a script or page).
			w.Header()["X-Content-Type-Options"] = nosniff
			ctx := tel.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tel.Tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			if span.IsRecording() {
				span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String("cdpgw.request_id", id))
			}
			o := &observed{rec: statusRecorder{ResponseWriter: w}, info: reqInfo{id: id, logger: base}}
			rec, info := &o.rec, &o.info
			rec.info = info
			// The domain records there the ids a call had translated
			// (X-Id-Translated): set once here, with the request's other
			// context, rather than by a copy of the request later.
			ctx = domain.RecordIDTranslations(context.WithValue(telemetry.WithRequestID(ctx, id), reqInfoKey{}, info), &info.translations)
			r = r.WithContext(ctx)
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					base.LogAttrs(ctx, slog.LevelError, "panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
					if rec.status == 0 {
						sendProblem(rec, r, newProblem(ProblemCodeInternal, ""))
					}
				}
				route := "unmatched"
				if rc := chi.RouteContext(ctx); rc != nil && rc.RoutePattern() != "" {
					route = rc.RoutePattern()
				}
				vendor := rec.Header().Get("X-Vendor")
				outcome := "ok"
				if info.code != "" {
					outcome = string(info.code)
				}
				elapsed := time.Since(start)
				if span.IsRecording() {
					span.SetName(r.Method + " " + route)
					span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", rec.status),
						telemetry.KeyTenant.String(info.tenant), telemetry.KeyVendor.String(vendor), telemetry.KeyOutcome.String(outcome))
					if rec.status >= 500 {
						span.SetStatus(codes.Error, outcome)
					}
				}
				m := metrics.options(requestLabels{route: route, method: methodLabel(r.Method), tenant: info.tenant,
					vendor: vendor, status: rec.status, outcome: outcome})
				tel.Requests.Add(ctx, 1, m.add...)
				tel.RequestDuration.Record(ctx, elapsed.Seconds(), m.record...)
				if base.Enabled(ctx, slog.LevelInfo) {
					base.LogAttrs(ctx, slog.LevelInfo, "request",
						slog.String("method", r.Method),
						slog.String("path", r.URL.Path),
						slog.String("route", route),
						slog.Int("status", rec.status),
						slog.Int64("bytes", rec.bytes),
						slog.String("caller", info.caller),
						slog.String("tenant", info.tenant),
						slog.String("vendor", vendor),
						slog.String("outcome", outcome),
						slog.String("remote_addr", r.RemoteAddr),
						slog.String("user_agent", clip(r.UserAgent(), maxLoggedUserAgent)),
						slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
				}
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// observed is one allocation for what observe keeps per request.
type observed struct {
	rec  statusRecorder
	info reqInfo
}

// nosniff is the X-Content-Type-Options value, one slice for all answers
// (a header's values are replaced or appended to, never written into).
var nosniff = []string{"nosniff"}

// requestLabels are the labels of a request's metrics.
type requestLabels struct {
	route, method, tenant, vendor string
	status                        int
	outcome                       string
}

// requestOptions are the measurement options of one label set.
type requestOptions struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// requestMetrics makes each label set's attribute set once: making one
// sorts and allocates it. The labels are bounded (route patterns, the API's
// methods, configured tenants, vendors, statuses, outcome codes), so it
// holds no more sets than the metrics SDK holds series.
type requestMetrics struct {
	mu   sync.RWMutex
	sets map[requestLabels]requestOptions
}

func (m *requestMetrics) options(l requestLabels) requestOptions {
	m.mu.RLock()
	o, ok := m.sets[l]
	m.mu.RUnlock()
	if ok {
		return o
	}
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("route", l.route), attribute.String("method", l.method),
		attribute.String("tenant", l.tenant), attribute.String("vendor", l.vendor),
		attribute.Int("status", l.status), attribute.String("outcome", l.outcome)))
	o = requestOptions{add: []metric.AddOption{set}, record: []metric.RecordOption{set}}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sets == nil {
		m.sets = map[requestLabels]requestOptions{}
	}
	m.sets[l] = o
	return o
}

// maxLoggedUserAgent bounds the user agent in a log line (bytes): a
// caller could otherwise send 64 KiB of it with every request.
const maxLoggedUserAgent = 256

// clip cuts s to at most n bytes, on a character boundary, marking the cut
// with "…".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s + "…"
}

// noStore marks the answers of routes that carry personal data (contacts,
// members, events, passthrough, tenants) Cache-Control: no-store, so no
// cache, shared or the browser's, keeps them. Which routes is read from
// the spec: those whose success answers declare Cache-Control. Problems
// are no-store anyway (sendProblem).
func noStore(spec *openapi3.T) func(http.Handler) http.Handler {
	routes := map[route]bool{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if strings.HasPrefix(code, "2") && resp.Value != nil && resp.Value.Headers["Cache-Control"] != nil {
					routes[route{method: method, pattern: path}] = true
				}
			}
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if routes[route{method: r.Method, pattern: chi.RouteContext(r.Context()).RoutePattern()}] {
				w.Header()["Cache-Control"] = noStoreValue
			}
			next.ServeHTTP(w, r)
		})
	}
}

// noStoreValue is the Cache-Control of noStore, one slice for all answers.
var noStoreValue = []string{"no-store"}

// bodyBudget bounds the request body bytes a server holds at once, so that
// many large bodies (even from authorised callers) cannot together exhaust
// memory. A request reserves its declared Content-Length, or the whole
// per-request limit when it declares none (chunked), before the first
// byte is read, and keeps it until it has been answered: its decoded body
// lives that long.
type bodyBudget struct {
	limit int64
	used  atomic.Int64
}

// reserve takes n bytes of the budget if they are free.
func (b *bodyBudget) reserve(n int64) bool {
	for {
		cur := b.used.Load()
		if cur+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

func (b *bodyBudget) release(n int64) { b.used.Add(-n) }

// busyRetryAfter is the Retry-After of SERVER_BUSY: bodies in flight are
// usually answered within a second or two.
const busyRetryAfter = time.Second

// limitBody refuses bodies over limit bytes (at once when Content-Length
// says so, otherwise when reading passes the limit) and answers 503
// SERVER_BUSY, without reading the body, when the bytes it may hold are
// more than the server's in-flight budget has free. It runs after
// authorize: a caller that may not make the call never reserves anything.
func limitBody(limit, importLimit int64, budget *bodyBudget) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if streamed(r) {
				// An import is read as it arrives, never held: its own
				// limit, no share of the budget, time to arrive.
				if r.ContentLength > importLimit {
					writeProblem(w, r, &http.MaxBytesError{Limit: importLimit})
					return
				}
				_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(importReadTimeout))
				r.Body = http.MaxBytesReader(w, r.Body, importLimit)
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength > limit {
				writeProblem(w, r, &http.MaxBytesError{Limit: limit})
				return
			}
			// A server request without a body has ContentLength 0; -1 is a
			// body of unknown length, which may be as large as the limit.
			if n := r.ContentLength; n != 0 {
				if n < 0 {
					n = limit
				}
				if !budget.reserve(n) {
					p := newProblem(ProblemCodeServerBusy, "too many request bodies are being handled right now; try again shortly")
					p.retryAfter = busyRetryAfter
					writeProblem(w, r, p)
					return
				}
				defer budget.release(n)
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// resolveTenant binds a tenant call to the tenant's current vendor once,
// so the whole request (and X-Vendor) sees one binding even if the tenant is
// switched meanwhile. authorize has already checked that the caller may use
// the tenant, and put it into the context for the operations that take
// X-Tenant-ID (an X-Tenant-ID sent to any other operation means nothing).
func (s *Server) resolveTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call, _ := r.Context().Value(tenantKey{}).(tenantCall)
		if call.tenant == "" {
			next.ServeHTTP(w, r)
			return
		}
		t, err := s.svc.Target(r.Context(), call.tenant)
		if err != nil {
			if errors.Is(err, domain.ErrTenantUnknown) {
				err = newProblem(ProblemCodeTenantForbidden, "")
			}
			writeProblem(w, r, err)
			return
		}
		info := infoFrom(r.Context())
		info.tenant, info.target = t.Tenant, &t
		w.Header().Set("X-Vendor", string(t.Vendor))
		next.ServeHTTP(w, r)
	})
}

// checkWritable refuses a tenant's write while a migration's cut-over
// freezes its writes (503 TENANT_MIGRATING, Retry-After), from the
// headers alone: before the body is read or checked. A write let through
// is registered as running until it ends (domain.Service.BeginWrite), so
// that a cut-over beginning meanwhile waits for it; its context ends at
// domain.WriteTimeout, when the server could no longer send its answer.
// An import is only checked: its upload may take longer, and writes
// nothing at the vendor (its job's writes are registered one by one).
func (s *Server) checkWritable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call, _ := r.Context().Value(tenantKey{}).(tenantCall)
		switch {
		case !call.write:
		case streamed(r):
			if err := s.svc.CheckWritable(r.Context(), call.tenant); err != nil {
				writeProblem(w, r, err)
				return
			}
		default:
			ctx, end, err := s.svc.BeginWrite(r.Context(), call.tenant)
			defer end()
			if err != nil {
				writeProblem(w, r, err)
				return
			}
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

func targetFrom(ctx context.Context) (domain.Target, error) {
	i, ok := ctx.Value(reqInfoKey{}).(*reqInfo)
	if !ok || i.target == nil {
		return domain.Target{}, errors.New("no tenant target in request context")
	}
	return *i.target, nil
}

// replayHeaders are the response headers kept with an idempotent answer.
var replayHeaders = []string{"Content-Type", "X-Vendor", "Location", "ETag", "Preference-Applied"}

// idempotency makes writes carrying Idempotency-Key safe to retry. Keys are
// scoped to the calling key and tenant; the fingerprint covers method, path,
// tenant, If-Match and body. Definite answers (2xx, 4xx other than 409 and
// 429) are stored for a day and replayed; for 5xx, 409 and 429 the key is
// released so that a retry runs again.
func (s *Server) idempotency(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		p, ok := principalFrom(r.Context())
		if key == "" || !ok || r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		if streamed(r) {
			writeProblem(w, r, domain.Invalid("header.Idempotency-Key", "is not taken by an import: its body is not held to be compared"))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		tenant := r.Header.Get("X-Tenant-ID")
		scoped := strconv.Quote(p.name) + "\x00" + strconv.Quote(tenant) + "\x00" + key
		fp := sha256.New()
		for _, part := range []string{r.Method, r.URL.Path, r.URL.RawQuery, tenant} {
			fp.Write([]byte(part))
			fp.Write([]byte{0})
		}
		// A precondition makes another request of the same body; a
		// request without one keeps the fingerprint it always had.
		if m := r.Header.Get("If-Match"); m != "" {
			fp.Write([]byte("If-Match:" + m))
			fp.Write([]byte{0})
		}
		fp.Write(body)
		fingerprint := hex.EncodeToString(fp.Sum(nil))

		ctx := r.Context()
		stored, err := s.idem.Begin(ctx, scoped, fingerprint)
		if err != nil {
			writeProblem(w, r, err)
			return
		}
		if stored != nil {
			for k, v := range stored.Header {
				w.Header()[k] = v
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(stored.Status)
			_, _ = w.Write(stored.Body)
			return
		}
		// The write may now be retried towards the vendor: a repeat of the
		// API call with this key would be answered from the record.
		r = r.WithContext(domain.WithRetrySafe(ctx))
		rec := &captureWriter{ResponseWriter: w}
		completed := false
		defer func() {
			if !completed {
				// Not stored (a failure, a panic, an abort): release the key so
				// that a retry runs the request again.
				_ = s.idem.Release(context.WithoutCancel(ctx), scoped)
			}
		}()
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusConflict {
			return
		}
		h := make(map[string][]string, len(replayHeaders))
		for _, name := range replayHeaders {
			if v := w.Header().Values(name); len(v) > 0 {
				h[name] = v
			}
		}
		if err := s.idem.Complete(context.WithoutCancel(ctx), scoped, domain.IdempotentResponse{Status: status, Header: h, Body: rec.buf.Bytes()}); err != nil {
			logger(ctx).Warn("idempotency record not stored", slog.String("error", err.Error()))
			return
		}
		completed = true
	})
}

// captureWriter copies the response it passes on.
type captureWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}

func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
