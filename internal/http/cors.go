package http

import (
	"net/http"
	"time"

	"github.com/rs/cors"
)

// CORS lets browser pages of other origins call the gateway (the tenants
// file's cors; the sandbox's localhost default). A nil *CORS in Config
// answers no cross-origin request: no CORS header at all.
type CORS struct {
	// AllowedOrigins are exact origins (https://admin.example.com), "*" for
	// every origin, or origins with one "*" standing for any text (the
	// sandbox's http://localhost:*; the tenants file takes exact origins
	// only).
	AllowedOrigins   []string
	AllowCredentials bool
	// MaxAge is how long a browser may cache a preflight answer; 0 sends
	// none (the browser's default, seconds).
	MaxAge time.Duration
}

// corsRequestHeaders are the request headers a browser may send: those the
// API reads, and trace context.
var corsRequestHeaders = []string{
	"Authorization", "Content-Type", "X-Tenant-ID", "Idempotency-Key", "If-Match",
	"X-Request-Id", "traceparent", "tracestate",
}

// corsExposedHeaders are the response headers a page's script may read,
// besides the ones browsers always show (Content-Type, Cache-Control …).
var corsExposedHeaders = []string{"X-Request-Id", "ETag", "Retry-After", "Idempotent-Replayed", "X-Vendor", "Location"}

// corsMethods are the methods the API's operations use.
var corsMethods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
}

// corsPolicy answers preflights (OPTIONS with Origin and
// Access-Control-Request-Method) itself, 204 and never passed on: they
// carry no Authorization, so they must not meet authorize, and they are
// no API operation. Other requests from an allowed origin get the CORS
// headers before anything below runs, so every answer, a 401 problem
// too, can be read by the page. A disallowed origin gets none.
func corsPolicy(c CORS) func(http.Handler) http.Handler {
	maxAge := int(c.MaxAge / time.Second)
	return cors.New(cors.Options{
		AllowedOrigins:   c.AllowedOrigins,
		AllowedMethods:   corsMethods,
		AllowedHeaders:   corsRequestHeaders,
		ExposedHeaders:   corsExposedHeaders,
		AllowCredentials: c.AllowCredentials,
		MaxAge:           maxAge,
	}).Handler
}
