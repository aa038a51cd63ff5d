package miaokoltest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
)

// GrantType is the only grant_type /oauth/token accepts.
const GrantType = "client_credential"

// TokenResponse is the data of a successful /oauth/token answer;
// ExpiresIn is the token's lifetime in seconds.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// issueToken serves POST /oauth/token: a JSON body with app_id, app_secret
// and grant_type client_credential.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	grant, err := b.optionalString("grant_type")
	if err != nil {
		return err
	}
	appID, err := b.optionalString("app_id")
	if err != nil {
		return err
	}
	secret, err := b.optionalString("app_secret")
	if err != nil {
		return err
	}
	switch {
	case grant != GrantType:
		return &apiError{code: CodeInvalidGrantType, msg: "invalid grant_type"}
	case !equal(appID, s.cfg.AppID):
		return &apiError{code: CodeInvalidAppID, msg: "invalid appid"}
	case !equal(secret, s.cfg.AppSecret):
		return &apiError{code: CodeInvalidAppSecret, msg: "invalid appsecret"}
	}
	writeJSON(w, http.StatusOK, answer{Data: TokenResponse{AccessToken: s.IssueToken(), ExpiresIn: int64(s.cfg.TokenTTL.Seconds())}})
	return nil
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// IssueToken issues an access token as /oauth/token does, for tests that
// call the smart-tag API directly. Earlier tokens keep working until their
// own expiry.
func (s *Server) IssueToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:]) // 32 hex digits, like the documented ones
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = now.Add(s.cfg.TokenTTL)
	return tok
}

// validToken reports whether tok was issued and has not expired: a token
// works until, and not at, its issue time plus TokenTTL.
func (s *Server) validToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	return ok && s.now().Before(exp)
}

// ExpireTokens makes every access token issued so far stop working now.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// TokenCalls is the number of POST /oauth/token requests received,
// whatever they answered (faults included).
func (s *Server) TokenCalls() int { return s.kit.Calls(http.MethodPost, "/oauth/token") }
