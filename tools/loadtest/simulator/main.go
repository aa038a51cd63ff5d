// Command simulator serves one vendor's simulator over HTTP as a process of
// its own, for the load harness (tools/loadtest): seeded with the vendor
// driver's demo data, under the base path /<vendor>, with an injected
// latency before every vendor call.
//
//	simulator -vendor linkflow -addr 127.0.0.1:7001 -contacts 1200 -info sim.json
//
// Besides the vendor's API it answers two control routes, outside the
// vendor's base path:
//
//	PUT  /_loadtest/latency?d=20ms  sets the injected latency
//	POST /_loadtest/record?n=8       records the next n vendor calls (0: stop)
//	GET  /_loadtest/record           the calls recorded so far, as JSON
//
// The harness records the vendor calls one gateway request makes and
// replays them straight to the simulator and through the reverse proxies,
// so that every path is compared on the same vendor answers.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "simulator:", err)
		os.Exit(1)
	}
}

func run() error {
	vendor := flag.String("vendor", "", "the vendor to simulate (linkflow, meihua, nxcloud, miaokol)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	contacts := flag.Int("contacts", 1200, "demo contacts to seed")
	latency := flag.Duration("latency", 0, "injected latency before every vendor call")
	info := flag.String("info", "", "file to write the connection settings to (JSON), once listening")
	flag.Parse()

	drivers, err := app.Drivers()
	if err != nil {
		return err
	}
	d, ok := drivers.Get(domain.Vendor(*vendor))
	if !ok || d.Demo == nil {
		return fmt.Errorf("no simulator for vendor %q", *vendor)
	}
	newDemo := d.Demo
	if f, ok := unmetered[d.Vendor]; ok {
		newDemo = f
	}
	demo, err := newDemo(vendorhttp.DemoOptions{Contacts: *contacts, Seed: 1, Now: time.Now})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "/" + *vendor
	s := &server{}
	s.latency.Store(int64(*latency))
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /_loadtest/latency", s.setLatency)
	mux.HandleFunc("POST /_loadtest/record", s.startRecording)
	mux.HandleFunc("GET /_loadtest/record", s.recorded)
	mux.Handle(base+"/", s.wrap(vendortest.Mount(base, demo.Simulator, nil)))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	baseURL := "http://" + ln.Addr().String() + base
	if *info != "" {
		if err := writeInfo(*info, loadkit.SimInfo{
			Vendor: *vendor, BaseURL: baseURL, URLs: demo.URLs(baseURL),
			Credentials: demo.Credentials, Options: demo.Options,
		}); err != nil {
			return err
		}
	}
	return loadkit.Serve(srv, ln)
}

// writeInfo writes the settings through a temporary file, so that a
// reader polling for the file never sees half of it.
func writeInfo(path string, info loadkit.SimInfo) error {
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path))
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// unmetered replaces the driver's demo of vendors whose simulators count
// calls against a plan's hourly budget (Meihua's gold plan: 2000), which a
// load run spends in a second: the same demo data, no budget. The
// gateway's own quota is lifted in the harness's tenants file likewise.
var unmetered = map[domain.Vendor]func(vendorhttp.DemoOptions) (*vendorhttp.Demo, error){
	"meihua": func(o vendorhttp.DemoOptions) (*vendorhttp.Demo, error) {
		const key, secret = "loadtest-meihua-key", "loadtest-meihua-secret"
		sim := meihuatest.New(meihuatest.Config{
			ClientID: key, ClientSecret: secret, RedirectURI: meihuatest.DefaultRedirectURI,
			CallsPerHour: math.MaxInt32, Now: o.Now,
		})
		meihuatest.SeedDemo(sim, meihuatest.DemoOptions{Contacts: o.Contacts, Seed: o.Seed, Now: o.Now()})
		_, refresh := sim.Grant()
		return &vendorhttp.Demo{
			Simulator:   sim,
			Credentials: map[string]string{"app_key": key, "app_secret": secret, "refresh_token": refresh},
			URLs: func(base string) map[string]string {
				return map[string]string{"base_url": base, "auth_url": base, "redirect_uri": meihuatest.DefaultRedirectURI}
			},
		}, nil
	},
}

type server struct {
	latency atomic.Int64 // time.Duration

	mu     sync.Mutex
	left   int // calls still to record
	record []loadkit.Call
}

// wrap delays every vendor call by the injected latency and records it
// while recording is on.
func (s *server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		recording := s.left > 0
		s.mu.Unlock()
		if recording {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			s.mu.Lock()
			if s.left > 0 {
				s.left--
				s.record = append(s.record, loadkit.Call{Method: r.Method, URI: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
			}
			s.mu.Unlock()
		}
		if d := time.Duration(s.latency.Load()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (s *server) setLatency(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("d"))
	if err != nil || d < 0 {
		http.Error(w, "d: a duration ≥ 0, like 20ms", http.StatusBadRequest)
		return
	}
	s.latency.Store(int64(d))
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) startRecording(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 0 {
		http.Error(w, "n: a count ≥ 0", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.left, s.record = n, nil
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) recorded(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	calls := s.record
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(calls)
}
