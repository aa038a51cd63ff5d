package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// reloadEnv is a gateway started from a tenants file in a directory of its
// own, in front of one Linkflow simulator, watching its files.
type reloadEnv struct {
	t        *testing.T
	dir      string // where write puts files
	path     string // the tenants file the gateway reads
	sim      *linkflowtest.Server
	simURL   string
	url      string
	logs     *vendortest.LogBuffer
	reloaded chan error
	signals  chan os.Signal
}

const (
	reloadAppKey    = "reload-app-key"
	reloadAppSecret = "reload-app-secret"
	reloadKey1      = "sk_reload_first"
	reloadKey2      = "sk_reload_second"
)

// tenantsFile is a tenants file of the given tenants (each on the one
// Linkflow simulator, its app secret read from the file app_secret next
// to it) and API keys (name → raw key, granted every tenant).
func (e *reloadEnv) tenantsFile(tenants []string, keys map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cursor_secret: {file: %s}\napi_keys:\n", filepath.Join(e.dir, "cursor_secret"))
	for name, raw := range keys {
		sum := sha256.Sum256([]byte(raw))
		fmt.Fprintf(&b, "  - {name: %s, sha256: %s, scopes: [read, write, admin], tenants: [\"*\"]}\n", name, hex.EncodeToString(sum[:]))
	}
	b.WriteString("tenants:\n")
	for _, t := range tenants {
		fmt.Fprintf(&b, `  - id: %s
    vendor: linkflow
    connections:
      linkflow:
        base_url: %s
        cdp_base_url: %s
        credentials:
          app_key: {file: %s}
          app_secret: {file: %s}
`, t, e.simURL, e.simURL, filepath.Join(e.dir, "app_key"), filepath.Join(e.dir, "app_secret"))
	}
	return b.String()
}

// write replaces a file in e.dir the way editors and tools do: a new file
// renamed over the old one.
func (e *reloadEnv) write(name, content string) {
	e.t.Helper()
	tmp := filepath.Join(e.dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(e.dir, name)); err != nil {
		e.t.Fatal(err)
	}
}

// newReloadEnv starts the gateway; layout, when set, lays out the files
// itself and returns the directory to watch and the tenants file's path.
func newReloadEnv(t *testing.T, files bool) *reloadEnv {
	t.Helper()
	sim := linkflowtest.New(linkflowtest.Config{AppKey: reloadAppKey, AppSecret: reloadAppSecret})
	linkflowtest.SeedDemo(sim, linkflowtest.DemoOptions{Contacts: 3, Seed: 1, Now: time.Now()})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	dir := t.TempDir()
	e := &reloadEnv{t: t, dir: dir, path: filepath.Join(dir, "tenants.yaml"), sim: sim, simURL: simSrv.URL,
		logs: &vendortest.LogBuffer{}, reloaded: make(chan error, 8), signals: make(chan os.Signal, 1)}
	e.write("cursor_secret", strings.Repeat("c", 40))
	e.write("app_key", reloadAppKey)
	e.write("app_secret", reloadAppSecret+"\n")
	e.write("tenants.yaml", e.tenantsFile([]string{"acme"}, map[string]string{"first": reloadKey1}))
	e.start(files)
	return e
}

func (e *reloadEnv) start(files bool) {
	t := e.t
	cfg, err := config.Load(e.path, builtin)
	if err != nil {
		t.Fatal(err)
	}
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Telemetry: tel,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- a.Watch(ctx, app.WatchOptions{Path: e.path, Files: files, Signals: e.signals,
			Reloaded: func(err error) { e.reloaded <- err }})
	}()
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		_ = a.Close()
		_ = tel.Shutdown(context.Background())
	})
	e.url = srv.URL
}

// waitReload waits for the next reload attempt and returns its error.
func (e *reloadEnv) waitReload() error {
	e.t.Helper()
	select {
	case err := <-e.reloaded:
		return err
	case <-time.After(10 * time.Second):
		e.t.Fatalf("no reload within 10 s; logs:\n%s", e.logs.String())
		return nil
	}
}

