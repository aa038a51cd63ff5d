package meihuatest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const prefix = "/mh-base"

// t0 is 2024-03-16 15:44:20 China Standard Time.
var t0 = time.Date(2024, 3, 16, 7, 44, 20, 0, time.UTC)

// noRedirects lets a test see /authorize's 302 itself.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type env struct {
	t     *testing.T
	sim   *meihuatest.Server
	base  string
	clock *vendortest.Clock
	token string
}

// newEnv serves a simulator under prefix, on a settable clock at t0 unless
// cfg has one, with an access token already granted.
func newEnv(t *testing.T, cfg meihuatest.Config) *env {
	t.Helper()
	clock := vendortest.NewClock(t0)
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	sim := meihuatest.New(cfg)
	e := &env{t: t, sim: sim, base: vendortest.Start(t, prefix, sim), clock: clock}
	e.token, _ = sim.Grant()
	return e
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes a request with query in the URL and, when form is not nil, a
// form-encoded body.
func (e *env) send(method, path string, query, form url.Values) answer {
	e.t.Helper()
	target := e.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return e.roundTrip(req)
}

func (e *env) roundTrip(req *http.Request) answer {
	e.t.Helper()
	res, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// call makes an API call with the env's token in the query and params in
// the query (GET) or a form body (POST), as an adapter would.
func (e *env) call(method, path string, params url.Values) answer {
	e.t.Helper()
	query := url.Values{"token": {e.token}}
	if method == http.MethodGet {
		maps.Copy(query, params)
		return e.send(method, path, query, nil)
	}
	if params == nil {
		params = url.Values{}
	}
	return e.send(method, path, query, params)
}

// envelope is every API answer.
type envelope struct {
	Success *bool           `json:"success"`
	Code    string          `json:"code"`
	Msg     string          `json:"msg"`
	Data    json.RawMessage `json:"data"`
}

func (a answer) envelope(t *testing.T) envelope {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var env envelope
	decode(t, a.body, &env)
	if env.Success == nil {
		t.Fatalf("no success member: %s", a.body)
	}
	return env
}

// ok makes a call that must succeed and decodes its data into out (when
// not nil); it returns the raw data.
func (e *env) ok(method, path string, params url.Values, out any) json.RawMessage {
	e.t.Helper()
	a := e.call(method, path, params)
	env := a.envelope(e.t)
	if a.status != http.StatusOK || !*env.Success {
		e.t.Fatalf("%s %s %v: %d %s", method, path, params, a.status, a.body)
	}
	if out != nil {
		decode(e.t, env.Data, out)
	}
	return env.Data
}

// fails makes a call that must be refused with code.
func (e *env) fails(method, path string, params url.Values, code string) {
	e.t.Helper()
	expectCode(e.t, e.call(method, path, params), code)
}

func expectCode(t *testing.T, a answer, code string) {
	t.Helper()
	env := a.envelope(t)
	if a.status != http.StatusOK || *env.Success || env.Code != code || env.Msg != meihuatest.Message(code) || env.Data != nil {
		t.Fatalf("got %d %s, want 200 success:false %s %q", a.status, a.body, code, meihuatest.Message(code))
	}
}

func decode(t *testing.T, b []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keysOf lists an object's member names, sorted.
func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

func sorted(names ...string) []string { return slices.Sorted(slices.Values(names)) }

// contactPage is /contact/all's data, contacts as generic objects.
type contactPage struct {
	Total json.Number      `json:"total"`
	List  []map[string]any `json:"list"`
}

func (e *env) listContacts(params url.Values) contactPage {
	e.t.Helper()
	var p contactPage
	e.ok(http.MethodGet, "/contact/all", params, &p)
	return p
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func boolPtr(b bool) *bool { return &b }
