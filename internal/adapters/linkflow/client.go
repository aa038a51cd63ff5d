// Package linkflow is the gateway's adapter for the Linkflow CDP open API.
//
// Linkflow publishes two API families that take the same access token: the
// open API guide (open.linkflowtech.com: identify, update, events, group
// writes, custom-field metadata) and the newer CDP endpoints
// (cdp-api.linkflowtech.com: /open/* lists and lookups, /v1/tags, folders).
// The adapter uses each endpoint from the family that documents it, so a
// connection has two base URLs. The access token comes from the
// connection's vendorhttp.TokenSource: fetched with the app key and secret
// (GET /token), reused in process and across replicas until shortly before
// its expiration, and dropped and fetched again once when Linkflow answers
// 401. Every call goes through vendorhttp.Client (quota, breaker, retries,
// timeouts, telemetry).
package linkflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// vendor is the name Linkflow has in the gateway.
const vendor domain.Vendor = "linkflow"

// Documented hosts.
const (
	DefaultBaseURL    = "https://open.linkflowtech.com"
	DefaultCDPBaseURL = "https://cdp-api.linkflowtech.com"
)

// Config is one Linkflow connection (one tenant's private app).
type Config struct {
	BaseURL    string // open API guide host; default DefaultBaseURL
	CDPBaseURL string // CDP host; default DefaultCDPBaseURL
	AppKey     string
	AppSecret  string
	// Client configures the connection's vendor client (tenant, HTTP
	// client, timeout, retries, breaker, quota, shared token cache).
	Client vendorhttp.Options
	Now    func() time.Time
}

// Adapter is a Linkflow connection. It implements the domain ports
// Linkflow can serve.
type Adapter struct {
	base, cdp *url.URL
	key       string
	secret    string
	client    *vendorhttp.Client
	now       func() time.Time
}

// New checks cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.CDPBaseURL == "" {
		cfg.CDPBaseURL = DefaultCDPBaseURL
	}
	base, err := vendorhttp.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("linkflow base_url: %w", err)
	}
	cdp, err := vendorhttp.ParseBaseURL(cfg.CDPBaseURL)
	if err != nil {
		return nil, fmt.Errorf("linkflow cdp_base_url: %w", err)
	}
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("linkflow: app key and app secret are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Adapter{
		base: base, cdp: cdp, key: cfg.AppKey, secret: cfg.AppSecret,
		client: vendorhttp.NewClient(vendor, cfg.Client), now: cfg.Now,
	}
	// Linkflow hands out tokens for the app key and secret (no refresh
	// token): the connection's token source fetches them with fetchToken.
	a.client.Auth = &vendorhttp.Auth{
		Fetch:    a.fetchToken,
		Rejected: func(r *vendorhttp.Response) bool { return r.Status == http.StatusUnauthorized },
	}
	// Linkflow sends some business errors (B00010, B00093 …) with status
	// 500: only answers that map to no known business code are failures.
	a.client.Failed = func(r *vendorhttp.Response) bool {
		return (r.Status >= 500 || r.Status == http.StatusRequestTimeout) && a.vendorError(r).Retryable()
	}
	return a, nil
}

// Status implements domain.StatusReporter.
func (a *Adapter) Status() domain.ConnectionStatus { return a.client.Status() }

// Vendor implements domain.Connection.
func (a *Adapter) Vendor() domain.Vendor { return vendor }

// lfTime is the layout of Linkflow's zone-less timestamps (China
// Standard Time).
const lfTime = time.DateTime

// host picks the API family of a path.
type host int

const (
	guide host = iota
	cdpAPI
)

func (a *Adapter) url(h host, path string, q url.Values) string {
	b := a.base
	if h == cdpAPI {
		b = a.cdp
	}
	u := *b
	u.Path = b.Path + path
	u.RawQuery = q.Encode()
	return u.String()
}

