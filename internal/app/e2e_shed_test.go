package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// TestShedding: with max_in_flight_requests: 1 and one call held at its
// vendor, the next API request is answered 503 OVERLOADED with
// Retry-After, as the spec says (env.do checks every answer against it);
// the probes are still served; a reload that raises the bound takes at
// once, with the held call still in flight.
func TestShedding(t *testing.T) {
	sb, cfg := newSandbox(t, func(c *config.Config) {
		c.MaxInFlight = 1
		s := c.Vendors["linkflow"]
		s.Timeout = 10 * time.Minute // the held call ends when the test cancels it
		c.Vendors["linkflow"] = s
	})
	a, err := app.New(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, sb: sb, cfg: cfg, sim: linkflowSim(sb, tenantLF), logs: &vendortest.LogBuffer{}, spec: newSpecCheck(t, nil)}
	capabilities := req{method: http.MethodGet, path: "/v1/capabilities", key: keyAll, tenant: tenantLF}
	if r := e.do(capabilities); r.Status != http.StatusOK {
		t.Fatalf("capabilities: %d %s", r.Status, r.Body)
	}

	e.sim.InjectFault(linkflowtest.Fault{Method: http.MethodGet, Delay: 10 * time.Minute})
	before := len(e.sim.Requests())
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan struct{})
	go func() {
		defer close(held)
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/contacts?limit=2", nil)
		if err != nil {
			t.Error(err)
			return
		}
		r.Header.Set("Authorization", "Bearer "+keyAll)
		r.Header.Set("X-Tenant-ID", tenantLF)
		if resp, err := http.DefaultClient.Do(r); err == nil {
			_ = resp.Body.Close()
		}
	}()
	defer func() { cancel(); <-held }()
	for deadline := time.Now().Add(10 * time.Second); len(e.sim.Requests()) == before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the held call never reached the simulator")
		}
	}

	r := e.do(capabilities)
	r.problem(t, http.StatusServiceUnavailable, "OVERLOADED")
	if r.Header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q, want 1", r.Header.Get("Retry-After"))
	}
	e.do(req{method: http.MethodGet, path: "/v1/capabilities", tenant: tenantLF}).problem(t, http.StatusServiceUnavailable, "OVERLOADED")
	for _, probe := range []string{"/healthz", "/readyz"} {
		if r := e.do(req{method: http.MethodGet, path: probe}); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", probe, r.Status, r.Body)
		}
	}

	more := *cfg
	more.MaxInFlight = 2
	if _, err := a.Reload(context.Background(), &more); err != nil {
		t.Fatal(err)
	}
	if r := e.do(capabilities); r.Status != http.StatusOK {
		t.Fatalf("after the reload to 2: %d %s", r.Status, r.Body)
	}
}
