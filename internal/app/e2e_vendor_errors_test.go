package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

// TestVendorRetryAfterDate: a vendor's Retry-After given as an HTTP date
// reaches the caller as the seconds it stands for.
func TestVendorRetryAfterDate(t *testing.T) {
	e := newEnv(t)
	sent := time.Date(2025, 10, 21, 7, 28, 0, 0, time.UTC)
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Status: 429, ContentType: "application/json", Body: `{"status":429}`,
		Header: http.Header{"Date": {sent.Format(http.TimeFormat)}, "Retry-After": {sent.Add(2 * time.Minute).Format(http.TimeFormat)}}})
	r := e.get("/v1/groups")
	r.problem(t, http.StatusTooManyRequests, "VENDOR_RATE_LIMITED")
	if got := r.Header.Get("Retry-After"); got != "120" {
		t.Fatalf("Retry-After %q, want 120 (the vendor's date, 2 minutes after its Date)", got)
	}
}
