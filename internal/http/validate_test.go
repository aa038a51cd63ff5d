package http

import (
	"maps"
	"testing"
)

// TestPathParams: the validator gets each parameter as the request's path
// wrote it, escapes and all (as kin-openapi's own router gave it), and
// nothing for a route without parameters.
func TestPathParams(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pattern, path string
		want          map[string]string
	}{
		{"/v1/passthrough", "/v1/passthrough", nil},
		{"/v1/contacts/{id}", "/v1/contacts/lf_1", map[string]string{"id": "lf_1"}},
		{"/v1/contacts/{id}", "/v1/contacts/a%2Fb%20c", map[string]string{"id": "a%2Fb%20c"}},
		{"/v1/groups/{id}/members/{contact_id}", "/v1/groups/g1/members/c%41", map[string]string{"id": "g1", "contact_id": "c%41"}},
	} {
		if got := pathParams(c.pattern, c.path); !maps.Equal(got, c.want) {
			t.Errorf("pathParams(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}
