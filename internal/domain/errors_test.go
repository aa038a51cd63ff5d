package domain_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// secret stands for anything a cause may carry that callers must not see:
// a token, a vendor URL with credentials, a raw vendor body.
const secret = "secret-token-123"

func TestSafeDetailNeverLeaksCause(t *testing.T) {
	t.Parallel()
	cause := errors.New("GET https://vendor.example/x?token=" + secret + ": <html>boom</html>")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"vendor error", &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorUnavailable, Detail: "linkflow is unavailable", Err: cause},
			"linkflow is unavailable"},
		{"vendor error with code", &domain.VendorError{Vendor: domain.Vendor("meihua"), Kind: domain.VendorRateLimited, Code: "E10104", Detail: "hourly quota spent", Err: cause},
			"hourly quota spent (meihua E10104)"},
		{"wrapped vendor error", fmt.Errorf("call with %s: %w", secret, &domain.VendorError{Vendor: domain.Vendor("nxcloud"), Detail: "nxcloud refused the call", Err: cause}),
			"nxcloud refused the call"},
		{"validation error", fmt.Errorf("%s: %w", secret, domain.Invalid("body.email", "is not an email")),
			"invalid input: body.email is not an email"},
		{"unsupported", fmt.Errorf("%s: %w", secret, &domain.UnsupportedError{Vendor: domain.Vendor("miaokol"), Operation: domain.OpListFields}),
			"miaokol does not support listFields"},
		{"unsupported filter", &domain.UnsupportedError{Vendor: domain.Vendor("miaokol"), Operation: domain.OpListContacts, Filter: "q"},
			"miaokol cannot filter listContacts by q"},
		{"id mismatch", fmt.Errorf("%s: %w", secret, &domain.IDMismatchError{ID: "mh_1", IDVendor: domain.Vendor("meihua"), TenantVendor: domain.Vendor("linkflow")}),
			"id mh_1 is a meihua id but the tenant is on linkflow"},
		{"cursor", fmt.Errorf("%s: %w", secret, &domain.CursorError{Reason: "the cursor has expired"}),
			"invalid cursor: the cursor has expired"},
		{"not found", fmt.Errorf("GET /contacts/1?token=%s: %w", secret, domain.ErrNotFound), "not found"},
		{"already exists", fmt.Errorf("%s: %w", secret, domain.ErrAlreadyExists), "already exists"},
		{"deadline", fmt.Errorf("%s: %w", secret, context.DeadlineExceeded), "the request deadline passed"},
		{"canceled", fmt.Errorf("%s: %w", secret, context.Canceled), "the request was cancelled"},
		{"anything else", cause, "internal error"},
		{"tenant unknown", fmt.Errorf("%s: %w", secret, domain.ErrTenantUnknown), "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := domain.SafeDetail(tt.err)
			if strings.Contains(got, secret) || strings.Contains(got, "<html>") {
				t.Fatalf("SafeDetail leaks the cause: %q", got)
			}
			if got != tt.want {
				t.Fatalf("SafeDetail = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVendorErrorErrorKeepsCauseForLogs(t *testing.T) {
	t.Parallel()
	// Error() is for logs and must keep the cause, unlike SafeDetail.
	err := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Code: "B00008", Detail: "token refused", Err: errors.New("cause")}
	if got, want := err.Error(), "linkflow: token refused (B00008): cause"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

var allKinds = []domain.VendorErrorKind{
	domain.VendorUnknown, domain.VendorRejected, domain.VendorNotFound, domain.VendorExists,
	domain.VendorLimit, domain.VendorResultWindow, domain.VendorAuth, domain.VendorRateLimited,
	domain.VendorUnavailable, domain.VendorTimeout, domain.VendorBadResponse,
}

func TestVendorErrorIsByKind(t *testing.T) {
	t.Parallel()
	for _, k := range allKinds {
		t.Run(fmt.Sprint(int(k)), func(t *testing.T) {
			t.Parallel()
			// Wrapped, as the resilience layer and handlers see it.
			err := fmt.Errorf("get contact: %w", &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: k})
			if got, want := errors.Is(err, domain.ErrNotFound), k == domain.VendorNotFound; got != want {
				t.Errorf("errors.Is(ErrNotFound) = %v, want %v", got, want)
			}
			if got, want := errors.Is(err, domain.ErrAlreadyExists), k == domain.VendorExists; got != want {
				t.Errorf("errors.Is(ErrAlreadyExists) = %v, want %v", got, want)
			}
			if errors.Is(err, domain.ErrInvalidCursor) || errors.Is(err, domain.ErrTenantUnknown) {
				t.Errorf("a vendor error matches an unrelated sentinel")
			}
		})
	}
}

func TestVendorErrorUnwrap(t *testing.T) {
	t.Parallel()
	err := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorTimeout, Err: context.DeadlineExceeded}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the cause is not reachable through errors.Is")
	}
}

