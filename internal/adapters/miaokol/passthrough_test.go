package miaokol_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol/miaokoltest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestPassthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if got := e.ad.PassthroughPrefixes(); !slices.Equal(got, []string{"/smart-tag"}) {
		t.Errorf("prefixes %v", got)
	}
	g := e.sim.AddGroup("api分组")

	// batchAddTag, which the canonical API does not use, with the caller's
	// own credentials replaced by the gateway's.
	resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/smart-tag/batchAddTag",
		Body: json.RawMessage(`{"group_id":` + idStr(g) + `,"tag_names":["增","删"],"access_token":"mine","app_id":"theirs"}`)})
	e.Must(err)
	if resp.Status != 200 || string(resp.Body) != `{"data":null,"errcode":0}` {
		t.Errorf("answer %d %s", resp.Status, resp.Body)
	}
	if gs := e.sim.Groups(); len(gs[0].Tags) != 2 {
		t.Errorf("simulator %+v", gs)
	}
	body := bodyOf(t, e.requests("/smart-tag/batchAddTag")[0])
	if body["app_id"] != appID || body["access_token"] == "mine" || body["group_id"] != jsonNum(g) {
		t.Errorf("body %v", body)
	}

	resp, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/smart-tag/list",
		Query: url.Values{"with_tags": {"1"}, "access_token": {"mine"}}})
	e.Must(err)
	var list struct {
		Data []struct {
			Tags []json.RawMessage `json:"tags"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil || resp.Status != 200 || len(list.Data) != 1 || len(list.Data[0].Tags) != 2 {
		t.Errorf("answer %d %s", resp.Status, resp.Body)
	}
	q := e.requests("/smart-tag/list")[0].Query
	if q.Get("app_id") != appID || len(q["access_token"]) != 1 || q.Get("access_token") == "mine" || q.Get("with_tags") != "1" {
		t.Errorf("query %v", q)
	}

	// Miaokol's refusals come back as they are.
	resp, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/smart-tag/delete", Body: json.RawMessage(`{"id":1}`)})
	e.Must(err)
	var refusal struct {
		Errcode int `json:"errcode"`
	}
	if err := json.Unmarshal(resp.Body, &refusal); err != nil || resp.Status != 200 || refusal.Errcode != 1 {
		t.Errorf("answer %d %s", resp.Status, resp.Body)
	}
	// An empty body is the credentials alone.
	_, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/smart-tag/delete"})
	e.Must(err)
	if b := bodyOf(t, e.requests("/smart-tag/delete")[1]); len(b) != 2 || b["app_id"] != appID {
		t.Errorf("body %v", b)
	}
}

func TestPassthroughRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/oauth/token", "/smart-tagx", "/smart-tag/../oauth/token", "/smart-tag/", "smart-tag/list", "/smart-tag/%6Cist", "//evil.example/smart-tag"} {
		_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: path})
		e.WantValidation(err, "body.path")
	}
	for _, body := range []string{`[1]`, `"x"`, `3`} {
		_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/smart-tag/add", Body: json.RawMessage(body)})
		e.WantValidation(err, "body.body")
	}
	if n := e.sim.Calls(""); n != 0 {
		t.Errorf("%d calls for refused passthroughs", n)
	}
	e.sim.InjectFault(miaokoltest.Fault{PathPrefix: "/smart-tag/list", Status: 502, ContentType: "text/html", Body: "<html>nginx</html>"})
	_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/smart-tag/list"})
	e.WantVendor(err, domain.VendorBadResponse)
}
