package meihua_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestPassthrough(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pid := e.sim.AddProperty("等级", 1, "old")

	// A read, with the caller's query; a token of the caller's is replaced.
	res, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/edm/tasks",
		Query: map[string][]string{"start": {"0"}, "end": {"99999999999999"}, "token": {"caller-token"}}})
	e.Must(err)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"success":true`) {
		t.Errorf("answer %d %s", res.Status, res.Body)
	}
	r := e.requests("/edm/tasks")[0]
	if r.Query.Get("start") != "0" || r.Query.Get("token") == "caller-token" || len(r.Query["token"]) != 1 {
		t.Errorf("query %q", r.RawQuery)
	}

	// A write: the body's members are the parameters.
	body, _ := json.Marshal(map[string]any{"id": pid, "label": "会员等级", "fieldType": "2", "description": "new",
		"subpropertys": []map[string]string{{"label": "金卡"}}})
	res, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/contact/property/edit", Body: body})
	e.Must(err)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"success":true`) {
		t.Errorf("answer %d %s", res.Status, res.Body)
	}
	for _, p := range e.sim.Properties() {
		if p.ID == pid && (p.Label != "会员等级" || p.FieldType != 2 || len(p.Options) != 1) {
			t.Errorf("property %+v", p)
		}
	}

	// Meihua's error answers come back as they are.
	e.sim.FailNext(meihuatest.CodeMissingParameter)
	res, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/contact/setting"})
	e.Must(err)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "E10103") {
		t.Errorf("answer %d %s", res.Status, res.Body)
	}

	// An expired token is refreshed for a passthrough call too.
	e.sim.ExpireAccessTokens()
	res, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/contact/setting"})
	e.Must(err)
	if !strings.Contains(string(res.Body), `"success":true`) {
		t.Errorf("answer after a refresh %s", res.Body)
	}
}

func TestPassthroughRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/access_token", "/authorize", "/contacts", "/contact/../access_token", "/contact;x", "/edm/", "/"} {
		_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: path})
		e.WantValidation(err, "body.path")
	}
	_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/contact/add", Body: []byte(`[1,2]`)})
	e.WantValidation(err, "body.body")
	if n := len(e.sim.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}

	e.sim.InjectFault(vendortest.Fault{PathPrefix: "/contact/setting", Status: 200, ContentType: "text/html", Body: "<html>x</html>"})
	_, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/contact/setting"})
	e.WantVendor(err, domain.VendorBadResponse)
}
