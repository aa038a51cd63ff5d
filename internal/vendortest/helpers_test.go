package vendortest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const (
	basePath  = "/vendors/acme"
	testToken = "tok-123"
)

// authError is a vendor's own refusal, which WriteError must still find
// behind ErrUnauthorized.
type authError struct{ reason string }

func (e *authError) Error() string { return e.reason }

var errTeapot = errors.New("the handler failed")

func headerAuth(r *http.Request) error {
	switch r.Header.Get("X-Token") {
	case testToken:
		return nil
	case "":
		return &authError{"missing token"}
	default:
		return &authError{"unknown token"}
	}
}

// kindOf names the kit error err is, or "handler".
func kindOf(err error) string {
	for _, k := range []struct {
		name string
		err  error
	}{
		{"unauthorized", vendortest.ErrUnauthorized},
		{"no route", vendortest.ErrNoRoute},
		{"method not allowed", vendortest.ErrMethodNotAllowed},
		{"body too large", vendortest.ErrBodyTooLarge},
		{"body unreadable", vendortest.ErrBodyUnreadable},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "handler"
}

// errorAnswer is what kindWriter writes.
type errorAnswer struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error"`
}

// kindWriter answers every error with 200 and the error's kind, as a vendor
// with success:false bodies would, so a test sees what the kit handed over.
func kindWriter(w http.ResponseWriter, _ *http.Request, err error) {
	a := errorAnswer{Kind: kindOf(err), Error: err.Error()}
	if ae := (*authError)(nil); errors.As(err, &ae) {
		a.Reason = ae.reason
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

// fixture is a Sim served under basePath with a public GET /token, checked
// GET and POST /items and GET and DELETE /items/{id}. GET answers the
// route's name, POST echoes the body, DELETE fails.
type fixture struct {
	t    *testing.T
	sim  *vendortest.Sim
	base string
}

// newFixture fills in headerAuth and kindWriter where opts has none.
func newFixture(t *testing.T, opts vendortest.Options) *fixture {
	t.Helper()
	if opts.Auth == nil {
		opts.Auth = headerAuth
	}
	if opts.WriteError == nil {
		opts.WriteError = kindWriter
	}
	sim := vendortest.New(opts)
	text := func(s string) vendortest.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			_, err := io.WriteString(w, s+r.PathValue("id"))
			return err
		}
	}
	echo := func(w http.ResponseWriter, r *http.Request) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	fail := func(http.ResponseWriter, *http.Request) error { return errTeapot }
	sim.HandlePublic("/token", vendortest.Methods{http.MethodGet: text("token")})
	sim.Handle("/items", vendortest.Methods{http.MethodGet: text("items"), http.MethodPost: echo})
	sim.Handle("/items/{id}", vendortest.Methods{http.MethodGet: text("item "), http.MethodDelete: fail})
	return &fixture{t: t, sim: sim, base: vendortest.Start(t, basePath, sim)}
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   string
}

// errorAnswer decodes a kindWriter answer.
func (a answer) errorAnswer(t *testing.T) errorAnswer {
	t.Helper()
	var e errorAnswer
	if err := json.Unmarshal([]byte(a.body), &e); err != nil {
		t.Fatalf("not an error answer: %d %q", a.status, a.body)
	}
	return e
}

// do sends a request with the test token unless hdr sets X-Token (to "" for
// none).
func (f *fixture) do(method, path, body string, hdr map[string]string) answer {
	f.t.Helper()
	a, err := f.try(http.DefaultClient, method, path, body, hdr)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

func (f *fixture) try(c *http.Client, method, path, body string, hdr map[string]string) (answer, error) {
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.base+path, strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("X-Token", testToken)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}, err
}
