package domain

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// AuthorizationStateTTL is how long an OAuth state stays good: the time an
// account owner has to authorize at the vendor.
const AuthorizationStateTTL = 10 * time.Minute

// AuthorizationStart is where to send an account owner to connect a
// tenant's connection, and the state that comes back with the code.
type AuthorizationStart struct {
	Tenant       string
	Vendor       Vendor
	AuthorizeURL string
	RedirectURI  string
	State        string
	Expires      time.Time
}

// AuthorizationCallback is the query of a vendor's OAuth redirect.
type AuthorizationCallback struct {
	State string
	Code  string
	Error string // the vendor's error name, when it did not authorize
}

// ConnectionAuthorization is one connection's authorization state.
type ConnectionAuthorization struct {
	Tenant string
	Vendor Vendor
	Authorization
}

// OAuthStateError is a callback state the gateway does not take: it is
// malformed, not signed by this gateway, expired or already used.
type OAuthStateError struct{ Reason string }

func (e *OAuthStateError) Error() string { return "invalid OAuth state: " + e.Reason }

// AuthorizationDeniedError is a callback in which the vendor reports that
// the authorization did not happen (Code is its error name, e.g.
// access_denied).
type AuthorizationDeniedError struct {
	Vendor Vendor
	Code   string
}

func (e *AuthorizationDeniedError) Error() string {
	return fmt.Sprintf("%s did not authorize the gateway: it answered the authorization with an error", e.Vendor)
}

// oauthState is what a state carries, signed.
type oauthState struct {
	Tenant  string `json:"t"`
	Vendor  Vendor `json:"v"`
	Nonce   string `json:"n"`
	Expires int64  `json:"e"` // unix seconds
}

// stateKey derives the key that signs OAuth states from the cursor secret,
// which every replica shares, so that a state made on one replica is taken
// on another while no cursor can pass for a state.
func stateKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cdp-gateway oauth state v1"))
	return m.Sum(nil)
}

func (s *Service) signState(st oauthState) string {
	payload, err := json.Marshal(st)
	if err != nil {
		panic(err) // strings and an integer: cannot fail
	}
	m := hmac.New(sha256.New, s.stateKey)
	m.Write(payload)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(m.Sum(nil))
}

func (s *Service) openState(raw string) (oauthState, error) {
	enc := base64.RawURLEncoding
	p, sig, ok := strings.Cut(raw, ".")
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil {
		return oauthState{}, &OAuthStateError{Reason: "it is malformed"}
	}
	m := hmac.New(sha256.New, s.stateKey)
	m.Write(payload)
	if !hmac.Equal(mac, m.Sum(nil)) {
		return oauthState{}, &OAuthStateError{Reason: "it was not issued by this gateway"}
	}
	var st oauthState
	if err := json.Unmarshal(payload, &st); err != nil || st.Nonce == "" {
		return oauthState{}, &OAuthStateError{Reason: "it is malformed"}
	}
	if !s.now().Before(time.Unix(st.Expires, 0)) {
		return oauthState{}, &OAuthStateError{Reason: "it has expired; start the authorization again"}
	}
	return st, nil
}

// authorizer returns the tenant's connection to v as an Authorizer.
func (s *Service) authorizer(tenant string, v Vendor) (Authorizer, error) {
	t, ok := s.tenants[tenant]
	if !ok {
		return nil, ErrTenantUnknown
	}
	c, ok := t.Connections[v]
	if !ok {
		return nil, &VendorNotConfiguredError{Tenant: tenant, Vendor: v}
	}
	a, ok := c.(Authorizer)
	if !ok {
		return nil, &UnsupportedError{Vendor: v, Operation: OpStartAuthorization}
	}
	return a, nil
}

// StartAuthorization returns the vendor's authorization page for the
// tenant's connection to v, with a signed state bound to both, good for
// one callback within AuthorizationStateTTL. It stores nothing: the
// connection keeps its authorization until a callback completes.
func (s *Service) StartAuthorization(_ context.Context, tenant string, v Vendor) (AuthorizationStart, error) {
	a, err := s.authorizer(tenant, v)
	if err != nil {
		return AuthorizationStart{}, err
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return AuthorizationStart{}, err
	}
	exp := s.now().Add(AuthorizationStateTTL).Truncate(time.Second)
	state := s.signState(oauthState{Tenant: tenant, Vendor: v, Nonce: base64.RawURLEncoding.EncodeToString(nonce), Expires: exp.Unix()})
	u, redirect := a.AuthorizeURL(state)
	return AuthorizationStart{Tenant: tenant, Vendor: v, AuthorizeURL: u, RedirectURI: redirect, State: state, Expires: exp}, nil
}

