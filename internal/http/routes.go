package http

import (
	"net/http"
	"strings"
)

// Routes says which of the gateway's routes one listening address serves,
// so that an ingress can expose the tenant API and nothing else.
type Routes int

// Route sets.
const (
	// RoutesAll serves every route on one address (the sandbox, tests).
	RoutesAll Routes = iota
	// RoutesAPI serves the tenant API (/v1), /openapi.yaml and the probes.
	RoutesAPI
	// RoutesOps serves the operators' routes (/admin/v1, /metrics, /docs),
	// /openapi.yaml and the probes.
	RoutesOps
)

// serves reports whether path belongs to the set.
func (rs Routes) serves(path string) bool {
	switch {
	case rs == RoutesAll, path == "/healthz", path == "/readyz", path == "/openapi.yaml":
		return true
	case rs == RoutesAPI:
		return apiPath(path)
	}
	return strings.HasPrefix(path, "/admin/") || path == "/metrics" || path == "/docs" || strings.HasPrefix(path, "/docs/")
}

// only answers 404 NOT_FOUND for the paths another address serves.
func (rs Routes) only(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rs.serves(r.URL.Path) {
			writeProblem(w, r, newProblem(ProblemCodeNotFound, "no such endpoint on this address"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
