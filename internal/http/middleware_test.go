package http

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// TestCallerRequestIDs: a caller's X-Request-Id is adopted when it is a
// sane token (1 to 128 of A-Z a-z 0-9 . _ : -) and replaced otherwise; the
// handler sees the id the answer carries.
func TestCallerRequestIDs(t *testing.T) {
	t.Parallel()
	var seen string
	h := observe(slog.New(slog.DiscardHandler), telemetry.Nop())(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = requestIDFrom(r.Context())
	}))
	for _, c := range []struct {
		id    string
		adopt bool
	}{
		{"abc-123", true},
		{"A.b_c:d-9", true},
		{strings.Repeat("x", 128), true},
		{strings.Repeat("x", 129), false},
		{"", false},
		{"has space", false},
		{"semi;colon", false},
		{"üñï", false},
		{"new\nline", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-Request-Id", c.id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		got := rec.Header().Get("X-Request-Id")
		if (got == c.id) != c.adopt || got == "" || seen != got {
			t.Errorf("X-Request-Id %q: answered %q, handler saw %q, adopt %v", c.id, got, seen, c.adopt)
		}
	}
}
