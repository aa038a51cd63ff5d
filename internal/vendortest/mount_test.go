package vendortest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// pathEcho answers the path and raw query it sees.
var pathEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s?%s", r.URL.Path, r.URL.RawQuery)
})

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

func TestMount(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var strays []string
	srv := httptest.NewServer(vendortest.Mount(basePath, pathEcho, func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		strays = append(strays, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		path      string
		want      string // the handler's answer; "" for a stray
		wantStray bool
	}{
		{basePath + "/contacts?x=1", "/contacts?x=1", false},
		{basePath + "/", "/?", false},
		{basePath + "/a/b%2Fc", "/a/b/c?", false},
		{basePath, "", true},
		{"/contacts", "", true},
		{basePath + "x/contacts", "", true},
		{"/", "", true},
	}
	for _, tt := range tests {
		status, body := get(t, srv.URL+tt.path)
		switch {
		case tt.wantStray && (status != http.StatusNotFound || !strings.Contains(body, "outside the simulator's base path")):
			t.Errorf("%s: %d %q, want a 404 naming the base path", tt.path, status, body)
		case !tt.wantStray && (status != http.StatusOK || body != tt.want):
			t.Errorf("%s: %d %q, want %q", tt.path, status, body, tt.want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{basePath, "/contacts", basePath + "x/contacts", "/"}; fmt.Sprint(strays) != fmt.Sprint(want) {
		t.Errorf("strays %q, want %q", strays, want)
	}
}

func TestMountNilStray(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(vendortest.Mount(basePath, pathEcho, nil))
	t.Cleanup(srv.Close)
	if status, _ := get(t, srv.URL+"/elsewhere"); status != http.StatusNotFound {
		t.Errorf("status %d, want 404", status)
	}
}

var badBasePaths = []string{"", "/", "vendors", "/vendors/"}

func TestMountRefusesBadBasePath(t *testing.T) {
	t.Parallel()
	for _, p := range badBasePaths {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Mount(%q) did not panic", p)
				}
			}()
			vendortest.Mount(p, pathEcho, nil)
		}()
	}
}

// fakeT records what Start reports, and runs cleanups when told.
type fakeT struct {
	mu       sync.Mutex
	errors   []string
	fatals   []string
	cleanups []func()
}

func (f *fakeT) Helper() {}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fatals = append(f.fatals, fmt.Sprintf(format, args...))
}

func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// reported returns the Errorf messages; the server's goroutine writes them.
func (f *fakeT) reported() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.errors)
}

func (f *fakeT) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	ft := &fakeT{}
	base := vendortest.Start(ft, basePath, pathEcho)
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, basePath) {
		t.Fatalf("base URL %q", base)
	}
	if status, body := get(t, base+"/contacts"); status != http.StatusOK || body != "/contacts?" {
		t.Errorf("under the base path: %d %q", status, body)
	}
	if got := ft.reported(); len(got) != 0 {
		t.Errorf("reported %q for a request under the base path", got)
	}
	root := strings.TrimSuffix(base, basePath)
	if status, _ := get(t, root+"/contacts?id=1"); status != http.StatusNotFound {
		t.Errorf("stray: %d, want 404", status)
	}
	if got := ft.reported(); len(got) != 1 || !strings.Contains(got[0], "GET /contacts?id=1 is outside the base path "+basePath) {
		t.Errorf("reported %q, want the stray request", got)
	}
	ft.finish()
	if _, err := http.Get(base + "/contacts"); err == nil {
		t.Error("the server still answers after cleanup")
	}
}

func TestStartRefusesBadBasePath(t *testing.T) {
	t.Parallel()
	for _, p := range badBasePaths {
		ft := &fakeT{}
		if base := vendortest.Start(ft, p, pathEcho); base != "" || len(ft.fatals) != 1 {
			t.Errorf("Start(%q) = %q, fatals %q; want a fatal error", p, base, ft.fatals)
		}
		ft.finish()
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	base, shutdown, err := vendortest.Serve(basePath, pathEcho)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, basePath) {
		t.Fatalf("base URL %q", base)
	}
	if status, body := get(t, base+"/contacts?limit=5"); status != http.StatusOK || body != "/contacts?limit=5" {
		t.Errorf("under the base path: %d %q", status, body)
	}
	if status, _ := get(t, strings.TrimSuffix(base, basePath)+"/contacts"); status != http.StatusNotFound {
		t.Errorf("stray: %d, want 404", status)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get(base + "/contacts"); err == nil {
		t.Error("still serving after shutdown")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}

// TestServeShutdownCutsWhatIsLeft: a request still running when the
// caller's time is up (or a connection a client dialled and never used,
// which Go waits 5 s for) does not fail the shutdown: it is cut.
func TestServeShutdownCutsWhatIsLeft(t *testing.T) {
	t.Parallel()
	entered, done := make(chan struct{}), make(chan struct{})
	defer close(done)
	base, shutdown, err := vendortest.Serve(basePath, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(entered)
		<-done
	}))
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err == nil {
			_ = resp.Body.Close()
		}
		answered <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown with a request running: %v", err)
	}
	if err := <-answered; err == nil {
		t.Fatal("the running request was answered, not cut")
	}
}

func TestServeRefusesBadBasePath(t *testing.T) {
	t.Parallel()
	for _, p := range badBasePaths {
		if base, shutdown, err := vendortest.Serve(p, pathEcho); err == nil || shutdown != nil || base != "" {
			t.Errorf("Serve(%q) = %q, %v", p, base, err)
		}
	}
}
