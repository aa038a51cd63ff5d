package miaokol_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials distinctive enough that finding them in an error text means
// they leaked.
const (
	appID     = "mk-APPID-5b0c2e19"
	appSecret = "mk-SECRET-c41f9d83"
)

// bigID is the first id the simulator hands out: beyond 2^53, so that an
// id that went through a float64 shows.
const bigID int64 = 9007199254740993

// env is one simulator served under a base path and an adapter pointed at
// it, both on one settable clock.
type env struct {
	vendortest.Checks // must, wantVendor, wantValidation, wantNotFound
	t                 *testing.T
	sim               *miaokoltest.Server
	base              string
	clock             *vendortest.Clock
	tokens            *vendorhttp.Tokens // the adapter's token cache, on the clock
	ad                *miaokol.Adapter
	cfg               miaokol.Config

	watch *vendortest.SecretWatch // the app secret and the tokens the simulator handed out
}

type envConfig struct {
	sim miaokoltest.Config
	ad  miaokol.Config
}

// newEnv starts a simulator and an adapter. At cleanup it checks that no
// error the test saw carries the app secret or a token.
func newEnv(t *testing.T, mods ...func(*envConfig)) *env {
	t.Helper()
	e := &env{t: t, clock: vendortest.NewClock(time.Now().Truncate(time.Second))}
	e.watch = vendortest.WatchSecrets(t, appSecret)
	e.Checks = vendortest.Checks{T: t, Vendor: miaokol.Driver.Vendor, Watch: e.watch}
	e.tokens = vendorhttp.NewTokens(nil, nil, vendorhttp.WithTokenClock(e.clock.Now))
	ec := envConfig{
		sim: miaokoltest.Config{AppID: appID, AppSecret: appSecret, Now: e.clock.Now, FirstID: bigID},
		// Retries and the breaker are vendorhttp's and tested there: here
		// every fault reaches the adapter once.
		ad: miaokol.Config{AppID: appID, AppSecret: appSecret, Client: vendorhttp.Options{
			Tenant: "t1", Tokens: e.tokens,
			Retry: vendorhttp.RetryPolicy{MaxAttempts: 1}, Breaker: vendorhttp.BreakerSettings{Failures: 1 << 20},
		}},
	}
	for _, m := range mods {
		m(&ec)
	}
	e.sim = miaokoltest.New(ec.sim)
	e.base = vendortest.Start(t, "/vendors/mk", e.tee(e.sim))
	if ec.ad.BaseURL == "" {
		ec.ad.BaseURL = e.base
	}
	e.cfg = ec.ad
	e.ad = e.newAdapter(nil)
	return e
}

// newAdapter returns another adapter on the same simulator (and token
// cache, unless mod changes it): another replica of the connection.
func (e *env) newAdapter(mod func(*miaokol.Config)) *miaokol.Adapter {
	e.t.Helper()
	cfg := e.cfg
	if mod != nil {
		mod(&cfg)
	}
	ad, err := miaokol.New(cfg)
	if err != nil {
		e.t.Fatalf("miaokol.New: %v", err)
	}
	return ad
}

// tee serves h and notes every token the token endpoint answers.
func (e *env) tee(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oauth/token" {
			h.ServeHTTP(w, r)
			return
		}
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		var body struct {
			Data struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
			AccessToken string `json:"access_token"`
		}
		if json.Unmarshal(tw.buf.Bytes(), &body) == nil {
			e.watch.Secret(body.Data.AccessToken, body.AccessToken)
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
func (e *env) requests(path string) []miaokoltest.RecordedRequest {
	var out []miaokoltest.RecordedRequest
	for _, r := range e.sim.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// apiCalls counts the requests to the smart-tag API.
func (e *env) apiCalls() int { return e.sim.Calls("/smart-tag") }

// bodyOf decodes a recorded JSON body into a map (numbers as json.Number).
func bodyOf(t *testing.T, r miaokoltest.RecordedRequest) map[string]any {
	t.Helper()
	var m map[string]any
	if err := vendorhttp.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

// ---- helpers ----

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// jsonNum is n as vendorhttp.Unmarshal reads a number.
func jsonNum(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

func tagID(t domain.Tag) string           { return t.ID }
func tagGroupID(g domain.TagGroup) string { return g.ID }