// fetchToken calls GET /token with the app key and secret. It runs only
// when the token source has no valid token: under its cross-replica lock,
// or directly when the shared token store is down.
func (a *Adapter) fetchToken(ctx context.Context) (vendorhttp.Token, error) {
	resp, err := a.client.Call(ctx, vendorhttp.Request{
		Op: "GET /token", Method: http.MethodGet, Public: true,
		Build: func(ctx context.Context, _ string) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url(guide, "/token", nil), nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-OpenApi-Key", a.key)
			req.Header.Set("X-OpenApi-Secret", a.secret)
			return req, nil
		},
	})
	if err != nil {
		return vendorhttp.Token{}, err
	}
	if resp.Status != http.StatusOK {
		verr := a.vendorError(resp)
		if verr.Kind == domain.VendorAuth || verr.Kind == domain.VendorUnknown || verr.Kind == domain.VendorNotFound {
			verr.Kind = domain.VendorAuth
			verr.Detail = "linkflow refused the app key and secret"
		}
		return vendorhttp.Token{}, verr
	}
	var body struct {
		Token      string          `json:"token"`
		Expiration json.RawMessage `json:"expiration"`
	}
	if err := resp.Decode(vendor, &body); err != nil {
		return vendorhttp.Token{}, err
	}
	exp, err := parseExpiration(body.Expiration)
	if body.Token == "" || err != nil {
		return vendorhttp.Token{}, vendorhttp.BadResponse(vendor, resp.Status, "linkflow sent a token answer without a usable token and expiration", err)
	}
	return vendorhttp.Token{Value: body.Token, Expires: exp}, nil
}

// parseExpiration accepts both forms Linkflow has been seen to send:
// "yyyy-MM-dd HH:mm:ss" (China Standard Time) and epoch milliseconds, as a
// number or a string of digits.
func parseExpiration(raw json.RawMessage) (time.Time, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return time.Time{}, errors.New("expiration is neither a string nor a number")
		}
		s = n.String()
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	t, err := time.ParseInLocation(lfTime, s, vendorhttp.CST)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiration %q: %w", s, err)
	}
	return t, nil
}

// call is one Linkflow API request.
type call struct {
	method string
	host   host
	path   string
	query  url.Values
	body   any // JSON-encoded when not nil
	// anyStatus returns every vendor answer as it is (passthrough) instead
	// of turning non-2xx answers into errors.
	anyStatus bool
	// op names the call in telemetry; default: method and path with ids
	// replaced (vendorhttp.OpName).
	op string
	// idempotent marks a write that is safe to repeat: the client may
	// retry it as it retries reads.
	idempotent bool
}

// do sends c with the access token (vendorhttp.Client fetches it, and
// fetches a new one once when Linkflow answers 401). A non-2xx answer
// becomes a *domain.VendorError unless c.anyStatus.
func (a *Adapter) do(ctx context.Context, c call) (*vendorhttp.Response, error) {
	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return nil, fmt.Errorf("linkflow: encode %s %s: %w", c.method, c.path, err)
		}
	}
	op := c.op
	if op == "" {
		op = vendorhttp.OpName(c.method, c.path)
	}
	resp, err := a.client.Call(ctx, vendorhttp.Request{
		Op: op, Method: c.method, Idempotent: c.idempotent,
		Build: func(ctx context.Context, token string) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, c.method, a.url(c.host, c.path, c.query), bytes.NewReader(payload))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-OpenApi-Token", token)
			if payload != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, nil
		},
	})
	if err != nil {
		return nil, err
	}
	if (resp.Status < 200 || resp.Status > 299) && !c.anyStatus {
		return nil, a.vendorError(resp)
	}
	return resp, nil
}

// doJSON sends c and decodes the JSON answer into out.
func (a *Adapter) doJSON(ctx context.Context, c call, out any) error {
	resp, err := a.do(ctx, c)
	if err != nil {
		return err
	}
	return resp.Decode(vendor, out)
}
