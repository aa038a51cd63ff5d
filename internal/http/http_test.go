package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// TestPanicBecomesProblem: a panic below the middleware answers a 500
// problem without internals and is logged with its stack.
func TestPanicBecomesProblem(t *testing.T) {
	var logs bytes.Buffer
	h := observe(slog.New(slog.NewJSONHandler(&logs, nil)), telemetry.Nop())(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("database password is hunter2")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/contacts", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Fatalf("internals leaked: %s", rec.Body)
	}
	var p map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	if p["code"] != "INTERNAL" || p["request_id"] == "" {
		t.Fatalf("problem = %v", p)
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) || !strings.Contains(logs.String(), "stack") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

// TestAbortHandlerPanicPropagates: http.ErrAbortHandler keeps its meaning.
func TestAbortHandlerPanicPropagates(t *testing.T) {
	h := observe(slog.New(slog.DiscardHandler), telemetry.Nop())(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

func TestProblemFor(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.1:443: secret-host")
	cases := []struct {
		err        error
		status     int
		code       ProblemCode
		retryAfter time.Duration
	}{
		{domain.Invalid("body.name", "is required"), 400, ProblemCodeValidationFailed, 0},
		{&domain.CursorError{Reason: "x"}, 400, ProblemCodeInvalidCursor, 0},
		{fmt.Errorf("wrapped: %w", domain.ErrNotFound), 404, ProblemCodeNotFound, 0},
		{&domain.IDMismatchError{ID: "mh_1", IDVendor: domain.Vendor("meihua"), TenantVendor: domain.Vendor("linkflow")}, 409, ProblemCodeIDVendorMismatch, 0},
		{domain.ErrIdempotencyInFlight, 409, ProblemCodeIdempotencyInFlight, 0},
		{domain.ErrIdempotencyMismatch, 422, ProblemCodeIdempotencyKeyReused, 0},
		{&domain.VendorNotConfiguredError{Tenant: "t", Vendor: domain.Vendor("meihua")}, 422, ProblemCodeVendorNotConfigured, 0},
		{&domain.UnsupportedError{Vendor: domain.Vendor("linkflow"), Operation: domain.OpDeleteContact}, 501, ProblemCodeUnsupportedOperation, 0},
		{&domain.UnsupportedError{Vendor: domain.Vendor("linkflow"), Operation: domain.OpListContacts, Filter: "tag_id"}, 501, ProblemCodeUnsupportedFilter, 0},
		{&http.MaxBytesError{Limit: 10}, 413, ProblemCodePayloadTooLarge, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorUnavailable, Err: cause}, 503, ProblemCodeVendorUnavailable, 5 * time.Second},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorRateLimited, RetryAfter: 7 * time.Second}, 429, ProblemCodeVendorRateLimited, 7 * time.Second},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorRateLimited}, 429, ProblemCodeVendorRateLimited, 30 * time.Second},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorTimeout}, 504, ProblemCodeVendorTimeout, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorAuth}, 502, ProblemCodeVendorAuthFailed, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorBadResponse}, 502, ProblemCodeVendorBadResponse, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorUnknown, Code: "B99999"}, 502, ProblemCodeVendorError, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorNotFound, Code: "B00008"}, 404, ProblemCodeNotFound, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorExists}, 409, ProblemCodeAlreadyExists, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorLimit}, 422, ProblemCodeVendorLimitReached, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorRejected}, 422, ProblemCodeVendorRejected, 0},
		{&domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorResultWindow}, 422, ProblemCodeResultWindowExceeded, 0},
		{context.DeadlineExceeded, 504, ProblemCodeVendorTimeout, 0},
		{cause, 500, ProblemCodeInternal, 0},
	}
	for _, c := range cases {
		t.Run(string(c.code), func(t *testing.T) {
			p := problemFor(c.err)
			if p.Status != c.status || p.Code != c.code || p.retryAfter != c.retryAfter {
				t.Fatalf("problemFor(%v) = %d %s %v", c.err, p.Status, p.Code, p.retryAfter)
			}
			if strings.Contains(p.Detail, "secret-host") {
				t.Fatalf("cause leaked into detail: %s", p.Detail)
			}
			if _, ok := problemInfo[p.Code]; !ok || p.Type != "urn:cdp-gateway:problem:"+strings.ToLower(strings.ReplaceAll(string(p.Code), "_", "-")) {
				t.Fatalf("type = %s", p.Type)
			}
		})
	}
}

