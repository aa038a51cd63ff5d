package http

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// cannedVendor answers every passthrough call with one fixed answer, so
// that a benchmark measures the gateway's own work around a vendor call.
type cannedVendor struct {
	status int
	body   json.RawMessage
}

func (cannedVendor) Vendor() domain.Vendor         { return "meihua" }
func (cannedVendor) PassthroughPrefixes() []string { return []string{"/contact"} }
func (c cannedVendor) Passthrough(context.Context, domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	return domain.PassthroughResponse{Status: c.status, Body: c.body}, nil
}

// cannedSetting is a vendor answer of the size of Meihua's
// /contact/setting (about 2 KiB, non-ASCII names).
func cannedSetting() json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"success":true,"data":{"id":7,"setting":[`)
	for i := range 16 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"field":"mobilePhone","name":"手机","isOrigin":true,"isShowInQuery":true,"orderby":8,"type":1}`)
	}
	b.WriteString(`]}}`)
	return json.RawMessage(b.String())
}

// newCannedHandler builds the whole handler over one tenant "acme" on
// vendor v, with the key "key-w" (read and write on acme).
func newCannedHandler(tb testing.TB, v cannedVendor, edit ...func(*Config)) http.Handler {
	tb.Helper()
	return handlerOver(tb, v, "mh", Config{Keys: []APIKey{
		{Name: "lt", SHA256: HashKey("key-w"), Scopes: []Scope{ScopeRead, ScopeWrite}, Tenants: []string{"acme"}}}}, edit...)
}

// discardWriter is a ResponseWriter that keeps nothing but the status, so
// that the benchmark counts the handler's allocations and not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// BenchmarkPassthroughChain runs POST /v1/passthrough through the whole
// handler (observe, authorize, body limit, validator, tenant binding,
// strict handler, answer) over a vendor that answers at once, with the
// production telemetry (tracing and metrics on, no exporter) and a logger
// at warn, as the gateway runs. allocs/op is the gateway's per request.
func BenchmarkPassthroughChain(b *testing.B) {
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	h := newCannedHandler(b, cannedVendor{status: http.StatusOK, body: cannedSetting()}, func(c *Config) {
		c.Telemetry = tel
		c.Logger = slog.New(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	body := []byte(`{"method":"GET","path":"/contact/setting"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://gw/v1/passthrough", nil)
	req.Header.Set("Authorization", "Bearer key-w")
	req.Header.Set("X-Tenant-ID", "acme")
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	rd := bytes.NewReader(body)
	w := &discardWriter{h: http.Header{}}
	serve := func() {
		rd.Reset(body)
		req.Body = readCloser{rd}
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	serve()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