// CompleteAuthorization takes a vendor's OAuth redirect: it checks the
// state (signature, expiry, that allowed grants its tenant, that it was
// not used before), then exchanges the code for the connection's tokens.
// A state is spent by its first callback, whatever the outcome; nothing
// is stored unless the exchange succeeds. actor is written to the audit
// log.
func (s *Service) CompleteAuthorization(ctx context.Context, cb AuthorizationCallback, allowed func(tenant string) bool, actor string) (ConnectionAuthorization, error) {
	st, err := s.openState(cb.State)
	if err != nil {
		return ConnectionAuthorization{}, err
	}
	if allowed != nil && !allowed(st.Tenant) {
		return ConnectionAuthorization{}, ErrTenantUnknown
	}
	a, err := s.authorizer(st.Tenant, st.Vendor)
	if err != nil {
		return ConnectionAuthorization{}, err
	}
	if cb.Error == "" && cb.Code == "" {
		return ConnectionAuthorization{}, Invalid("query.code", "is required unless the vendor sent error")
	}
	if err := s.spendState(ctx, st); err != nil {
		return ConnectionAuthorization{}, err
	}
	if cb.Error != "" {
		s.log.LogAttrs(ctx, slog.LevelWarn, "vendor authorization denied",
			slog.String("tenant", st.Tenant), slog.String("vendor", string(st.Vendor)), slog.String("vendor_error", cb.Error))
		return ConnectionAuthorization{}, &AuthorizationDeniedError{Vendor: st.Vendor, Code: oauthErrorName(cb.Error)}
	}
	if err := a.CompleteAuthorization(ctx, cb.Code); err != nil {
		return ConnectionAuthorization{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "tenant connection authorized",
		slog.String("audit", "tenant.authorize_connection"),
		slog.String("actor", actor),
		slog.String("tenant", st.Tenant),
		slog.String("vendor", string(st.Vendor)))
	auth, err := a.Authorization(ctx)
	if err != nil {
		return ConnectionAuthorization{}, err
	}
	return ConnectionAuthorization{Tenant: st.Tenant, Vendor: st.Vendor, Authorization: auth}, nil
}

// oauthErrorName is a vendor's OAuth error name fit to repeat: the
// callback's query comes from the caller, so anything but a short
// lowercase name is "other".
func oauthErrorName(s string) string {
	if len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "other"
	}
	return s
}

// spendState marks st used, across replicas, in the idempotency store: a
// second callback with it finds the key taken.
func (s *Service) spendState(ctx context.Context, st oauthState) error {
	if s.oneTime == nil {
		return errors.New("no store to keep OAuth states single-use")
	}
	key := "oauth-state:" + st.Tenant + ":" + st.Nonce
	prior, err := s.oneTime.Begin(ctx, key, "oauth-state")
	switch {
	case errors.Is(err, ErrIdempotencyInFlight), errors.Is(err, ErrIdempotencyMismatch), err == nil && prior != nil:
		return &OAuthStateError{Reason: "it was used already; start the authorization again"}
	case err != nil:
		return err
	}
	if err := s.oneTime.Complete(ctx, key, IdempotentResponse{Status: 200}); err != nil {
		return err
	}
	return nil
}

// authorizations reads the authorization of each of t's connections that
// has one. One that cannot be read is left out (and logged): the tenant
// view still answers.
func (s *Service) authorizations(ctx context.Context, t Tenant) map[Vendor]Authorization {
	out := map[Vendor]Authorization{}
	for v, c := range t.Connections {
		a, ok := c.(Authorizer)
		if !ok {
			continue
		}
		auth, err := a.Authorization(ctx)
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "connection authorization not read", slog.String("tenant", t.ID),
				slog.String("vendor", string(v)), slog.String("error", err.Error()))
			continue
		}
		out[v] = auth
	}
	return out
}
