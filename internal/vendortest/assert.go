package vendortest

import (
	"errors"
	"slices"
	"strings"
	"sync"
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

// SecretWatch collects the errors an adapter returned in a test and, when
// the test ends, fails it if any error's text (Error and the caller's
// domain.SafeDetail) holds a secret: a credential, or a token the
// simulator issued. It is safe for concurrent use.
type SecretWatch struct {
	mu      sync.Mutex
	secrets map[string]bool
	errs    []error
}

// WatchSecrets starts a watch over secrets (more can be added with
// Secret) that checks every recorded error at t's cleanup.
func WatchSecrets(t testing.TB, secrets ...string) *SecretWatch {
	w := &SecretWatch{secrets: map[string]bool{}}
	w.Secret(secrets...)
	t.Cleanup(func() {
		t.Helper()
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, err := range w.errs {
			for _, txt := range []string{err.Error(), domain.SafeDetail(err)} {
				for s := range w.secrets {
					if strings.Contains(txt, s) {
						t.Errorf("error text %q contains the secret %.6s…", txt, s)
					}
				}
			}
		}
	})
	return w
}

// Secret adds values no error text may hold ("" is ignored).
func (w *SecretWatch) Secret(vs ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range vs {
		if v != "" {
			w.secrets[v] = true
		}
	}
}

// Record keeps err (nil is ignored) for the check at the test's end.
func (w *SecretWatch) Record(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, err)
}

// Holds reports whether s contains one of the secrets, for checks of
// other texts (logs).
func (w *SecretWatch) Holds(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for v := range w.secrets {
		if strings.Contains(s, v) {
			return true
		}
	}
	return false
}

// CollectPages pages through an adapter's list with the given limits (the
// last one repeats) and returns every item's key. It fails the test on an
// error (recorded in watch first), a page over its limit, a key listed
// twice, or paging that does not end.
func CollectPages[T any](t testing.TB, watch *SecretWatch, limits []int, key func(T) string, fetch func(domain.PageRequest) (domain.Page[T], error)) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	state := ""
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("paging does not end")
		}
		limit := limits[min(i, len(limits)-1)]
		p, err := fetch(domain.PageRequest{Limit: limit, State: state})
		watch.Record(err)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if len(p.Items) > limit {
			t.Fatalf("page %d holds %d items, limit %d", i, len(p.Items), limit)
		}
		for _, it := range p.Items {
			k := key(it)
			if seen[k] {
				t.Fatalf("page %d repeats %s", i, k)
			}
			seen[k] = true
			out = append(out, k)
		}
		if p.Next == "" {
			return out
		}
		state = p.Next
	}
}

// Checks are the assertions of one adapter's tests, each recording the
// error it looks at for the secret watch. Embed it in the test env.
type Checks struct {
	T      testing.TB
	Vendor domain.Vendor
	Watch  *SecretWatch
}

// Must fails the test on err.
func (c Checks) Must(err error) {
	c.T.Helper()
	c.Watch.Record(err)
	if err != nil {
		c.T.Fatalf("unexpected error: %v", err)
	}
}

// WantVendor asserts err is a *domain.VendorError of the vendor and kind.
func (c Checks) WantVendor(err error, kind domain.VendorErrorKind) *domain.VendorError {
	c.T.Helper()
	c.Watch.Record(err)
	return WantVendorError(c.T, err, c.Vendor, kind)
}

// WantValidation asserts err is a *domain.ValidationError naming exactly
// fields.
func (c Checks) WantValidation(err error, fields ...string) {
	c.T.Helper()
	c.Watch.Record(err)
	WantValidation(c.T, err, fields...)
}

// WantNotFound asserts err matches domain.ErrNotFound.
func (c Checks) WantNotFound(err error) {
	c.T.Helper()
	c.Watch.Record(err)
	WantNotFound(c.T, err)
}
