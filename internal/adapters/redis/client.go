// Package redis implements the domain's state ports on Redis, so that
// every replica of the gateway shares tenant bindings, vendor tokens and
// their fetch locks, call quotas, idempotency records, jobs and the ids
// migrations carried.
//
// Every store takes a key prefix (DefaultPrefix unless set) and only ever
// touches keys under it; keep braces out of the prefix, or they become the
// hash tag of every key. Every script touches a single key, or keys that
// share a hash tag, so the stores work on Redis Cluster. Every Redis
// failure is returned wrapped in domain.ErrStoreUnavailable; errors never
// carry a password.
//
// Key layout (P is the prefix):
//
//	P{bindings}:tenant:<tenant>   hash vendor, version, updated_at (RFC 3339, UTC)
//	P{bindings}:index             set of the tenants that have a binding
//	Pbindings                     pub/sub channel of switches (JSON)
//	Ptoken:<key>                  hash value (sealed), expires; expires with the
//	                              token's TTL
//	Ptoken:<key>#refused          the same: a vendor's refusal of the credentials
//	                              (value: vendor and error code), for 30 s
//	Ptoken-lock:<key>             string owner id; SET NX PX fetch lock
//	Prefresh:<key>                string refresh token (sealed); no expiry
//	Pidem:<key>                   hash fp, state, status, header (JSON), body
//	Pquota:<window>:<start>:<key> counter of one window (window as in 1h0m0s,
//	                              start in Unix ms); expires with the window
//	P{jobs}:job:<tenant>/<id>     hash doc (the job, JSON), kind, state, runs,
//	                              cancel, owner, lease_until (Unix ms, Redis
//	                              time); expires JobRetention after the job ends
//	P{jobs}:runnable              sorted set of <tenant>/<id>, scored by when a
//	                              runner may claim the job (Unix ms)
//	P{jobs}:tenant:<tenant>       sorted set of the tenant's job ids by creation
//	Pidmap:<tenant>               hash of carried ids, old canonical id -> new;
//	                              no expiry
//	Pfreeze:<tenant>              string: end of the tenant's write freeze (Unix
//	                              ms); expires then
//
// # Tokens at rest
//
// Every value the token store writes (access tokens, refresh tokens, and
// whatever else callers keep through the same methods, such as credential
// refusals) is sealed with AES-256-GCM before it reaches Redis:
//
//	v1.<key id>.<base64url(nonce || ciphertext)>
//
// The additional authenticated data is the full Redis key the value is
// stored under (prefix included), so a value copied under another key,
// another tenant's say, does not open. Fetch lock owner ids and expiry
// times are not secret and are stored as they are.
//
// Keys come from a Keyring, an ordered list of token keys (token_keys in
// the tenants file): the first seals, every one opens. Each AES-256 key is
// derived from its secret with HKDF-SHA256 and a fixed label, so any
// high-entropy secret of at least MinTokenKeySecret bytes works. A value
// read under another key than the first is sealed again under the first,
// with a compare-and-swap on the stored bytes, so that it never overwrites
// a concurrent write; Tokens.Reseal does the same for every token value,
// once at each replica's start.
//
// Rotation, each step rolled out to every replica before the next:
//
//  1. Add the new key last, [old, new]: every replica can open what the new
//     key will seal, and none seals with it yet.
//  2. Move it first, [new, old]: new values are sealed with it, values read
//     are sealed again under it, and each replica re-seals everything at
//     start (its log says how many values it re-sealed and which keys
//     still seal some).
//  3. When no value names the old key (the last replica to start logs
//     none; or count them in Redis, see the README), drop it: [new].
//
// A value that does not open (its key is no longer listed, it was changed
// or copied in Redis, or it was written in the clear before sealing) reads
// as no access token, so the gateway fetches a new one. A refresh token
// that does not open is an error, *OpenError, naming the Redis key and the
// key id (never the value), so that the operator adds the old key back
// rather than losing the connection's authorization silently; a swap over
// it fails the same way. Only if that key is lost for good: delete the
// Redis key and authorize the connection again.
package redis

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// DefaultPrefix is the key prefix stores use unless told otherwise.
const DefaultPrefix = "cdp-gateway:"

