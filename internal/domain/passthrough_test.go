package domain_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TestPassthroughAllowList: only paths under a prefix the adapter declares
// reach it, compared on the one spelling CleanRelativePath accepts, so no
// spelling of a path outside the list (the vendor's token endpoint in
// another case, with matrix parameters or escapes) gets through.
func TestPassthroughAllowList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path    string
		allowed bool
	}{
		{"/open/orders", true},
		{"/open", true},
		{"/open/groups/12/contacts", true},
		{"/a", true},
		{"/a/b", true},
		{"/token", false},
		{"/token/", false},
		{"/Token", false},
		{"/TOKEN", false},
		{"/token;x", false},
		{"/token%3Bx", false},
		{"/%74oken", false},
		{"/token/x", false},
		{"/OPEN/orders", false},
		{"/openx/orders", false},
		{"/ab", false},
		{"/open/orders/", false},
		{"/open//orders", false},
		{"/open/../token", false},
		{"/open/%2e%2e/token", false},
		{"/open;x/../token", false},
		{"/", false},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.path), func(t *testing.T) {
			t.Parallel()
			conn := newFullConn(domain.Vendor("linkflow"))
			s, tg := singleTenant(t, conn)
			_, err := s.Passthrough(context.Background(), tg, domain.PassthroughRequest{Method: "GET", Path: tt.path})
			if !tt.allowed {
				wantFieldError(t, err, "body.path")
				wantNoCalls(t, &conn.recorder)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c := conn.CallsOf(domain.OpPassthrough); len(c) != 1 || c[0].Path != tt.path {
				t.Fatalf("calls = %+v, want one to %s", c, tt.path)
			}
		})
	}
}

// TestPassthroughAllowed: a prefix allows itself and the paths below it,
// segment by segment; no prefix allows nothing.
func TestPassthroughAllowed(t *testing.T) {
	t.Parallel()
	prefixes := []string{"/open", "/v1/tags"}
	tests := []struct {
		path string
		want bool
	}{
		{"/open", true},
		{"/open/orders", true},
		{"/v1/tags", true},
		{"/v1/tags/tagkeys/k/calculate", true},
		{"/v1", false},
		{"/v1/tagsx", false},
		{"/opener", false},
		{"/token", false},
	}
	for _, tt := range tests {
		if got := domain.PassthroughAllowed(tt.path, prefixes); got != tt.want {
			t.Errorf("PassthroughAllowed(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if domain.PassthroughAllowed("/open/orders", nil) {
		t.Error("an empty allow-list allowed a path")
	}
}
