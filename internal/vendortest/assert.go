package vendortest

import (
	"errors"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Assertions adapter tests share: what an adapter answers is one of the
// domain's errors, complete.

// WantVendorError asserts that err is a *domain.VendorError of vendor and
// kind with a detail for the caller, and returns it.
func WantVendorError(t testing.TB, err error, vendor domain.Vendor, kind domain.VendorErrorKind) *domain.VendorError {
	t.Helper()
	var ve *domain.VendorError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T), want a *domain.VendorError of kind %s", err, err, kind)
	}
	if ve.Kind != kind {
		t.Fatalf("error %v has kind %s, want %s", err, ve.Kind, kind)
	}
	if ve.Vendor != vendor {
		t.Errorf("error %v names vendor %q, want %q", err, ve.Vendor, vendor)
	}
	if ve.Detail == "" {
		t.Errorf("error %v has no detail for the caller", err)
	}
	return ve
}

// WantValidation asserts that err is a *domain.ValidationError naming
// exactly fields, each with a message.
func WantValidation(t testing.TB, err error, fields ...string) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T), want a *domain.ValidationError", err, err)
	}
	var got []string
	for _, f := range ve.Fields {
		got = append(got, f.Field)
		if f.Message == "" {
			t.Errorf("field error %s has no message", f.Field)
		}
	}
	slices.Sort(got)
	if want := slices.Sorted(slices.Values(fields)); !slices.Equal(got, want) {
		t.Fatalf("validation fields %v, want %v", got, want)
	}
}

// WantNotFound asserts that err matches domain.ErrNotFound.
func WantNotFound(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("error %v (%T), want one matching domain.ErrNotFound", err, err)
	}
}
