// Package vendorhttp is what every vendor adapter is built from: the
// driver it declares, the one resilient client its calls go through, and a
// kit of the parts every adapter needs.
//
// Driver (driver.go). An adapter package declares its vendor as a Driver:
// name, id prefix, the credentials and URL settings a connection takes,
// default call Settings, the constructor of a connection and a sandbox
// Demo. The gateway's one driver list (internal/app/drivers.go) names the
// built-in drivers; configuration, wiring, the sandbox and the capability
// matrix work from it.
//
// Client (call.go, client.go). Every vendor call goes through Client.Call,
// so each adapter gets the same resilience:
//
//   - a vendor call quota per tenant connection, counted in the shared
//     QuotaStore before the call (429 instead of burning the vendor's quota);
//   - a circuit breaker per tenant connection (sony/gobreaker), counting
//     each Call once, its retries and the token fetch it waits for
//     included: 5xx answers, timeouts and connection errors count, 4xx and
//     429 do not; while open, calls fail at once with VendorCircuitOpen
//     (503 CIRCUIT_OPEN);
//   - a job's call (its ctx a job handler's) that meets the spent quota or
//     the open breaker waits in place (domain.RestInJob), its job shown
//     paused, and goes on, instead of failing;
//   - retries with exponential backoff and full jitter for idempotent calls
//     (GET and HEAD, calls the adapter marks idempotent, and writes whose API
//     request carried an Idempotency-Key), bounded by attempts (token calls
//     by TokenAttempts) and by the caller's deadline;
//   - a timeout on every attempt; the caller's cancellation reaches the call;
//   - access tokens from the connection's TokenSource (Client.TokenSource):
//     reused from an in-process cache in front of the shared TokenStore,
//     obtained under a cross-replica lock with the adapter's Auth (Fetch
//     for credential vendors, Refresh for refresh-token vendors, whose
//     refresh record in the shared store sends each refresh token once,
//     saves a rotated one with a compare-and-swap before the access token
//     is used, probes once after a lost answer and ends the authorization
//     on a refused one: refresh.go), and one retry with a new token when the
//     vendor says the token is no longer valid; a vendor's refusal of the
//     credentials is remembered for RefusalHold across replicas, so calls
//     fail at once meanwhile; vendors that sign requests instead set no
//     Auth and sign in Request.Build;
//   - a client span and metrics per attempt.
//
// It also turns transport failures and unusable answers (HTML error pages,
// wrong content types, truncated JSON) into *domain.VendorError.
//
// Adapter kit. Page walking over page-number, whole-list and cursor
// vendors inside the gateway's signed cursors (paging.go); decoding that
// keeps every number exact and each record's own bytes for include=raw
// (decode.go); contact-field sets and the refusal of fields a vendor cannot
// store (fields.go); id, error and China Standard Time helpers (ids.go,
// times.go).
package vendorhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// MaxResponseBytes bounds how much of a vendor answer is read.
const MaxResponseBytes = 32 << 20

// DefaultTimeout bounds one vendor call when the connection sets none.
const DefaultTimeout = 15 * time.Second

