package vendortest

import (
	"context"
	"net/http"
)

// FaultHeader is the sandbox fault switch: a request to a sandbox gateway
// that carries it makes the simulated vendor fail that request's vendor
// calls the way it names, so that a frontend can try its error paths.
const FaultHeader = "X-Sandbox-Fault"

// SwitchFaults are the values FaultHeader takes and the vendor answer
// each stands for.
var SwitchFaults = map[string]Fault{
	"429":         {Status: http.StatusTooManyRequests, ContentType: "application/json", Header: http.Header{"Retry-After": {"1"}}, Body: `{}`},
	"503":         {Status: http.StatusServiceUnavailable, ContentType: "text/html", Body: "<html>service unavailable</html>"},
	"504":         {Status: http.StatusGatewayTimeout, ContentType: "text/html", Body: "<html>gateway timeout</html>"},
	"vendor-html": {Status: http.StatusOK, ContentType: "text/html", Body: "<html>not the vendor's JSON</html>"},
}

type switchKey struct{}

// WithSwitchFault marks ctx's vendor calls to fail as fault (a key of
// SwitchFaults).
func WithSwitchFault(ctx context.Context, fault string) context.Context {
	return context.WithValue(ctx, switchKey{}, fault)
}

// SwitchTransport carries the fault a request's context names to the
// simulator, in FaultHeader; the simulator kit answers it.
func SwitchTransport(base http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if f, ok := r.Context().Value(switchKey{}).(string); ok {
			r = r.Clone(r.Context())
			r.Header.Set(FaultHeader, f)
		}
		return base.RoundTrip(r)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