// TestEveryCodeHasAnInfo: each code of the spec's enum has a status and
// title, and every code the gateway knows is in the spec: the list is read
// from the spec, so a code added there is checked here.
func TestEveryCodeHasAnInfo(t *testing.T) {
	enum := loadSpec(t).Components.Schemas["ProblemCode"].Value.Enum
	if len(enum) == 0 {
		t.Fatal("the spec lists no problem codes")
	}
	for _, v := range enum {
		code := ProblemCode(v.(string))
		if !code.Valid() {
			t.Fatalf("%s is not a generated ProblemCode", code)
		}
		if info, ok := problemInfo[code]; !ok || info.status == 0 || info.title == "" {
			t.Fatalf("%s has no status/title", code)
		}
	}
	if len(problemInfo) != len(enum) {
		t.Fatalf("the gateway knows %d codes, the spec lists %d", len(problemInfo), len(enum))
	}
}

func TestKeyring(t *testing.T) {
	k := keyring{keys: []APIKey{
		{Name: "a", SHA256: HashKey("key-a"), Scopes: []Scope{ScopeRead}, Tenants: []string{"t1"}},
		{Name: "b", SHA256: HashKey("key-b"), Scopes: []Scope{ScopeRead, ScopeWrite}, Tenants: []string{"*"}},
	}}
	if p, ok := k.find("key-a"); !ok || p.name != "a" || !p.mayUse("t1") || p.mayUse("t2") || p.hasScope(ScopeWrite) {
		t.Fatalf("key-a = %+v %v", p, ok)
	}
	if p, ok := k.find("key-b"); !ok || !p.mayUse("anything") || !p.hasScope(ScopeWrite) {
		t.Fatalf("key-b = %+v", p)
	}
	for _, bad := range []string{"", "key-c", "key-a ", "KEY-A"} {
		if _, ok := k.find(bad); ok {
			t.Fatalf("%q accepted", bad)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "abc": "", "": ""} {
		r.Header.Set("Authorization", h)
		if got := bearerToken(r); got != want {
			t.Fatalf("bearerToken(%q) = %q", h, got)
		}
	}
}

// TestFallbackProblem: the body sent when a problem cannot be encoded is a
// problem the spec knows, with the code spelled as on the wire.
func TestFallbackProblem(t *testing.T) {
	var p struct {
		Type   string      `json:"type"`
		Status int         `json:"status"`
		Code   ProblemCode `json:"code"`
	}
	if err := json.Unmarshal([]byte(fallbackProblem), &p); err != nil {
		t.Fatalf("fallback problem is not JSON: %v", err)
	}
	if p.Code != "INTERNAL" || !p.Code.Valid() || p.Status != 500 || p.Type != "urn:cdp-gateway:problem:internal" {
		t.Fatalf("fallback problem = %+v", p)
	}
}

// TestVendorTraceIDInProblems: a vendor's id of the failed call reaches
// the problem, for its support.
func TestVendorTraceIDInProblems(t *testing.T) {
	p := problemFor(&domain.VendorError{Vendor: "nxcloud", Kind: domain.VendorClockSkew, Code: "1004", TraceID: "44988d9de672422b920182d6960de0a0", Detail: "d"})
	if p.Code != ProblemCodeVendorClockSkew || p.Status != 502 || p.VendorTraceID != "44988d9de672422b920182d6960de0a0" || p.VendorCode != "1004" {
		t.Fatalf("problem %+v", p)
	}
}

// TestClip: a clipped user agent stays valid UTF-8 and says it was cut.
func TestClip(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"curl", "curl"},
		{"abcdef", "abcd…"},
		{"ab经理", "ab…"}, // the cut falls inside 经
		{"", ""},
	} {
		if got := clip(c.in, 4); got != c.want {
			t.Errorf("clip(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
