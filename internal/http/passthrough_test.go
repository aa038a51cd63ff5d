package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestPassthroughAnswerKeepsTheVendorBytes: the vendor's body comes back
// inside the envelope as the very bytes the adapter returned (spacing,
// number spellings, characters encoding/json would escape), the envelope
// is JSON and its Content-Length is exact; an empty vendor body leaves
// body out.
func TestPassthroughAnswerKeepsTheVendorBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"object", 200, `{ "n": 12345678901234567890, "x": 1.50e0, "s": "<b>&amp;</b> \u2028" }`,
			`{"status":200,"body":{ "n": 12345678901234567890, "x": 1.50e0, "s": "<b>&amp;</b> \u2028" }}` + "\n"},
		{"vendor error", 404, `[1, 2]`, `{"status":404,"body":[1, 2]}` + "\n"},
		{"empty", 204, ``, `{"status":204}` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newCannedHandler(t, cannedVendor{status: c.status, body: json.RawMessage(c.body)})
			r := httptest.NewRequest(http.MethodPost, "/v1/passthrough", strings.NewReader(`{"method":"GET","path":"/contact/setting"}`))
			r.Header.Set("Authorization", "Bearer key-w")
			r.Header.Set("X-Tenant-ID", "acme")
			r.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK || rec.Body.String() != c.want {
				t.Fatalf("%d %q, want 200 %q", rec.Code, rec.Body, c.want)
			}
			if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("not a JSON answer: %v %q", rec.Header(), rec.Body)
			}
			if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
				t.Fatalf("Content-Length %q for %d bytes", got, rec.Body.Len())
			}
		})
	}
}
