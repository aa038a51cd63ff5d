package meihua

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
)

// demoPage is the simulator's answer to GET /contact/all?page=1&limit=50
// over the demo data the load harness serves: 50 contacts, about 56 KB.
func demoPage(tb testing.TB) *vendorhttp.Response {
	tb.Helper()
	sim := meihuatest.New(meihuatest.Config{ClientID: "k", ClientSecret: "s", RedirectURI: meihuatest.DefaultRedirectURI})
	meihuatest.SeedDemo(sim, meihuatest.DemoOptions{Contacts: 200, Seed: 1, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	access, _ := sim.Grant()
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/contact/all?page=1&limit=50&token="+access, nil))
	if rec.Code != http.StatusOK {
		tb.Fatalf("simulator answered %d: %s", rec.Code, rec.Body)
	}
	return &vendorhttp.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func testAdapter(tb testing.TB) *Adapter {
	tb.Helper()
	a, err := New(Config{AppKey: "k", AppSecret: "s"})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// BenchmarkContactPage reads a page of 50 contacts as the simulator
// answers it: the envelope, the records and their conversion.
func BenchmarkContactPage(b *testing.B) {
	a, resp := testAdapter(b), demoPage(b)
	b.SetBytes(int64(len(resp.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if got, err := a.contacts(b.Context(), resp, "GET /contact/all"); err != nil || len(got) != 50 {
			b.Fatalf("%d contacts, %v", len(got), err)
		}
	}
}
