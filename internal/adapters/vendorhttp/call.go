package vendorhttp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// RetryPolicy bounds retries of idempotent calls. Zero fields take the
// defaults.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, including the first (default 3; 1 turns retries off)
	BaseDelay   time.Duration // backoff before the second attempt, doubled after each (default 100ms)
	MaxDelay    time.Duration // cap of one backoff (default 2s)
}

// BreakerSettings tune a connection's circuit breaker. Zero fields take
// the defaults.
type BreakerSettings struct {
	Failures       uint32        // consecutive failures that open it (default 5)
	OpenFor        time.Duration // how long it stays open before probing (default 30s)
	HalfOpenProbes uint32        // calls let through while half-open; that many successes close it (default 1)
}

// Quota is a vendor call budget per tenant connection; Calls 0 means none.
type Quota struct {
	Calls int64
	Per   time.Duration
}

// Options configure the client of one tenant connection.
type Options struct {
	Tenant  string // with the vendor, names the connection (metrics, token and quota keys)
	HTTP    *http.Client
	Timeout time.Duration // per attempt; default DefaultTimeout
	Retry   RetryPolicy
	Breaker BreakerSettings
	Quota   Quota
	// Concurrency bounds a request's fan-out (Settings.Concurrency);
	// default DefaultConcurrency.
	Concurrency int
	QuotaStore  domain.QuotaStore // default: in-process
	Tokens      *Tokens           // default: a private in-process cache
	Telemetry   *telemetry.Telemetry
	Logger      *slog.Logger
}

// Auth is how a vendor hands out access tokens; adapters of vendors with
// tokens set it on their Client, with exactly one of Fetch and Refresh.
type Auth struct {
	// Fetch asks the vendor for a new token with the connection's
	// credentials (it sends a Public request).
	Fetch func(ctx context.Context) (Token, error)
	// Refresh exchanges the connection's refresh token for a new access
	// token and, when the vendor rotates them, a new refresh token (it
	// sends a Public request). The TokenSource supplies the refresh token
	// and saves the new one before the access token is used.
	Refresh func(ctx context.Context, refreshToken string) (Grant, error)
	// Bootstrap is a refresh token from the configuration, for a
	// connection authorized outside the gateway: it is stored when the
	// shared store holds none, and the stored one wins from then on.
	Bootstrap string
	// Rejected reports whether an answer says the token is invalid or
	// expired; the call is then sent once more with a new token.
	Rejected func(*Response) bool
}

// Request is one logical vendor call.
type Request struct {
	// Op names the vendor operation in spans and metrics; it must be a
	// fixed name (e.g. "GET /open/contacts"), never a path with ids.
	Op     string
	Method string
	// Build makes the HTTP request of one attempt. token is the access
	// token ("" for Public calls and vendors without tokens). Build is
	// called again for every attempt.
	Build func(ctx context.Context, token string) (*http.Request, error)
	// Public calls are sent without a token (the token call itself). They
	// do not count against the quota: vendors count their API calls, and a
	// token call is one per token lifetime.
	Public bool
	// Idempotent marks a non-GET call that is safe to repeat (a read sent
	// as POST).
	Idempotent bool
	// Once marks a call that must reach the vendor at most once whatever
	// happens, e.g. a refresh that spends its refresh token: it is never
	// retried, not even with an Idempotency-Key or a new token.
	Once bool
}

