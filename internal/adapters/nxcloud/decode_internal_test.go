package nxcloud

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// demoPage is the demo simulator's answer to a query of the first limit
// customers, as the adapter receives it, with the adapter and the call
// that asked for it: the page the load test's list50 path reads.
func demoPage(tb testing.TB, limit int) (*Adapter, *vendorhttp.Response, call) {
	tb.Helper()
	d, err := demo(vendorhttp.DemoOptions{Contacts: 1200, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(d.Simulator)
	tb.Cleanup(srv.Close)
	a, err := New(Config{BaseURL: srv.URL, AccessKey: demoAccessKey, AccessSecret: demoAccessSecret, AppKey: demoAppKey, TenantID: demoTenantID})
	if err != nil {
		tb.Fatal(err)
	}
	b := a.queryBodyOf(domain.ContactQuery{}, 0)
	b.Limit = limit
	payload, err := jsonBody(b)
	if err != nil {
		tb.Fatal(err)
	}
	c := call{method: http.MethodPost, path: pathQuery, body: payload, idempotent: true}
	resp, err := a.send(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	return a, resp, c
}

// BenchmarkCustomerPage reads and converts a page of 50 demo customers as
// the simulator answers it: the adapter's share of GET
// /v1/contacts?limit=50.
func BenchmarkCustomerPage(b *testing.B) {
	a, resp, c := demoPage(b, maxQuery)
	ctx := context.Background()
	b.SetBytes(int64(len(resp.Body)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := a.readCustomers(ctx, resp, c)
		if err != nil || len(got) != maxQuery {
			b.Fatalf("%d contacts, %v", len(got), err)
		}
	}
}
