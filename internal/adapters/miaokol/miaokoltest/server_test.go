package miaokoltest_test

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
)

// endpoints are every smart-tag endpoint with its documented method and
// valid parameters, on a simulator seeded by seedOne.
var endpoints = []struct {
	method, path string
	params       params
}{
	{"GET", "/smart-tag/list", params{"page": 1, "page_size": 10, "with_tags": 1, "id": 1}},
	{"POST", "/smart-tag/add", params{"name": "api分组", "type": 2}},
	{"POST", "/smart-tag/delete", params{"id": 3}},
	{"POST", "/smart-tag/batchAddTag", params{"group_id": 1, "tag_names": []string{"增", "删"}}},
	{"POST", "/smart-tag/updateContact", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []int{2, 3}}},
}

// state is everything the simulator holds, to tell that a refused call
// changed nothing.
type state struct {
	groups   []miaokoltest.Group
	contacts []miaokoltest.Contact
}

func stateOf(s *miaokoltest.Server) state { return state{s.Groups(), s.Contacts()} }

func (e *env) unchanged(before state) {
	e.t.Helper()
	if after := stateOf(e.sim); !reflect.DeepEqual(after, before) {
		e.t.Errorf("a refused call changed the data:\n%+v\nwas\n%+v", after, before)
	}
}

func TestEveryEndpointSucceeds(t *testing.T) {
	t.Parallel()
	for _, ep := range endpoints {
		t.Run(ep.path, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, miaokoltest.Config{})
			seedOne(e)
			before := stateOf(e.sim)
			e.ok(ep.method, ep.path, ep.params, nil)
			if ep.method == http.MethodPost && reflect.DeepEqual(stateOf(e.sim), before) {
				t.Error("the call changed nothing")
			}
			if n := e.sim.Calls(ep.path); n != 1 {
				t.Errorf("Calls %d", n)
			}
		})
	}
}

func TestEveryEndpointRequiresAToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	expired := e.token
	e.clock.Advance(2 * time.Hour)
	before := stateOf(e.sim)
	for _, ep := range endpoints {
		for _, tok := range []any{nil, "", "2550fae1f260f21489ceaed103ec472d", expired} {
			p := params{"access_token": tok}
			maps.Copy(p, ep.params)
			msg := e.fails(ep.method, ep.path, p, miaokoltest.CodeInvalidToken)
			if msg != miaokoltest.MsgInvalidToken {
				t.Errorf("%s: errmsg %q", ep.path, msg)
			}
		}
	}
	e.unchanged(before)
}

// The credentials count only where the examples put them: the query of a
// GET, the JSON body of a POST.
func TestCredentialPlacement(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	before := stateOf(e.sim)
	creds := url.Values{"app_id": {miaokoltest.DefaultAppID}, "access_token": {e.token}}
	credsJSON := mustJSON(t, map[string]string{"app_id": miaokoltest.DefaultAppID, "access_token": e.token})
	addBody := func(kv ...string) string {
		b := map[string]any{"name": "x", "type": 2}
		for i := 0; i+1 < len(kv); i += 2 {
			b[kv[i]] = kv[i+1]
		}
		return mustJSON(t, b)
	}
	tests := []struct {
		name              string
		method, path      string
		query             url.Values
		contentType, body string
		status, code      int
	}{
		{"GET with them in a JSON body", "GET", "/smart-tag/list", nil, "application/json", credsJSON, 200, miaokoltest.CodeInvalidToken},
		{"POST with them in the query", "POST", "/smart-tag/add", creds, "application/json", addBody(), 200, miaokoltest.CodeInvalidToken},
		{"POST with the token in the query", "POST", "/smart-tag/add", url.Values{"access_token": {e.token}}, "application/json",
			addBody("app_id", miaokoltest.DefaultAppID), 200, miaokoltest.CodeInvalidToken},
		{"POST with app_id in the query", "POST", "/smart-tag/add", url.Values{"app_id": {miaokoltest.DefaultAppID}}, "application/json",
			addBody("access_token", e.token), 200, miaokoltest.CodeInvalidAppID},
		{"POST as a form", "POST", "/smart-tag/add", nil, "application/x-www-form-urlencoded",
			url.Values{"app_id": {miaokoltest.DefaultAppID}, "access_token": {e.token}, "name": {"x"}, "type": {"2"}}.Encode(), 200, miaokoltest.CodeFailure},
		{"GET without app_id", "GET", "/smart-tag/list", url.Values{"access_token": {e.token}}, "", "", 200, miaokoltest.CodeInvalidAppID},
		{"GET with another app_id", "GET", "/smart-tag/list", url.Values{"access_token": {e.token}, "app_id": {"44n2AsVZArKefJbuaE"}}, "", "", 200, miaokoltest.CodeInvalidAppID},
		{"POST with another app_id", "POST", "/smart-tag/add", nil, "application/json",
			addBody("access_token", e.token, "app_id", "44n2AsVZArKefJbuaE"), 200, miaokoltest.CodeInvalidAppID},
		{"bad token and app_id: the token first", "GET", "/smart-tag/list", url.Values{"access_token": {"x"}, "app_id": {"y"}}, "", "", 200, miaokoltest.CodeInvalidToken},
		{"GET without the example's Content-Type", "GET", "/smart-tag/list", creds, "", "", 200, 0},
		{"GET with a JSON Content-Type", "GET", "/smart-tag/list", creds, "application/json", "", 200, 0},
		{"POST as the example", "POST", "/smart-tag/add", nil, "application/json; charset=UTF-8",
			addBody("access_token", e.token, "app_id", miaokoltest.DefaultAppID), 200, 0},
	}
	for _, tt := range tests {
		a := e.send(tt.method, tt.path, tt.query, tt.contentType, tt.body)
		if tt.code == 0 {
			if env := a.envelope(t); a.status != 200 || *env.Errcode != 0 {
				t.Errorf("%s: %d %s", tt.name, a.status, a.body)
			}
			continue
		}
		expectError(t, a, tt.status, tt.code)
	}
	if got := len(e.sim.Groups()); got != len(before.groups)+1 {
		t.Errorf("%d groups, want the one the accepted POST added", got)
	}
}

func TestPostBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	creds := `"app_id":"` + miaokoltest.DefaultAppID + `","access_token":"` + e.token + `"`
	tests := []struct {
		name, contentType, body string
		code                    int
	}{
		{"no Content-Type", "", "{" + creds + `,"name":"x","type":2}`, miaokoltest.CodeFailure},
		{"text/plain", "text/plain", "{" + creds + `,"name":"x","type":2}`, miaokoltest.CodeFailure},
		{"application/json;charset=utf-8", "application/json;charset=utf-8", "{" + creds + `,"name":"a","type":2}`, 0},
		{"Application/JSON", "Application/JSON", "{" + creds + `,"name":"b","type":2}`, 0},
		{"empty body", "application/json", "", miaokoltest.CodeFailure},
		{"null", "application/json", "null", miaokoltest.CodeFailure},
		{"an array", "application/json", "[{" + creds + `,"name":"x","type":2}]`, miaokoltest.CodeFailure},
		{"malformed", "application/json", "{" + creds + `,"name":"x","type":2`, miaokoltest.CodeFailure},
		{"data after the object", "application/json", "{" + creds + `,"name":"x","type":2} {}`, miaokoltest.CodeFailure},
		{"a numeric token", "application/json", `{"app_id":"` + miaokoltest.DefaultAppID + `","access_token":12,"name":"x","type":2}`, miaokoltest.CodeFailure},
		{"a null token", "application/json", `{"app_id":"` + miaokoltest.DefaultAppID + `","access_token":null,"name":"x","type":2}`, miaokoltest.CodeInvalidToken},
		{"unknown members are ignored", "application/json", "{" + creds + `,"name":"c","type":2,"color":"red"}`, 0},
	}
	for _, tt := range tests {
		a := e.send(http.MethodPost, "/smart-tag/add", nil, tt.contentType, tt.body)
		if tt.code == 0 {
			if env := a.envelope(t); *env.Errcode != 0 {
				t.Errorf("%s: %s", tt.name, a.body)
			}
			continue
		}
		if msg := expectError(t, a, http.StatusOK, tt.code); tt.code == miaokoltest.CodeFailure && !strings.Contains(msg, "application/json") && !strings.Contains(msg, "JSON") && !strings.Contains(msg, "类型") {
			t.Errorf("%s: errmsg %q does not say what is wrong", tt.name, msg)
		}
	}
	if got := len(e.sim.Groups()); got != 3 {
		t.Errorf("%d groups, want 3", got)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	allow := func(a answer, want string) {
		t.Helper()
		if got := a.header.Get("Allow"); got != want {
			t.Errorf("Allow %q, want %q", got, want)
		}
	}
	expectError(t, e.call(http.MethodGet, "/smart-tag/nothing", nil), http.StatusNotFound, miaokoltest.CodeFailure)
	expectError(t, e.call(http.MethodGet, "/v1/smart-tag/list", nil), http.StatusNotFound, miaokoltest.CodeFailure)
	expectError(t, e.call(http.MethodPost, "/smart-tag/batchaddtag", params{"group_id": 1, "tag_names": []string{"x"}}), http.StatusNotFound, miaokoltest.CodeFailure)
	a := e.call(http.MethodPost, "/smart-tag/list", nil)
	expectError(t, a, http.StatusMethodNotAllowed, miaokoltest.CodeFailure)
	allow(a, "GET")
	a = e.call(http.MethodGet, "/smart-tag/add", params{"name": "x", "type": 2})
	expectError(t, a, http.StatusMethodNotAllowed, miaokoltest.CodeFailure)
	allow(a, "POST")
	// The token is checked before the path.
	expectError(t, e.send(http.MethodGet, "/smart-tag/nothing", nil, "", ""), http.StatusOK, miaokoltest.CodeInvalidToken)
	big := `{"name":"` + strings.Repeat("x", 8<<20) + `"}`
	expectError(t, e.send(http.MethodPost, "/smart-tag/add", nil, "application/json", big), http.StatusRequestEntityTooLarge, miaokoltest.CodeFailure)
	if len(e.sim.Groups()) != 0 {
		t.Error("a refused call added a group")
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	t.Run("canned answer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		body := miaokoltest.ErrorJSON(miaokoltest.CodeFailure, "系统繁忙")
		e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Status: 200, ContentType: "application/json; charset=utf-8", Body: body})
		if msg := e.fails(http.MethodGet, "/smart-tag/list", nil, miaokoltest.CodeFailure); msg != "系统繁忙" {
			t.Errorf("errmsg %q", msg)
		}
		e.list(nil) // once only
	})
	t.Run("after the handler", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		seedOne(e)
		e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/updateContact", AfterHandler: true, Status: http.StatusGatewayTimeout, Body: "timeout"})
		a := e.call(http.MethodPost, "/smart-tag/updateContact", params{"rel_wxid": "rel", "contact_wxid": "c", "smart_tag_ids": []int{3}})
		if a.status != http.StatusGatewayTimeout {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if c, _ := e.sim.Contact("rel", "c"); !reflect.DeepEqual(c.TagIDs, []int64{3}) {
			t.Errorf("the call did not take effect: %v", c.TagIDs)
		}
	})
	t.Run("dropped connection", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, miaokoltest.Config{})
		e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/add", Drop: true})
		body := mustJSON(t, params{"app_id": miaokoltest.DefaultAppID, "access_token": e.token, "name": "x", "type": 2})
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.base+"/smart-tag/add", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			t.Fatalf("answered %d", res.StatusCode)
		}
		var ue *url.Error
		if !errors.As(err, &ue) || len(e.sim.Groups()) != 0 {
			t.Errorf("error %v, groups %v", err, e.sim.Groups())
		}
	})
}

func TestRequestsAndCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	e.list(params{"page": 2})
	e.fails(http.MethodPost, "/smart-tag/delete", params{"id": 9}, miaokoltest.CodeFailure)
	e.fetchToken()
	reqs := e.sim.Requests()
	if len(reqs) != 3 || reqs[0].Path != "/smart-tag/list" || reqs[0].Query.Get("page") != "2" ||
		reqs[1].Method != http.MethodPost || !strings.Contains(string(reqs[1].Body), `"id":9`) || reqs[2].Path != "/oauth/token" {
		t.Fatalf("requests %+v", reqs)
	}
	if e.sim.Calls("/smart-tag/") != 2 || e.sim.Calls("/smart-tag/list") != 1 || e.sim.Calls("") != 3 {
		t.Errorf("Calls %d %d %d", e.sim.Calls("/smart-tag/"), e.sim.Calls("/smart-tag/list"), e.sim.Calls(""))
	}
	e.sim.ResetRequests()
	if len(e.sim.Requests()) != 0 || e.sim.Calls("") != 3 {
		t.Error("ResetRequests")
	}
	quiet := newEnv(t, miaokoltest.Config{MaxRecordedRequests: -1})
	quiet.list(nil)
	if len(quiet.sim.Requests()) != 0 || quiet.sim.Calls("") != 1 {
		t.Error("MaxRecordedRequests -1 still records")
	}
}

// Calls from many goroutines, for the race detector.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, miaokoltest.Config{})
	seedOne(e)
	for i := range 8 {
		e.sim.AddContact("rel", "c"+string(rune('0'+i)))
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				e.call(http.MethodPost, "/smart-tag/updateContact", params{"rel_wxid": "rel", "contact_wxid": "c" + string(rune('0'+i)), "smart_tag_ids": []int{2, 3}})
				e.call(http.MethodGet, "/smart-tag/list", params{"with_tags": 1})
				e.sim.Groups()
			}
		})
	}
	wg.Wait()
	// Tag 3 ("b", listed first) is on the eight; tag 2 on them and c.
	if g := e.sim.Groups(); g[0].Tags[0].ContactCount != 8 || g[0].Tags[1].ContactCount != 9 {
		t.Errorf("groups %+v", g)
	}
}
