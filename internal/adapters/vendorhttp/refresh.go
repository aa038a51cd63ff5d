package vendorhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// A refresh-token vendor's connection lives on its refresh token, and an
// OAuth2 refresh token that the vendor rotates can be sent once only: the
// answer carries the next one. The shared TokenStore keeps, per connection,
// a refresh record (the RefreshToken value) that says where the token
// stands, so that every replica agrees and a lost answer is never followed
// by a blind resend:
//
//	authorized           the token, idle (stored as the bare token)
//	authorized, sending  the token was handed to the vendor; the answer is awaited
//	refresh_unconfirmed  a refresh's answer was lost: the vendor may have rotated
//	refresh_unconfirmed, probing  the token was sent once more to find out
//	reauthorization_required      the vendor no longer takes it; nothing is sent
//
// A refresh runs under the connection's fetch lock. It marks the record
// sending before the call and settles it after: a grant makes the new
// token the authorized one (saved before its access token is used); the
// vendor refusing the token (invalid_grant, see GrantRejected) makes the
// connection reauthorization_required; a failure that shows the vendor did
// not take the token (a connection never made, a breaker or quota refusal,
// an error answer) puts the record back as it was; and a failure after
// which the vendor may have acted (a timeout, a connection dropped after
// the request went out, a 504, an unreadable success answer) makes it
// refresh_unconfirmed. A record found still sending under the lock means
// the same: its replica lost the answer or stopped.
//
// From refresh_unconfirmed the next refresh sends the same token once
// more, as a probe. That cannot make things worse: if the vendor had
// rotated it, the grant is already lost (its new tokens never arrived) and
// only a new authorization helps; if it had not, the probe recovers the
// connection. The probe's own outcome is final: a grant makes the
// connection authorized, a refusal or another lost answer makes it
// reauthorization_required (reason refresh_answer_lost). A connection
// that needs reauthorization sends nothing to the vendor until an
// operator connects it again (Authorize); its calls fail with a
// VendorReauthorizationRequired error, remembered for RefusalHold like a
// credential refusal, and the ReauthorizationsRequired metric counts each
// connection that gets there.

// Phases of a refresh record whose token is with the vendor.
const (
	phaseSending = "sending"
	phaseProbing = "probing"
)

// refreshRecord is a connection's refresh token and its state.
type refreshRecord struct {
	Mark   int                       `json:"refresh_record"` // 1: tells a record from a bare token
	State  domain.AuthorizationState `json:"state"`
	Phase  string                    `json:"phase,omitempty"`
	Token  string                    `json:"token,omitempty"`
	Reason string                    `json:"reason,omitempty"`
	// Since is when the state began: the authorization (zero for a
	// refresh token from the configuration), the lost answer, the end.
	Since time.Time `json:"since,omitzero"`
}

// recordMark starts an encoded record; anything else is a bare refresh
// token, authorized and idle.
const recordMark = `{"refresh_record":`

func (r refreshRecord) encode() string {
	switch {
	case r.State == domain.AuthorizationNone:
		return ""
	case r.State == domain.AuthorizationActive && r.Phase == "" && r.Since.IsZero():
		return r.Token
	}
	r.Mark = 1
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // strings and a time: cannot fail
	}
	return string(b)
}

func decodeRecord(raw string) (refreshRecord, error) {
	switch {
	case raw == "":
		return refreshRecord{State: domain.AuthorizationNone}, nil
	case !strings.HasPrefix(raw, recordMark):
		return refreshRecord{State: domain.AuthorizationActive, Token: raw}, nil
	}
	var r refreshRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil || r.Mark != 1 {
		return refreshRecord{}, errors.New("the stored refresh record is unreadable")
	}
	return r, nil
}

// GrantRejected marks ve, an error of Auth.Refresh or of an authorization
// code exchange, as the vendor refusing the grant itself (OAuth2
// invalid_grant: the refresh token or code is unknown, used or revoked),
// as opposed to the client's credentials or a failure of the call. A
// refresh that fails with it ends the connection's authorization.
func GrantRejected(ve *domain.VendorError) error { return &grantRejected{ve} }

type grantRejected struct{ *domain.VendorError }

func (g *grantRejected) Unwrap() error { return g.VendorError }

// refreshOutcome is what a refresh call's result says about the token
// sent.
type refreshOutcome int

const (
	refreshGranted  refreshOutcome = iota
	refreshRejected                // the vendor refused the token
	refreshUntaken                 // the vendor did not take it: it still stands
	refreshLost                    // the vendor may have taken it; its answer is lost
)

