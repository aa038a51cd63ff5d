package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// BenchmarkOverhead measures one page of 20 contacts three ways, side by
// side in one run: straight to the Linkflow simulator, through a bare
// httputil.ReverseProxy, and through the gateway (auth, validation,
// tenant binding, adapter, mapping, cursor). It reports each as ns per call
// and the gateway's cost relative to the other two.
func BenchmarkOverhead(b *testing.B) {
	sim := linkflowtest.New(linkflowtest.Config{AppKey: "k", AppSecret: "s", MaxRecordedRequests: -1})
	linkflowtest.SeedDemo(sim, linkflowtest.DemoOptions{Contacts: 200, Seed: 1, Now: time.Now()})
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	token := simToken(b, simSrv.URL)

	target, _ := url.Parse(simSrv.URL)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	defer proxy.Close()

	sb, err := sandbox.Start(sandbox.Options{Drivers: builtin, Contacts: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	cfg := sb.Config
	for i, t := range cfg.Tenants {
		if t.ID == tenantLF {
			cfg.Tenants[i].Connections[0].URLs = map[string]string{"base_url": simSrv.URL, "cdp_base_url": simSrv.URL}
			cfg.Tenants[i].Connections[0].Credentials["app_key"] = cfgSecret("k")
			cfg.Tenants[i].Connections[0].Credentials["app_secret"] = cfgSecret("s")
		}
	}
	a, err := app.New(context.Background(), cfg, app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = a.Close() }()
	gw := httptest.NewServer(a.Handler)
	defer gw.Close()

	// The production shape: tracing and metrics on (no exporter), shared
	// state in a real Redis. A cached token and binding cost no Redis trip.
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	rs := redistest.Start(b)
	stores, err := app.RedisStores(context.Background(), rs.URL(), cfg, app.RedisOptions{Telemetry: tel})
	if err != nil {
		b.Fatal(err)
	}
	defer stores.Close()
	ap, err := app.New(context.Background(), cfg, app.Options{Telemetry: tel, Stores: stores})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = ap.Close() }()
	gwProd := httptest.NewServer(ap.Handler)
	defer gwProd.Close()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	direct := func() *http.Request {
		r, _ := http.NewRequest("GET", simSrv.URL+"/open/contacts?page=0&size=20", nil)
		r.Header.Set("X-OpenApi-Token", token)
		return r
	}
	proxied := func() *http.Request {
		r, _ := http.NewRequest("GET", proxy.URL+"/open/contacts?page=0&size=20", nil)
		r.Header.Set("X-OpenApi-Token", token)
		return r
	}
	gatewayAt := func(base string) func() *http.Request {
		return func() *http.Request {
			r, _ := http.NewRequest("GET", base+"/v1/contacts?limit=20", nil)
			r.Header.Set("Authorization", "Bearer "+sandbox.APIKey)
			r.Header.Set("X-Tenant-ID", tenantLF)
			return r
		}
	}
	gateway, gatewayProd := gatewayAt(gw.URL), gatewayAt(gwProd.URL)
	call := func(newReq func() *http.Request) {
		res, err := client.Do(newReq())
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
	for _, f := range []func() *http.Request{direct, proxied, gateway, gatewayProd} {
		call(f) // warm connections and the token cache
	}
	measure := func(newReq func() *http.Request) float64 {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			call(newReq)
		}
		return float64(time.Since(start).Nanoseconds()) / float64(b.N)
	}
	b.ResetTimer()
	d, p, g, gp := measure(direct), measure(proxied), measure(gateway), measure(gatewayProd)
	b.StopTimer()
	b.ReportMetric(d, "direct-ns/call")
	b.ReportMetric(p, "proxy-ns/call")
	b.ReportMetric(g, "gateway-ns/call")
	b.ReportMetric(gp, "gateway+redis+otel-ns/call")
	b.ReportMetric(g/d, "gateway/direct")
	b.ReportMetric(g/p, "gateway/proxy")
	b.ReportMetric(gp/p, "gateway+redis+otel/proxy")
}

func simToken(b *testing.B, base string) string {
	b.Helper()
	r, _ := http.NewRequest("GET", base+"/token", nil)
	r.Header.Set("X-OpenApi-Key", "k")
	r.Header.Set("X-OpenApi-Secret", "s")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Token string }
	if err := decodeJSON(res.Body, &body); err != nil || body.Token == "" {
		b.Fatalf("token: %v", err)
	}
	return body.Token
}
