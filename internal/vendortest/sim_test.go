package vendortest_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestRouting(t *testing.T) {
	t.Parallel()
	noToken := map[string]string{"X-Token": ""}
	tests := []struct {
		name         string
		method, path string
		body         string
		hdr          map[string]string
		want         string // the body, or the error kind
		wantReason   string // the vendor's own auth error, found behind ErrUnauthorized
		wantAllow    string
	}{
		{name: "public route needs no token", method: "GET", path: "/token", hdr: noToken, want: "token"},
		{name: "checked route with token", method: "GET", path: "/items", want: "items"},
		{name: "wildcard", method: "GET", path: "/items/42", want: "item 42"},
		{name: "handler reads the body", method: "POST", path: "/items", body: `{"a":1}`, want: `{"a":1}`},
		{name: "checked route without token", method: "GET", path: "/items", hdr: noToken, want: "unauthorized", wantReason: "missing token"},
		{name: "checked route with a bad token", method: "GET", path: "/items/1", hdr: map[string]string{"X-Token": "x"}, want: "unauthorized", wantReason: "unknown token"},
		{name: "auth before method", method: "PUT", path: "/items", hdr: noToken, want: "unauthorized", wantReason: "missing token"},
		{name: "unknown method", method: "PUT", path: "/items", want: "method not allowed", wantAllow: "GET, POST"},
		{name: "unknown method on a public route", method: "POST", path: "/token", hdr: noToken, want: "method not allowed", wantAllow: "GET"},
		{name: "unknown path goes through auth", method: "GET", path: "/nope", hdr: noToken, want: "unauthorized", wantReason: "missing token"},
		{name: "unknown path", method: "GET", path: "/nope", want: "no route"},
		{name: "patterns match exactly", method: "GET", path: "/items/", want: "no route"},
		{name: "handler error", method: "DELETE", path: "/items/1", want: "handler"},
	}
	f := newFixture(t, vendortest.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := f.do(tt.method, tt.path, tt.body, tt.hdr)
			if a.status != http.StatusOK {
				t.Fatalf("status %d, want the 200 kindWriter writes", a.status)
			}
			if got := a.header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			if !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				if a.body != tt.want {
					t.Errorf("body %q, want %q", a.body, tt.want)
				}
				return
			}
			e := a.errorAnswer(t)
			if e.Kind != tt.want || e.Reason != tt.wantReason {
				t.Errorf("error %+v, want kind %q reason %q", e, tt.want, tt.wantReason)
			}
		})
	}
}

func TestDefaultWriteError(t *testing.T) {
	t.Parallel()
	sim := vendortest.New(vendortest.Options{Auth: headerAuth, MaxBodyBytes: 4})
	sim.Handle("/items", vendortest.Methods{http.MethodGet: func(http.ResponseWriter, *http.Request) error { return errTeapot }})
	f := &fixture{t: t, sim: sim, base: vendortest.Start(t, basePath, sim)}
	tests := []struct {
		name         string
		method, path string
		body         string
		hdr          map[string]string
		want         int
		wantBody     string
	}{
		{"unauthorized", "GET", "/items", "", map[string]string{"X-Token": ""}, http.StatusUnauthorized, "vendortest: unauthorized: missing token"},
		{"no route", "GET", "/nope", "", nil, http.StatusNotFound, "vendortest: no such endpoint"},
		{"method not allowed", "DELETE", "/items", "", nil, http.StatusMethodNotAllowed, "vendortest: method not allowed"},
		{"body too large", "GET", "/items", "12345", nil, http.StatusRequestEntityTooLarge, "vendortest: request body too large"},
		{"handler error", "GET", "/items", "", nil, http.StatusInternalServerError, errTeapot.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := f.do(tt.method, tt.path, tt.body, tt.hdr)
			if a.status != tt.want || a.body != tt.wantBody+"\n" {
				t.Errorf("%d %q, want %d %q", a.status, a.body, tt.want, tt.wantBody)
			}
		})
	}
}