// Response is a vendor answer read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// send sends one request (with the per-call timeout added to its context)
// and reads the whole answer. A transport failure becomes a VendorError of
// kind VendorTimeout or VendorUnavailable whose cause names no URL (URLs
// can carry tokens in their query); the caller's own cancellation is
// returned as the context error.
func (c *Client) send(req *http.Request) (*Response, error) {
	parent := req.Context()
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	resp, err := c.http.Do(req.WithContext(ctx))
	if err != nil {
		return nil, c.transportError(parent, err)
	}
	// The whole answer is read before the body is closed, so a close error
	// says nothing about it.
	defer func() { _ = resp.Body.Close() }()
	body, err := readBody(resp, MaxResponseBytes+1)
	if err != nil {
		return nil, c.transportError(parent, err)
	}
	if len(body) > MaxResponseBytes {
		return nil, &domain.VendorError{Vendor: c.vendor, Kind: domain.VendorBadResponse, Status: resp.StatusCode,
			Detail: fmt.Sprintf("%s sent an answer larger than %d bytes", c.vendor, MaxResponseBytes)}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func (c *Client) transportError(parent context.Context, err error) error {
	if perr := parent.Err(); perr != nil {
		return perr
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // drop the URL
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &domain.VendorError{Vendor: c.vendor, Kind: domain.VendorTimeout, Detail: c.vendor.String() + " did not answer in time", Err: cause}
	}
	return &domain.VendorError{Vendor: c.vendor, Kind: domain.VendorUnavailable, Detail: c.vendor.String() + " could not be reached", Err: cause}
}

// IsJSON reports whether the answer says it is JSON.
func (r *Response) IsJSON() bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json"))
}

// Decode reads a JSON answer into v. Numbers decoded into interface
// values stay json.Number, so vendor ids and amounts beyond 2^53 keep every
// digit. An answer that is not JSON (by content type or by content) is a
// VendorBadResponse error that carries neither the body nor a prefix of it.
func (r *Response) Decode(vendor domain.Vendor, v any) error {
	if err := r.mustBeJSON(vendor); err != nil {
		return err
	}
	if err := Unmarshal(r.Body, v); err != nil {
		return BadResponse(vendor, r.Status, fmt.Sprintf("%s answered %d with JSON the gateway cannot read", vendor, r.Status), err)
	}
	return nil
}

// readBody reads at most limit bytes of resp's body: into a buffer of the
// announced length when there is one (net/http holds the body to it; an
// answer of 60 KB read by io.ReadAll is copied through a dozen growing
// buffers), else as io.ReadAll does.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n < limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// mustBeJSON is the error for an answer whose content type is not JSON.
func (r *Response) mustBeJSON(vendor domain.Vendor) error {
	if !r.IsJSON() {
		return BadResponse(vendor, r.Status, fmt.Sprintf("%s answered %d with %s instead of JSON", vendor, r.Status, contentType(r)))
	}
	return nil
}

func contentType(r *Response) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "no content type"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "an invalid content type"
	}
	return mt
}

// BadResponse builds a VendorBadResponse error.
func BadResponse(vendor domain.Vendor, status int, detail string, cause ...error) *domain.VendorError {
	return &domain.VendorError{Vendor: vendor, Kind: domain.VendorBadResponse, Status: status, Detail: detail, Err: errors.Join(cause...)}
}

// PassthroughAnswer is a vendor's answer to a passthrough call as the
// caller gets it: its status and its body, which must be JSON (or empty),
// kept byte for byte so that every number stays as the vendor wrote it.
func PassthroughAnswer(vendor domain.Vendor, resp *Response) (domain.PassthroughResponse, error) {
	out := domain.PassthroughResponse{Status: resp.Status}
	trimmed := bytes.TrimSpace(resp.Body)
	if len(trimmed) == 0 {
		return out, nil
	}
	if !json.Valid(trimmed) {
		return domain.PassthroughResponse{}, BadResponse(vendor, resp.Status,
			fmt.Sprintf("%s answered the passthrough call with something other than JSON", vendor))
	}
	out.Body = json.RawMessage(trimmed)
	return out, nil
}

