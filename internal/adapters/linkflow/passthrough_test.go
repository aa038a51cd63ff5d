package linkflow_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestPassthrough(t *testing.T) {
	t.Parallel()

	t.Run("orders", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, id := range []string{"433", "882", "901"} {
			e.sim.AddOrder(linkflowtest.Order{OrderID: id, OrderStatus: "SELLER_CONSIGNED_PART", TotalPrice: 100.24})
		}
		resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders",
			Query: url.Values{"lastMaxId": {"0"}}})
		e.Must(err)
		if resp.Status != http.StatusOK {
			t.Errorf("status %d", resp.Status)
		}
		var orders []map[string]any
		if err := json.Unmarshal(resp.Body, &orders); err != nil {
			t.Fatalf("body %s: %v", resp.Body, err)
		}
		if len(orders) != 3 || orders[0]["orderId"] != "433" || orders[2]["orderId"] != "901" {
			t.Errorf("orders %v", orders)
		}
		hits := e.hitsTo("/open/orders")
		if len(hits) != 1 || hits[0].rawQuery != "lastMaxId=0" || hits[0].method != http.MethodGet {
			t.Errorf("hits %+v", hits)
		}
	})

	t.Run("post with a body", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/open/shorturl",
			Body: json.RawMessage(`{"url":"http://www.example.com","utm":{"source":"s"}}`)})
		e.Must(err)
		var out map[string]string
		if resp.Status != 200 || json.Unmarshal(resp.Body, &out) != nil || !strings.HasPrefix(out["shorturl"], "http://") {
			t.Errorf("answer %d %s", resp.Status, resp.Body)
		}
		for _, r := range e.sim.Requests() {
			if r.Path == "/open/shorturl" && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
		}
	})

	t.Run("guide host endpoint", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
		e.sim.AddWeChatIdentity(cid, "wx1f7fbd28ac009cd0", "A", "ogtgm1A_UD5C8MJ3YR", "o0ZYI1ZKkYGLfdq")
		resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/v1/wx/wx1f7fbd28ac009cd0/user",
			Query: url.Values{"unionId": {"ogtgm1A_UD5C8MJ3YR"}}})
		e.Must(err)
		var out map[string]any
		if resp.Status != 200 || json.Unmarshal(resp.Body, &out) != nil || out["openId"] != "o0ZYI1ZKkYGLfdq" {
			t.Errorf("answer %d %s", resp.Status, resp.Body)
		}
	})

	t.Run("vendor 404 is an answer, not an error", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, path := range []string{"/open/no-such-endpoint", "/v2/contacts/999999/groups", "/contacts/999999/identities"} {
			resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: path})
			e.Must(err)
			var body map[string]any
			if resp.Status != http.StatusNotFound || json.Unmarshal(resp.Body, &body) != nil || body["code"] == nil {
				t.Errorf("%s: answer %d %s", path, resp.Status, resp.Body)
			}
		}
	})

	t.Run("vendor error codes are answers", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders",
			Query: url.Values{"page": {"101"}}})
		e.Must(err)
		if resp.Status != 500 || !strings.Contains(string(resp.Body), "B00093") {
			t.Errorf("answer %d %s", resp.Status, resp.Body)
		}
	})

	t.Run("empty answer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.sim.AddTag(linkflowtest.Tag{TagKey: "tag_878", TagName: "活跃度"})
		resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodPost, Path: "/v1/tags/tagkeys/tag_878/calculate"})
		e.Must(err)
		if resp.Status != 200 || resp.Body != nil {
			t.Errorf("answer %d %q", resp.Status, resp.Body)
		}
	})

	t.Run("paths outside the allow-list refused in every spelling", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, path := range []string{"/token", "/token/", "/Token", "/TOKEN", "/token;x", "/token%3Bx", "/%74oken",
			"/open/../token", "/open/%2e%2e/token", "/open;x/orders", "/open/orders;x", "/open//orders", "/open/orders/",
			"/OPEN/orders", "/v1/other", "/v1", "/contacts_bulk", "/"} {
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: m, Path: path})
				e.WantValidation(err, "body.path")
			}
		}
		if hits := e.Hits(); len(hits) != 0 {
			t.Errorf("refused paths reached linkflow: %+v", hits)
		}
	})

	t.Run("documented paths allowed, each on its host", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		cid := e.sim.AddContact(linkflowtest.Contact{Name: "Ann"})
		id := strconv.FormatInt(cid, 10)
		// One path of each family; the env checks at cleanup that each
		// went to its host.
		for _, path := range []string{"/open/orders", "/open/groups", "/v1/tags", "/channels/meta/types",
			"/contacts/meta/userfields", "/contacts/" + id + "/identities", "/v2/contacts/meta/properties",
			"/v2/contacts/" + id + "/groups", "/events/lite", "/identifiers"} {
			if _, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: path}); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			if len(e.hitsTo(path)) != 1 {
				t.Errorf("%s: not sent to linkflow once", path)
			}
		}
		if n := e.sim.TokenCalls(); n != 1 {
			t.Errorf("%d token calls, want 1", n)
		}
	})

	t.Run("allow-list is clean and never names the token endpoint", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		prefixes := e.ad.PassthroughPrefixes()
		if len(prefixes) == 0 {
			t.Fatal("no passthrough prefixes")
		}
		for _, p := range prefixes {
			if _, err := domain.CleanRelativePath(p); err != nil || p == "/" {
				t.Errorf("prefix %q is not a clean path: %v", p, err)
			}
			if domain.PassthroughAllowed("/token", []string{p}) {
				t.Errorf("prefix %q allows /token", p)
			}
		}
		prefixes[0] = "/token"
		if domain.PassthroughAllowed("/token", e.ad.PassthroughPrefixes()) {
			t.Error("changing the returned list changed the adapter's allow-list")
		}
	})

	t.Run("HTML answer", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		for _, status := range []int{200, 502} {
			e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/orders", Status: status, ContentType: "text/html", Body: "<html>nginx-MARKER</html>"})
			_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders"})
			ve := e.WantVendor(err, domain.VendorBadResponse)
			if ve.Status != status {
				t.Errorf("status %d, want %d", ve.Status, status)
			}
			if strings.Contains(err.Error(), "MARKER") || strings.Contains(domain.SafeDetail(err), "MARKER") {
				t.Errorf("error shows the page: %v", err)
			}
		}
	})

	t.Run("token refreshed on 401", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders"})
		e.Must(err)
		e.sim.ExpireTokens()
		resp, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders"})
		e.Must(err)
		if resp.Status != 200 || e.sim.TokenCalls() != 2 {
			t.Errorf("status %d, token calls %d", resp.Status, e.sim.TokenCalls())
		}
	})

	t.Run("vendor unreachable", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, err := e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders"})
		e.Must(err)
		e.srv.Close()
		_, err = e.ad.Passthrough(t.Context(), domain.PassthroughRequest{Method: http.MethodGet, Path: "/open/orders"})
		e.WantVendor(err, domain.VendorUnavailable)
	})
}
