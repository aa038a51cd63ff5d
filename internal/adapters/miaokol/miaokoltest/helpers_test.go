package miaokoltest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const prefix = "/mk-base"

// t0 is the ctime of the documented /smart-tag/add example.
var t0 = time.Unix(1655969708, 0)

type env struct {
	t     *testing.T
	sim   *miaokoltest.Server
	base  string
	clock *vendortest.Clock
	token string
}

// newEnv serves a simulator under prefix, on a settable clock at t0 unless
// cfg has a clock, with an access token already issued.
func newEnv(t *testing.T, cfg miaokoltest.Config) *env {
	t.Helper()
	clock := vendortest.NewClock(t0)
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	sim := miaokoltest.New(cfg)
	return &env{t: t, sim: sim, base: vendortest.Start(t, prefix, sim), clock: clock, token: sim.IssueToken()}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes a request with query in the URL and, when contentType is not
// empty, body with that Content-Type.
func (e *env) send(method, path string, query url.Values, contentType, body string) answer {
	e.t.Helper()
	target := e.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, target, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

// params are a call's parameters: JSON members of a POST, or query
// parameters (formatted with %v) of a GET.
type params map[string]any

// call makes a call as the documentation shows it: app_id and the env's
// token with the other parameters (p may replace them, and drop them with
// nil), in the query of a GET (whose
// Content-Type is the example's) or the JSON body of a POST.
func (e *env) call(method, path string, p params) answer {
	e.t.Helper()
	all := params{"app_id": miaokoltest.DefaultAppID, "access_token": e.token}
	maps.Copy(all, p)
	maps.DeleteFunc(all, func(_ string, v any) bool { return v == nil }) // nil: leave it out
	if method == http.MethodGet {
		return e.send(method, path, query(all), "application/x-www-form-urlencoded", "")
	}
	return e.send(method, path, nil, "application/json; charset=UTF-8", mustJSON(e.t, all))
}

func query(p params) url.Values {
	q := url.Values{}
	for k, v := range p {
		q.Set(k, fmt.Sprint(v))
	}
	return q
}

// envelope is every answer.
type envelope struct {
	Data    json.RawMessage `json:"data"`
	Pager   json.RawMessage `json:"pager"`
	Errcode *int            `json:"errcode"`
	Errmsg  *string         `json:"errmsg"`
}

func (a answer) envelope(t *testing.T) envelope {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var env envelope
	decode(t, a.body, &env)
	if env.Errcode == nil {
		t.Fatalf("no errcode: %s", a.body)
	}
	return env
}

// ok makes a call that must succeed and decodes its data into out (when
// not nil); it returns the raw data.
func (e *env) ok(method, path string, p params, out any) json.RawMessage {
	e.t.Helper()
	a := e.call(method, path, p)
	env := a.envelope(e.t)
	if a.status != http.StatusOK || *env.Errcode != miaokoltest.CodeOK || env.Errmsg != nil {
		e.t.Fatalf("%s %s %v: %d %s", method, path, p, a.status, a.body)
	}
	if out != nil {
		decode(e.t, env.Data, out)
	}
	return env.Data
}

// fails makes a call that must be refused with code, and returns the
// errmsg.
func (e *env) fails(method, path string, p params, code int) string {
	e.t.Helper()
	return expectError(e.t, e.call(method, path, p), http.StatusOK, code)
}

// expectError checks a refusal: status, {"data": null, "errcode": code,
// "errmsg": non-empty} and nothing else; it returns the errmsg.
func expectError(t *testing.T, a answer, status, code int) string {
	t.Helper()
	env := a.envelope(t)
	var members map[string]any
	decode(t, a.body, &members)
	if a.status != status || *env.Errcode != code || env.Errmsg == nil || *env.Errmsg == "" ||
		string(env.Data) != "null" || !slices.Equal(keysOf(members), []string{"data", "errcode", "errmsg"}) {
		t.Fatalf("got %d %s, want %d with errcode %d, an errmsg and data null", a.status, a.body, status, code)
	}
	if code == miaokoltest.CodeInvalidToken && *env.Errmsg != miaokoltest.MsgInvalidToken {
		t.Errorf("errmsg %q for errcode 40001", *env.Errmsg)
	}
	return *env.Errmsg
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

// sameJSON asserts that got is the JSON document want, member order and
// spacing aside.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	decode(t, got, &g)
	decode(t, []byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got  %s\nwant %s", bytes.TrimSpace(got), want)
	}
}

// keysOf lists an object's member names, sorted.
func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// listGroup and listTag are /smart-tag/list's rows, numbers kept as
// written so that strings and integers can be told apart.
type listGroup struct {
	ID     json.Number `json:"id"`
	Name   string      `json:"name"`
	Type   json.Number `json:"type"`
	Number json.Number `json:"number"`
	Tags   *[]listTag  `json:"tags"`
}

type listTag struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	ParentID   string      `json:"parent_id"`
	Sort       string      `json:"sort"`
	ContactCnt json.Number `json:"contact_cnt"`
}

type pager struct {
	Page, PerPage, NumRecords, NumPages, FirstRecord, LastRecord int
}

// list calls /smart-tag/list, which must succeed.
func (e *env) list(p params) ([]listGroup, pager) {
	e.t.Helper()
	a := e.call(http.MethodGet, "/smart-tag/list", p)
	env := a.envelope(e.t)
	if a.status != http.StatusOK || *env.Errcode != 0 {
		e.t.Fatalf("list %v: %d %s", p, a.status, a.body)
	}
	var groups []listGroup
	var pg pager
	decode(e.t, env.Data, &groups)
	decode(e.t, env.Pager, &pg)
	if groups == nil {
		e.t.Errorf("data is %s, want an array", env.Data)
	}
	return groups, pg
}

// tagNames are a listed group's tag names in order.
func tagNames(g listGroup) []string {
	var out []string
	if g.Tags != nil {
		for _, t := range *g.Tags {
			out = append(out, t.Name)
		}
	}
	return out
}

// record is a /smart-tag/add answer.
type record struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Type     int    `json:"type"`
	ParentID int64  `json:"parent_id"`
	Number   int    `json:"number"`
	Sort     int    `json:"sort"`
	Ctime    int64  `json:"ctime"`
	Utime    int64  `json:"utime"`
}