func outcomeOfRefresh(err error) refreshOutcome {
	if err == nil {
		return refreshGranted
	}
	var gr *grantRejected
	if errors.As(err, &gr) {
		return refreshRejected
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return refreshLost // cut off in flight
	}
	var ve *domain.VendorError
	if !errors.As(err, &ve) {
		return refreshUntaken // the request was never built
	}
	switch ve.Kind {
	case domain.VendorTimeout:
		return refreshLost
	case domain.VendorUnavailable:
		if ve.Status != 0 || neverSent(ve.Err) {
			return refreshUntaken // an error answer, or no connection at all
		}
		return refreshLost // reset or dropped after the request went out
	case domain.VendorBadResponse:
		if ve.Status >= 300 {
			return refreshUntaken // an error page
		}
		return refreshLost // a success answer the gateway cannot read
	}
	return refreshUntaken
}

// neverSent reports whether a transport error happened before the request
// could reach the vendor: no connection was made.
func neverSent(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial"
}

// record reads the connection's refresh record and its stored form.
func (s *TokenSource) record(ctx context.Context) (string, refreshRecord, error) {
	raw, ok, err := s.tokens.store.RefreshToken(ctx, s.key)
	if err != nil {
		return "", refreshRecord{}, fmt.Errorf("%s: the refresh token could not be read: %w", s.c.vendor, err)
	}
	if !ok {
		raw = ""
	}
	rec, err := decodeRecord(raw)
	if err != nil {
		return "", refreshRecord{}, fmt.Errorf("%s: %w", s.c.vendor, err)
	}
	return raw, rec, nil
}

// refresh sends the connection's refresh token to the vendor, once, and
// settles its record by the outcome (see the comment at the top).
func (s *TokenSource) refresh(ctx context.Context, a *Auth) (Token, error) {
	raw, rec, err := s.record(ctx)
	if err != nil {
		return Token{}, err
	}
	if rec.State == domain.AuthorizationNone && a.Bootstrap != "" {
		// A refresh token from the configuration starts a connection that
		// was authorized elsewhere; once stored, the stored one wins.
		if _, err := s.SeedRefreshToken(ctx, a.Bootstrap); err != nil {
			return Token{}, fmt.Errorf("%s: the configured refresh token could not be stored: %w", s.c.vendor, err)
		}
		if raw, rec, err = s.record(ctx); err != nil {
			return Token{}, err
		}
	}
	now := s.tokens.now()
	switch {
	case rec.State == domain.AuthorizationNone:
		return Token{}, s.needsAuthorization(rec)
	case rec.State == domain.AuthorizationRequired:
		return Token{}, s.needsAuthorization(rec)
	case rec.Phase == phaseProbing:
		// The probe's answer never came back either: give up.
		return Token{}, s.endAuthorization(ctx, rec, domain.ReasonRefreshAnswerLost)
	case rec.Phase == phaseSending:
		// The replica that sent it lost the answer or stopped.
		s.answerLost(ctx)
		rec = refreshRecord{State: domain.AuthorizationUnconfirmed, Token: rec.Token, Since: now}
	}
	probe := rec.State == domain.AuthorizationUnconfirmed
	sending := rec
	sending.Phase = phaseSending
	if probe {
		sending.Phase = phaseProbing
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "sending the refresh token whose last answer was lost once more, to learn whether the vendor rotated it",
			slog.String("key", s.key))
	}
	swapped, err := s.tokens.store.SwapRefreshToken(ctx, s.key, raw, sending.encode())
	if err != nil {
		return Token{}, fmt.Errorf("%s: the refresh could not be recorded, so it was not sent: %w", s.c.vendor, err)
	}
	if !swapped {
		s.c.log.LogAttrs(ctx, slog.LevelInfo, "refresh token rotated by another replica first; using its access token", slog.String("key", s.key))
		return Token{}, errRotatedElsewhere
	}

	g, err := a.Refresh(ctx, rec.Token)
	s.count(ctx, err)
	switch outcomeOfRefresh(err) {
	case refreshGranted:
		next := g.Refresh
		if next == "" {
			next = rec.Token // the vendor keeps the refresh token
		}
		authorized := refreshRecord{State: domain.AuthorizationActive, Token: next, Since: rec.Since} // the same authorization
		if probe {
			authorized.Since = now // authorized again
		}
		if err := s.settle(ctx, sending, authorized, true); errors.Is(err, errSuperseded) {
			s.c.log.LogAttrs(ctx, slog.LevelInfo, "the connection was authorized anew while a refresh was out; using the new authorization", slog.String("key", s.key))
			return Token{}, errRotatedElsewhere
		} else if err != nil {
			s.c.log.LogAttrs(ctx, slog.LevelError, "vendor granted new tokens but they were not saved; they are not used",
				slog.String("key", s.key), slog.String("error", err.Error()))
			return Token{}, err
		}
		if probe {
			s.c.log.LogAttrs(ctx, slog.LevelInfo, "the refresh token whose answer was lost still worked; the connection is authorized again", slog.String("key", s.key))
		}
		return s.expiry(g.Token), nil
	case refreshRejected:
		reason := domain.ReasonRefreshRejected
		if probe {
			reason = domain.ReasonRefreshAnswerLost
		}
		return Token{}, s.endAuthorization(ctx, sending, reason)
	case refreshLost:
		if probe {
			return Token{}, s.endAuthorization(ctx, sending, domain.ReasonRefreshAnswerLost)
		}
		s.answerLost(ctx)
		if serr := s.settle(ctx, sending, refreshRecord{State: domain.AuthorizationUnconfirmed, Token: rec.Token, Since: now}, false); serr != nil {
			s.c.log.LogAttrs(ctx, slog.LevelWarn, "lost refresh answer not recorded; the next refresh finds it out", slog.String("key", s.key), slog.String("error", serr.Error()))
		}
		return Token{}, err
	}
	// The vendor did not take the token: it stands as it was.
	if serr := s.settle(ctx, sending, rec, false); serr != nil {
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "refresh record not put back; the next refresh probes it", slog.String("key", s.key), slog.String("error", serr.Error()))
	}
	return Token{}, err
}