// Client sends one tenant connection's calls to its vendor.
type Client struct {
	// Auth is set by the adapter of a vendor with access tokens.
	Auth *Auth
	// Failed reports whether an answer is a vendor failure: it counts
	// against the breaker and is retried when the call is idempotent.
	// Default: a 5xx or 408 status. Adapters of vendors that send business
	// errors with 5xx statuses narrow it.
	Failed func(*Response) bool
	// TraceID reads the vendor's id of a call from its answer, when the
	// vendor sends one (NXCloud's traceId): it is put on the call's span.
	TraceID func(*Response) string

	vendor  domain.Vendor
	tenant  string
	key     string
	http    *http.Client
	timeout time.Duration
	retry   RetryPolicy
	quota   Quota
	quotas  domain.QuotaStore
	source  *TokenSource
	tel     *telemetry.Telemetry
	log     *slog.Logger
	attrs   attribute.Set // metric labels vendor and tenant
	// callAttrs caches the call metrics' label sets (attrs with operation
	// and outcome): a set is sorted and allocated when made.
	callAttrs sync.Map // callLabels → attribute.Set

	breaker *gobreaker.CircuitBreaker[*Response]
	openFor time.Duration
	// concurrency bounds a request's fan-out (Concurrency).
	concurrency int
	mu          sync.Mutex
	openedAt    time.Time

	// now and sleep are the clock retries are timed by: time.Now and a
	// timer, or a test's.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Defaults.
const (
	DefaultMaxAttempts    = 3
	DefaultBaseDelay      = 100 * time.Millisecond
	DefaultMaxDelay       = 2 * time.Second
	DefaultFailures       = 5
	DefaultOpenFor        = 30 * time.Second
	DefaultHalfOpenProbes = 1
	DefaultConcurrency    = 16
	// TokenAttempts bounds the attempts of a token call (a Public
	// request), whatever RetryPolicy.MaxAttempts says: the call that waits
	// for the token fails with it, so a request to a vendor that is down
	// costs at most this many token attempts.
	TokenAttempts = 2
)

// NewClient returns the client of one tenant connection to vendor.
func NewClient(vendor domain.Vendor, o Options) *Client {
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retry.MaxAttempts <= 0 {
		o.Retry.MaxAttempts = DefaultMaxAttempts
	}
	if o.Retry.BaseDelay <= 0 {
		o.Retry.BaseDelay = DefaultBaseDelay
	}
	if o.Retry.MaxDelay <= 0 {
		o.Retry.MaxDelay = DefaultMaxDelay
	}
	if o.Breaker.Failures == 0 {
		o.Breaker.Failures = DefaultFailures
	}
	if o.Breaker.OpenFor <= 0 {
		o.Breaker.OpenFor = DefaultOpenFor
	}
	if o.Breaker.HalfOpenProbes == 0 {
		o.Breaker.HalfOpenProbes = DefaultHalfOpenProbes
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.QuotaStore == nil {
		o.QuotaStore = memory.NewQuota(memory.QuotaOptions{})
	}
	if o.Telemetry == nil {
		o.Telemetry = telemetry.Nop()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tokens == nil {
		o.Tokens = NewTokens(nil, o.Logger)
	}
	c := &Client{
		vendor: vendor, tenant: o.Tenant, key: connectionKey(o.Tenant, vendor),
		http: o.HTTP, timeout: o.Timeout, retry: o.Retry, quota: o.Quota, quotas: o.QuotaStore,
		tel: o.Telemetry, log: o.Logger, openFor: o.Breaker.OpenFor, concurrency: o.Concurrency,
		attrs: attribute.NewSet(attribute.String("vendor", string(vendor)), attribute.String("tenant", o.Tenant)),
		now:   time.Now, sleep: sleep,
	}
	c.source = &TokenSource{tokens: o.Tokens, key: c.key, c: c}
	failures := o.Breaker.Failures
	c.breaker = gobreaker.NewCircuitBreaker[*Response](gobreaker.Settings{
		Name:        c.key,
		MaxRequests: o.Breaker.HalfOpenProbes,
		Timeout:     o.Breaker.OpenFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= failures },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			c.stateChanged(from, to)
		},
		IsSuccessful: func(err error) bool { return !breakerFailure(err) },
		IsExcluded:   breakerExcluded,
	})
	return c
}

// Vendor is the client's vendor.
func (c *Client) Vendor() domain.Vendor { return c.vendor }

// Concurrency is how many calls one request may have in flight on the
// connection when it fans out (Settings.Concurrency): adapters bound
// their batches and per-item reads by it.
func (c *Client) Concurrency() int { return c.concurrency }

// TokenSource is the connection's token source: Call takes its tokens from
// it, and an adapter of a refresh-token vendor seeds and rotates the
// connection's refresh token through it.
func (c *Client) TokenSource() *TokenSource { return c.source }

// errFailureStatus carries a 5xx answer through the breaker as a failure.
var errFailureStatus = errors.New("vendor answered with a server error")

// errQuota marks a call refused by the gateway's own quota.
type errQuota struct{ *domain.VendorError }

func (q errQuota) Unwrap() error { return q.VendorError }

// breakerFailure reports whether err counts against the vendor: a 5xx or
// 408 answer, a timeout or a connection failure.
func breakerFailure(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errFailureStatus) {
		return true
	}
	var ve *domain.VendorError
	return errors.As(err, &ve) && ve.Retryable()
}

