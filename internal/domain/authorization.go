package domain

import (
	"context"
	"time"
)

// AuthorizationState is where a connection's authorization at its vendor
// stands, for vendors whose tenants authorize the gateway with an OAuth2
// authorization code (Meihua).
type AuthorizationState string

// Authorization states.
const (
	// AuthorizationNone: the gateway holds no refresh token for the
	// connection; an operator must connect it.
	AuthorizationNone AuthorizationState = "not_authorized"
	// AuthorizationActive: the gateway holds a refresh token and uses it.
	AuthorizationActive AuthorizationState = "authorized"
	// AuthorizationUnconfirmed: the answer to the last refresh was lost
	// (timeout, dropped connection) after the vendor may have rotated the
	// refresh token. The gateway sends that refresh token once more, as a
	// deliberate probe, when it next needs an access token; the probe's
	// answer settles the state.
	AuthorizationUnconfirmed AuthorizationState = "refresh_unconfirmed"
	// AuthorizationRequired: the vendor no longer accepts the connection's
	// refresh token; nothing is sent to the vendor for the tenant until an
	// operator connects it again.
	AuthorizationRequired AuthorizationState = "reauthorization_required"
)

// Reasons of AuthorizationRequired.
const (
	// ReasonRefreshRejected: the vendor refused the refresh token
	// (OAuth2 invalid_grant).
	ReasonRefreshRejected = "refresh_token_rejected"
	// ReasonRefreshAnswerLost: the answer to a refresh was lost and the
	// probe that followed showed the vendor had rotated the refresh token
	// (or was lost too).
	ReasonRefreshAnswerLost = "refresh_answer_lost"
)

// Authorization is what operators see of a connection's authorization.
// It never holds a token.
type Authorization struct {
	State  AuthorizationState
	Reason string    // for AuthorizationRequired: one of the Reason constants
	Since  time.Time // when the state began; zero when unknown
}

// Authorizer is a connection whose vendor grants access by OAuth2
// authorization code: an operator connects the tenant by sending the
// account owner to AuthorizeURL, and the vendor's callback brings back the
// code that CompleteAuthorization exchanges for tokens.
type Authorizer interface {
	// AuthorizeURL is the vendor's authorization page for the connection,
	// carrying state, and the redirect URI the vendor sends the code to.
	AuthorizeURL(state string) (authorizeURL, redirectURI string)
	// CompleteAuthorization exchanges an authorization code for the
	// connection's tokens and stores them, replacing whatever
	// authorization the connection had. Nothing is stored when it fails.
	CompleteAuthorization(ctx context.Context, code string) error
	// Authorization reports the connection's authorization state, shared
	// by every replica.
	Authorization(ctx context.Context) (Authorization, error)
}
