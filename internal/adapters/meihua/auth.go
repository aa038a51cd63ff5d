package meihua

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// tokenLifetime is the documented lifetime of an access token.
const tokenLifetime = 24 * time.Hour

// AuthorizeURL implements domain.Authorizer: Meihua's authorization page
// (GET {auth_url}/authorize) for the gateway's app, which sends the
// account owner back to the redirect URI with a code and state.
func (a *Adapter) AuthorizeURL(state string) (authorizeURL, redirectURI string) {
	q := url.Values{"client_id": {a.key}, "response_type": {"code"}}
	if a.redirect != "" {
		q.Set("redirect_uri", a.redirect)
	}
	if state != "" {
		q.Set("state", state)
	}
	u := *a.auth
	u.Path = a.auth.Path + "/authorize"
	u.RawQuery = q.Encode()
	return u.String(), a.redirect
}

// CompleteAuthorization implements domain.Authorizer: it exchanges the
// code for tokens (POST {auth_url}/access_token, grant_type
// authorization_code, sent once) and makes them the connection's on every
// replica. A code Meihua refuses (unknown, used, expired) is a
// VendorRejected error with code invalid_grant; nothing is stored then.
func (a *Adapter) CompleteAuthorization(ctx context.Context, code string) error {
	if a.redirect == "" {
		return errors.New("meihua: the connection has no redirect_uri, which the code exchange needs")
	}
	if strings.TrimSpace(code) == "" {
		return &domain.VendorError{Vendor: vendor, Kind: domain.VendorRejected, Code: "invalid_grant", Detail: "no authorization code was given"}
	}
	g, err := a.token(ctx, false, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.redirect},
	})
	if err != nil {
		return err
	}
	return a.client.TokenSource().Authorize(ctx, g)
}

// Authorization implements domain.Authorizer.
func (a *Adapter) Authorization(ctx context.Context) (domain.Authorization, error) {
	return a.client.TokenSource().Authorization(ctx)
}

// refresh is the connection's vendorhttp.Auth.Refresh: it exchanges the
// refresh token for new tokens (POST {auth_url}/access_token, grant_type
// refresh_token). Meihua may rotate the refresh token; the token source
// saves the new one before the access token is used.
func (a *Adapter) refresh(ctx context.Context, refreshToken string) (vendorhttp.Grant, error) {
	return a.token(ctx, true, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// tokenAnswer is the token endpoint's answer: tokens, or an OAuth2 error.
type tokenAnswer struct {
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	Error        json.RawMessage `json:"error"`
	// error_description is never read: its text is the vendor's.
}

// token sends one token request, every parameter in the URL query as the
// docs say, never more than once (a refresh token or code may be spent on
// receipt, so a retry could only be refused), and reads the answer. The
// error's kind and status tell the token source whether Meihua may have
// taken the token: an answer with an error status or an OAuth2 error did
// not, a success answer that cannot be read (or none at all) may have.
func (a *Adapter) token(ctx context.Context, refreshing bool, params url.Values) (vendorhttp.Grant, error) {
	q := url.Values{"client_id": {a.key}, "client_secret": {a.secret}}
	for k, v := range params {
		q[k] = v
	}
	u := *a.auth
	u.Path = a.auth.Path + "/access_token"
	u.RawQuery = q.Encode()
	target := u.String()
	resp, err := a.client.Call(ctx, vendorhttp.Request{
		Op: "POST /access_token", Method: http.MethodPost, Public: true, Once: true,
		Build: func(ctx context.Context, _ string) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, http.NoBody)
			if err != nil {
				return nil, errors.New("the request could not be built") // not err: it would show the URL, secrets included
			}
			req.Header.Set("Accept", "application/json")
			return req, nil
		},
	})
	if err != nil {
		return vendorhttp.Grant{}, err
	}
	return a.readGrant(resp, refreshing)
}