// breakerExcluded keeps out of the counts what says nothing about the
// vendor now: the caller giving up, a quota refusal, a credential refusal
// remembered from earlier, a request that could not be built.
func breakerExcluded(err error) bool {
	if err == nil {
		return false
	}
	var q errQuota
	var rr *refusalRemembered
	var ve *domain.VendorError
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &q) || errors.As(err, &rr) || !errors.As(err, &ve) && !errors.Is(err, errFailureStatus)
}

func failureStatus(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout
}

func (c *Client) stateChanged(from, to gobreaker.State) {
	if to == gobreaker.StateOpen {
		c.mu.Lock()
		c.openedAt = time.Now()
		c.mu.Unlock()
	}
	ctx := context.Background()
	c.tel.BreakerStateChanges.Add(ctx, 1, metric.WithAttributeSet(c.attrs),
		metric.WithAttributes(attribute.String("from", stateName(from)), attribute.String("to", stateName(to))))
	level := slog.LevelInfo
	if to == gobreaker.StateOpen {
		level = slog.LevelWarn
	}
	c.log.LogAttrs(ctx, level, "circuit breaker state changed",
		slog.String("vendor", string(c.vendor)), slog.String("tenant", c.tenant),
		slog.String("from", stateName(from)), slog.String("to", stateName(to)))
}

func stateName(s gobreaker.State) string {
	switch s {
	case gobreaker.StateOpen:
		return "open"
	case gobreaker.StateHalfOpen:
		return "half_open"
	}
	return "closed"
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// openRemaining is how long the breaker stays open (at least a second).
func (c *Client) openRemaining() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return max(c.openFor-time.Since(c.openedAt), time.Second)
}

// guardKey marks a context as inside a Call of the client it holds: a call
// made within it (the token fetch of that Call) is part of it for the
// breaker.
type guardKey struct{}

// Call sends r: token, quota, breaker, per-attempt timeout, retries and
// telemetry. It returns the vendor's answer whatever its status (the
// adapter maps statuses and error codes) or a *domain.VendorError, or the
// caller's context error.
//
// The breaker counts the Call once, by what its caller gets: its retries,
// and the token fetch it waits for, are one success or one failure. A
// Call made within another Call of the same client (the token fetch)
// passes the breaker, which the outer Call has passed already.
//
// A job's Call (ctx is a job handler's) that meets the gateway's own spent
// quota or its open breaker rests the job in place (domain.RestInJob)
// and goes on, instead of answering VendorRateLimited or
// VendorCircuitOpen: the job would otherwise pause and do its work since
// its last checkpoint again, which a quota smaller than that work never
// lets it finish. Quota rests are not bounded, since a window always
// refills; an open breaker is rested at most maxBreakerRests times in a
// Call, since a failing vendor may stay so for hours: the job then
// pauses and leaves its runner to other jobs. A request's Call answers
// at once. A vendor's own quota answer (429) is the adapter's to map; it
// pauses the job.
func (c *Client) Call(ctx context.Context, r Request) (*Response, error) {
	if outer, _ := ctx.Value(guardKey{}).(*Client); outer == c {
		return settle(c.call(ctx, r))
	}
	for breakerRests := 0; ; {
		resp, err := c.breaker.Execute(func() (*Response, error) {
			return c.call(context.WithValue(ctx, guardKey{}, c), r)
		})
		if err == nil {
			return resp, nil
		}
		refusal := quotaRefusal(err)
		switch {
		case errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests):
			refusal = &domain.VendorError{Vendor: c.vendor, Kind: domain.VendorCircuitOpen, RetryAfter: c.openRemaining(),
				Detail: fmt.Sprintf("%s has been failing; the gateway stopped calling it for this tenant for now", c.vendor)}
			_, _ = c.observe(ctx, r, 1, "none", func(context.Context) (*Response, error) { return nil, refusal })
			if breakerRests >= maxBreakerRests {
				return nil, refusal
			}
			breakerRests++
		case refusal == nil:
			return settle(resp, err)
		}
		// Outside the breaker, a rest holds no half-open probe; the call
		// then starts again: a new token, quota and attempts.
		if rested, rerr := domain.RestInJob(ctx, refusal.RetryAfter, domain.SafeDetail(refusal)); rerr != nil || !rested {
			return nil, cmp.Or(rerr, error(refusal))
		}
	}
}

