package meihua

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// vendor is the name Meihua has in the gateway.
const vendor domain.Vendor = "meihua"

// Documented hosts: the OAuth2 server and the API base.
const (
	DefaultBaseURL = "http://api.m1world.com/v2"
	DefaultAuthURL = "http://auth2.m1world.com"
)

// Config is one Meihua connection: one tenant's account, authorized for
// the gateway's Meihua app.
type Config struct {
	BaseURL string // API base; default DefaultBaseURL
	AuthURL string // OAuth2 server; default DefaultAuthURL
	// RedirectURI is the gateway's OAuth2 callback registered with the
	// Meihua app; the authorization page sends the code there and the code
	// exchange must name it again. The tenants file requires it; without
	// it the connection serves API calls on its refresh token but cannot
	// be connected (CompleteAuthorization fails).
	RedirectURI string
	AppKey      string // client_id
	AppSecret   string // client_secret
	// RefreshToken is an optional bootstrap refresh token, from an
	// authorization made outside the gateway; the stored one wins once
	// there is one.
	RefreshToken string
	// Client configures the connection's vendor client (tenant, HTTP
	// client, timeout, retries, breaker, quota, shared token store).
	Client vendorhttp.Options
	// Now is the adapter's clock (Retry-After of E10104, token expiry
	// sanity); default time.Now.
	Now func() time.Time
}

// Adapter is a Meihua connection. It implements the domain ports Meihua
// can serve, and domain.Authorizer.
type Adapter struct {
	base, auth *url.URL
	redirect   string
	key        string
	secret     string
	client     *vendorhttp.Client
	now        func() time.Time
	log        *slog.Logger
}

// New checks cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	base, err := vendorhttp.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("meihua base_url: %w", err)
	}
	auth, err := vendorhttp.ParseBaseURL(cfg.AuthURL)
	if err != nil {
		return nil, fmt.Errorf("meihua auth_url: %w", err)
	}
	if cfg.RedirectURI != "" {
		if u, err := url.Parse(cfg.RedirectURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return nil, errors.New("meihua redirect_uri: must be the http(s) URL of the gateway's OAuth2 callback")
		}
	}
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("meihua: app key and app secret are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Client.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		base: base, auth: auth, redirect: cfg.RedirectURI, key: cfg.AppKey, secret: cfg.AppSecret,
		client: vendorhttp.NewClient(vendor, cfg.Client), now: cfg.Now, log: log,
	}
	// Meihua grants access by OAuth2: the connection lives on its refresh
	// token, which the token source keeps and rotates. E10101 says the
	// access token is no longer valid: it is dropped and the call sent once
	// more with a new one. Business errors come with HTTP 200, so the
	// client's default failure test (5xx, 408) is the right one.
	a.client.Auth = &vendorhttp.Auth{
		Refresh:   a.refresh,
		Bootstrap: cfg.RefreshToken,
		Rejected:  tokenRejected,
	}
	return a, nil
}

// Status implements domain.StatusReporter.
func (a *Adapter) Status() domain.ConnectionStatus { return a.client.Status() }

// Vendor implements domain.Connection.
func (a *Adapter) Vendor() domain.Vendor { return vendor }

// apiURL is the URL of an API path with q, without the token.
func (a *Adapter) apiURL(path string, q url.Values) *url.URL {
	u := *a.base
	u.Path = a.base.Path + path
	u.RawQuery = q.Encode()
	return &u
}

// call is one Meihua API request.
type call struct {
	method string
	path   string
	// query holds the parameters sent in the URL; the access token is
	// added to it on every attempt.
	query url.Values
	// form holds the parameters sent as an
	// application/x-www-form-urlencoded body (POST only): the JSON
	// parameters (contacts, fields, ids, subpropertys), which can be
	// large.
	form url.Values
	// idempotent marks a write that is safe to repeat, or a read sent as
	// POST: the client may retry it.
	idempotent bool
	// once marks a write sent at most once, even with an Idempotency-Key:
	// the adapter finds out itself whether one whose answer was lost was
	// done.
	once bool
	// op names the call in telemetry; default: the method and path, which
	// never hold ids (Meihua passes ids as parameters).
	op string
}

// name is the call's operation name for telemetry: c.op, or the method
// and path, which never hold ids (Meihua takes ids as parameters).
func (c call) name() string {
	if c.op != "" {
		return c.op
	}
	return c.method + " " + c.path
}

// send sends c with the access token in its query (vendorhttp.Client gets
// it, and gets a new one once when Meihua answers E10101) and returns the
// answer as it is.
func (a *Adapter) send(ctx context.Context, c call) (*vendorhttp.Response, error) {
	var body []byte
	if c.form != nil {
		body = []byte(c.form.Encode())
	}
	return a.client.Call(ctx, vendorhttp.Request{
		Op: c.name(), Method: c.method, Idempotent: c.idempotent, Once: c.once,
		Build: func(ctx context.Context, token string) (*http.Request, error) {
			q := make(url.Values, len(c.query)+1)
			for k, vs := range c.query {
				q[k] = vs
			}
			q.Set("token", token)
			req, err := http.NewRequestWithContext(ctx, c.method, a.apiURL(c.path, q).String(), bytes.NewReader(body))
			if err != nil {
				return nil, errors.New("the request could not be built") // not err: it would show the URL, token included
			}
			req.Header.Set("Accept", "application/json")
			if body != nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return req, nil
		},
	})
}

// data sends c and returns the data member of its success envelope; any
// other answer is an error.
func (a *Adapter) data(ctx context.Context, c call) (json.RawMessage, *vendorhttp.Response, error) {
	resp, err := a.send(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	d, err := a.envelope(resp)
	if err != nil {
		return nil, nil, err
	}
	return d, resp, nil
}

// envelope reads a Meihua answer: HTTP 2xx with {"success": true,
// "data": …}. Business errors come with HTTP 200 and success false; an
// error status is read by its E-code when it has one, and otherwise by
// the status.
func (a *Adapter) envelope(resp *vendorhttp.Response) (json.RawMessage, error) {
	if resp.Status < 200 || resp.Status > 299 {
		return nil, a.statusError(resp)
	}
	var body map[string]json.RawMessage
	if err := resp.Decode(vendor, &body); err != nil {
		return nil, err
	}
	var ok bool
	switch s := bytes.TrimSpace(body["success"]); {
	case s == nil:
		if code := errorCode(body); code != "" {
			return nil, a.codeError(resp, code)
		}
		return nil, vendorhttp.BadResponse(vendor, resp.Status, "meihua answered without its success flag")
	case json.Unmarshal(s, &ok) != nil:
		return nil, vendorhttp.BadResponse(vendor, resp.Status, "meihua answered a success flag that is not true or false")
	case !ok:
		return nil, a.codeError(resp, errorCode(body))
	}
	return body["data"], nil
}
