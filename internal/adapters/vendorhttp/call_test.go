package vendorhttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// flaky is a vendor that answers status to its first fail calls, then 200.
type flaky struct {
	srv   *httptest.Server
	calls atomic.Int32
	fail  atomic.Int32
	code  atomic.Int32
}

func newFlaky(t *testing.T, fail int, status int) *flaky {
	f := &flaky{}
	f.fail.Store(int32(fail))
	f.code.Store(int32(status))
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		if n <= f.fail.Load() {
			if f.code.Load() == 503 {
				w.Header().Set("Retry-After", r.URL.Query().Get("retry_after"))
			}
			w.WriteHeader(int(f.code.Load()))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flaky) heal() { f.fail.Store(0) }

func (f *flaky) req(method string) Request {
	return Request{Op: method + " /x", Method: method, Build: func(ctx context.Context, _ string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, method, f.srv.URL+"/x", strings.NewReader(`{}`))
	}}
}

func fastRetry(o Options) Options {
	o.Retry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	return o
}

func TestRetriesOnlyIdempotentCalls(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		method    string
		ctx       func(context.Context) context.Context
		mark      bool
		wantCalls int32
		wantOK    bool
	}{
		{"GET is retried", "GET", nil, false, 3, true},
		{"POST is not", "POST", nil, false, 1, false},
		{"POST with an Idempotency-Key is", "POST", domain.WithRetrySafe, false, 3, true},
		{"POST marked idempotent by the adapter is", "POST", nil, true, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFlaky(t, 2, 502)
			c := NewClient(domain.Vendor("linkflow"), fastRetry(Options{}))
			ctx := context.Background()
			if tc.ctx != nil {
				ctx = tc.ctx(ctx)
			}
			r := f.req(tc.method)
			r.Idempotent = tc.mark
			resp, err := c.Call(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.calls.Load(); got != tc.wantCalls {
				t.Errorf("vendor saw %d calls, want %d", got, tc.wantCalls)
			}
			if (resp.Status == 200) != tc.wantOK {
				t.Errorf("status %d", resp.Status)
			}
		})
	}

	t.Run("attempts are bounded", func(t *testing.T) {
		t.Parallel()
		f := newFlaky(t, 100, 500)
		c := NewClient(domain.Vendor("linkflow"), fastRetry(Options{}))
		resp, err := c.Call(context.Background(), f.req("GET"))
		if err != nil || resp.Status != 500 || f.calls.Load() != 3 {
			t.Fatalf("%v %v after %d calls; want the last 500 after 3", resp, err, f.calls.Load())
		}
	})

	t.Run("4xx and 429 are not retried", func(t *testing.T) {
		t.Parallel()
		for _, code := range []int{400, 404, 429} {
			f := newFlaky(t, 100, code)
			c := NewClient(domain.Vendor("linkflow"), fastRetry(Options{}))
			if resp, _ := c.Call(context.Background(), f.req("GET")); resp.Status != code || f.calls.Load() != 1 {
				t.Errorf("%d: %d calls", code, f.calls.Load())
			}
		}
	})
}

// fakeTime makes c wait on a clock of its own, reading now at first:
// waiting takes no time and advances the clock. It returns the waits c
// made.
func fakeTime(c *Client, now time.Time) *[]time.Duration {
	var mu sync.Mutex
	var waits []time.Duration
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		now = now.Add(d)
		return nil
	}
	return &waits
}

// TestRetriesStayInsideTheCallersDeadline: the deadline is judged by the
// client's clock, so machine load cannot change what is retried.
func TestRetriesStayInsideTheCallersDeadline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		deadline   time.Duration // from the client's clock
		retryAfter string        // the vendor's Retry-After on each 503
		wantCalls  int32
		wantWaits  []time.Duration
	}{
		{"a retry 2 s later does not fit 500 ms", 500 * time.Millisecond, "2", 1, nil},
		{"it fits 3 s once", 3 * time.Second, "2", 2, []time.Duration{2 * time.Second}},
		{"and 5 s twice", 5 * time.Second, "2", 3, []time.Duration{2 * time.Second, 2 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFlaky(t, 100, 503)
			c := NewClient(domain.Vendor("linkflow"), Options{Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Second}})
			// Far from the wall clock: the context's deadline, set from
			// the client's clock, never passes on its own.
			start := time.Now().Add(24 * time.Hour)
			waits := fakeTime(c, start)
			r := f.req("GET")
			build := r.Build
			r.Build = func(ctx context.Context, tok string) (*http.Request, error) {
				req, err := build(ctx, tok)
				req.URL.RawQuery = "retry_after=" + tc.retryAfter
				return req, err
			}
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(tc.deadline))
			defer cancel()
			resp, err := c.Call(ctx, r)
			if err != nil || resp.Status != 503 {
				t.Fatalf("%v %v", resp, err)
			}
			if n := f.calls.Load(); n != tc.wantCalls {
				t.Fatalf("%d calls, want %d", n, tc.wantCalls)
			}
			if !slices.Equal(*waits, tc.wantWaits) {
				t.Fatalf("waited %v, want %v (the vendor's Retry-After)", *waits, tc.wantWaits)
			}
		})
	}
}