// maxBreakerRests bounds how often a job's Call rests in place for an
// open breaker (each rest lasts what remains of its OpenFor).
const maxBreakerRests = 3

// settle turns what the breaker was given into what the caller gets: a
// failed answer is an answer, a quota refusal its VendorError.
func settle(resp *Response, err error) (*Response, error) {
	if err == nil || errors.Is(err, errFailureStatus) {
		return resp, nil
	}
	if ve := quotaRefusal(err); ve != nil {
		return nil, ve
	}
	return resp, err
}

// quotaRefusal is the VendorError of a call the gateway's own quota
// refused, or nil. Only a failed call looks: errors.As puts its target on
// the heap.
func quotaRefusal(err error) *domain.VendorError {
	if err == nil {
		return nil
	}
	var q errQuota
	if errors.As(err, &q) {
		return q.VendorError
	}
	return nil
}

// call is Call inside the breaker: tokens, attempts and retries. A failed
// answer comes with errFailureStatus, for the breaker to count.
func (c *Client) call(ctx context.Context, r Request) (*Response, error) {
	retryable := r.Method == http.MethodGet || r.Method == http.MethodHead || r.Idempotent || domain.RetrySafe(ctx)
	attempts := c.retry.MaxAttempts
	if r.Public {
		attempts = min(attempts, TokenAttempts)
	}
	if r.Once {
		attempts, retryable = 1, false
	}
	done := func(resp *Response, err error) (*Response, error) {
		if err == nil && c.failed(resp) {
			return resp, errFailureStatus
		}
		return resp, err
	}
	authRetried := false
	for attempt, sent := 1, 1; ; sent++ {
		token, tokenState := "", "none"
		if c.Auth != nil && !r.Public {
			tok, hit, err := c.source.Token(ctx)
			if err != nil {
				if rr := (*refusalRemembered)(nil); errors.As(err, &rr) {
					c.tel.CredentialRefusals.Add(ctx, 1, metric.WithAttributeSet(c.attrs))
				}
				return nil, err
			}
			token, tokenState = tok.Value, "miss"
			if hit {
				tokenState = "hit"
			}
		}
		resp, err := c.observe(ctx, r, sent, tokenState, func(ctx context.Context) (*Response, error) {
			return c.guarded(ctx, r, token)
		})
		if err == nil && token != "" && !authRetried && c.Auth.Rejected(resp) {
			// The vendor no longer takes the token: drop it here and in
			// the shared store, and send the call once more with a new one.
			authRetried = true
			c.source.Invalidate(ctx, token)
			continue
		}
		if !retryable || attempt >= attempts || !c.transient(resp, err) {
			return done(resp, err)
		}
		delay := c.backoff(attempt)
		if resp != nil {
			if ra := retryAfter(resp.Header, c.now()); ra > delay {
				delay = ra
			}
		}
		if delay > c.retry.MaxDelay || !c.fits(ctx, delay) {
			return done(resp, err)
		}
		c.tel.VendorRetries.Add(ctx, 1, metric.WithAttributeSet(c.attrs), metric.WithAttributes(attribute.String("operation", r.Op)))
		if err := c.sleep(ctx, delay); err != nil {
			return nil, err
		}
		attempt++
	}
}

