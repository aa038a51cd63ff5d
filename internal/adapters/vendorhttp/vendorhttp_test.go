package vendorhttp

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// fetchFunc is a fetcher for a key that is not a connection's.
type fetchFunc func(context.Context) (Token, error)

func (f fetchFunc) fetch(ctx context.Context) (Token, error) { return f(ctx) }
func (fetchFunc) needsStore() bool                           { return false }

func TestTokensSingleFlightAndReuse(t *testing.T) {
	tokens := NewTokens(nil, nil)
	var fetches atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context) (Token, error) {
		fetches.Add(1)
		<-release
		return Token{Value: "t1", Expires: time.Now().Add(time.Hour)}, nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, _, err := tokens.get(context.Background(), "k", fetchFunc(fetch)); err != nil || tok.Value != "t1" {
				t.Errorf("Get = %v %v", tok, err)
			}
		}()
	}
	time.Sleep(10 * time.Millisecond) // let the callers pile up on the one fetch
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for 200 concurrent misses", n)
	}
	if _, _, err := tokens.get(context.Background(), "k", fetchFunc(fetch)); err != nil || fetches.Load() != 1 {
		t.Fatal("cached token not reused")
	}
	if _, _, err := tokens.get(context.Background(), "other", fetchFunc(fetch)); err != nil || fetches.Load() != 2 {
		t.Fatal("keys share a token")
	}
}

func TestTokensExpiryMarginAndInvalidate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tokens := NewTokens(nil, nil, WithTokenClock(func() time.Time { return now }))
	n := 0
	fetch := func(context.Context) (Token, error) {
		n++
		return Token{Value: "t" + string(rune('0'+n)), Expires: now.Add(10 * time.Minute)}, nil
	}
	tok, _, _ := tokens.get(context.Background(), "k", fetchFunc(fetch))
	now = now.Add(10*time.Minute - TokenMargin - time.Second)
	if again, _, _ := tokens.get(context.Background(), "k", fetchFunc(fetch)); again != tok {
		t.Fatal("token replaced before its margin")
	}
	now = now.Add(2 * time.Second)
	fresh, _, _ := tokens.get(context.Background(), "k", fetchFunc(fetch))
	if fresh == tok {
		t.Fatal("token kept inside its expiry margin")
	}
	tokens.invalidate(context.Background(), "k", tok.Value) // stale value: the fresh token stays
	if again, _, _ := tokens.get(context.Background(), "k", fetchFunc(fetch)); again != fresh {
		t.Fatal("invalidating an old value dropped the current token")
	}
	tokens.invalidate(context.Background(), "k", fresh.Value)
	if again, _, _ := tokens.get(context.Background(), "k", fetchFunc(fetch)); again == fresh {
		t.Fatal("invalidated token still served")
	}
}

func TestTokensCallerCancellation(t *testing.T) {
	tokens := NewTokens(nil, nil)
	block := make(chan struct{})
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := tokens.get(ctx, "k", fetchFunc(func(context.Context) (Token, error) { <-block; return Token{}, nil }))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	failing := func(context.Context) (Token, error) { return Token{}, errors.New("refused") }
	if _, _, err := tokens.get(context.Background(), "bad", fetchFunc(failing)); err == nil {
		t.Fatal("fetch error swallowed")
	}
}

func TestClientClassifiesFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>internal</html>"))
		case "/json":
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(`{"a":1}`))
		case "/truncated":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"a":`))
		}
	}))
	defer srv.Close()
	c := NewClient(domain.Vendor("linkflow"), Options{Timeout: 100 * time.Millisecond, Retry: RetryPolicy{MaxAttempts: 1}})
	get := func(ctx context.Context, path string) (*Response, error) {
		return c.Call(ctx, Request{Op: "GET " + path, Method: "GET", Build: func(ctx context.Context, _ string) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, "GET", srv.URL+path+"?token=secret-query-token", nil)
		}})
	}
	var ve *domain.VendorError
	if _, err := get(context.Background(), "/slow"); !errors.As(err, &ve) || ve.Kind != domain.VendorTimeout || strings.Contains(err.Error(), "secret-query-token") {
		t.Fatalf("slow: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := get(ctx, "/slow"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	var out map[string]any
	r, err := get(context.Background(), "/json")
	if err != nil || r.Decode(domain.Vendor("linkflow"), &out) != nil || out["a"] != json.Number("1") {
		t.Fatalf("json: %v %v", err, out)
	}
	r, _ = get(context.Background(), "/html")
	if err := r.Decode(domain.Vendor("linkflow"), &out); !errors.As(err, &ve) || ve.Kind != domain.VendorBadResponse || strings.Contains(err.Error(), "internal") {
		t.Fatalf("html: %v", err)
	}
	r, _ = get(context.Background(), "/truncated")
	if err := r.Decode(domain.Vendor("linkflow"), &out); !errors.As(err, &ve) || ve.Kind != domain.VendorBadResponse {
		t.Fatalf("truncated: %v", err)
	}
	srv.Close()
	if _, err := get(context.Background(), "/json"); !errors.As(err, &ve) || ve.Kind != domain.VendorUnavailable || strings.Contains(err.Error(), "secret-query-token") {
		t.Fatalf("closed: %v", err)
	}
}

func TestStatusKindAndRetryAfter(t *testing.T) {
	for status, want := range map[int]domain.VendorErrorKind{401: domain.VendorAuth, 403: domain.VendorAuth, 404: domain.VendorNotFound,
		429: domain.VendorRateLimited, 504: domain.VendorTimeout, 500: domain.VendorUnavailable, 503: domain.VendorUnavailable, 400: domain.VendorUnknown} {
		if got := StatusKind(status); got != want {
			t.Errorf("StatusKind(%d) = %v, want %v", status, got, want)
		}
	}
	h := http.Header{}
	for v, want := range map[string]time.Duration{"7": 7 * time.Second, "": 0, "-1": 0, "soon": 0} {
		h.Set("Retry-After", v)
		if got := RetryAfter(h); got != want {
			t.Errorf("RetryAfter(%q) = %v", v, got)
		}
	}
}

// TestRetryAfterBothForms: RFC 9110 allows seconds or an HTTP date; a date
// counts from the answer's Date header when it has one (the vendor's
// clock), else from now.
func TestRetryAfterBothForms(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 10, 21, 7, 28, 0, 0, time.UTC)
	cases := []struct {
		name       string
		retryAfter string
		date       string
		want       time.Duration
	}{
		{"seconds", "120", "", 2 * time.Minute},
		{"zero seconds", "0", "", 0},
		{"seconds with spaces", " 5 ", "", 5 * time.Second},
		{"more seconds than a Duration holds", "99999999999999999999", "", math.MaxInt64 / time.Second * time.Second},
		{"IMF-fixdate", "Tue, 21 Oct 2025 07:30:00 GMT", "", 2 * time.Minute},
		{"RFC 850 date", "Tuesday, 21-Oct-25 07:28:30 GMT", "", 30 * time.Second},
		{"asctime date", "Tue Oct 21 07:29:00 2025", "", time.Minute},
		{"date in the past", "Tue, 21 Oct 2025 07:00:00 GMT", "", 0},
		// The vendor's clock is 10 minutes ahead of ours: it asks for 1 minute.
		{"date from the vendor's Date", "Tue, 21 Oct 2025 07:39:00 GMT", "Tue, 21 Oct 2025 07:38:00 GMT", time.Minute},
		{"unreadable Date is ignored", "Tue, 21 Oct 2025 07:29:00 GMT", "yesterday", time.Minute},
		{"negative", "-5", "", 0},
		{"fraction", "1.5", "", 0},
		{"garbage", "soon", "", 0},
		{"absent", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if c.retryAfter != "" {
				h.Set("Retry-After", c.retryAfter)
			}
			if c.date != "" {
				h.Set("Date", c.date)
			}
			if got := retryAfter(h, now); got != c.want {
				t.Fatalf("Retry-After %q (Date %q) = %v, want %v", c.retryAfter, c.date, got, c.want)
			}
		})
	}
}

func TestUnmarshalKeepsBigNumbersAndRefusesTrailingData(t *testing.T) {
	for _, d := range []struct {
		name      string
		unmarshal func([]byte, any) error
		copies    bool // the values own their bytes
	}{{"Unmarshal", Unmarshal, true}, {"UnmarshalPage", UnmarshalPage, false}} {
		t.Run(d.name, func(t *testing.T) { testExactDecoding(t, d.unmarshal, d.copies) })
	}
}

// testExactDecoding: numbers kept exact at any depth, strings read as
// encoding/json reads them, trailing data refused; when unmarshal copies,
// the values stay as they were read when the input is overwritten
// afterwards.
func testExactDecoding(t *testing.T, unmarshal func([]byte, any) error, copies bool) {
	var v map[string]any
	if err := unmarshal([]byte(`{"id": 1021110718827683840}`), &v); err != nil || v["id"] != json.Number("1021110718827683840") {
		t.Fatalf("big id: %v %v", v, err)
	}
	// Numbers in interface values at any depth, and in a struct's.
	var nested struct {
		Any  any              `json:"any"`
		List []any            `json:"list"`
		Map  map[string]any   `json:"map"`
		Raw  json.RawMessage  `json:"raw"`
		Num  json.Number      `json:"num"`
		Objs []map[string]any `json:"objs"`
		Deep map[string][]any `json:"deep"`
		ID   int64            `json:"id"`
		Text []string         `json:"text"`
	}
	in := []byte(`{"any":9007199254740993,"list":[9007199254740993,1.50],"map":{"v":-9007199254740993},"raw":9007199254740993,` +
		`"num":9007199254740993,"objs":[{"v":1e400}],"deep":{"k":[{"v":9007199254740993}]},"id":9007199254740993,` +
		`"text":["郭强","\u90ed\u5f3a","a\"b","bad ` + "\xff" + `"]} ` + "\n")
	if err := unmarshal(in, &nested); err != nil {
		t.Fatal(err)
	}
	if copies {
		for i := range in {
			in[i] = 'x'
		}
	}
	if nested.Any != json.Number("9007199254740993") || nested.List[0] != json.Number("9007199254740993") ||
		nested.List[1] != json.Number("1.50") || nested.Map["v"] != json.Number("-9007199254740993") ||
		string(nested.Raw) != "9007199254740993" || nested.Num != "9007199254740993" ||
		nested.Objs[0]["v"] != json.Number("1e400") ||
		nested.Deep["k"][0].(map[string]any)["v"] != json.Number("9007199254740993") || nested.ID != 9007199254740993 {
		t.Fatalf("numbers not kept exact: %+v", nested)
	}
	if want := []string{"郭强", "郭强", `a"b`, "bad \uFFFD"}; !reflect.DeepEqual(nested.Text, want) {
		t.Fatalf("strings %q, want %q", nested.Text, want)
	}
	for _, bad := range []string{`{"a":1} {"b":2}`, `{"a":1}x`, `{"a":`} {
		if err := unmarshal([]byte(bad), &v); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

func TestShortLivedTokensAreReused(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tokens := NewTokens(nil, nil, WithTokenClock(func() time.Time { return now }))
	n := 0
	fetch := func(context.Context) (Token, error) {
		n++
		return Token{Value: "t", Expires: now.Add(30 * time.Second)}, nil
	}
	_, _, _ = tokens.get(context.Background(), "k", fetchFunc(fetch))
	now = now.Add(14 * time.Second)
	_, _, _ = tokens.get(context.Background(), "k", fetchFunc(fetch))
	if n != 1 {
		t.Fatalf("a 30s token was refetched after 14s (%d fetches)", n)
	}
	now = now.Add(2 * time.Second)
	_, _, _ = tokens.get(context.Background(), "k", fetchFunc(fetch))
	if n != 2 {
		t.Fatalf("a 30s token was kept past half its life (%d fetches)", n)
	}
}
