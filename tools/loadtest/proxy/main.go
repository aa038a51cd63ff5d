// Command proxy is a bare httputil.ReverseProxy in front of one simulator,
// the floor the load harness (tools/loadtest) compares the gateway with:
// it forwards each request unchanged, over a client with the gateway's
// vendor transport settings (app.NewVendorClient). It reads a request's
// body whole before forwarding it, as the gateway does: streamed, a
// request body races with the answer in net/http (the server closes the
// inbound body when the answer's headers are written, the transport's
// last read of it then fails and cuts the upstream connection), and some
// answers arrive cut ("unexpected EOF"; golang/go#40747).
//
//	proxy -addr 127.0.0.1:7101 -target http://127.0.0.1:7001
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	target := flag.String("target", "", "the upstream's scheme and host (http://127.0.0.1:7001); request paths are kept")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-target %q: want scheme://host:port", *target)
	}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u) },
		Transport: app.NewVendorClient().Transport,
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	return loadkit.Serve(&http.Server{Handler: wholeBody(rp), ReadHeaderTimeout: 5 * time.Second}, ln)
}

// wholeBody reads a request's body into memory before h sees it.
func wholeBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "request body: "+err.Error(), http.StatusBadRequest)
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		h.ServeHTTP(w, r)
	})
}