// transient reports whether an attempt failed in a way worth retrying.
func (c *Client) transient(resp *Response, err error) bool {
	if err != nil {
		var ve *domain.VendorError
		return errors.As(err, &ve) && ve.Retryable()
	}
	return c.failed(resp)
}

func (c *Client) failed(resp *Response) bool {
	if c.Failed != nil {
		return c.Failed(resp)
	}
	return failureStatus(resp.Status)
}

// backoff is the full-jitter exponential delay before attempt+1.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.retry.BaseDelay << (attempt - 1)
	if ceiling > c.retry.MaxDelay || ceiling <= 0 {
		ceiling = c.retry.MaxDelay
	}
	return time.Duration(rand.Int64N(int64(ceiling)) + 1)
}

// fits reports whether waiting d still leaves the caller time for a try.
func (c *Client) fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || deadline.Sub(c.now()) > d+50*time.Millisecond
}

// observe runs one attempt of r (send) in a client span and records it in
// the call metrics.
func (c *Client) observe(ctx context.Context, r Request, n int, tokenState string, send func(context.Context) (*Response, error)) (*Response, error) {
	ctx, span := c.tel.Tracer.Start(ctx, string(c.vendor)+" "+r.Op, trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	recording := span.IsRecording() // attributes are built only for a span that keeps them
	if recording {
		span.SetAttributes(
			telemetry.KeyVendor.String(string(c.vendor)), telemetry.KeyTenant.String(c.tenant),
			telemetry.KeyOperation.String(r.Op), attribute.String("http.request.method", r.Method),
			telemetry.KeyAttempt.Int(n), telemetry.KeyTokenHit.String(tokenState),
			telemetry.KeyBreaker.String(stateName(c.breaker.State())))
	}
	start := time.Now()
	resp, err := send(ctx)
	outcome := outcomeOf(resp, err)
	attrs := metric.WithAttributeSet(c.callLabels(r.Op, outcome))
	c.tel.VendorCalls.Add(ctx, 1, attrs)
	c.tel.VendorCallDuration.Record(ctx, time.Since(start).Seconds(), attrs)
	if recording {
		span.SetAttributes(telemetry.KeyOutcome.String(outcome))
		if resp != nil {
			span.SetAttributes(attribute.Int("http.response.status_code", resp.Status))
			if c.TraceID != nil {
				if id := c.TraceID(resp); id != "" {
					span.SetAttributes(attribute.String("vendor.trace_id", id))
				}
			}
		}
	}
	if outcome != "ok" {
		c.tel.VendorCallErrors.Add(ctx, 1, attrs)
		span.SetStatus(codes.Error, outcome)
	}
	return resp, err
}

// callLabels is the call metrics' label set for an operation and an
// outcome: vendor, tenant, operation, outcome.
func (c *Client) callLabels(op, outcome string) attribute.Set {
	key := callKey{op, outcome}
	if s, ok := c.callAttrs.Load(key); ok {
		return s.(attribute.Set)
	}
	kv := append(c.attrs.ToSlice(), attribute.String("operation", op), attribute.String("outcome", outcome))
	s, _ := c.callAttrs.LoadOrStore(key, attribute.NewSet(kv...))
	return s.(attribute.Set)
}

type callKey struct{ op, outcome string }

// outcomeOf names an attempt's result with a fixed word.
func outcomeOf(resp *Response, err error) string {
	if err != nil {
		var ve *domain.VendorError
		switch {
		case errors.Is(err, context.Canceled):
			return "canceled"
		case errors.Is(err, context.DeadlineExceeded):
			return "deadline"
		case errors.As(err, &ve):
			switch ve.Kind {
			case domain.VendorCircuitOpen:
				return "circuit_open"
			case domain.VendorRateLimited:
				return "quota"
			case domain.VendorTimeout:
				return "timeout"
			case domain.VendorUnavailable:
				return "unavailable"
			case domain.VendorBadResponse:
				return "bad_response"
			}
		}
		return "error"
	}
	switch {
	case resp.Status >= 500:
		return "http_5xx"
	case resp.Status == http.StatusTooManyRequests:
		return "http_429"
	case resp.Status >= 400:
		return "http_4xx"
	}
	return "ok"
}

// guarded sends r once, under the quota (a refusal is an errQuota).
func (c *Client) guarded(ctx context.Context, r Request, token string) (*Response, error) {
	if !r.Public {
		if err := c.takeQuota(ctx); err != nil {
			return nil, err
		}
	}
	req, err := r.Build(ctx, token)
	if err != nil {
		return nil, fmt.Errorf("%s: build %s request: %w", c.vendor, r.Op, err)
	}
	return c.send(req)
}

// takeQuota counts one call against the connection's quota. When the
// shared store cannot be reached the call goes ahead: the vendor still
// enforces its own quota, and refusing every call would be worse.
func (c *Client) takeQuota(ctx context.Context) error {
	if c.quota.Calls <= 0 {
		return nil
	}
	ok, wait, err := c.quotas.Take(ctx, "quota:"+c.key, c.quota.Calls, c.quota.Per)
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "vendor quota not checked: shared state unavailable",
			slog.String("vendor", string(c.vendor)), slog.String("tenant", c.tenant), slog.String("error", err.Error()))
		return nil
	}
	if ok {
		return nil
	}
	c.tel.QuotaRejections.Add(ctx, 1, metric.WithAttributeSet(c.attrs))
	return errQuota{&domain.VendorError{Vendor: c.vendor, Kind: domain.VendorRateLimited, RetryAfter: wait,
		Detail: fmt.Sprintf("the tenant's %s call quota (%d per %s) is spent; the gateway did not call %s", c.vendor, c.quota.Calls, per(c.quota.Per), c.vendor)}}
}

