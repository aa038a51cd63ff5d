package miaokol

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// vendor is the name Miaokol has in the gateway.
const vendor domain.Vendor = "miaokol"

// DefaultBaseURL is the documented API host (token and smart-tag calls).
const DefaultBaseURL = "https://oapi-yzj.miaokol.com"

// defaultTokenLifetime is the documented lifetime of an access token,
// assumed when a token answer gives none.
const defaultTokenLifetime = 7200 * time.Second

// Config is one Miaokol connection: one tenant's app.
type Config struct {
	BaseURL   string // default DefaultBaseURL
	AppID     string
	AppSecret string
	// Client configures the connection's vendor client (tenant, HTTP
	// client, timeout, retries, breaker, quota, shared token store).
	Client vendorhttp.Options
}

// Adapter is a Miaokol connection. It implements the domain ports Miaokol
// can serve.
type Adapter struct {
	base   *url.URL
	appID  string
	secret string
	client *vendorhttp.Client
}

// New checks cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := vendorhttp.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("miaokol base_url: %w", err)
	}
	if cfg.AppID == "" || cfg.AppSecret == "" {
		return nil, errors.New("miaokol: app id and app secret are required")
	}
	a := &Adapter{base: base, appID: cfg.AppID, secret: cfg.AppSecret, client: vendorhttp.NewClient(vendor, cfg.Client)}
	// Miaokol hands out tokens for the app id and secret (no refresh
	// token). An answer saying the token is invalid or expired drops it,
	// and the call is sent once more with a new one. Business errors come
	// with HTTP 200, so the client's default failure test (5xx, 408) is
	// the right one.
	a.client.Auth = &vendorhttp.Auth{Fetch: a.fetchToken, Rejected: tokenRejected}
	return a, nil
}

// Status implements domain.StatusReporter.
func (a *Adapter) Status() domain.ConnectionStatus { return a.client.Status() }

// Vendor implements domain.Connection.
func (a *Adapter) Vendor() domain.Vendor { return vendor }

// url is the URL of an API path with query q.
func (a *Adapter) url(path string, q url.Values) string {
	u := *a.base
	u.Path = a.base.Path + path
	u.RawQuery = q.Encode()
	return u.String()
}

// fetchToken asks for a token with the app id and secret
// (POST /oauth/token). It runs only when the token source has no valid
// token: under its cross-replica lock, or directly when the shared token
// store is down. The secret goes nowhere else.
func (a *Adapter) fetchToken(ctx context.Context) (vendorhttp.Token, error) {
	body, err := json.Marshal(struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
		GrantType string `json:"grant_type"`
	}{a.appID, a.secret, "client_credential"})
	if err != nil {
		return vendorhttp.Token{}, errors.New("miaokol: the token request could not be encoded")
	}
	resp, err := a.client.Call(ctx, vendorhttp.Request{
		Op: "POST /oauth/token", Method: http.MethodPost, Public: true,
		Build: func(ctx context.Context, _ string) (*http.Request, error) {
			return a.newRequest(ctx, http.MethodPost, a.url("/oauth/token", nil), body)
		},
	})
	if err != nil {
		return vendorhttp.Token{}, err
	}
	return readToken(resp)
}

// readToken reads a token answer: {"errcode":0,"data":{"access_token",
// "expires_in"}}, or the two members at the top level. Any refusal is
// the credentials' (the call takes nothing else): VendorAuth, which the
// token source remembers for a while.
func readToken(resp *vendorhttp.Response) (vendorhttp.Token, error) {
	if resp.Status < 200 || resp.Status > 299 {
		e := statusError(resp)
		if e.Kind == domain.VendorUnknown || e.Kind == domain.VendorAuth {
			e.Kind, e.Detail = domain.VendorAuth, "miaokol refused the app id and secret"
		}
		return vendorhttp.Token{}, e
	}
	type token struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   num    `json:"expires_in"`
	}
	var body struct {
		token
		ErrCode *num   `json:"errcode"`
		Data    *token `json:"data"`
	}
	if err := resp.Decode(vendor, &body); err != nil {
		return vendorhttp.Token{}, err
	}
	if body.ErrCode != nil && *body.ErrCode != 0 {
		return vendorhttp.Token{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorAuth, Status: resp.Status,
			Code: codeText(*body.ErrCode), Detail: "miaokol refused the app id and secret"}
	}
	tok := body.token
	if body.Data != nil && body.Data.AccessToken != "" {
		tok = *body.Data
	}
	if tok.AccessToken == "" {
		return vendorhttp.Token{}, vendorhttp.BadResponse(vendor, resp.Status, "miaokol answered the token call without an access token")
	}
	life := time.Duration(tok.ExpiresIn) * time.Second
	if tok.ExpiresIn <= 0 || tok.ExpiresIn > num(defaultTokenLifetime/time.Second)*12 {
		life = defaultTokenLifetime // missing or absurd: the documented lifetime
	}
	return vendorhttp.Token{Value: tok.AccessToken, ExpiresIn: life}, nil
}

