// Package linkflow is the gateway's adapter for the Linkflow CDP open API.
//
// Linkflow publishes two API families that take the same access token: the
// open API guide (open.linkflowtech.com: identify, update, events, group
// writes, custom-field metadata) and the newer CDP endpoints
// (cdp-api.linkflowtech.com: /open/* lists and lookups, /v1/tags, folders).
// The adapter uses each endpoint from the family that documents it, so a
// connection has two base URLs. A token is fetched with the app key and
// secret (GET /token), cached until shortly before its expiration, and
// dropped and fetched again once when Linkflow answers 401.
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
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

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
	HTTPClient *http.Client
	Timeout    time.Duration      // per vendor call; default vendorhttp.DefaultTimeout
	Tokens     *vendorhttp.Tokens // shared token cache; default a private one
	TokenKey   string             // this connection's key in Tokens; required with a shared cache
	Now        func() time.Time
}

// Adapter is a Linkflow connection. It implements the domain ports
// Linkflow can serve.
type Adapter struct {
	base, cdp *url.URL
	key       string
	secret    string
	client    vendorhttp.Client
	tokens    *vendorhttp.Tokens
	tokenKey  string
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
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("linkflow base_url: %w", err)
	}
	cdp, err := parseBase(cfg.CDPBaseURL)
	if err != nil {
		return nil, fmt.Errorf("linkflow cdp_base_url: %w", err)
	}
	if cfg.AppKey == "" || cfg.AppSecret == "" {
		return nil, errors.New("linkflow: app key and app secret are required")
	}
	if cfg.Tokens == nil {
		cfg.Tokens = vendorhttp.NewTokens()
		if cfg.TokenKey == "" {
			cfg.TokenKey = "linkflow"
		}
	} else if cfg.TokenKey == "" {
		return nil, errors.New("linkflow: a shared token cache needs a token key")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Adapter{
		base: base, cdp: cdp, key: cfg.AppKey, secret: cfg.AppSecret,
		client: vendorhttp.Client{Vendor: domain.Linkflow, HTTP: cfg.HTTPClient, Timeout: cfg.Timeout},
		tokens: cfg.Tokens, tokenKey: cfg.TokenKey, now: cfg.Now,
	}, nil
}

func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(s, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("not an http(s) base URL without query or fragment")
	}
	return u, nil
}

// Vendor implements domain.Connection.
func (a *Adapter) Vendor() domain.Vendor { return domain.Linkflow }

// cst is China Standard Time, the zone of Linkflow's zone-less timestamps.
var cst = time.FixedZone("CST", 8*60*60)

const lfTime = "2006-01-02 15:04:05"

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

// token returns a valid access token, fetching one if needed.
func (a *Adapter) token(ctx context.Context) (string, error) {
	tok, err := a.tokens.Get(ctx, a.tokenKey, a.fetchToken)
	return tok.Value, err
}

// fetchToken calls GET /token with the app key and secret.
func (a *Adapter) fetchToken(ctx context.Context) (vendorhttp.Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url(guide, "/token", nil), nil)
	if err != nil {
		return vendorhttp.Token{}, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-OpenApi-Key", a.key)
	req.Header.Set("X-OpenApi-Secret", a.secret)
	resp, err := a.client.Do(req)
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
	if err := resp.Decode(domain.Linkflow, &body); err != nil {
		return vendorhttp.Token{}, err
	}
	exp, err := parseExpiration(body.Expiration)
	if body.Token == "" || err != nil {
		return vendorhttp.Token{}, vendorhttp.BadResponse(domain.Linkflow, resp.Status, "linkflow sent a token answer without a usable token and expiration", err)
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
	t, err := time.ParseInLocation(lfTime, s, cst)
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
}

// do sends c with the access token. When Linkflow answers 401 the token is
// dropped and the call is sent once more with a new one. A non-2xx answer
// becomes a *domain.VendorError.
func (a *Adapter) do(ctx context.Context, c call) (*vendorhttp.Response, error) {
	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return nil, fmt.Errorf("linkflow: encode %s %s: %w", c.method, c.path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		tok, err := a.token(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, c.method, a.url(c.host, c.path, c.query), bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-OpenApi-Token", tok)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := a.client.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.Status == http.StatusUnauthorized && attempt == 0 {
			a.tokens.Invalidate(a.tokenKey, tok)
			continue
		}
		if (resp.Status < 200 || resp.Status > 299) && !c.anyStatus {
			return nil, a.vendorError(resp)
		}
		return resp, nil
	}
}

// doJSON sends c and decodes the JSON answer into out.
func (a *Adapter) doJSON(ctx context.Context, c call, out any) error {
	resp, err := a.do(ctx, c)
	if err != nil {
		return err
	}
	return resp.Decode(domain.Linkflow, out)
}
