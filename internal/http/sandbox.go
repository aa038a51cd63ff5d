package http

import (
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// switchFaults takes the sandbox fault switch (vendortest.FaultHeader):
// in the sandbox a request carrying it has its vendor calls fail as it
// names; anywhere else, and with a value it does not know, it is refused
// before anything is done.
func switchFaults(enabled bool) func(http.Handler) http.Handler {
	var names []string
	for k := range vendortest.SwitchFaults {
		names = append(names, k)
	}
	sort.Strings(names)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := r.Header.Get(vendortest.FaultHeader)
			switch {
			case v == "":
			case !enabled:
				writeProblem(w, r, domain.Invalid("header."+vendortest.FaultHeader, "is taken only by a sandbox gateway"))
				return
			case !slices.Contains(names, v):
				writeProblem(w, r, domain.Invalid("header."+vendortest.FaultHeader, "must be one of "+strings.Join(names, ", ")))
				return
			default:
				r = r.WithContext(vendortest.WithSwitchFault(r.Context(), v))
			}
			next.ServeHTTP(w, r)
		})
	}
}