func per(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hour"
	case time.Minute:
		return "minute"
	case 24 * time.Hour:
		return "day"
	}
	return d.String()
}

// Status is what operators see of the connection on this replica: its
// breaker and whether a token is cached (never the token).
func (c *Client) Status() domain.ConnectionStatus {
	st := domain.ConnectionStatus{Breaker: stateName(c.breaker.State())}
	if st.Breaker == "open" {
		st.BreakerRetryAfter = c.openRemaining()
	}
	if c.Auth != nil {
		st.Token = "none"
		if exp, ok := c.source.Status(); ok {
			st.Token, st.TokenExpires = "cached", exp
		} else if until, ok := c.source.RefusedUntil(); ok {
			st.Token, st.TokenExpires = "refused", until
		}
	}
	return st
}

// OpName names a vendor operation for spans and metrics from a method and a
// path, with every path segment that looks like an id replaced by {id}.
func OpName(method, path string) string {
	b := make([]byte, 0, len(method)+1+len(path))
	b = append(b, method...)
	b = append(b, ' ')
	for i := 0; i < len(path); {
		j := i + 1
		for j < len(path) && path[j] != '/' {
			j++
		}
		seg := path[i:j] // starts with '/' unless path does not
		if idSegment(seg) {
			b = append(b, "/{id}"...)
		} else {
			b = append(b, seg...)
		}
		i = j
	}
	return string(b)
}

// idSegment reports whether a path segment ("/x") is an id: it holds a
// digit and is not a version like "v2", or it is very long.
func idSegment(seg string) bool {
	s := strings.TrimPrefix(seg, "/")
	if len(s) > 32 {
		return true
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			digits++
		}
	}
	version := len(s) >= 2 && s[0] == 'v' && digits == len(s)-1
	return digits > 0 && !version
}
