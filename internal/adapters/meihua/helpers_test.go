package meihua_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials distinctive enough that finding them in an error text means
// they leaked.
const (
	appKey      = "mh-APPKEY-3f9a1c77"
	appSecret   = "mh-SECRET-8e2d7b41"
	redirectURI = "https://gateway.example.test/admin/v1/oauth/callback"
)

// bigID is the first id the simulator hands out: beyond 2^53, so that an id
// that went through a float64 shows.
const bigID int64 = 9007199254740993

// env is one simulator served under a base path, and an adapter pointed at
// it (API and OAuth2 on the one server), both on one settable clock.
type env struct {
	vendortest.Checks // must, wantVendor, wantValidation, wantNotFound
	t                 *testing.T
	sim               *meihuatest.Server
	base              string
	clock             *vendortest.Clock
	tokens            *vendorhttp.Tokens // the adapter's token cache, on the clock
	ad                *meihua.Adapter
	cfg               meihua.Config

	watch *vendortest.SecretWatch // the app secret and the tokens the simulator handed out
}

type envConfig struct {
	sim meihuatest.Config
	ad  meihua.Config
	// unauthorized leaves the adapter without a refresh token.
	unauthorized bool
}

// newEnv starts a simulator and an adapter. By default the adapter holds
// a refresh token the simulator granted (as from the tenants file). At
// cleanup it checks that no error seen by the test carries the app secret
// or a token.
func newEnv(t *testing.T, mods ...func(*envConfig)) *env {
	t.Helper()
	// Near the real time: the clock is the adapter's and the simulator's.
	e := &env{t: t, clock: vendortest.NewClock(time.Now().Truncate(time.Second))}
	e.watch = vendortest.WatchSecrets(t, appSecret)
	e.Checks = vendortest.Checks{T: t, Vendor: meihua.Driver.Vendor, Watch: e.watch}
	e.tokens = vendorhttp.NewTokens(nil, nil, vendorhttp.WithTokenClock(e.clock.Now))
	ec := envConfig{
		sim: meihuatest.Config{ClientID: appKey, ClientSecret: appSecret, RedirectURI: redirectURI, FirstID: bigID, Now: e.clock.Now},
		// Retries and the breaker are vendorhttp's and tested there: here
		// every fault reaches the adapter once.
		ad: meihua.Config{AppKey: appKey, AppSecret: appSecret, RedirectURI: redirectURI, Now: e.clock.Now, Client: vendorhttp.Options{
			Tenant: "t1", Tokens: e.tokens,
			Retry: vendorhttp.RetryPolicy{MaxAttempts: 1}, Breaker: vendorhttp.BreakerSettings{Failures: 1 << 20},
		}},
	}
	for _, m := range mods {
		m(&ec)
	}
	e.sim = meihuatest.New(ec.sim)
	e.base = vendortest.Start(t, "/mh", e.tee(e.sim))
	if ec.ad.BaseURL == "" {
		ec.ad.BaseURL = e.base
	}
	if ec.ad.AuthURL == "" {
		ec.ad.AuthURL = e.base
	}
	if !ec.unauthorized && ec.ad.RefreshToken == "" {
		access, refresh := e.sim.Grant()
		e.watch.Secret(access, refresh)
		ec.ad.RefreshToken = refresh
	}
	e.cfg = ec.ad
	e.ad = e.newAdapter(nil)
	return e
}

// newAdapter returns another adapter on the same simulator (and token
// cache, unless mod changes it): another replica of the connection.
func (e *env) newAdapter(mod func(*meihua.Config)) *meihua.Adapter {
	e.t.Helper()
	cfg := e.cfg
	if mod != nil {
		mod(&cfg)
	}
	ad, err := meihua.New(cfg)
	if err != nil {
		e.t.Fatalf("meihua.New: %v", err)
	}
	return ad
}

// tee serves h and notes every token the token endpoint answers.
func (e *env) tee(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/access_token" {
			h.ServeHTTP(w, r)
			return
		}
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		var body struct {
			Access  string `json:"access_token"`
			Refresh string `json:"refresh_token"`
		}
		if json.Unmarshal(tw.buf.Bytes(), &body) == nil {
			e.watch.Secret(body.Access, body.Refresh)
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// record keeps err for the secret check at cleanup.
func (e *env) record(err error) { e.watch.Record(err) }

// ---- what the simulator received ----

// requests returns the requests to path (any method), oldest first.
func (e *env) requests(path string) []meihuatest.RecordedRequest {
	var out []meihuatest.RecordedRequest
	for _, r := range e.sim.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// param is a request's parameter, from its query or its form body.
func param(r meihuatest.RecordedRequest, name string) string {
	if v := r.Query.Get(name); v != "" {
		return v
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if vs, err := parseForm(r.Body); err == nil {
			return vs.Get(name)
		}
	}
	return ""
}

// ---- helpers ----

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func ptr[T any](v T) *T { return &v }

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

func contactID(c domain.Contact) string { return c.ID }

func parseForm(body []byte) (url.Values, error) { return url.ParseQuery(string(body)) }
