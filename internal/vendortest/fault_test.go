package vendortest_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestFaultAnswers(t *testing.T) {
	t.Parallel()
	type req struct {
		method, path string
		token        bool
	}
	get := func(path string) req { return req{"GET", path, true} }
	type want struct {
		status      int
		body        string
		contentType []string // nil: no Content-Type header at all
		retryAfter  string
	}
	normal := func(body string) want { return want{200, body, []string{"text/plain; charset=utf-8"}, ""} }
	tests := []struct {
		name   string
		faults []vendortest.Fault
		reqs   []req
		want   []want
	}{
		{
			name:   "status, content type, body, times",
			faults: []vendortest.Fault{{PathPrefix: "/items", Times: 2, Status: 503, ContentType: "text/html", Body: "<html>busy</html>"}},
			reqs:   []req{get("/items"), get("/items/1"), get("/items")},
			want:   []want{{503, "<html>busy</html>", []string{"text/html"}, ""}, {503, "<html>busy</html>", []string{"text/html"}, ""}, normal("items")},
		},
		{
			name:   "times below 1 mean once",
			faults: []vendortest.Fault{{Status: 500, Times: -3}},
			reqs:   []req{get("/items"), get("/items")},
			want:   []want{{500, "", nil, ""}, normal("items")},
		},
		{
			name:   "no content type means none, not a sniffed one",
			faults: []vendortest.Fault{{Status: 500, Body: `{"code":"B99999"}`}},
			reqs:   []req{get("/items")},
			want:   []want{{500, `{"code":"B99999"}`, nil, ""}},
		},
		{
			name:   "headers",
			faults: []vendortest.Fault{{Status: 429, Header: http.Header{"Retry-After": {"7"}, "Content-Type": {"application/json"}}, Body: "{}"}},
			reqs:   []req{get("/items")},
			want:   []want{{429, "{}", []string{"application/json"}, "7"}},
		},
		{
			name:   "ContentType wins over a Content-Type header",
			faults: []vendortest.Fault{{Status: 429, ContentType: "text/plain", Header: http.Header{"Content-Type": {"application/json"}}}},
			reqs:   []req{get("/items")},
			want:   []want{{429, "", []string{"text/plain"}, ""}},
		},
		{
			name:   "status 0 adds headers to the normal answer",
			faults: []vendortest.Fault{{PathPrefix: "/items", Header: http.Header{"retry-after": {"3"}}}},
			reqs:   []req{get("/items"), get("/items")},
			want:   []want{{200, "items", []string{"text/plain; charset=utf-8"}, "3"}, normal("items")},
		},
		{
			name:   "prefix matches its paths only",
			faults: []vendortest.Fault{{PathPrefix: "/items/", Status: 500}},
			reqs:   []req{get("/items"), get("/token"), get("/items/9"), get("/items/9")},
			want:   []want{normal("items"), normal("token"), {500, "", nil, ""}, normal("item 9")},
		},
		{
			name:   "method",
			faults: []vendortest.Fault{{Method: "POST", Status: 500}},
			reqs:   []req{get("/items"), {"POST", "/items", true}},
			want:   []want{normal("items"), {500, "", nil, ""}},
		},
		{
			name:   "before auth and routing",
			faults: []vendortest.Fault{{Status: 502, Times: 2}},
			reqs:   []req{{"GET", "/items", false}, {"PATCH", "/nowhere", false}},
			want:   []want{{502, "", nil, ""}, {502, "", nil, ""}},
		},
		{
			name:   "injection order",
			faults: []vendortest.Fault{{PathPrefix: "/items", Status: 500}, {Status: 429}, {PathPrefix: "/items", Status: 503}},
			reqs:   []req{get("/token"), get("/items"), get("/items"), get("/items")},
			want:   []want{{429, "", nil, ""}, {500, "", nil, ""}, {503, "", nil, ""}, normal("items")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vendortest.Options{})
			for _, fault := range tt.faults {
				f.sim.InjectFault(fault)
			}
			for i, r := range tt.reqs {
				hdr := map[string]string{}
				if !r.token {
					hdr["X-Token"] = ""
				}
				a := f.do(r.method, r.path, "", hdr)
				w := tt.want[i]
				if a.status != w.status || a.body != w.body || !slices.Equal(a.header["Content-Type"], w.contentType) || a.header.Get("Retry-After") != w.retryAfter {
					t.Errorf("%s %s: %d %q Content-Type %q Retry-After %q, want %+v",
						r.method, r.path, a.status, a.body, a.header["Content-Type"], a.header.Get("Retry-After"), w)
				}
			}
		})
	}
}