// errSuperseded: an authorization replaced the refresh token while a
// refresh of the old one was out.
var errSuperseded = errors.New("the connection was authorized anew meanwhile")

// settle moves the record from from to to. Another replica may have moved
// it meanwhile (its fetch lock ran out while this refresh was out, and it
// began a probe). An authoritative outcome (the vendor granted or refused
// the token) is the truth about that refresh token: it is written over any
// record that still holds the same token. Any other outcome is written only
// over from itself. A record with another token (a new authorization) is
// always left alone. errSuperseded says the record was not written.
func (s *TokenSource) settle(ctx context.Context, from, to refreshRecord, authoritative bool) error {
	cur := from.encode()
	for range 3 {
		swapped, err := s.tokens.store.SwapRefreshToken(ctx, s.key, cur, to.encode())
		if err != nil {
			return fmt.Errorf("%s: the refresh token could not be saved: %w", s.c.vendor, err)
		}
		if swapped {
			return nil
		}
		if !authoritative {
			return errSuperseded
		}
		raw, rec, err := s.record(ctx)
		if err != nil {
			return err
		}
		if rec.Token != from.Token {
			return errSuperseded
		}
		cur = raw
	}
	return errSuperseded
}

// endAuthorization records that the connection, whose record is from,
// needs a new authorization (reason), counts and logs it, and returns the
// error its calls get.
func (s *TokenSource) endAuthorization(ctx context.Context, from refreshRecord, reason string) error {
	end := refreshRecord{State: domain.AuthorizationRequired, Reason: reason, Since: s.tokens.now()}
	switch err := s.settle(ctx, from, end, true); {
	case errors.Is(err, errSuperseded):
		return errRotatedElsewhere // authorized anew meanwhile
	case err != nil:
		// Left sending or probing, the record ends the same way next time.
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "end of the authorization not recorded", slog.String("key", s.key), slog.String("error", err.Error()))
	}
	s.c.tel.ReauthorizationsRequired.Add(ctx, 1, metric.WithAttributeSet(s.c.attrs), metric.WithAttributes(attribute.String("reason", reason)))
	s.c.log.LogAttrs(ctx, slog.LevelError, "vendor authorization ended: the tenant must be connected again",
		slog.String("vendor", string(s.c.vendor)), slog.String("tenant", s.c.tenant), slog.String("reason", reason))
	return s.needsAuthorization(end)
}

// answerLost counts and logs a refresh whose answer was lost.
func (s *TokenSource) answerLost(ctx context.Context) {
	s.c.tel.RefreshAnswersLost.Add(ctx, 1, metric.WithAttributeSet(s.c.attrs))
	s.c.log.LogAttrs(ctx, slog.LevelWarn, "the answer to a refresh was lost after the vendor may have rotated the refresh token; it is sent once more only as a probe",
		slog.String("vendor", string(s.c.vendor)), slog.String("tenant", s.c.tenant))
}

// needsAuthorization is the error calls get while rec says the connection
// needs an authorization.
func (s *TokenSource) needsAuthorization(rec refreshRecord) error {
	reason := rec.Reason
	if reason == "" {
		reason = reasonNotAuthorized
	}
	return &domain.VendorError{Vendor: s.c.vendor, Kind: domain.VendorReauthorizationRequired, Code: reason,
		Detail: authorizationDetail(s.c.vendor, reason)}
}