// newRequest is an HTTP request to Miaokol with a JSON body (none when
// body is nil).
func (a *Adapter) newRequest(ctx context.Context, method, u string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, errors.New("the request could not be built") // not err: it would show the URL, token included
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	return req, nil
}

// call is one smart-tag API request.
type call struct {
	method string
	path   string
	// query holds a GET's parameters; app_id and access_token are added
	// to it on every attempt.
	query url.Values
	// params are a POST's parameters, a JSON object (a struct or a
	// json.RawMessage); app_id and access_token are added to it on every
	// attempt.
	params any
	// write marks a call whose errcode 1 means Miaokol refused the
	// caller's input (VendorRejected) rather than failed (VendorUnknown).
	write bool
	// idempotent marks a write that is safe to repeat (a rename, a full
	// overwrite): the client may retry it as it retries reads.
	idempotent bool
	// op names the call in telemetry; default: method and path (Miaokol
	// takes ids as parameters, never in paths).
	op string
}

func (c call) name() string {
	if c.op != "" {
		return c.op
	}
	return c.method + " " + c.path
}

// send sends c with the app id and the access token where the docs put
// them: in the query of a GET, in the JSON body of any other call. The
// vendor client supplies the token, and a new one once when Miaokol says
// the token is no longer valid. The answer is returned as it is.
func (a *Adapter) send(ctx context.Context, c call) (*vendorhttp.Response, error) {
	var params []byte
	if c.method != http.MethodGet {
		var err error
		if params, err = objectJSON(c.params); err != nil {
			return nil, err
		}
	}
	return a.client.Call(ctx, vendorhttp.Request{
		Op: c.name(), Method: c.method, Idempotent: c.idempotent,
		Build: func(ctx context.Context, token string) (*http.Request, error) {
			if c.method == http.MethodGet {
				q := make(url.Values, len(c.query)+2)
				for k, vs := range c.query {
					q[k] = vs
				}
				q.Set("app_id", a.appID)
				q.Set("access_token", token)
				return a.newRequest(ctx, c.method, a.url(c.path, q), nil)
			}
			return a.newRequest(ctx, c.method, a.url(c.path, c.query), a.withAuth(params, token))
		},
	})
}

// objectJSON encodes a POST's parameters, which must be a JSON object;
// nil is the empty object.
func objectJSON(params any) ([]byte, error) {
	if params == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("miaokol: encode parameters: %w", err)
	}
	if b = bytes.TrimSpace(b); len(b) < 2 || b[0] != '{' {
		return nil, errors.New("miaokol: parameters must be a JSON object")
	}
	return b, nil
}

// withAuth is the JSON object params with app_id and access_token as its
// first members.
func (a *Adapter) withAuth(params []byte, token string) []byte {
	id, _ := json.Marshal(a.appID)
	tok, _ := json.Marshal(token)
	out := make([]byte, 0, len(params)+len(id)+len(tok)+32)
	out = append(out, `{"app_id":`...)
	out = append(out, id...)
	out = append(out, `,"access_token":`...)
	out = append(out, tok...)
	if rest := bytes.TrimSpace(params[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, params[1:]...)
}

// data sends c and returns the data member of Miaokol's success answer
// (HTTP 2xx, errcode 0); any other answer is an error.
func (a *Adapter) data(ctx context.Context, c call) (json.RawMessage, *vendorhttp.Response, error) {
	resp, err := a.send(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	env, err := envelope(resp, c.write)
	if err != nil {
		return nil, nil, err
	}
	return env.Data, resp, nil
}

// answer is Miaokol's answer envelope.
type answer struct {
	ErrCode *num            `json:"errcode"`
	Data    json.RawMessage `json:"data"`
	Pager   *pager          `json:"pager"`
}

// envelope reads a Miaokol answer: HTTP 200 with {"errcode": 0, "data":
// …}. An error status is read by the status; errcode other than 0 is an
// error (write: the call carried the caller's input).
func envelope(resp *vendorhttp.Response, write bool) (answer, error) {
	if resp.Status < 200 || resp.Status > 299 {
		return answer{}, statusError(resp)
	}
	var env answer
	if err := resp.Decode(vendor, &env); err != nil {
		return answer{}, err
	}
	switch {
	case env.ErrCode == nil:
		return answer{}, vendorhttp.BadResponse(vendor, resp.Status, "miaokol answered without an errcode")
	case *env.ErrCode != 0:
		return answer{}, codeError(resp, *env.ErrCode, write)
	}
	return env, nil
}