func TestFaultIsCopied(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{})
	h := http.Header{"Retry-After": {"1"}}
	f.sim.InjectFault(vendortest.Fault{Status: 429, Header: h})
	h.Set("Retry-After", "99")
	if got := f.do("GET", "/items", "", nil).header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q: the fault changed after it was injected", got)
	}
}

func TestClearFaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{})
	f.sim.InjectFault(vendortest.Fault{Status: 500, Times: 5})
	f.sim.InjectFault(vendortest.Fault{Drop: true})
	f.sim.ClearFaults()
	if a := f.do("GET", "/items", "", nil); a.status != 200 || a.body != "items" {
		t.Errorf("%d %q after ClearFaults", a.status, a.body)
	}
}

// served wraps h and counts the requests it has finished with, so a test can
// wait for the server side of an abandoned request.
type served struct {
	h    http.Handler
	done chan struct{}
}

func (s *served) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() { s.done <- struct{}{} }()
	s.h.ServeHTTP(w, r)
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	const delay = 50 * time.Millisecond
	tests := []struct {
		name     string
		fault    vendortest.Fault
		timeout  time.Duration
		wantErr  bool
		want     string
		wantRuns int32 // handler runs
	}{
		{"latency, then normal handling", vendortest.Fault{Delay: delay}, time.Minute, false, "ok", 1},
		{"latency, then the fault's answer", vendortest.Fault{Delay: delay, Status: 500, Body: "late"}, time.Minute, false, "late", 0},
		{"caller gives up during a latency fault", vendortest.Fault{Delay: time.Minute}, delay, true, "", 0},
		{"caller gives up during a delayed answer", vendortest.Fault{Delay: time.Minute, Status: 500}, delay, true, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			sim := vendortest.New(vendortest.Options{})
			sim.Handle("/slow", vendortest.Methods{http.MethodGet: func(w http.ResponseWriter, _ *http.Request) error {
				runs.Add(1)
				_, err := io.WriteString(w, "ok")
				return err
			}})
			s := &served{h: sim, done: make(chan struct{}, 1)}
			base := vendortest.Start(t, basePath, s)
			sim.InjectFault(tt.fault)
			ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/slow", nil)
			start := time.Now()
			res, err := http.DefaultClient.Do(req)
			if tt.wantErr {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want the caller's deadline", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if string(b) != tt.want || time.Since(start) < delay {
					t.Errorf("%q after %v, want %q after at least %v", b, time.Since(start), tt.want, delay)
				}
			}
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				t.Fatal("the simulator kept sleeping after the caller left")
			}
			if got := runs.Load(); got != tt.wantRuns {
				t.Errorf("handler ran %d times, want %d", got, tt.wantRuns)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	// The timeout turns a connection left open into a failure, not a hang.
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tests := []struct {
		name   string
		client *http.Client
		fault  vendortest.Fault
		method string
		warm   bool // reuse a kept-alive connection
	}{
		{"fresh connection", fresh, vendortest.Fault{Drop: true}, "GET", false},
		{"after a delay", fresh, vendortest.Fault{Drop: true, Delay: 20 * time.Millisecond}, "GET", false},
		{"drop wins over a status", fresh, vendortest.Fault{Drop: true, Status: 200, Body: "never"}, "POST", false},
		// Go resends a GET once on a fresh connection when a reused one
		// closes unanswered: Times 2 makes the client see the drop anyway.
		{"reused connection, Times 2", &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}, vendortest.Fault{Drop: true, Times: 2}, "GET", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vendortest.Options{})
			if tt.warm {
				if _, err := f.try(tt.client, "GET", "/items", "", nil); err != nil {
					t.Fatal(err)
				}
			}
			f.sim.InjectFault(tt.fault)
			a, err := f.try(tt.client, tt.method, "/items", "x", nil)
			if err == nil {
				t.Fatalf("answer %d %q, want a transport error", a.status, a.body)
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("err = %v, want EOF or a connection reset", err)
			}
			f.sim.ClearFaults()
			if a, err := f.try(tt.client, "GET", "/items", "", nil); err != nil || a.body != "items" {
				t.Errorf("after the drop: %v %q", err, a.body)
			}
		})
	}
}

// A wrapper that hides the connection cannot be hijacked: the kit aborts the
// answer instead, and the client still sees no answer.
func TestFaultDropThroughWrapper(t *testing.T) {
	t.Parallel()
	sim := vendortest.New(vendortest.Options{})
	sim.InjectFault(vendortest.Fault{Drop: true})
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(struct{ http.ResponseWriter }{w}, r)
	})
	base := vendortest.Start(t, basePath, wrapped)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get(base + "/anything")
	if err == nil {
		res.Body.Close()
		t.Fatalf("answer %d, want a transport error", res.StatusCode)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("err = %v, want EOF or a connection reset", err)
	}
}