// get calls path as key on tenant and returns the status and body.
func (e *reloadEnv) get(key, tenant, path string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if tenant != "" {
		req.Header.Set("X-Tenant-ID", tenant)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *reloadEnv) wantStatus(key, tenant string, want int) string {
	e.t.Helper()
	got, body := e.get(key, tenant, "/v1/contacts?limit=2")
	if got != want {
		e.t.Fatalf("%s on %s: %d %s, want %d", key, tenant, got, body, want)
	}
	return body
}

// metric returns the value of the sample line that starts with series.
func (e *reloadEnv) metric(series string) string {
	e.t.Helper()
	_, body := e.get("", "", "/metrics")
	return sample(body, series)
}

// TestReloadOnFileChange: a changed tenants file brings new tenants and
// keys and drops removed keys, without a restart; a bad file changes
// nothing but is logged and counted; the next good one applies.
func TestReloadOnFileChange(t *testing.T) {
	t.Parallel()
	e := newReloadEnv(t, true)
	e.wantStatus(reloadKey1, "acme", http.StatusOK)
	e.wantStatus(reloadKey2, "acme", http.StatusUnauthorized)
	if got := e.metric(`cdpgw_config_last_reload_successful`); got != "1" {
		t.Fatalf("last_reload_successful at start = %q, want 1", got)
	}

	e.write("tenants.yaml", e.tenantsFile([]string{"acme", "beta"}, map[string]string{"second": reloadKey2}))
	if err := e.waitReload(); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(reloadKey2, "beta", http.StatusOK)
	e.wantStatus(reloadKey2, "acme", http.StatusOK)
	e.wantStatus(reloadKey1, "acme", http.StatusUnauthorized)
	if !strings.Contains(e.logs.String(), `"msg":"configuration reloaded","trigger":"files changed"`) ||
		!strings.Contains(e.logs.String(), `"tenants":2,"api_keys":1,"connections_built":1,"connections_kept":1,"connections_removed":0`) {
		t.Fatalf("reload not logged with its counts:\n%s", e.logs.String())
	}

	// A bad file: the previous configuration keeps serving.
	e.write("tenants.yaml", strings.Replace(e.tenantsFile([]string{"acme", "gamma"}, map[string]string{"first": reloadKey1}),
		"vendor: linkflow\n    connections", "vendor: nosuchvendor\n    connections", 1))
	err := e.waitReload()
	if err == nil || !strings.Contains(err.Error(), `tenants[0].vendor: unknown vendor "nosuchvendor"`) {
		t.Fatalf("bad file: %v", err)
	}
	e.wantStatus(reloadKey2, "beta", http.StatusOK)
	e.wantStatus(reloadKey1, "acme", http.StatusUnauthorized)
	if !strings.Contains(e.logs.String(), `"msg":"configuration not reloaded: the previous one is kept"`) ||
		!strings.Contains(e.logs.String(), `unknown vendor \"nosuchvendor\"`) {
		t.Fatalf("failed reload not logged:\n%s", e.logs.String())
	}
	if got := e.metric(`cdpgw_config_last_reload_successful`); got != "0" {
		t.Fatalf("last_reload_successful after a bad file = %q, want 0", got)
	}
	if got := e.metric(`cdpgw_config_reloads_total{outcome="error"}`); got != "1" {
		t.Fatalf(`reloads_total{outcome="error"} = %q, want 1`, got)
	}

	e.write("tenants.yaml", e.tenantsFile([]string{"acme"}, map[string]string{"first": reloadKey1}))
	if err := e.waitReload(); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(reloadKey1, "acme", http.StatusOK)
	e.wantStatus(reloadKey1, "beta", http.StatusForbidden)
	if got := e.metric(`cdpgw_config_last_reload_successful`); got != "1" {
		t.Fatalf("last_reload_successful after a good file = %q, want 1", got)
	}
	if got := e.metric(`cdpgw_config_reloads_total{outcome="ok"}`); got != "2" {
		t.Fatalf(`reloads_total{outcome="ok"} = %q, want 2`, got)
	}
}

// TestReloadKubernetesMountedSecret: Kubernetes updates a mounted Secret
// by pointing a ..data link at a new directory; the file the tenants file
// names is a link through it. A rotated app secret is used at the next
// call (the old credentials' token and refusal are forgotten).
func TestReloadKubernetesMountedSecret(t *testing.T) {
	t.Parallel()
	e := newReloadEnv(t, true)
	// The secret moves into a Kubernetes-style volume: a reload on its own.
	vol := filepath.Join(e.dir, "secret-volume")
	mount := func(version, secret string) {
		data := filepath.Join(vol, "..v"+version)
		if err := os.MkdirAll(data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, "app_secret"), []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(vol, "..data_tmp")
		if err := os.Symlink("..v"+version, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(vol, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	mount("1", reloadAppSecret)
	if err := os.Symlink("..data/app_secret", filepath.Join(vol, "app_secret")); err != nil {
		t.Fatal(err)
	}
	e.write("tenants.yaml", strings.ReplaceAll(e.tenantsFile([]string{"acme"}, map[string]string{"first": reloadKey1}),
		filepath.Join(e.dir, "app_secret"), filepath.Join(vol, "app_secret")))
	if err := e.waitReload(); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(reloadKey1, "acme", http.StatusOK)

	mount("2", "a-rotated-secret-the-vendor-refuses")
	if err := e.waitReload(); err != nil {
		t.Fatal(err)
	}
	if body := e.wantStatus(reloadKey1, "acme", http.StatusBadGateway); !strings.Contains(body, `"code":"VENDOR_AUTH_FAILED"`) {
		t.Fatalf("rotated secret not used: %s", body)
	}
	mount("3", reloadAppSecret)
	if err := e.waitReload(); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(reloadKey1, "acme", http.StatusOK)
	if strings.Contains(e.logs.String(), "a-rotated-secret") {
		t.Fatal("a secret was logged")
	}
}

// TestReloadOnSignalKeepsRunningCalls: with watching off only the signal
// reloads; a call running meanwhile finishes on the configuration it
// started with, and an unchanged connection is carried over as it is.
func TestReloadOnSignalKeepsRunningCalls(t *testing.T) {
	t.Parallel()
	e := newReloadEnv(t, false)
	e.wantStatus(reloadKey1, "acme", http.StatusOK)
	e.write("tenants.yaml", e.tenantsFile([]string{"acme"}, map[string]string{"second": reloadKey2}))
	select {
	case err := <-e.reloaded:
		t.Fatalf("reloaded with watching off: %v", err)
	case <-time.After(2 * settleForTests):
	}
	e.wantStatus(reloadKey1, "acme", http.StatusOK)

	// A slow vendor answer holds a call while the signal reloads.
	e.sim.InjectFault(linkflowtest.Fault{Method: http.MethodGet, Delay: 1500 * time.Millisecond})
	before := len(e.sim.Requests())
	var wg sync.WaitGroup
	var status int
	var body string
	wg.Go(func() { status, body = e.get(reloadKey1, "acme", "/v1/contacts?limit=2") })
	for deadline := time.Now().Add(5 * time.Second); len(e.sim.Requests()) == before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow call never reached the simulator")
		}
	}
	e.signals <- os.Interrupt
	if err := e.waitReload(); err != nil {
		t.Fatal(err)
	}
	e.wantStatus(reloadKey1, "acme", http.StatusUnauthorized)
	wg.Wait()
	if status != http.StatusOK {
		t.Fatalf("the call running during the reload: %d %s", status, body)
	}
	if !strings.Contains(e.logs.String(), `"trigger":"signal"`) || !strings.Contains(e.logs.String(), `"connections_built":0,"connections_kept":1`) {
		t.Fatalf("signal reload not logged, or the connection rebuilt:\n%s", e.logs.String())
	}
}

// settleForTests is a little more than the watcher's quiet time.
const settleForTests = 400 * time.Millisecond
