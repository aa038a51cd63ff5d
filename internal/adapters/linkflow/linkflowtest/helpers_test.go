package linkflowtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const (
	testKey    = "app-key"
	testSecret = "app-secret"
	prefix     = "/vendors/linkflow"
)

// t0 is 2024-03-16 15:44:20 China Standard Time.
var t0 = time.Date(2024, 3, 16, 7, 44, 20, 0, time.UTC)

type env struct {
	t     *testing.T
	sim   *linkflowtest.Server
	base  string
	token string
	clock *vendortest.Clock
}

// newEnv starts the simulator behind httptest, mounted under a prefix, and
// fetches a token.
func newEnv(t *testing.T, cfg linkflowtest.Config) *env {
	t.Helper()
	clock := vendortest.NewClock(t0)
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.AppKey == "" {
		cfg.AppKey, cfg.AppSecret = testKey, testSecret
	}
	sim := linkflowtest.New(cfg)
	e := &env{t: t, sim: sim, base: vendortest.Start(t, prefix, sim), clock: clock}
	e.token = e.newToken()
	return e
}

func (e *env) newToken() string {
	e.t.Helper()
	status, _, body := e.raw(http.MethodGet, "/token", nil, map[string]string{
		"X-OpenApi-Key": testKey, "X-OpenApi-Secret": testSecret,
	})
	if status != http.StatusOK {
		e.t.Fatalf("GET /token: %d %s", status, body)
	}
	var tr struct {
		Token string `json:"token"`
	}
	mustUnmarshal(e.t, body, &tr)
	return tr.Token
}

// raw sends a request with exactly the given headers (no token added).
func (e *env) raw(method, path string, body io.Reader, hdr map[string]string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// api sends an authenticated request. body may be nil, a string (sent as
// is) or any value (sent as JSON).
func (e *env) api(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	hdr := map[string]string{"X-OpenApi-Token": e.token, "Accept": "application/json"}
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		hdr["Content-Type"] = "application/json"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
		hdr["Content-Type"] = "application/json"
	}
	status, h, out := e.raw(method, path, rd, hdr)
	if ct := h.Get("Content-Type"); len(out) > 0 && !strings.HasPrefix(ct, "application/json") {
		e.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return status, out
}

// ok sends an authenticated request, requires 200 and decodes into out.
func (e *env) ok(method, path string, body, out any) {
	e.t.Helper()
	status, b := e.api(method, path, body)
	if status != http.StatusOK {
		e.t.Fatalf("%s %s: status %d, body %s", method, path, status, b)
	}
	if out != nil {
		mustUnmarshal(e.t, b, out)
	}
}

// fails sends an authenticated request and requires the error status and code.
func (e *env) fails(method, path string, body any, status int, code string) linkflowtest.ErrorBody {
	e.t.Helper()
	got, b := e.api(method, path, body)
	var eb linkflowtest.ErrorBody
	if err := json.Unmarshal(b, &eb); err != nil {
		e.t.Fatalf("%s %s: error body is not JSON: %s", method, path, b)
	}
	if got != status || eb.Code != code || eb.Status != status || eb.Message == "" {
		e.t.Fatalf("%s %s: got %d %+v, want %d %s", method, path, got, eb, status, code)
	}
	return eb
}

func mustUnmarshal(t *testing.T, b []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// idsOf extracts the "id" of each object.
func idsOf(t *testing.T, b []byte) []int64 {
	t.Helper()
	var objs []struct {
		ID int64 `json:"id"`
	}
	mustUnmarshal(t, b, &objs)
	out := make([]int64, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

func seedContacts(e *env, n int, mk func(i int) linkflowtest.Contact) []int64 {
	ids := make([]int64, n)
	for i := range n {
		ids[i] = e.sim.AddContact(mk(i))
	}
	return ids
}
