package nxcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// vendor is the name NXCloud has in the gateway.
const vendor domain.Vendor = "nxcloud"

// Hosts NXCloud publishes: the documented one (the default) and the newer
// one some accounts are on, set per connection as base_url.
const (
	DefaultBaseURL = "https://api.nxcloud.com"
	HKBaseURL      = "https://api-hk.nxlink.ai"
)

// The CDP endpoints the adapter uses, relative to the base URL.
const (
	pathQuery       = "/saas/cdp/openapi/customers/query"
	pathBatchCreate = "/saas/cdp/openapi/customers/batch_create"
	pathFields      = "/saas/cdp/openapi/customers/fields"
)

// Config is one NXCloud connection: one tenant's CDP account (tenant id
// and app key) reached with one access key.
type Config struct {
	BaseURL string // default DefaultBaseURL
	// AccessKey and AccessSecret sign every request; the secret is never
	// sent.
	AccessKey    string
	AccessSecret string
	// AppKey and TenantID name the CDP account in every request body (or
	// query).
	AppKey   string
	TenantID int64
	// Algorithm is the signature's hash: AlgorithmMD5 (default) or
	// AlgorithmSHA256.
	Algorithm string
	// Client configures the connection's vendor client (tenant, HTTP
	// client, timeout, retries, breaker, quota, telemetry, logger).
	Client vendorhttp.Options
	// Now is the adapter's clock: the ts of every request and the clock
	// the vendor's Date header is compared with; default time.Now.
	Now func() time.Time
}

// Adapter is an NXCloud connection. It implements the domain ports
// NXCloud can serve, and domain.ClockReporter.
type Adapter struct {
	base      *url.URL
	key       string
	secret    string
	appKey    string
	tenant    int64
	algorithm string
	client    *vendorhttp.Client
	now       func() time.Time
	log       *slog.Logger
	clock     clock
}

// New checks cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := vendorhttp.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("nxcloud base_url: %w", err)
	}
	if cfg.AccessKey == "" || cfg.AccessSecret == "" || cfg.AppKey == "" {
		return nil, errors.New("nxcloud: access key, access secret and app key are required")
	}
	if cfg.TenantID <= 0 {
		return nil, errors.New("nxcloud tenant_id: must be a positive integer")
	}
	if cfg.Algorithm == "" {
		cfg.Algorithm = AlgorithmMD5
	}
	if err := checkAlgorithm(cfg.Algorithm); err != nil {
		return nil, fmt.Errorf("nxcloud algorithm: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Client.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		base: base, key: cfg.AccessKey, secret: cfg.AccessSecret, appKey: cfg.AppKey, tenant: cfg.TenantID,
		algorithm: cfg.Algorithm, client: vendorhttp.NewClient(vendor, cfg.Client), now: cfg.Now,
		log: log.With(slog.String("vendor", string(vendor)), slog.String("tenant", cfg.Client.Tenant)),
	}
	// No Auth: NXCloud has no tokens, every request is signed in its
	// Build. Its business errors come with HTTP 200; a 5xx that carries
	// one of its documented codes is a refusal, not a failure to retry.
	a.client.Failed = func(r *vendorhttp.Response) bool {
		return (r.Status >= 500 || r.Status == http.StatusRequestTimeout) && !documentedCode(r)
	}
	a.client.TraceID = func(r *vendorhttp.Response) string { return traceID(r.Body) }
	return a, nil
}

// Status implements domain.StatusReporter.
func (a *Adapter) Status() domain.ConnectionStatus { return a.client.Status() }

// Vendor implements domain.Connection.
func (a *Adapter) Vendor() domain.Vendor { return vendor }

// ClockSkew implements domain.ClockReporter: how far the adapter's clock
// is ahead of NXCloud's, from the Date header of its last answer.
func (a *Adapter) ClockSkew() (time.Duration, bool) { return a.clock.get() }

// call is one NXCloud API request.
type call struct {
	method string
	path   string
	query  url.Values
	// body is the JSON body, sent and signed byte for byte as it is; nil
	// for none.
	body []byte
	// idempotent marks a POST that is safe to repeat (a read): the client
	// may retry it.
	idempotent bool
	// op names the call in telemetry; default: the method and path, which
	// never hold ids (NXCloud takes them in the body or query).
	op string
}

func (c call) name() string {
	if c.op != "" {
		return c.op
	}
	return c.method + " " + c.path
}

// url is the URL of path with q under the base URL.
func (a *Adapter) url(path string, q url.Values) string {
	u := *a.base
	u.Path = a.base.Path + path
	u.RawQuery = q.Encode()
	return u.String()
}

