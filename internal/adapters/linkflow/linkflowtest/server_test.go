package linkflowtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

func TestTokenIssue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    linkflowtest.Config
		wantEx any
	}{
		{"string expiration default ttl", linkflowtest.Config{}, "2024-03-16 17:44:20"},
		{"string expiration custom ttl", linkflowtest.Config{TokenTTL: 30 * time.Minute}, "2024-03-16 16:14:20"},
		{"epoch millis expiration", linkflowtest.Config{ExpirationAsEpochMillis: true}, json.Number(fmt.Sprint(t0.Add(2 * time.Hour).UnixMilli()))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, tc.cfg)
			status, h, body := e.raw(http.MethodGet, "/token", nil, map[string]string{
				"X-OpenApi-Key": testKey, "X-OpenApi-Secret": testSecret,
			})
			if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d, content type %q", status, h.Get("Content-Type"))
			}
			var got map[string]any
			mustUnmarshal(t, body, &got)
			if got["expiration"] != tc.wantEx {
				t.Errorf("expiration = %#v, want %#v", got["expiration"], tc.wantEx)
			}
			tok, _ := got["token"].(string)
			if tok == "" || tok == e.token {
				t.Errorf("token = %q, want a new non-empty token", tok)
			}
			if e.sim.TokenCalls() != 2 {
				t.Errorf("TokenCalls = %d, want 2", e.sim.TokenCalls())
			}
		})
	}
}

func TestTokenRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	tests := []struct {
		name string
		hdr  map[string]string
	}{
		{"no headers", nil},
		{"key only", map[string]string{"X-OpenApi-Key": testKey}},
		{"secret only", map[string]string{"X-OpenApi-Secret": testSecret}},
		{"wrong secret", map[string]string{"X-OpenApi-Key": testKey, "X-OpenApi-Secret": "nope"}},
		{"wrong key", map[string]string{"X-OpenApi-Key": "nope", "X-OpenApi-Secret": testSecret}},
	}
	for _, tc := range tests {
		status, _, body := e.raw(http.MethodGet, "/token", nil, tc.hdr)
		var eb linkflowtest.ErrorBody
		mustUnmarshal(t, body, &eb)
		if status != http.StatusUnauthorized || eb.Code != "UNAUTHORIZED" {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}
	if got := e.sim.TokenCalls(); got != 1+len(tests) {
		t.Errorf("TokenCalls = %d, want %d", got, 1+len(tests))
	}
	status, _, _ := e.raw(http.MethodPost, "/token", nil, map[string]string{"X-OpenApi-Key": testKey, "X-OpenApi-Secret": testSecret})
	if status != http.StatusMethodNotAllowed {
		t.Errorf("POST /token = %d, want 405", status)
	}
}

func TestTokenExpiry(t *testing.T) {
	t.Parallel()
	t.Run("ttl elapses", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{TokenTTL: time.Hour})
		e.ok(http.MethodGet, "/contacts", nil, nil)
		e.clock.Advance(59 * time.Minute)
		e.ok(http.MethodGet, "/contacts", nil, nil)
		e.clock.Advance(time.Minute)
		eb := e.fails(http.MethodGet, "/contacts", nil, http.StatusUnauthorized, "UNAUTHORIZED")
		if !strings.Contains(eb.Message, "expired") {
			t.Errorf("message %q", eb.Message)
		}
		e.token = e.newToken()
		e.ok(http.MethodGet, "/contacts", nil, nil)
	})
	t.Run("ExpireTokens", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		other := e.newToken()
		e.sim.ExpireTokens()
		e.fails(http.MethodGet, "/open/contacts", nil, http.StatusUnauthorized, "UNAUTHORIZED")
		e.token = other
		e.fails(http.MethodGet, "/v2/groups", nil, http.StatusUnauthorized, "UNAUTHORIZED")
		e.token = e.newToken()
		e.ok(http.MethodGet, "/v2/groups", nil, nil)
	})
	t.Run("earlier tokens stay valid by default", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		first := e.token
		e.token = e.newToken()
		e.ok(http.MethodGet, "/contacts", nil, nil)
		e.token = first
		e.ok(http.MethodGet, "/contacts", nil, nil)
	})
	t.Run("SingleActiveToken", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{SingleActiveToken: true})
		first := e.token
		second := e.newToken()
		e.token = first
		e.fails(http.MethodGet, "/contacts", nil, http.StatusUnauthorized, "UNAUTHORIZED")
		e.token = second
		e.ok(http.MethodGet, "/contacts", nil, nil)
	})
}

func TestEveryEndpointRequiresToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{TokenTTL: time.Hour})
	expired := e.token
	e.clock.Advance(2 * time.Hour)
	endpoints := []struct{ method, path string }{
		{"GET", "/contacts"}, {"GET", "/open/contacts"}, {"POST", "/identifiers"}, {"GET", "/identifiers?externalId=a&channelId=b"},
		{"GET", "/contacts/meta/userfields"}, {"GET", "/v2/contacts/meta/properties"}, {"GET", "/v2/contacts?email=a@b.c"},
		{"GET", "/v2/contacts_bulk?ids=1"}, {"GET", "/open/contacts_bulk?ids=1"}, {"GET", "/v2/contacts_bulk/ids?page=0&size=1"},
		{"GET", "/open/contacts_bulk/ids?page=0&size=1"}, {"PUT", "/v2/contacts/1"}, {"GET", "/v1/wx/wx1/user?unionId=u"},
		{"POST", "/udc"}, {"GET", "/channels/meta/types"}, {"GET", "/contacts/1/identities"}, {"POST", "/ude"},
		{"GET", "/contacts/1/events"}, {"GET", "/events/lite?lastMaxId=0"}, {"GET", "/v2/groups"}, {"POST", "/v2/groups"},
		{"GET", "/open/groups"}, {"POST", "/open/groups"}, {"GET", "/v2/contacts/1/groups"}, {"GET", "/open/contacts/1/groups"},
		{"GET", "/v2/groups/1/contacts"}, {"POST", "/v2/groups/1/contacts"}, {"DELETE", "/v2/groups/1/contacts"},
		{"GET", "/open/groups/1/contacts"}, {"POST", "/open/groups/1/contacts"}, {"DELETE", "/open/groups/1/contacts"},
		{"GET", "/open/folders"}, {"GET", "/v1/tags?page=0&size=10"}, {"POST", "/v1/tags/tagkeys/k/calculate"},
		{"GET", "/open/orders?lastMaxId=0"}, {"POST", "/open/shorturl"}, {"GET", "/no/such/endpoint"},
	}
	tokens := []struct{ name, token string }{{"missing", ""}, {"unknown", "bm90LWEtdG9rZW4="}, {"expired", expired}}
	for _, ep := range endpoints {
		for _, tk := range tokens {
			hdr := map[string]string{}
			if tk.token != "" {
				hdr["X-OpenApi-Token"] = tk.token
			}
			status, _, body := e.raw(ep.method, ep.path, nil, hdr)
			var eb linkflowtest.ErrorBody
			mustUnmarshal(t, body, &eb)
			if status != http.StatusUnauthorized || eb.Code != "UNAUTHORIZED" || eb.Status != 401 {
				t.Errorf("%s %s with %s token: %d %s", ep.method, ep.path, tk.name, status, body)
			}
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	e.fails(http.MethodGet, "/no/such/endpoint", nil, http.StatusNotFound, "NOT_FOUND")
	e.fails(http.MethodGet, "/contacts/", nil, http.StatusNotFound, "NOT_FOUND")
	e.fails(http.MethodDelete, "/contacts", nil, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	e.fails(http.MethodPost, "/v2/contacts/1", `{}`, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	e.fails(http.MethodGet, "/open/dashboard/1/summary", nil, http.StatusNotFound, "NOT_FOUND")

	status, h, _ := e.raw(http.MethodPatch, "/v2/groups/1/contacts", nil, map[string]string{"X-OpenApi-Token": e.token})
	if status != http.StatusMethodNotAllowed || h.Get("Allow") != "DELETE, GET, POST" {
		t.Errorf("PATCH members: %d Allow=%q", status, h.Get("Allow"))
	}
	status, _, body := e.raw(http.MethodPost, "/v2/groups", strings.NewReader("name=x"), map[string]string{
		"X-OpenApi-Token": e.token, "Content-Type": "application/x-www-form-urlencoded",
	})
	if status != http.StatusUnsupportedMediaType || !strings.Contains(string(body), "UNSUPPORTED_MEDIA_TYPE") {
		t.Errorf("form body: %d %s", status, body)
	}
	// No Content-Type at all is accepted (the vendor samples send none).
	status, _, body = e.raw(http.MethodPost, "/v2/groups", strings.NewReader(`{"name":"no content type"}`), map[string]string{"X-OpenApi-Token": e.token})
	if status != http.StatusOK {
		t.Errorf("no Content-Type: %d %s", status, body)
	}
	big := `{"name":"` + strings.Repeat("x", 9<<20) + `"}`
	e.fails(http.MethodPost, "/v2/groups", big, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}

func TestFaults(t *testing.T) {
	t.Parallel()
	t.Run("status content type body and times", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/", Times: 2, Status: 503, ContentType: "text/html", Body: "<html>busy</html>"})
		for range 2 {
			status, h, body := e.raw(http.MethodGet, "/v2/groups", nil, map[string]string{"X-OpenApi-Token": e.token})
			if status != 503 || h.Get("Content-Type") != "text/html" || string(body) != "<html>busy</html>" {
				t.Fatalf("fault answer: %d %q %q", status, h.Get("Content-Type"), body)
			}
		}
		e.ok(http.MethodGet, "/v2/groups", nil, nil)
	})
	t.Run("prefix only matches its paths", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/orders", Status: 500, Body: `{"code":"B99999"}`})
		e.ok(http.MethodGet, "/open/groups", nil, nil)
		status, h, body := e.raw(http.MethodGet, "/open/orders?lastMaxId=0", nil, map[string]string{"X-OpenApi-Token": e.token})
		if status != 500 || string(body) != `{"code":"B99999"}` || h.Get("Content-Type") != "" {
			t.Fatalf("%d %q %s", status, h.Get("Content-Type"), body)
		}
		e.ok(http.MethodGet, "/open/orders?lastMaxId=0", nil, nil)
	})
	t.Run("empty prefix matches token endpoint", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{Status: 502})
		status, _, _ := e.raw(http.MethodGet, "/token", nil, map[string]string{"X-OpenApi-Key": testKey, "X-OpenApi-Secret": testSecret})
		if status != 502 {
			t.Fatalf("status %d", status)
		}
		if e.sim.TokenCalls() != 2 {
			t.Errorf("TokenCalls = %d, want 2", e.sim.TokenCalls())
		}
	})
	t.Run("faults apply in injection order", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{Status: 500})
		e.sim.InjectFault(linkflowtest.Fault{Status: 429})
		for _, want := range []int{500, 429, 200} {
			if status, _ := e.api(http.MethodGet, "/contacts", nil); status != want {
				t.Fatalf("status %d, want %d", status, want)
			}
		}
	})
	t.Run("delay respects cancellation", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{Status: 200, Delay: 10 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/contacts", nil)
		req.Header.Set("X-OpenApi-Token", e.token)
		start := time.Now()
		_, err := http.DefaultClient.Do(req)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("delay not cut short")
		}
		e.ok(http.MethodGet, "/contacts", nil, nil) // the fault was used up
	})
	t.Run("delay without status handles normally", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups", Delay: 50 * time.Millisecond})
		start := time.Now()
		var groups []any
		e.ok(http.MethodGet, "/v2/groups", nil, &groups)
		if time.Since(start) < 50*time.Millisecond {
			t.Error("no delay")
		}
	})
	t.Run("headers, method and a dropped connection", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/open/groups", Method: http.MethodPost, Status: 429, Header: http.Header{"Retry-After": {"7"}}})
		e.ok(http.MethodGet, "/open/groups", nil, nil)
		status, h, _ := e.raw(http.MethodPost, "/open/groups", strings.NewReader(`{"name":"g"}`), map[string]string{"X-OpenApi-Token": e.token})
		if status != 429 || h.Get("Retry-After") != "7" {
			t.Fatalf("%d Retry-After %q", status, h.Get("Retry-After"))
		}
		e.sim.InjectFault(linkflowtest.Fault{PathPrefix: "/contacts", Drop: true})
		req, _ := http.NewRequest(http.MethodGet, e.base+"/contacts", nil)
		req.Header.Set("X-OpenApi-Token", e.token)
		fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		if res, err := fresh.Do(req); err == nil {
			res.Body.Close()
			t.Fatalf("answer %d, want a transport error", res.StatusCode)
		}
		e.ok(http.MethodGet, "/contacts", nil, nil)
	})
	t.Run("ClearFaults", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, linkflowtest.Config{})
		e.sim.InjectFault(linkflowtest.Fault{Status: 500, Times: 5})
		e.sim.ClearFaults()
		e.ok(http.MethodGet, "/contacts", nil, nil)
	})
}

func TestRequestsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	e.sim.ResetRequests()
	e.api(http.MethodPost, "/v2/groups?x=1", map[string]string{"name": "g"})
	e.raw(http.MethodGet, "/contacts", nil, nil) // rejected, still recorded
	reqs := e.sim.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/v2/groups" || r.Query.Get("x") != "1" || r.RawQuery != "x=1" ||
		string(r.Body) != `{"name":"g"}` || r.Header.Get("X-OpenApi-Token") != e.token || !r.Time.Equal(t0) {
		t.Errorf("recorded %+v", r)
	}
	if reqs[1].Path != "/contacts" || reqs[1].Header.Get("X-OpenApi-Token") != "" {
		t.Errorf("recorded %+v", reqs[1])
	}
	reqs[0].Body[0] = 'X' // copies are independent
	if e.sim.Requests()[0].Body[0] != '{' {
		t.Error("Requests does not copy")
	}
	e.sim.ResetRequests()
	if len(e.sim.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
}

func TestRequestLogBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{MaxRecordedRequests: 3})
	for i := range 5 {
		e.api(http.MethodGet, fmt.Sprintf("/contacts?page=%d", i), nil)
	}
	reqs := e.sim.Requests()
	if len(reqs) != 3 || reqs[0].Query.Get("page") != "2" || reqs[2].Query.Get("page") != "4" {
		t.Errorf("kept %d requests: %+v", len(reqs), reqs)
	}
	off := newEnv(t, linkflowtest.Config{MaxRecordedRequests: -1})
	off.api(http.MethodGet, "/contacts", nil)
	if len(off.sim.Requests()) != 0 {
		t.Error("recording not disabled")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, linkflowtest.Config{})
	gid := e.sim.AddGroup("everyone", "")
	e.sim.AddProperty(linkflowtest.Property{Label: "level", DataType: "number"})
	const workers, identities = 300, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*3)
	client := &http.Client{}
	send := func(method, path, body string, token string) (int, []byte, error) {
		req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("X-OpenApi-Token", token)
		req.Header.Set("X-OpenApi-Key", testKey)
		req.Header.Set("X-OpenApi-Secret", testSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	for i := range workers {
		wg.Go(func() {
			body := fmt.Sprintf(`{"externalId":"u%d","channel":{"channelId":"shop.example"},"name":"user %d","props":{"attr1":%d}}`, i%identities, i%identities, i)
			status, out, err := send(http.MethodPost, "/identifiers", body, e.token)
			if err != nil || status != 200 {
				errs <- fmt.Errorf("identify: %d %s %v", status, out, err)
				return
			}
			var c struct{ ID int64 }
			if err := json.Unmarshal(out, &c); err != nil {
				errs <- err
				return
			}
			if status, out, err := send(http.MethodPost, fmt.Sprintf("/v2/groups/%d/contacts", gid), fmt.Sprintf("[%d]", c.ID), e.token); err != nil || status != 200 {
				errs <- fmt.Errorf("add member: %d %s %v", status, out, err)
			}
			if status, out, err := send(http.MethodGet, "/contacts?size=50", "", e.token); err != nil || status != 200 {
				errs <- fmt.Errorf("list: %d %s %v", status, out, err)
			}
			if i%10 == 0 {
				if status, out, err := send(http.MethodGet, "/token", "", ""); err != nil || status != 200 {
					errs <- fmt.Errorf("token: %d %s %v", status, out, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.sim.Contacts()); n != identities {
		t.Errorf("%d contacts, want %d (identify must not duplicate under concurrency)", n, identities)
	}
	if n := len(e.sim.GroupMembers(gid)); n != identities {
		t.Errorf("%d members, want %d", n, identities)
	}
	if got := e.sim.TokenCalls(); got != 1+workers/10 {
		t.Errorf("TokenCalls = %d, want %d", got, 1+workers/10)
	}
}
