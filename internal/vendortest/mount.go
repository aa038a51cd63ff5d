package vendortest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// Mount serves h under basePath (such as "/vendors/linkflow") with the prefix
// stripped, so h sees the vendor's own paths. Any other path is answered 404
// and given to stray when it is not nil: an adapter that builds an absolute
// URL instead of joining its base URL lands there. Mount panics, as
// [http.ServeMux] does on a bad pattern, when basePath does not start with
// "/" or ends with one (so "" and "/" are refused).
func Mount(basePath string, h http.Handler, stray func(r *http.Request)) http.Handler {
	if err := checkBasePath(basePath); err != nil {
		panic(err)
	}
	inner := http.StripPrefix(basePath, h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, basePath+"/") {
			inner.ServeHTTP(w, r)
			return
		}
		if stray != nil {
			stray(r)
		}
		http.Error(w, "vendortest: "+r.URL.Path+" is outside the simulator's base path "+basePath, http.StatusNotFound)
	})
}

func checkBasePath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return fmt.Errorf("vendortest: base path %q must start with / and not end with one", p)
	}
	return nil
}

// TB is the part of [testing.TB] that [Start] uses; the kit takes it rather
// than importing testing, because the sandbox links simulators into the
// gateway binary.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start serves h under basePath (see [Mount]) on a new httptest server, closed
// when the test ends, and returns the base URL to give the adapter. A request
// outside basePath fails the test.
func Start(t TB, basePath string, h http.Handler) string {
	t.Helper()
	if err := checkBasePath(basePath); err != nil {
		t.Fatalf("%v", err)
		return ""
	}
	srv := httptest.NewServer(Mount(basePath, h, func(r *http.Request) {
		t.Errorf("vendortest: %s %s is outside the base path %s: a URL that ignores the base URL?", r.Method, r.URL, basePath)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + basePath
}

// Serve serves h under basePath (see [Mount]) on a free loopback port until
// shutdown is called, for sandbox mode. It returns the base URL to give the
// adapter. shutdown drains the server until its ctx ends and then closes
// what is left.
func Serve(basePath string, h http.Handler) (baseURL string, shutdown func(context.Context) error, err error) {
	if err := checkBasePath(basePath); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("vendortest: listen: %w", err)
	}
	srv := &http.Server{Handler: Mount(basePath, h, nil), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	var serveErr error
	go func() {
		serveErr = srv.Serve(ln)
		close(served)
	}()
	shutdown = func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			// Connections still open when ctx ends are cut: a request
			// still running, or one a client dialled and never used (which
			// Shutdown would wait 5 s for). A simulator holds nothing
			// worth a longer drain.
			err = srv.Close()
		}
		<-served // Serve returns as soon as Shutdown starts
		if !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("vendortest: serve: %w", serveErr))
		}
		return err
	}
	return "http://" + ln.Addr().String() + basePath, shutdown, nil
}