// StatusError describes an error answer the adapter found no known error
// code in (code is the vendor's code if it had one the adapter does not
// know): its kind by the status, and a gateway-written detail. A 404 is
// VendorEndpointNotFound: adapters whose vendor says "no such record"
// with a 404 and a code of its own check that code first, so any other 404
// means the path does not exist there, as a wrong base URL (named by
// urlSettings, e.g. "base_url") gives.
func StatusError(vendor domain.Vendor, resp *Response, code, urlSettings string) *domain.VendorError {
	e := &domain.VendorError{Vendor: vendor, Status: resp.Status, Code: code, Kind: StatusKind(resp.Status), RetryAfter: RetryAfter(resp.Header)}
	switch e.Kind {
	case domain.VendorAuth:
		e.Detail = fmt.Sprintf("%s refused the gateway's access", vendor)
	case domain.VendorNotFound:
		e.Kind = domain.VendorEndpointNotFound
		e.Detail = fmt.Sprintf("%s has no such endpoint (404): check the connection's base URL (%s)", vendor, urlSettings)
	case domain.VendorRateLimited:
		e.Detail = fmt.Sprintf("%s is limiting the call rate", vendor)
	case domain.VendorTimeout:
		e.Detail = fmt.Sprintf("%s timed out", vendor)
	case domain.VendorUnavailable:
		e.Detail = fmt.Sprintf("%s answered %d", vendor, resp.Status)
		if !resp.IsJSON() && len(resp.Body) > 0 {
			e.Detail += " with a non-JSON page"
		}
	default:
		if code != "" {
			e.Detail = fmt.Sprintf("%s answered %d with error code %s, which the gateway does not know", vendor, resp.Status, code)
		} else {
			e.Detail = fmt.Sprintf("%s answered %d %s", vendor, resp.Status, http.StatusText(resp.Status))
		}
	}
	return e
}

// StatusKind classifies an HTTP status the vendor sent without an error
// code the adapter knows.
func StatusKind(status int) domain.VendorErrorKind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return domain.VendorAuth
	case status == http.StatusNotFound:
		return domain.VendorNotFound
	case status == http.StatusTooManyRequests:
		return domain.VendorRateLimited
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return domain.VendorTimeout
	case status >= 500:
		return domain.VendorUnavailable
	}
	return domain.VendorUnknown
}

// RetryAfter reads a vendor's Retry-After header in either form RFC 9110
// allows: a number of seconds, or an HTTP date. It is 0 when the header is
// absent, unreadable or in the past.
func RetryAfter(h http.Header) time.Duration { return retryAfter(h, time.Now()) }

// retryAfter is RetryAfter at now. A date is counted from the answer's own
// Date header when it has one, so that a vendor whose clock is off by some
// minutes still gets the wait it asked for; otherwise from now.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64 / time.Second * time.Second // more digits than a Duration holds
		}
		return time.Duration(secs) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if sent, err := http.ParseTime(h.Get("Date")); err == nil {
		now = sent
	}
	return max(at.Sub(now), 0)
}

// Unmarshal decodes one JSON value like json.Unmarshal, but keeps numbers in
// interface values as json.Number and refuses trailing data.
//
// Vendor answers are the gateway's largest inputs (a page of 50 Meihua
// contacts is 56 KB, mostly Chinese text), so they are decoded with
// github.com/goccy/go-json: the results and errors of encoding/json,
// json.Number and json.RawMessage included, at three to four times its
// speed (BenchmarkUnmarshal; README: Performance).
func Unmarshal(data []byte, v any) error {
	return gojson.UnmarshalWithOption(data, v, useNumber)
}

// UnmarshalPage is Unmarshal for a page of records read once and
// dropped with the request that reads it: its strings and numbers are not
// copied but point into data (go-json's DecodeNoCopyString), so a page of
// contacts costs a few allocations rather than one per member. data must
// not change afterwards (a vendor answer's body never does) and stays in
// memory while any value read from it does: nothing kept past the request
// (a cache, a token, a field definition) may be read this way.
func UnmarshalPage(data []byte, v any) error {
	return gojson.UnmarshalWithOption(data, v, useNumber, gojson.DecodeNoCopyString())
}

// useNumber is go-json's UseNumber for Unmarshal. go-json sets it only on
// its Decoder, which reads its input 512 bytes at a time and decodes a
// page of contacts a third slower; the flag is its decoder's
// UseNumberOption (1<<3) in the version go.mod pins.
// TestUnmarshalKeepsBigNumbersAndRefusesTrailingData fails if an upgrade
// moves it.
func useNumber(o *gojson.DecodeOption) { o.Flags |= 1 << 3 }