// NewClient returns a client for the Redis deployment that rawURL names. It
// does not connect; use Ping to check that Redis answers. Accepted forms:
//
//	redis://[[user]:password@]host[:port][/db][?option=value...]
//	rediss://...                         the same over TLS
//	unix://[[user]:password@]/path/to/redis.sock[?db=N]
//	    a single node (goredis.ParseURL)
//
//	redis+sentinel://[[user]:password@]host[:port][/db]?master_name=NAME[&addr=host:port...][&username=U][&password=P]
//	rediss+sentinel://...
//	    Sentinel (goredis.ParseFailoverURL): host:port and every addr are
//	    sentinels; the URL's user and password authenticate to the
//	    sentinels, the username and password parameters to the master.
//	    master_name is required.
//
//	redis+cluster://[[user]:password@]host[:port][?addr=host:port...]
//	rediss+cluster://...
//	    Redis Cluster (goredis.ParseClusterURL): host:port and every addr
//	    are seed nodes.
//
// Options are go-redis option names in snake case (dial_timeout=2s,
// pool_size=20, ...); unknown options are an error. The port defaults to
// 6379. Errors name the URL's scheme and host, never its password.
//
// Two defaults differ from go-redis's: commands honour the caller's context
// deadline (ContextTimeoutEnabled), and a failed dial is not retried within
// one attempt (DialerRetries 1 instead of 5 tries 100 ms apart), so that
// while Redis is down a request gets its 503 in well under a second rather
// than after seconds of redialling. Command retries (max_retries) still
// apply.
func NewClient(rawURL string) (goredis.UniversalClient, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("redis URL: want scheme://host:port with scheme redis, rediss, unix, redis+sentinel, rediss+sentinel, redis+cluster or rediss+cluster")
	}
	base, mode, _ := strings.Cut(strings.ToLower(scheme), "+")
	fail := func(err error) (goredis.UniversalClient, error) {
		return nil, fmt.Errorf("redis URL %s: %s", redactedURL(rawURL), redact(err, rawURL))
	}
	if mode != "" && base != "redis" && base != "rediss" {
		return fail(fmt.Errorf("invalid scheme %q", scheme))
	}
	switch mode {
	case "":
		opt, err := goredis.ParseURL(rawURL)
		if err != nil {
			return fail(err)
		}
		opt.ContextTimeoutEnabled = true
		opt.DialerRetries = cmp.Or(opt.DialerRetries, 1)
		return goredis.NewClient(opt), nil
	case "sentinel":
		opt, err := goredis.ParseFailoverURL(base + "://" + rest)
		if err != nil {
			return fail(err)
		}
		if opt.MasterName == "" {
			return fail(errors.New("a Sentinel URL needs master_name=<name>"))
		}
		if !hasQuery(rawURL, "context_timeout_enabled") {
			opt.ContextTimeoutEnabled = true
		}
		opt.DialerRetries = cmp.Or(opt.DialerRetries, 1)
		return goredis.NewFailoverClient(opt), nil
	case "cluster":
		opt, err := goredis.ParseClusterURL(base + "://" + rest)
		if err != nil {
			return fail(err)
		}
		opt.ContextTimeoutEnabled = true
		opt.DialerRetries = cmp.Or(opt.DialerRetries, 1)
		return goredis.NewClusterClient(opt), nil
	default:
		return fail(fmt.Errorf("invalid scheme %q", scheme))
	}
}

func hasQuery(raw, name string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Query().Has(name)
}

// redactedURL is raw without credentials or query (which may hold a
// password), for error messages.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		scheme, _, _ := strings.Cut(raw, "://")
		return scheme + "://…"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment = nil, "", false, ""
	return u.String()
}

// redact is err's text with every secret raw may hold masked: the
// userinfo's password and the password query parameters. It does not rely
// on raw being a valid URL, since a malformed one is exactly when go-redis
// or net/url quote it back.
func redact(err error, raw string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // *url.Error repeats the whole URL
	}
	msg := err.Error()
	var secrets []string
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			userinfo := rest[:at]
			secrets = append(secrets, userinfo)
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				secrets = append(secrets, pw)
			}
		}
	}
	if u, err := url.Parse(raw); err == nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
		q := u.Query()
		secrets = append(secrets, q["password"]...)
		secrets = append(secrets, q["sentinel_password"]...)
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, s, "xxxxx")
		msg = strings.ReplaceAll(msg, url.QueryEscape(s), "xxxxx")
		msg = strings.ReplaceAll(msg, url.PathEscape(s), "xxxxx")
	}
	return msg
}

// unavailable wraps a Redis failure so that callers see
// domain.ErrStoreUnavailable and the cause (errors.Is matches both, so a
// cancelled context stays recognisable).
func unavailable(op string, err error) error {
	return fmt.Errorf("redis %s: %w: %w", op, domain.ErrStoreUnavailable, err)
}