func TestBody(t *testing.T) {
	t.Parallel()

	t.Run("limit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vendortest.Options{MaxBodyBytes: 5})
		tests := []struct {
			body, want string
		}{
			{"", ""},
			{"12345", "12345"},
			{"123456", "body too large"},
		}
		for _, tt := range tests {
			a := f.do(http.MethodPost, "/items", tt.body, nil)
			got := a.body
			if strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				got = a.errorAnswer(t).Kind
			}
			if got != tt.want {
				t.Errorf("%d-byte body: %q, want %q", len(tt.body), got, tt.want)
			}
		}
	})

	t.Run("default limit is 8 MiB", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vendortest.Options{})
		if a := f.do(http.MethodPost, "/items", strings.Repeat("x", 8<<20), nil); len(a.body) != 8<<20 {
			t.Errorf("8 MiB body: %d bytes back", len(a.body))
		}
		if got := f.do(http.MethodPost, "/items", strings.Repeat("x", 8<<20+1), nil).errorAnswer(t).Kind; got != "body too large" {
			t.Errorf("8 MiB + 1: %s", got)
		}
	})

	t.Run("auth and handler both read it", func(t *testing.T) {
		t.Parallel()
		// A signing vendor hashes the body in its auth check.
		signed := func(r *http.Request) error {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			if sum := sha256.Sum256(b); r.Header.Get("X-Sign") != hex.EncodeToString(sum[:]) {
				return &authError{"bad signature"}
			}
			return nil
		}
		f := newFixture(t, vendortest.Options{Auth: signed})
		body := `{"customers":[1,2,3]}`
		sum := sha256.Sum256([]byte(body))
		if a := f.do(http.MethodPost, "/items", body, map[string]string{"X-Sign": hex.EncodeToString(sum[:])}); a.body != body {
			t.Errorf("handler read %q, want %q", a.body, body)
		}
		if e := f.do(http.MethodPost, "/items", body, map[string]string{"X-Sign": "0"}).errorAnswer(t); e.Reason != "bad signature" {
			t.Errorf("bad signature: %+v", e)
		}
	})

	t.Run("auth parses the form, handler reads form and body", func(t *testing.T) {
		t.Parallel()
		formAuth := func(r *http.Request) error {
			if err := r.ParseForm(); err != nil {
				return err
			}
			if r.Form.Get("token") != testToken {
				return &authError{"bad token"}
			}
			return nil
		}
		sim := vendortest.New(vendortest.Options{Auth: formAuth, WriteError: kindWriter})
		sim.Handle("/contacts", vendortest.Methods{http.MethodPost: func(w http.ResponseWriter, r *http.Request) error {
			b, err := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s|%s", r.Form.Get("contacts"), b)
			return err
		}})
		base := vendortest.Start(t, basePath, sim)
		form := url.Values{"token": {testToken}, "contacts": {"[1]"}}.Encode()
		res, err := http.Post(base+"/contacts", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if want := "[1]|" + form; string(b) != want {
			t.Errorf("handler saw %q, want %q", b, want)
		}
	})

	t.Run("unreadable body", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, vendortest.Options{})
		u, err := url.Parse(f.base)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A body shorter than its Content-Length, then end of input.
		fmt.Fprintf(conn, "POST %s/items HTTP/1.1\r\nHost: %s\r\nX-Token: %s\r\nContent-Length: 100\r\n\r\nshort", basePath, u.Host, testToken)
		if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if !strings.Contains(string(b), `"kind":"body unreadable"`) {
			t.Errorf("answer %d %s", res.StatusCode, b)
		}
		if n := len(f.sim.Requests()); n != 0 {
			t.Errorf("%d requests recorded; a body that could not be read is not a request", n)
		}
	})
}

func TestCalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{MaxRecorded: -1})
	f.sim.InjectFault(vendortest.Fault{PathPrefix: "/token", Status: 502})
	for _, r := range []struct{ method, path, token string }{
		{"GET", "/token", ""},   // faulted
		{"GET", "/token", ""},   // answered
		{"POST", "/token", ""},  // method not allowed
		{"GET", "/items", ""},   // refused
		{"GET", "/items", "ok"}, // answered
		{"GET", "/items/7", "ok"},
		{"GET", "/items/8", "ok"},
		{"GET", "/nope", "ok"},
		{"GET", "/items/", "ok"},
	} {
		hdr := map[string]string{"X-Token": ""}
		if r.token != "" {
			hdr = nil
		}
		f.do(r.method, r.path, "", hdr)
	}
	f.sim.ResetRequests()
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/token", 2},
		{"POST", "/token", 1},
		{"GET", "/items", 2},
		{"POST", "/items", 0},
		{"GET", "/items/7", 1},
		{"GET", "/items/{id}", 0}, // a pattern is not a path
		{"GET", "/nope", 1},
		{"GET", "/items/", 1},
	}
	for _, tt := range tests {
		if got := f.sim.Calls(tt.method, tt.path); got != tt.want {
			t.Errorf("Calls(%s, %s) = %d, want %d", tt.method, tt.path, got, tt.want)
		}
	}
	for prefix, want := range map[string]int{"": 9, "/token": 3, "/items": 5, "/items/": 3, "/nope": 1, "/x": 0} {
		if got := f.sim.CallsUnder(prefix); got != want {
			t.Errorf("CallsUnder(%q) = %d, want %d", prefix, got, want)
		}
	}
}

func TestNow(t *testing.T) {
	t.Parallel()
	clock := vendortest.NewClock(t0)
	sim := vendortest.New(vendortest.Options{Now: clock.Now})
	clock.Advance(time.Minute)
	if got := sim.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("Now() = %v, want the clock's %v", got, t0.Add(time.Minute))
	}
	if d := time.Since(vendortest.New(vendortest.Options{}).Now()); d < 0 || d > time.Minute {
		t.Errorf("the default clock is %v off the real one", d)
	}
}

// TestDateFromTheClock: answers carry the simulated vendor's clock in
// Date, so that a client measuring its offset sees the one a test set.
func TestDateFromTheClock(t *testing.T) {
	t.Parallel()
	clock := vendortest.NewClock(t0.Add(2 * time.Minute))
	sim := vendortest.New(vendortest.Options{Now: clock.Now})
	sim.HandlePublic("/x", vendortest.Methods{"GET": func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}})
	srv := vendortest.Start(t, "/base", sim)
	resp, err := http.Get(srv + "/x")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got, err := http.ParseTime(resp.Header.Get("Date")); err != nil || !got.Equal(t0.Add(2*time.Minute).Truncate(time.Second)) {
		t.Fatalf("Date %q, want the simulator's clock %v", resp.Header.Get("Date"), t0.Add(2*time.Minute))
	}
}