func (e *env) add(p params) record {
	e.t.Helper()
	var r record
	e.ok(http.MethodPost, "/smart-tag/add", p, &r)
	return r
}

// seedOne gives a fresh simulator group 1 ("G") with tags 2 ("a") and 3
// ("b"), and contact rel/c carrying tag 2.
func seedOne(e *env) {
	e.t.Helper()
	g := e.sim.AddGroup("G")
	a, b := e.sim.AddTag(g, "a"), e.sim.AddTag(g, "b")
	if g != 1 || a != 2 || b != 3 {
		e.t.Fatalf("ids %d, %d, %d, want 1, 2, 3 on a fresh simulator", g, a, b)
	}
	e.sim.AddContact("rel", "c", a)
}

// refusal is a call that must be refused with CodeFailure, with an errmsg
// that mentions what is wrong.
type refusal struct {
	name    string
	p       params
	mention string // in the errmsg
}

// refused makes each POST to path, which must be refused, and checks that
// together they changed nothing.
func (e *env) refused(path string, calls []refusal) {
	e.t.Helper()
	before := stateOf(e.sim)
	for _, c := range calls {
		if msg := e.fails(http.MethodPost, path, c.p, miaokoltest.CodeFailure); !strings.Contains(msg, c.mention) {
			e.t.Errorf("%s: errmsg %q does not mention %s", c.name, msg, c.mention)
		}
	}
	e.unchanged(before)
}