// reasonNotAuthorized is the code of a connection never authorized.
const reasonNotAuthorized = "not_authorized"

// authorizationDetail says why a connection needs an authorization, and
// what to do.
func authorizationDetail(v domain.Vendor, reason string) string {
	why := "the gateway holds no %s authorization for this tenant"
	switch reason {
	case domain.ReasonRefreshRejected:
		why = "%s no longer accepts this tenant's authorization"
	case domain.ReasonRefreshAnswerLost:
		why = "%s's answer to a token refresh was lost and the tenant's authorization did not survive it"
	}
	return fmt.Sprintf(why+"; an operator must connect the tenant again "+
		"(POST /admin/v1/tenants/{tenant}/connections/%s/authorization)", v, v)
}

// Authorize makes g, which the vendor granted for an authorization code,
// the connection's authorization, replacing whatever record it had (a
// refused or lost one included), and makes its access token the
// connection's on every replica.
func (s *TokenSource) Authorize(ctx context.Context, g Grant) error {
	if g.Refresh == "" || g.Value == "" {
		return BadResponse(s.c.vendor, 0, fmt.Sprintf("%s granted no refresh token or no access token", s.c.vendor))
	}
	next := refreshRecord{State: domain.AuthorizationActive, Token: g.Refresh, Since: s.tokens.now()}.encode()
	if err := s.tokens.store.ReplaceRefreshToken(ctx, s.key, next); err != nil {
		return fmt.Errorf("%s: the authorization could not be stored: %w", s.c.vendor, err)
	}
	s.tokens.share(ctx, s.key, s.expiry(g.Token))
	return nil
}

// Authorization reports where the connection's authorization stands, as
// the shared store says.
func (s *TokenSource) Authorization(ctx context.Context) (domain.Authorization, error) {
	_, rec, err := s.record(ctx)
	if err != nil {
		return domain.Authorization{}, err
	}
	if rec.State == domain.AuthorizationNone && s.c.Auth != nil && s.c.Auth.Bootstrap != "" {
		return domain.Authorization{State: domain.AuthorizationActive}, nil // from the configuration
	}
	return domain.Authorization{State: rec.State, Reason: rec.Reason, Since: rec.Since}, nil
}

// RefreshToken returns the connection's current refresh token from the
// shared store; ok is false when there is none (never authorized, or
// needing a new authorization).
func (s *TokenSource) RefreshToken(ctx context.Context) (token string, ok bool, err error) {
	_, rec, err := s.record(ctx)
	if err != nil {
		return "", false, err
	}
	return rec.Token, rec.Token != "", nil
}

// SeedRefreshToken stores token (a bootstrap refresh token, e.g. from
// configuration) as the connection's refresh token only if the shared store
// has none: a token the vendor has rotated since is newer and is kept, and
// a connection that needs a new authorization keeps needing it. seeded
// reports whether token was stored.
func (s *TokenSource) SeedRefreshToken(ctx context.Context, token string) (seeded bool, err error) {
	if token == "" {
		return false, nil
	}
	return s.tokens.store.SwapRefreshToken(ctx, s.key, "", token)
}

// Rotate saves g, which the vendor issued in exchange for refresh token old
// ("" when the store had none), and makes g's access token the
// connection's. The record must still hold old (in any state but
// reauthorization_required); the new refresh token is written with a
// compare-and-swap first and only when that succeeds is the access token
// cached and shared. false means another writer changed the refresh token
// first: g is dropped and the connection keeps that writer's tokens.
func (s *TokenSource) Rotate(ctx context.Context, old string, g Grant) (bool, error) {
	raw, rec, err := s.record(ctx)
	if err != nil || rec.Token != old || rec.State == domain.AuthorizationRequired {
		return false, err
	}
	next := g.Refresh
	if next == "" {
		next = old
	}
	swapped, err := s.tokens.store.SwapRefreshToken(ctx, s.key, raw, refreshRecord{State: domain.AuthorizationActive, Token: next}.encode())
	if err != nil {
		return false, fmt.Errorf("%s: the new refresh token could not be saved, so its access token is not used: %w", s.c.vendor, err)
	}
	if swapped {
		s.tokens.share(ctx, s.key, s.expiry(g.Token))
	}
	return swapped, nil
}

// fetch implements fetcher: one vendor token call, counted.
func (s *TokenSource) fetch(ctx context.Context) (Token, error) {
	a, err := s.auth()
	if err != nil {
		return Token{}, err
	}
	if a.Fetch != nil {
		tok, err := a.Fetch(ctx)
		s.count(ctx, err)
		return s.expiry(tok), err
	}
	return s.refresh(ctx, a)
}
