package meihuatest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	grantCode    = "authorization_code"
	grantRefresh = "refresh_token"
)

type authCode struct {
	redirectURI string
	expires     time.Time
}

// denial is a queued refusal of the next authorization.
type denial struct{ code, description string }

// TokenResponse is the answer of a successful /access_token call.
// ExpiresIn is the access token's expiry time in epoch milliseconds, not a
// duration.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// authorize serves GET /authorize on the OAuth host: the account owner is
// taken to have logged in and approved, so a valid request is redirected
// to the callback at once with a code (and the state it came with).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	clientID, redirectURI, responseType := q.Get("client_id"), q.Get("redirect_uri"), q.Get("response_type")
	switch {
	case clientID == "":
		return oauthRefusal(http.StatusBadRequest, "invalid_request", "missing parameter client_id")
	case !equal(clientID, s.cfg.ClientID):
		return oauthRefusal(http.StatusUnauthorized, "invalid_client", "unknown client_id")
	case redirectURI == "":
		return oauthRefusal(http.StatusBadRequest, "invalid_request", "missing parameter redirect_uri")
	case redirectURI != s.cfg.RedirectURI:
		return oauthRefusal(http.StatusBadRequest, "redirect_uri_mismatch", "redirect_uri does not match the registered callback")
	case responseType == "":
		return oauthRefusal(http.StatusBadRequest, "invalid_request", "missing parameter response_type")
	case responseType != "code":
		return oauthRefusal(http.StatusBadRequest, "unsupported_response_type", "response_type must be code")
	}
	answer := url.Values{}
	s.mu.Lock()
	if d := s.denial; d != nil {
		s.denial = nil
		answer.Set("error", d.code)
		answer.Set("error_description", d.description)
	} else {
		code := newToken(s.now())
		s.codes[code] = authCode{redirectURI: redirectURI, expires: s.now().Add(s.cfg.CodeTTL)}
		answer.Set("code", code)
	}
	s.mu.Unlock()
	if q.Has("state") {
		answer.Set("state", q.Get("state"))
	}
	w.Header().Set("Location", appendQuery(redirectURI, answer))
	w.WriteHeader(http.StatusFound)
	return nil
}

// appendQuery adds v to uri's query, keeping the query it has.
func appendQuery(uri string, v url.Values) string {
	fragment := ""
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		uri, fragment = uri[:i], uri[i:]
	}
	sep := "?"
	switch {
	case strings.HasSuffix(uri, "?") || strings.HasSuffix(uri, "&"):
		sep = ""
	case strings.Contains(uri, "?"):
		sep = "&"
	}
	return uri + sep + v.Encode() + fragment
}

// accessToken serves POST /access_token on the OAuth host. Its parameters
// are read from the URL query only, as documented.
func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	param := func(name string) (string, error) {
		if v := q.Get(name); v != "" {
			return v, nil
		}
		return "", oauthRefusal(http.StatusBadRequest, "invalid_request", "missing parameter %s (the token call takes its parameters in the URL query)", name)
	}
	clientID, err := param("client_id")
	if err != nil {
		return err
	}
	secret, err := param("client_secret")
	if err != nil {
		return err
	}
	if !equal(clientID, s.cfg.ClientID) || !equal(secret, s.cfg.ClientSecret) {
		return oauthRefusal(http.StatusUnauthorized, "invalid_client", "unknown client_id or wrong client_secret")
	}
	grant, err := param("grant_type")
	if err != nil {
		return err
	}
	var tr TokenResponse
	switch grant {
	case grantCode:
		code, err := param("code")
		if err != nil {
			return err
		}
		redirectURI, err := param("redirect_uri")
		if err != nil {
			return err
		}
		if tr, err = s.exchangeCode(code, redirectURI); err != nil {
			return err
		}
	case grantRefresh:
		rt, err := param("refresh_token")
		if err != nil {
			return err
		}
		if tr, err = s.refreshGrant(rt); err != nil {
			return err
		}
	default:
		return oauthRefusal(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
	writeJSON(w, http.StatusOK, tr)
	return nil
}

// exchangeCode spends a code: it is used up by the attempt, even one that
// fails on its redirect_uri.
func (s *Server) exchangeCode(code, redirectURI string) (TokenResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	delete(s.codes, code)
	switch {
	case !ok:
		return TokenResponse{}, oauthRefusal(http.StatusBadRequest, "invalid_grant", "unknown or already used code")
	case !s.now().Before(c.expires):
		return TokenResponse{}, oauthRefusal(http.StatusBadRequest, "invalid_grant", "code expired")
	case redirectURI != c.redirectURI:
		return TokenResponse{}, oauthRefusal(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the one the code was issued to")
	}
	return s.issueLocked(""), nil
}

func (s *Server) refreshGrant(rt string) (TokenResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.refresh[rt] {
		return TokenResponse{}, oauthRefusal(http.StatusBadRequest, "invalid_grant", "unknown, revoked or already rotated refresh_token")
	}
	if s.cfg.KeepRefreshTokens {
		return s.issueLocked(rt), nil
	}
	delete(s.refresh, rt)
	return s.issueLocked(""), nil
}

// issueLocked issues an access token, with refresh (or a new refresh token
// when it is ""). Earlier access tokens stay valid until they expire.
// Callers hold s.mu.
func (s *Server) issueLocked(refresh string) TokenResponse {
	now := s.now()
	for tok, exp := range s.access {
		if !now.Before(exp) {
			delete(s.access, tok)
		}
	}
	exp := now.Add(s.cfg.AccessTokenTTL)
	access := newToken(now)
	s.access[access] = exp
	if refresh == "" {
		refresh = newToken(now)
		s.refresh[refresh] = true
	}
	return TokenResponse{AccessToken: access, RefreshToken: refresh, ExpiresIn: exp.UnixMilli()}
}

// newToken looks like the vendor's: 32 hex digits and the issue time in
// epoch milliseconds.
func newToken(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + strconv.FormatInt(now.UnixMilli(), 10)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Grant issues an access and a refresh token as a code exchange would, as
// if the account owner had authorized the app: for tests and for a sandbox
// tenant that is already connected.
func (s *Server) Grant() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tr := s.issueLocked("")
	return tr.AccessToken, tr.RefreshToken
}

// DenyNextAuthorization makes the next valid /authorize redirect to the
// callback with error=errCode and error_description=description (and the
// state) instead of a code, as when the account owner declines.
func (s *Server) DenyNextAuthorization(errCode, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denial = &denial{code: errCode, description: description}
}

// ExpireAccessTokens makes every access token issued so far stop working.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
}

// RevokeRefreshTokens makes every refresh token issued so far stop
// working: a refresh with one answers invalid_grant.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

// RefreshCalls is the number of POST /access_token requests with
// grant_type=refresh_token in the URL query, whatever they answered
// (faults included).
func (s *Server) RefreshCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshCalls
}

// CodeExchanges is the number of POST /access_token requests with
// grant_type=authorization_code in the URL query, whatever they answered
// (faults included).
func (s *Server) CodeExchanges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codeExchanges
}
