package linkflowtest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

// BenchmarkOrders is the load harness's Linkflow passthrough call (GET
// /open/orders?lastMaxId=0 on the demo data), served in process.
func BenchmarkOrders(b *testing.B) {
	sim := linkflowtest.New(linkflowtest.Config{AppKey: testKey, AppSecret: testSecret})
	linkflowtest.SeedDemo(sim, linkflowtest.DemoOptions{Contacts: 1200, Seed: 1, Now: t0})
	tok := benchToken(b, sim)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/open/orders?lastMaxId=0", nil)
		req.Header.Set("X-OpenApi-Token", tok)
		req.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		sim.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
}

func benchToken(b *testing.B, sim *linkflowtest.Server) string {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, "/token", nil)
	req.Header.Set("X-OpenApi-Key", testKey)
	req.Header.Set("X-OpenApi-Secret", testSecret)
	w := httptest.NewRecorder()
	sim.ServeHTTP(w, req)
	var tr struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || tr.Token == "" {
		b.Fatalf("token: %d %s", w.Code, w.Body)
	}
	return tr.Token
}