// AfterHandler faults let the request take effect and lose or change only
// its answer.
func TestFaultAfterHandler(t *testing.T) {
	t.Parallel()
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	tests := []struct {
		name      string
		fault     vendortest.Fault
		path      string
		timeout   time.Duration
		wantErr   bool // a transport error or the caller's deadline
		status    int
		body      string
		header    string // X-Handled
		retry     string // Retry-After
		wantCType []string
	}{
		{name: "answer replaced", fault: vendortest.Fault{Status: 503, ContentType: "application/json", Body: `{"lost":true}`},
			path: "/work", status: 503, body: `{"lost":true}`, wantCType: []string{"application/json"}},
		{name: "replaced answer keeps none of the handler's headers", fault: vendortest.Fault{Status: 502, Header: http.Header{"Retry-After": {"4"}}},
			path: "/work", status: 502, retry: "4"},
		{name: "connection dropped", fault: vendortest.Fault{Drop: true}, path: "/work", wantErr: true},
		{name: "dropped after a delay", fault: vendortest.Fault{Drop: true, Delay: 20 * time.Millisecond}, path: "/work", wantErr: true},
		{name: "status 0 sends the held answer with headers added", fault: vendortest.Fault{Header: http.Header{"Retry-After": {"9"}}},
			path: "/work", status: 201, body: "done", header: "yes", retry: "9", wantCType: []string{"text/plain"}},
		{name: "held answer without a body", fault: vendortest.Fault{Delay: 10 * time.Millisecond}, path: "/quiet", status: 200},
		{name: "caller gives up during the delay", fault: vendortest.Fault{Delay: time.Minute, Status: 500}, path: "/work", timeout: 50 * time.Millisecond, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			sim := vendortest.New(vendortest.Options{})
			sim.Handle("/work", vendortest.Methods{http.MethodPost: func(w http.ResponseWriter, _ *http.Request) error {
				runs.Add(1)
				w.Header().Set("X-Handled", "yes")
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusCreated)
				_, err := io.WriteString(w, "done")
				return err
			}})
			sim.Handle("/quiet", vendortest.Methods{http.MethodPost: func(http.ResponseWriter, *http.Request) error {
				runs.Add(1)
				return nil
			}})
			s := &served{h: sim, done: make(chan struct{}, 1)}
			base := vendortest.Start(t, basePath, s)
			tt.fault.AfterHandler = true
			sim.InjectFault(tt.fault)
			ctx, cancel := context.WithTimeout(t.Context(), cmp.Or(tt.timeout, time.Minute))
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+tt.path, nil)
			res, err := fresh.Do(req)
			switch {
			case tt.wantErr && err == nil:
				res.Body.Close()
				t.Fatalf("answer %d, want none", res.StatusCode)
			case !tt.wantErr && err != nil:
				t.Fatal(err)
			case !tt.wantErr:
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != tt.status || string(b) != tt.body || res.Header.Get("X-Handled") != tt.header ||
					res.Header.Get("Retry-After") != tt.retry || !slices.Equal(res.Header["Content-Type"], tt.wantCType) {
					t.Errorf("answer %d %q X-Handled %q Retry-After %q Content-Type %q, want %d %q %q %q %q",
						res.StatusCode, b, res.Header.Get("X-Handled"), res.Header.Get("Retry-After"), res.Header["Content-Type"],
						tt.status, tt.body, tt.header, tt.retry, tt.wantCType)
				}
			}
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				t.Fatal("the simulator kept sleeping after the caller left")
			}
			if got := runs.Load(); got != 1 {
				t.Errorf("handler ran %d times, want 1: the request must take effect", got)
			}
			if got := sim.Calls(http.MethodPost, tt.path); got != 1 {
				t.Errorf("Calls = %d, want 1", got)
			}
		})
	}
}

// The held answer is whatever the route gives, a refusal by Auth included,
// and the fault is used up by it.
func TestFaultAfterHandlerOnRefusal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{})
	f.sim.InjectFault(vendortest.Fault{AfterHandler: true, Header: http.Header{"Retry-After": {"2"}}})
	a := f.do("GET", "/items", "", map[string]string{"X-Token": ""})
	if e := a.errorAnswer(t); e.Kind != "unauthorized" || a.header.Get("Retry-After") != "2" {
		t.Errorf("%d %q Retry-After %q, want the auth refusal with the fault's header", a.status, a.body, a.header.Get("Retry-After"))
	}
	if a := f.do("GET", "/items", "", nil); a.body != "items" || a.header.Get("Retry-After") != "" {
		t.Errorf("second request: %q Retry-After %q, want the normal answer", a.body, a.header.Get("Retry-After"))
	}
}