// send sends c, signed, and returns the answer as it is. Every attempt is
// signed anew with the adapter's clock (a retry gets a fresh ts) over the
// same body bytes. Every answer's Date header updates the measured clock
// offset.
func (a *Adapter) send(ctx context.Context, c call) (*vendorhttp.Response, error) {
	resp, err := a.client.Call(ctx, vendorhttp.Request{
		Op: c.name(), Method: c.method, Idempotent: c.idempotent,
		Build: func(ctx context.Context, _ string) (*http.Request, error) {
			var body io.Reader = http.NoBody
			if len(c.body) > 0 {
				body = bytes.NewReader(c.body)
			}
			req, err := http.NewRequestWithContext(ctx, c.method, a.url(c.path, c.query), body)
			if err != nil {
				return nil, errors.New("the request could not be built")
			}
			for k, v := range signedHeaders(a.key, a.secret, a.algorithm, a.now(), c.body) {
				req.Header[k] = []string{v} // the docs' spelling (accessKey, bizType), not canonicalised
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Content-Type", "application/json")
			return req, nil
		},
	})
	if resp != nil {
		a.observeClock(ctx, resp.Header)
	}
	return resp, err
}

// envelope is NXCloud's answer: {code, message, data, traceId}, code 0 on
// success. The message is never shown to callers.
type envelope[T any] struct {
	Code    resultCode `json:"code"`
	TraceID text       `json:"traceId"`
	Data    T          `json:"data"`
}

// resultCode is the envelope's code: a number (a string of digits is read
// too); set says the answer had one.
type resultCode struct {
	set   bool
	value string
}

func (c *resultCode) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*c = resultCode{}
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("the result code is not an integer")
	}
	*c = resultCode{set: true, value: strconv.FormatInt(n, 10)}
	return nil
}

// result sends c and decodes the data of its success envelope into a T.
// Any other answer is an error: a documented code is the vendor's
// refusal, anything unreadable a VendorBadResponse.
func result[T any](ctx context.Context, a *Adapter, c call) (T, *vendorhttp.Response, error) {
	var zero T
	resp, err := a.send(ctx, c)
	if err != nil {
		return zero, nil, err
	}
	data, err := readEnvelope[T](a, resp, c)
	return data, resp, err
}

// readEnvelope reads an answer of c: HTTP 2xx with code 0, whose data is
// decoded into a T. NXCloud documents its errors as HTTP 200 with a code;
// an error status with a code is read by the code too, one without by
// its status.
func readEnvelope[T any](a *Adapter, resp *vendorhttp.Response, c call) (T, error) {
	var zero T
	if resp.Status < 200 || resp.Status > 299 {
		env, ok := errorEnvelope(resp)
		if ok && documented(env.Code.value) {
			return zero, a.codeError(resp, env)
		}
		// Not one of NXCloud's codes (a 404 of a wrong base URL, a proxy's
		// 502): the status says what happened.
		e := vendorhttp.StatusError(vendor, resp, env.Code.value, "base_url")
		e.TraceID = traceID(resp.Body)
		return zero, e
	}
	if !resp.IsJSON() {
		return zero, resp.Decode(vendor, &zero) // the VendorBadResponse naming the content type
	}
	var env envelope[T]
	if err := vendorhttp.Unmarshal(resp.Body, &env); err != nil {
		// An error answer may carry data of another shape: its code says
		// what happened.
		if e, ok := errorEnvelope(resp); ok {
			return zero, a.codeError(resp, e)
		}
		return zero, badAnswer(resp, "nxcloud answered "+c.name()+" with JSON the gateway cannot read", err)
	}
	switch {
	case !env.Code.set:
		return zero, badAnswer(resp, "nxcloud answered "+c.name()+" without its result code")
	case env.Code.value != codeOK:
		return zero, a.codeError(resp, envelope[json.RawMessage]{Code: env.Code, TraceID: env.TraceID})
	}
	return env.Data, nil
}

// errorEnvelope reads an answer's envelope when it is JSON and carries a
// code other than 0.
func errorEnvelope(resp *vendorhttp.Response) (envelope[json.RawMessage], bool) {
	var env envelope[json.RawMessage]
	if !resp.IsJSON() || vendorhttp.Unmarshal(resp.Body, &env) != nil || !env.Code.set || env.Code.value == codeOK {
		return env, false
	}
	return env, true
}

// documentedCode reports whether an answer carries one of the codes the
// NXCloud docs publish.
func documentedCode(resp *vendorhttp.Response) bool {
	env, ok := errorEnvelope(resp)
	if !ok {
		return false
	}
	return documented(env.Code.value)
}

// documented reports whether code is one NXCloud publishes.
func documented(code string) bool {
	_, known := errorCodes[code]
	return known || code == codeClockSkew
}

// traceID finds the traceId member of an answer body, "" when it has
// none. It reads the top level only and stops at the member, which
// NXCloud writes before data.
func traceID(body []byte) string {
	if !bytes.Contains(body, []byte(`"traceId"`)) {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if key, _ := tok.(string); key == "traceId" {
			var t text
			if dec.Decode(&t) != nil {
				return ""
			}
			return string(t)
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// badAnswer is the VendorBadResponse error of an answer that is not what
// NXCloud documents, with the answer's traceId when it has one.
func badAnswer(resp *vendorhttp.Response, detail string, cause ...error) *domain.VendorError {
	e := vendorhttp.BadResponse(vendor, resp.Status, detail, cause...)
	e.TraceID = traceID(resp.Body)
	return e
}

// jsonBody encodes a request body once; the bytes are signed and sent as
// they are.
func jsonBody(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("nxcloud: encode request body: %w", err)
	}
	return b, nil
}
