package nxcloud_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials distinctive enough that finding them in an error text means
// they leaked.
const (
	accessKey    = "nx-ACCESSKEY-71c0d2"
	accessSecret = "nx-SECRET-5c1e9a44"
	appKey       = "nx-APPKEY-9b3f"
	tenantID     = int64(4242)
)

// bigID is the simulator's first customer id: the docs' sample id, far
// beyond 2^53; bigID and bigID+1 are the same float64.
const bigID int64 = 1021110718827683840

// env is one simulator served under a base path and an adapter pointed at
// it. The simulator keeps the real time (net/http writes the real time in
// its Date header); the adapter's clock is the real time plus an offset a
// test may set.
type env struct {
	vendortest.Checks // must, wantVendor, wantValidation, wantNotFound
	t                 *testing.T
	sim               *nxcloudtest.Server
	base              string
	ad                *nxcloud.Adapter
	cfg               nxcloud.Config
	logs              *vendortest.LogBuffer
	offset            atomic.Int64 // the adapter clock's offset from the real time, ns
	// tamper, while set, changes a byte of every signed body after
	// signing, on its way to the simulator.
	tamper atomic.Bool

	watch *vendortest.SecretWatch // the access secret
}

type envConfig struct {
	sim nxcloudtest.Config
	ad  nxcloud.Config
}

// newEnv starts a simulator and an adapter. At cleanup it checks that no
// error the test saw carries the access secret.
func newEnv(t *testing.T, mods ...func(*envConfig)) *env {
	t.Helper()
	e := &env{t: t, logs: &vendortest.LogBuffer{}, watch: vendortest.WatchSecrets(t, accessSecret)}
	e.Checks = vendortest.Checks{T: t, Vendor: nxcloud.Driver.Vendor, Watch: e.watch}
	ec := envConfig{
		sim: nxcloudtest.Config{AccessKey: accessKey, AccessSecret: accessSecret, TenantID: tenantID, AppKey: appKey, FirstID: bigID},
		// Retries and the breaker are vendorhttp's and tested there: here
		// every fault reaches the adapter once.
		ad: nxcloud.Config{AccessKey: accessKey, AccessSecret: accessSecret, AppKey: appKey, TenantID: tenantID, Now: e.now,
			Client: vendorhttp.Options{
				Tenant: "t1", HTTP: &http.Client{Transport: &tamperer{e: e, next: http.DefaultTransport}},
				Retry: vendorhttp.RetryPolicy{MaxAttempts: 1}, Breaker: vendorhttp.BreakerSettings{Failures: 1 << 20},
				Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			}},
	}
	for _, m := range mods {
		m(&ec)
	}
	e.sim = nxcloudtest.New(ec.sim)
	e.base = vendortest.Start(t, "/nx", e.sim)
	if ec.ad.BaseURL == "" {
		ec.ad.BaseURL = e.base
	}
	e.cfg = ec.ad
	e.ad = e.newAdapter(nil)
	t.Cleanup(func() {
		if e.watch.Holds(e.logs.String()) {
			t.Errorf("the adapter's logs contain the access secret")
		}
	})
	return e
}

func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// setClockOffset puts the adapter's clock d ahead of the real time
// (behind when negative).
func (e *env) setClockOffset(d time.Duration) { e.offset.Store(int64(d)) }

// newAdapter returns another adapter on the same simulator.
func (e *env) newAdapter(mod func(*nxcloud.Config)) *nxcloud.Adapter {
	e.t.Helper()
	cfg := e.cfg
	if mod != nil {
		mod(&cfg)
	}
	ad, err := nxcloud.New(cfg)
	if err != nil {
		e.t.Fatalf("nxcloud.New: %v", err)
	}
	return ad
}

// tamperer is the adapter's transport: it passes requests on, changing
// the body of a signed one (appending a space, which keeps it JSON) while
// the env's tamper is set.
type tamperer struct {
	e    *env
	next http.RoundTripper
}

func (tr *tamperer) RoundTrip(r *http.Request) (*http.Response, error) {
	if !tr.e.tamper.Load() || r.Body == nil || !hasHeader(r.Header, "sign") {
		return tr.next.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	body = append(body, ' ')
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	return tr.next.RoundTrip(r2)
}

// hasHeader reports whether h has a header name in any spelling (the
// adapter sends NXCloud's, which are not Go's canonical ones).
func hasHeader(h http.Header, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// record keeps err for the secret check at cleanup.
func (e *env) record(err error) { e.watch.Record(err) }

// ---- what the simulator received ----

// requests returns the requests to path, oldest first.
func (e *env) requests(path string) []nxcloudtest.RecordedRequest {
	var out []nxcloudtest.RecordedRequest
	for _, r := range e.sim.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// lastBody decodes the body of the last request to path, numbers as
// json.Number.
func (e *env) lastBody(path string) map[string]any {
	e.t.Helper()
	reqs := e.requests(path)
	if len(reqs) == 0 {
		e.t.Fatalf("no request to %s", path)
	}
	return decodeBody(e.t, reqs[len(reqs)-1].Body)
}

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := vendorhttp.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body %s: %v", b, err)
	}
	return m
}

// ---- helpers ----

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func ptr[T any](v T) *T { return &v }

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func contactID(c domain.Contact) string { return c.ID }

// customerIDs are the simulator's customer ids, newest first (the order
// the query lists them).
func (e *env) customerIDs() []string {
	var out []string
	for _, c := range e.sim.Customers() {
		out = append(out, idStr(c.ID))
	}
	return out
}

// envelope is an answer body in NXCloud's envelope.
func envelope(code int, traceID string, data string) string {
	b, _ := json.Marshal(map[string]any{"code": code, "message": "m", "traceId": traceID})
	return strings.TrimSuffix(string(b), "}") + `,"data":` + data + "}"
}