// TestRetryWaitsARetryAfterDate: a vendor's Retry-After given as an HTTP
// date is waited like one given in seconds.
func TestRetryWaitsARetryAfterDate(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			sent := time.Date(2025, 10, 21, 7, 28, 0, 0, time.UTC)
			w.Header().Set("Date", sent.Format(http.TimeFormat))
			w.Header().Set("Retry-After", sent.Add(3*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	c := NewClient(domain.Vendor("linkflow"), Options{Retry: RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Second}})
	waits := fakeTime(c, time.Now())
	resp, err := c.Call(context.Background(), Request{Op: "GET /x", Method: http.MethodGet, Build: func(ctx context.Context, _ string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}})
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("%v %v", resp, err)
	}
	if !slices.Equal(*waits, []time.Duration{3 * time.Second}) {
		t.Fatalf("waited %v, want the 3 s the date asks for", *waits)
	}
}

func TestCallerCancellationReachesTheVendorCall(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := NewClient(domain.Vendor("linkflow"), Options{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := c.Call(ctx, Request{Op: "GET /x", Method: "GET", Build: func(ctx context.Context, _ string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the caller's cancellation", err)
	}
	if c.Status().Breaker != "closed" {
		t.Fatal("a cancelled call counted against the vendor")
	}
}

func TestBreakerOpensFailsFastAndRecovers(t *testing.T) {
	t.Parallel()
	f := newFlaky(t, 1000, 500)
	c := NewClient(domain.Vendor("linkflow"), Options{
		Retry:   RetryPolicy{MaxAttempts: 1},
		Breaker: BreakerSettings{Failures: 3, OpenFor: 300 * time.Millisecond},
	})
	for range 3 {
		if resp, err := c.Call(context.Background(), f.req("GET")); err != nil || resp.Status != 500 {
			t.Fatalf("%v %v", resp, err)
		}
	}
	if st := c.Status(); st.Breaker != "open" || st.BreakerRetryAfter <= 0 {
		t.Fatalf("status %+v after 3 failures, want open", st)
	}
	_, err := c.Call(context.Background(), f.req("GET"))
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != domain.VendorCircuitOpen || ve.RetryAfter <= 0 || ve.RetryAfter > time.Second {
		t.Fatalf("err = %v, want VendorCircuitOpen with a Retry-After up to the open period", err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("the vendor saw %d calls while the breaker was open", n)
	}
	f.heal()
	deadline := time.Now().Add(5 * time.Second)
	for c.Status().Breaker == "open" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := c.Call(context.Background(), f.req("GET"))
	if err != nil || resp.Status != 200 {
		t.Fatalf("probe: %v %v", resp, err)
	}
	if st := c.Status(); st.Breaker != "closed" {
		t.Fatalf("breaker %s after a good probe", st.Breaker)
	}
}

// TestOneBreakerCountPerCall: a caller's request counts once against the
// breaker, however many attempts its token fetch and its retries make, and
// the token fetch makes at most TokenAttempts.
func TestOneBreakerCountPerCall(t *testing.T) {
	t.Parallel()
	var tokenCalls, apiCalls atomic.Int32
	var apiDown atomic.Bool
	tokenDown := atomic.Bool{}
	tokenDown.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			tokenCalls.Add(1)
			if tokenDown.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
		default:
			apiCalls.Add(1)
			if apiDown.Load() {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c := NewClient(domain.Vendor("linkflow"), Options{
		Retry:   RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Second},
		Breaker: BreakerSettings{Failures: 5, OpenFor: time.Hour},
	})
	fakeTime(c, time.Now())
	get := func(path string, public bool) Request {
		return Request{Op: "GET " + path, Method: http.MethodGet, Public: public, Build: func(ctx context.Context, _ string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		}}
	}
	c.Auth = &Auth{
		Fetch: func(ctx context.Context) (Token, error) {
			resp, err := c.Call(ctx, get("/token", true))
			if err != nil {
				return Token{}, err
			}
			if resp.Status != http.StatusOK {
				return Token{}, &domain.VendorError{Vendor: c.Vendor(), Kind: StatusKind(resp.Status), Status: resp.Status, Detail: "token call failed"}
			}
			return Token{Value: "tok", Expires: time.Now().Add(time.Hour)}, nil
		},
		Rejected: func(*Response) bool { return false },
	}
	failures := func() uint32 { return c.breaker.Counts().ConsecutiveFailures }

	// A vendor that is down: each request is one failure, with at most
	// TokenAttempts token calls.
	for i := range 4 {
		_, err := c.Call(context.Background(), get("/x", false))
		var ve *domain.VendorError
		if !errors.As(err, &ve) || ve.Kind != domain.VendorUnavailable {
			t.Fatalf("request %d: %v, want the token call's failure", i+1, err)
		}
		if n := tokenCalls.Load(); n != int32(2*(i+1)) {
			t.Fatalf("request %d: %d token calls in all, want %d per request", i+1, n, 2)
		}
		if f := failures(); f != uint32(i+1) || c.Status().Breaker != "closed" {
			t.Fatalf("request %d: breaker %s with %d consecutive failures, want closed with %d", i+1, c.Status().Breaker, f, i+1)
		}
	}

	// Retries of a failing call are one failure too; a success resets.
	tokenDown.Store(false)
	if resp, err := c.Call(context.Background(), get("/x", false)); err != nil || resp.Status != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	apiDown.Store(true)
	apiCalls.Store(0)
	if resp, err := c.Call(context.Background(), get("/x", false)); err != nil || resp.Status != http.StatusBadGateway {
		t.Fatalf("%v %v", resp, err)
	}
	if n, f := apiCalls.Load(), failures(); n != 5 || f != 1 {
		t.Fatalf("%d attempts counted as %d failures, want 5 attempts and 1 failure", n, f)
	}
	for range 4 {
		_, _ = c.Call(context.Background(), get("/x", false))
	}
	if st := c.Status(); st.Breaker != "open" {
		t.Fatalf("breaker %s after 5 failed requests, want open", st.Breaker)
	}
	_, err := c.Call(context.Background(), get("/x", false))
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != domain.VendorCircuitOpen {
		t.Fatalf("%v, want VendorCircuitOpen", err)
	}
}

func TestBreakerIgnoresClientErrors(t *testing.T) {
	t.Parallel()
	for _, code := range []int{400, 401, 404, 409, 429} {
		f := newFlaky(t, 1000, code)
		c := NewClient(domain.Vendor("linkflow"), Options{Breaker: BreakerSettings{Failures: 2}})
		for range 5 {
			_, _ = c.Call(context.Background(), f.req("GET"))
		}
		if st := c.Status(); st.Breaker != "closed" || f.calls.Load() != 5 {
			t.Errorf("%d answers opened the breaker (%+v, %d calls)", code, st, f.calls.Load())
		}
	}
}

func TestQuotaRefusesWithoutCallingTheVendor(t *testing.T) {
	t.Parallel()
	f := newFlaky(t, 0, 200)
	store := memory.NewQuota(memory.QuotaOptions{})
	opts := Options{Tenant: "acme", Quota: Quota{Calls: 3, Per: time.Hour}, QuotaStore: store}
	replicas := []*Client{NewClient(domain.Vendor("meihua"), opts), NewClient(domain.Vendor("meihua"), opts)}
	for i := range 3 {
		if _, err := replicas[i%2].Call(context.Background(), f.req("GET")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := replicas[1].Call(context.Background(), f.req("GET"))
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != domain.VendorRateLimited || ve.RetryAfter <= 0 || ve.RetryAfter > time.Hour {
		t.Fatalf("err = %v, want VendorRateLimited with the time left in the hour", err)
	}
	if f.calls.Load() != 3 {
		t.Fatalf("the vendor saw %d calls, want 3", f.calls.Load())
	}
	// Another tenant has its own budget; a refusal never opens the breaker.
	other := NewClient(domain.Vendor("meihua"), Options{Tenant: "globex", Quota: opts.Quota, QuotaStore: store, Breaker: BreakerSettings{Failures: 1}})
	if _, err := other.Call(context.Background(), f.req("GET")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, _ = replicas[0].Call(context.Background(), f.req("GET"))
	}
	if replicas[0].Status().Breaker != "closed" {
		t.Fatal("quota refusals opened the breaker")
	}
}

func TestRejectedTokenIsReplacedOnce(t *testing.T) {
	t.Parallel()
	var sends atomic.Int32
	valid := atomic.Value{}
	valid.Store("t2")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sends.Add(1)
		if r.Header.Get("Token") != valid.Load().(string) {
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	store := memory.NewTokens(memory.TokensOptions{})
	c := NewClient(domain.Vendor("linkflow"), Options{Tenant: "acme", Tokens: NewTokens(store, nil)})
	var fetches atomic.Int32
	c.Auth = &Auth{
		Fetch: func(context.Context) (Token, error) {
			n := fetches.Add(1)
			return Token{Value: "t" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour)}, nil
		},
		Rejected: func(r *Response) bool { return r.Status == 401 },
	}
	req := Request{Op: "GET /x", Method: "GET", Build: func(ctx context.Context, tok string) (*http.Request, error) {
		r, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		r.Header.Set("Token", tok)
		return r, err
	}}
	resp, err := c.Call(context.Background(), req)
	if err != nil || resp.Status != 200 || fetches.Load() != 2 || sends.Load() != 2 {
		t.Fatalf("%v %v: %d fetches, %d sends; want t1 rejected, t2 fetched and used", resp, err, fetches.Load(), sends.Load())
	}
	if tok, ok, _ := store.Token(context.Background(), "acme/linkflow"); !ok || tok.Value != "t2" {
		t.Fatalf("shared store holds %v %v, want t2", tok, ok)
	}
	// A vendor that keeps refusing: one new token, then its answer.
	valid.Store("never")
	sends.Store(0)
	resp, err = c.Call(context.Background(), req)
	if err != nil || resp.Status != 401 || sends.Load() != 2 {
		t.Fatalf("%v %v after %d sends", resp, err, sends.Load())
	}
}

// TestTokenStampedeAcrossReplicas: three processes' caches over one shared
// store, cold, under 300 concurrent calls: one vendor token call in all.
func TestTokenStampedeAcrossReplicas(t *testing.T) {
	t.Parallel()
	store := memory.NewTokens(memory.TokensOptions{})
	replicas := []*Tokens{NewTokens(store, nil), NewTokens(store, nil), NewTokens(store, nil)}
	var fetches atomic.Int32
	fetch := func(context.Context) (Token, error) {
		fetches.Add(1)
		time.Sleep(30 * time.Millisecond)
		return Token{Value: "shared", Expires: time.Now().Add(time.Hour)}, nil
	}
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			tok, _, err := replicas[i%3].get(context.Background(), "acme/linkflow", fetchFunc(fetch))
			if err != nil || tok.Value != "shared" {
				t.Errorf("Get = %v %v", tok, err)
			}
		})
	}
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d token fetches, want 1", n)
	}
}

func TestTokensHotPathAndStoreOutage(t *testing.T) {
	t.Parallel()
	store := newHookStore(nil)
	tokens := NewTokens(store, nil)
	n := 0
	fetch := func(context.Context) (Token, error) {
		n++
		return Token{Value: "t" + string(rune('0'+n)), Expires: time.Now().Add(time.Hour)}, nil
	}
	if _, hit, err := tokens.get(context.Background(), "k", fetchFunc(fetch)); err != nil || hit {
		t.Fatalf("cold Get: hit=%v err=%v", hit, err)
	}
	reads := store.reads.Load()
	for range 100 {
		if _, hit, _ := tokens.get(context.Background(), "k", fetchFunc(fetch)); !hit {
			t.Fatal("cached token missed")
		}
	}
	if store.reads.Load() != reads {
		t.Fatal("a cached token cost a shared-store round trip")
	}
	store.down.Store(true)
	if tok, _, err := tokens.get(context.Background(), "k", fetchFunc(fetch)); err != nil || tok.Value != "t1" {
		t.Fatalf("with the store down a cached token must keep working: %v %v", tok, err)
	}
	tokens.invalidate(context.Background(), "k", "t1")
	if tok, _, err := tokens.get(context.Background(), "k", fetchFunc(fetch)); err != nil || tok.Value != "t2" {
		t.Fatalf("with the store down a new token is fetched directly: %v %v", tok, err)
	}
}

func TestRefreshTokenRotationIsCompareAndSwap(t *testing.T) {
	t.Parallel()
	c := NewClient(domain.Vendor("meihua"), Options{Tenant: "acme"})
	c.Auth = &Auth{Refresh: func(context.Context, string) (Grant, error) {
		t.Error("a rotated grant's token was not used")
		return Grant{}, errors.New("unexpected refresh")
	}}
	src := c.TokenSource()
	ctx := context.Background()
	grant := func(r string) Grant {
		return Grant{Token: Token{Value: "access-" + r, Expires: time.Now().Add(time.Hour)}, Refresh: r}
	}
	if ok, err := src.Rotate(ctx, "", grant("r1")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := src.Rotate(ctx, "r0", grant("r2")); ok {
		t.Fatal("a stale rotation won")
	}
	if r, ok, _ := src.RefreshToken(ctx); !ok || r != "r1" {
		t.Fatal(r, ok)
	}
	if tok, hit, err := src.Token(ctx); err != nil || !hit || tok.Value != "access-r1" {
		t.Fatalf("Token = %v %v %v; want the winning grant's access token, cached", tok, hit, err)
	}
}

func TestStatusNeverShowsTheToken(t *testing.T) {
	t.Parallel()
	f := newFlaky(t, 0, 200)
	c := NewClient(domain.Vendor("linkflow"), Options{Tenant: "acme"})
	if st := c.Status(); st.Token != "" || st.Breaker != "closed" {
		t.Fatalf("%+v", st)
	}
	c.Auth = &Auth{Fetch: func(context.Context) (Token, error) {
		return Token{Value: "secret-token", Expires: time.Now().Add(time.Hour)}, nil
	}, Rejected: func(*Response) bool { return false }}
	if st := c.Status(); st.Token != "none" {
		t.Fatalf("%+v", st)
	}
	if _, err := c.Call(context.Background(), f.req("GET")); err != nil {
		t.Fatal(err)
	}
	st := c.Status()
	if st.Token != "cached" || st.TokenExpires.IsZero() || strings.Contains(strings.ToLower(fmtStatus(st)), "secret") {
		t.Fatalf("%+v", st)
	}
}

func fmtStatus(st domain.ConnectionStatus) string {
	return st.Breaker + st.Token + st.TokenExpires.String()
}

func TestCallTelemetry(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tel, err := telemetry.New(context.Background(), telemetry.Options{SpanExporter: spans, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	f := newFlaky(t, 1, 503)
	c := NewClient(domain.Vendor("linkflow"), fastRetry(Options{Tenant: "acme", Telemetry: tel}))
	c.Auth = &Auth{Fetch: func(ctx context.Context) (Token, error) {
		return Token{Value: "tok", Expires: time.Now().Add(time.Hour)}, nil
	}, Rejected: func(*Response) bool { return false }}
	if _, err := c.Call(context.Background(), f.req("GET")); err != nil {
		t.Fatal(err)
	}
	got := spans.GetSpans()
	if len(got) != 2 {
		t.Fatalf("%d spans, want one per attempt (2)", len(got))
	}
	for i, s := range got {
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.String()
		}
		want := map[string]string{"cdpgw.vendor": "linkflow", "cdpgw.tenant": "acme", "cdpgw.vendor.operation": "GET /x",
			"cdpgw.breaker.state": "closed", "cdpgw.attempt": string(rune('1' + i))}
		for k, v := range want {
			if attrs[k] != v {
				t.Errorf("span %d %s = %q, want %q", i, k, attrs[k], v)
			}
		}
		if s.Name != "linkflow GET /x" || attrs["http.response.status_code"] == "" || attrs["cdpgw.token.cache"] == "" {
			t.Errorf("span %d: %s %v", i, s.Name, attrs)
		}
	}
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, m := range []string{"cdpgw_vendor_calls_total", "cdpgw_vendor_call_duration_seconds", "cdpgw_vendor_call_retries_total", "cdpgw_vendor_token_fetches_total"} {
		if !strings.Contains(rec.Body.String(), m) {
			t.Errorf("metric %s missing", m)
		}
	}
}

func TestOpName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/open/contacts":                   "GET /open/contacts",
		"/v2/contacts/12345":               "GET /v2/contacts/{id}",
		"/contacts/987/identities":         "GET /contacts/{id}/identities",
		"/open/groups/g_1a/contacts":       "GET /open/groups/{id}/contacts",
		"/v2/contacts/meta/properties":     "GET /v2/contacts/meta/properties",
		"/open/" + strings.Repeat("x", 40): "GET /open/{id}",
	} {
		if got := OpName("GET", in); got != want {
			t.Errorf("OpName(%q) = %q, want %q", in, got, want)
		}
	}
}
