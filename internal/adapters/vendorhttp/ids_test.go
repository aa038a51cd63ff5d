package vendorhttp_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestPositiveID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want int64
		ok   bool
	}{
		{"2865", 2865, true},
		{"1021110718827683840", 1021110718827683840, true},
		{"9007199254740993", 9007199254740993, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{beyondInt64, 0, false},
		{"0", 0, false},
		{"-5", 0, false},
		{"", 0, false},
		{"abc", 0, false},
		{"12a", 0, false},
		{"1.0", 0, false},
		{" 1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			got, ok := vendorhttp.PositiveID(tt.id)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("PositiveID(%q) = %d, %v; want %d, %v", tt.id, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestInt64Cursor(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"0": true, "1243167": true, "1021110718827683840": true, "9223372036854775807": true,
		"": false, "-1": false, "+1": false, "007": false, "00": false, "1e3": false, "abc": false,
		"9223372036854775808": false, beyondInt64: false, " 1": false,
	} {
		if got := vendorhttp.Int64Cursor(s); got != want {
			t.Errorf("Int64Cursor(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestLessID(t *testing.T) {
	t.Parallel()
	ids := []string{"9007199254740993", "10", "2", "9007199254740992", "1021110718827683840", "9", "100"}
	slices.SortFunc(ids, func(a, b string) int {
		switch {
		case vendorhttp.LessID(a, b):
			return -1
		case vendorhttp.LessID(b, a):
			return 1
		}
		return 0
	})
	want := []string{"2", "9", "10", "100", "9007199254740992", "9007199254740993", "1021110718827683840"}
	if !slices.Equal(ids, want) {
		t.Fatalf("sorted %v, want %v", ids, want)
	}
	if vendorhttp.LessID("5", "5") {
		t.Error("an id is less than itself")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	err := vendorhttp.NotFound(domain.Vendor("meihua"), "group")
	if err.Vendor != domain.Vendor("meihua") || err.Kind != domain.VendorNotFound || err.Detail != "meihua has no such group" {
		t.Fatalf("NotFound = %+v", err)
	}
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("NotFound does not match domain.ErrNotFound")
	}
}
