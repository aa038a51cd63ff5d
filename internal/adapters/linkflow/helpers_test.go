package linkflow_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials distinctive enough that finding them in an error text means
// they leaked.
const (
	appKey    = "lf-APPKEY-7c1e55aa"
	appSecret = "lf-SECRET-9d4b2f0e"
)

// hit is one request as a mounted host saw it (after StripPrefix).
type hit struct {
	host, method, path, rawQuery, token string
}

// env is one simulator behind one httptest server, mounted under two
// prefixes (one per Linkflow API family), and an adapter pointed at both.
type env struct {
	vendortest.Checks // must, wantVendor, wantValidation, wantNotFound
	t                 *testing.T
	sim               *linkflowtest.Server
	srv               *httptest.Server
	clock             *vendortest.Clock // the simulator's and the adapter's
	ad                *linkflow.Adapter
	cfg               linkflow.Config

	mu      sync.Mutex
	hits    []hit
	watch   *vendortest.SecretWatch // the credentials and every token issued by /token or sent by the adapter
	garbled map[string]bool         // "METHOD path" whose answers are replaced
	gate    *vendortest.Gate        // when set, holds every call but /token
}

type envConfig struct {
	sim linkflowtest.Config
	ad  linkflow.Config
}

// newEnv starts a simulator and an adapter. mods adjust either config
// before they are used. At cleanup it checks that every request went to
// the host of its API family and that no error seen by the test carries a
// credential or token.
func newEnv(t *testing.T, mods ...func(*envConfig)) *env {
	t.Helper()
	// The clock starts near the real time because the adapter's token cache
	// measures expiry with the real clock.
	e := &env{t: t, clock: vendortest.NewClock(time.Now().Truncate(time.Second))}
	e.watch = vendortest.WatchSecrets(t, appKey, appSecret)
	e.Checks = vendortest.Checks{T: t, Vendor: linkflow.Driver.Vendor, Watch: e.watch}
	ec := envConfig{
		sim: linkflowtest.Config{AppKey: appKey, AppSecret: appSecret, Now: e.clock.Now},
		// Retries and the breaker are vendorhttp's and tested there and end
		// to end: here every fault reaches the adapter once.
		ad: linkflow.Config{AppKey: appKey, AppSecret: appSecret, Now: e.clock.Now, Client: vendorhttp.Options{
			Retry: vendorhttp.RetryPolicy{MaxAttempts: 1}, Breaker: vendorhttp.BreakerSettings{Failures: 1 << 20},
		}},
	}
	for _, m := range mods {
		m(&ec)
	}
	e.sim = linkflowtest.New(ec.sim)
	mux := http.NewServeMux()
	mux.Handle("/guide/", http.StripPrefix("/guide", e.mount("guide")))
	mux.Handle("/cdp/", http.StripPrefix("/cdp", e.mount("cdp")))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	if ec.ad.BaseURL == "" {
		ec.ad.BaseURL = e.srv.URL + "/guide"
	}
	if ec.ad.CDPBaseURL == "" {
		ec.ad.CDPBaseURL = e.srv.URL + "/cdp"
	}
	if ec.ad.Client.HTTP == nil {
		ec.ad.Client.HTTP = e.srv.Client()
	}
	e.cfg = ec.ad
	ad, err := linkflow.New(ec.ad)
	if err != nil {
		t.Fatalf("linkflow.New: %v", err)
	}
	e.ad = ad
	t.Cleanup(e.checkHosts)
	return e
}

// mount records what a host receives and serves it with the simulator.
func (e *env) mount(host string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		tok := r.Header.Get("X-OpenApi-Token")
		e.hits = append(e.hits, hit{host: host, method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, token: tok})
		e.mu.Unlock()
		e.watch.Secret(tok)
		e.mu.Lock()
		garble := e.garbled[r.Method+" "+r.URL.Path]
		gate := e.gate
		e.mu.Unlock()
		if gate != nil && r.URL.Path != "/token" {
			defer gate.Enter(r.Context())()
		}
		if garble {
			// The simulator handles the request; its answer is lost.
			e.sim.ServeHTTP(httptest.NewRecorder(), r)
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>an answer that is not the vendor's</html>"))
			return
		}
		if r.URL.Path != "/token" {
			e.sim.ServeHTTP(w, r)
			return
		}
		tw := &teeWriter{ResponseWriter: w}
		e.sim.ServeHTTP(tw, r)
		var body struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(tw.buf.Bytes(), &body) == nil {
			e.watch.Secret(body.Token)
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

// cdpPath reports whether path belongs to the CDP API family.
func cdpPath(path string) bool {
	return strings.HasPrefix(path, "/open/") || path == "/v1/tags" || strings.HasPrefix(path, "/v1/tags/")
}

func (e *env) checkHosts() {
	e.t.Helper()
	for _, h := range e.Hits() {
		want := "guide"
		if cdpPath(h.path) {
			want = "cdp"
		}
		if h.host != want {
			e.t.Errorf("%s %s went to the %s host, want %s", h.method, h.path, h.host, want)
		}
	}
}

// garble has the simulator handle every method request to path while the
// adapter gets a 200 HTML page instead of its answer: a write that happened
// with an answer that cannot be read.
func (e *env) garble(path, method string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.garbled == nil {
		e.garbled = map[string]bool{}
	}
	e.garbled[method+" "+path] = true
}

// Hits returns the requests seen so far.
func (e *env) Hits() []hit {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.hits)
}

// hitsTo returns the requests seen for one path (any method).
func (e *env) hitsTo(path string) []hit {
	var out []hit
	for _, h := range e.Hits() {
		if h.path == path {
			out = append(out, h)
		}
	}
	return out
}

// record keeps err for the secret check at cleanup.
func (e *env) record(err error) { e.watch.Record(err) }

// newAdapter returns another adapter for the same simulator, with cfg
// applied over the env's adapter config.
func (e *env) newAdapter(mod func(*linkflow.Config)) *linkflow.Adapter {
	e.t.Helper()
	cfg := e.cfg
	mod(&cfg)
	ad, err := linkflow.New(cfg)
	if err != nil {
		e.t.Fatalf("linkflow.New: %v", err)
	}
	return ad
}

// ---- assertions ----

func (e *env) wantCursor(err error) {
	e.t.Helper()
	e.record(err)
	var ce *domain.CursorError
	if !errors.As(err, &ce) || !errors.Is(err, domain.ErrInvalidCursor) {
		e.t.Fatalf("error %v (%T), want a *domain.CursorError", err, err)
	}
}

// ---- seeding ----

// seedContacts adds n contacts named "Contact NN" and returns their ids in
// id order.
func (e *env) seedContacts(n int) []int64 {
	ids := make([]int64, n)
	for i := range n {
		ids[i] = e.sim.AddContact(linkflowtest.Contact{Name: "Contact " + twoDigits(i)})
	}
	return ids
}

func twoDigits(i int) string { return fmt.Sprintf("%02d", i) }

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func ids(s []int64) []string {
	out := make([]string, len(s))
	for i, n := range s {
		out[i] = idStr(n)
	}
	return out
}

func jsonCT() string { return "application/json;charset=UTF-8" }

// errBody is the simulator's error body shape.
func errBody(status int, code string) string {
	return string(mustJSON(linkflowtest.ErrorBody{Status: status, Code: code, Message: "simulated failure"}))
}