// readGrant reads the token endpoint's answer.
func (a *Adapter) readGrant(resp *vendorhttp.Response, refreshing bool) (vendorhttp.Grant, error) {
	var ans tokenAnswer
	decodeErr := resp.Decode(vendor, &ans)
	if name := oauthErrorName(ans.Error); decodeErr == nil && name != "" && ans.AccessToken == "" {
		return vendorhttp.Grant{}, a.oauthError(resp.Status, name, refreshing)
	}
	if resp.Status < 200 || resp.Status > 299 {
		if code := responseCode(resp); code != "" {
			return vendorhttp.Grant{}, a.codeError(resp, code)
		}
		switch vendorhttp.StatusKind(resp.Status) {
		case domain.VendorTimeout:
			// A gateway in front of Meihua gave up waiting: the request may
			// have been taken.
			return vendorhttp.Grant{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorTimeout, Status: resp.Status,
				Detail: fmt.Sprintf("meihua's token endpoint answered %d", resp.Status)}
		case domain.VendorNotFound:
			return vendorhttp.Grant{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorEndpointNotFound, Status: resp.Status,
				Detail: "meihua's token endpoint is not there (404): check the connection's auth_url"}
		}
		return vendorhttp.Grant{}, vendorhttp.BadResponse(vendor, resp.Status,
			fmt.Sprintf("meihua's token endpoint answered %d without an OAuth2 error", resp.Status))
	}
	if decodeErr != nil {
		return vendorhttp.Grant{}, decodeErr
	}
	if ans.AccessToken == "" {
		if code := responseCode(resp); code != "" {
			return vendorhttp.Grant{}, a.codeError(resp, code)
		}
		return vendorhttp.Grant{}, vendorhttp.BadResponse(vendor, resp.Status, "meihua's token answer holds no access token")
	}
	return vendorhttp.Grant{
		Token:   vendorhttp.Token{Value: ans.AccessToken, Expires: a.expiry(ans.ExpiresIn)},
		Refresh: ans.RefreshToken,
	}, nil
}

// expiry reads expires_in, which Meihua sends as the token's absolute
// expiry in epoch milliseconds (a number, or a string of digits). The
// tokens of an answer are kept whatever its expiry says (a refresh may
// have rotated the refresh token, so refusing the answer would lose the
// connection): an expiry that is missing, unreadable, past, or further
// than the documented 24 hours is taken as 24 hours from now, and a small
// number as a lifetime in seconds (the usual OAuth2 form). Meihua's E10101
// ends a token that expires earlier than the gateway thinks.
func (a *Adapter) expiry(raw json.RawMessage) time.Time {
	now := a.now()
	latest := now.Add(tokenLifetime)
	n, ok := epochNumber(raw)
	switch {
	case ok && n > 0 && n <= int64(tokenLifetime/time.Second):
		return now.Add(time.Duration(n) * time.Second)
	case ok && n >= 1e12:
		t := time.UnixMilli(n)
		if t.After(now) && !t.After(latest.Add(time.Hour)) {
			return t
		}
		if t.After(latest) {
			return latest
		}
	}
	a.log.LogAttrs(context.Background(), slog.LevelWarn, "meihua sent a token expiry the gateway cannot use; assuming the documented 24 hours",
		slog.String("vendor", string(vendor)))
	return latest
}

// epochNumber reads an integer written as a JSON number or a string of
// digits, exactly.
func epochNumber(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return 0, false
		}
		s = n.String()
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// oauthName is the shape of an OAuth2 error name; anything else in the
// error member is not repeated.
var oauthName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// oauthErrorName reads the error member of a token answer ("" when there
// is none). A name of an unexpected shape is reported as "unknown".
func oauthErrorName(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		if len(raw) == 0 || string(raw) == "null" {
			return ""
		}
		return "unknown"
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return ""
	case !oauthName.MatchString(s):
		return "unknown"
	}
	return s
}

// oauthError maps an OAuth2 error of the token endpoint. Only its name is
// kept (as Code); error_description is the vendor's text and never
// shown.
func (a *Adapter) oauthError(status int, name string, refreshing bool) error {
	e := &domain.VendorError{Vendor: vendor, Status: status, Code: name}
	switch name {
	case "invalid_grant":
		if refreshing {
			// The refresh token is unknown, spent or revoked: the
			// connection needs a new authorization.
			e.Kind, e.Detail = domain.VendorAuth, "meihua no longer accepts the tenant's refresh token"
			return vendorhttp.GrantRejected(e)
		}
		e.Kind, e.Detail = domain.VendorRejected, "meihua refused the authorization code: it is unknown, used or expired"
	case "invalid_client", "unauthorized_client":
		e.Kind, e.Detail = domain.VendorAuth, "meihua refused the connection's app key and secret"
	case "access_denied":
		e.Kind, e.Detail = domain.VendorAuth, "meihua denied the gateway's app access to the tenant's account"
	case "invalid_request", "unsupported_grant_type", "invalid_scope", "redirect_uri_mismatch", "invalid_redirect_uri":
		e.Kind, e.Detail = domain.VendorRejected, "meihua refused the token request; check the connection's redirect_uri and app settings"
	case "server_error", "temporarily_unavailable":
		e.Kind, e.Detail = domain.VendorUnavailable, "meihua's token endpoint reported a failure"
	default:
		e.Kind, e.Detail = domain.VendorUnknown, "meihua's token endpoint answered an OAuth2 error the gateway does not know"
	}
	return e
}