func TestVendorErrorRetryable(t *testing.T) {
	t.Parallel()
	// Only transient failures are retried; a rate limit waits for
	// Retry-After instead, and auth/rejections would fail again.
	for _, k := range allKinds {
		want := k == domain.VendorUnavailable || k == domain.VendorTimeout
		if got := (&domain.VendorError{Kind: k}).Retryable(); got != want {
			t.Errorf("kind %d: Retryable() = %v, want %v", k, got, want)
		}
	}
}

func TestCursorErrorMatchesSentinel(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("list: %w", &domain.CursorError{Reason: "r"})
	if !errors.Is(err, domain.ErrInvalidCursor) {
		t.Fatal("CursorError does not match ErrInvalidCursor")
	}
	if ce := asError[*domain.CursorError](t, err); ce.Reason != "r" {
		t.Fatalf("Reason = %q", ce.Reason)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	one := domain.Invalid("query.limit", "must be positive")
	if got, want := one.Error(), "invalid input: query.limit must be positive"; got != want {
		t.Errorf("one field: %q, want %q", got, want)
	}
	two := &domain.ValidationError{Fields: []domain.FieldError{{Field: "a"}, {Field: "b"}}}
	if got, want := two.Error(), "invalid input: 2 fields"; got != want {
		t.Errorf("two fields: %q, want %q", got, want)
	}
}

func TestVendorNotConfiguredErrorMessage(t *testing.T) {
	t.Parallel()
	err := &domain.VendorNotConfiguredError{Tenant: "acme", Vendor: domain.Vendor("nxcloud")}
	if got := err.Error(); !strings.Contains(got, "acme") || !strings.Contains(got, "nxcloud") {
		t.Fatalf("Error() = %q, want tenant and vendor named", got)
	}
}

func TestFailsEveryCall(t *testing.T) {
	t.Parallel()
	vendorErr := func(k domain.VendorErrorKind) error {
		return &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: k, Detail: "x"}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"vendor auth", vendorErr(domain.VendorAuth), true},
		{"vendor rate limited", vendorErr(domain.VendorRateLimited), true},
		{"vendor unavailable", vendorErr(domain.VendorUnavailable), true},
		{"vendor timeout", vendorErr(domain.VendorTimeout), true},
		{"vendor has no such endpoint", vendorErr(domain.VendorEndpointNotFound), true},
		{"wrapped vendor timeout", fmt.Errorf("chunk 3: %w", vendorErr(domain.VendorTimeout)), true},
		{"caller cancelled", context.Canceled, true},
		{"caller deadline", fmt.Errorf("identify: %w", context.DeadlineExceeded), true},
		{"vendor rejected the record", vendorErr(domain.VendorRejected), false},
		{"vendor has no such record", vendorErr(domain.VendorNotFound), false},
		{"vendor record exists", vendorErr(domain.VendorExists), false},
		{"vendor limit", vendorErr(domain.VendorLimit), false},
		{"vendor result window", vendorErr(domain.VendorResultWindow), false},
		{"vendor bad response", vendorErr(domain.VendorBadResponse), false},
		{"unknown vendor code", vendorErr(domain.VendorUnknown), false},
		{"circuit open", vendorErr(domain.VendorCircuitOpen), false},
		// The vendor error's kind decides, not a cause it carries.
		{"vendor error caused by a deadline", &domain.VendorError{Vendor: domain.Vendor("meihua"), Kind: domain.VendorRejected, Err: context.DeadlineExceeded}, false},
		{"validation error", domain.Invalid("body.email", "is not an email"), false},
		{"unsupported", &domain.UnsupportedError{Vendor: domain.Vendor("miaokol"), Operation: domain.OpBatchUpsertContacts}, false},
		{"not found sentinel", domain.ErrNotFound, false},
		{"other error", errors.New("boom"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.FailsEveryCall(tt.err); got != tt.want {
				t.Fatalf("FailsEveryCall(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
