package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/buildinfo"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// lockedBuffer keeps its name for readme_test.go.
type lockedBuffer = vendortest.LogBuffer

// gateway is the command running in sandbox mode on a free port.
type gateway struct {
	base           string
	stdout, stderr *lockedBuffer
	cancel         context.CancelFunc
	done           chan error
}

// startSandbox runs the command as `make run` does, with extra flags, and
// waits for its banner.
func startSandbox(t *testing.T, flags ...string) *gateway {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	args := append([]string{"--sandbox", "--addr", "127.0.0.1:0"}, flags...)
	go func() { g.done <- run(ctx, args, g.stdout, g.stderr) }()
	re := regexp.MustCompile(`sandbox on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); g.base == ""; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(g.stdout.String()); m != nil {
			g.base = m[1]
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner; stdout %q stderr %q", g.stdout.String(), g.stderr.String())
		}
	}
	return g
}

// TestSandboxServesAndShutsDown runs the command as `make run` does, calls
// the curl line it prints, then stops it the way SIGTERM does.
func TestSandboxServesAndShutsDown(t *testing.T) {
	g := startSandbox(t)
	base, stdout, stderr, cancel, done := g.base, g.stdout, g.stderr, g.cancel, g.done
	if !strings.Contains(stdout.String(), "curl -H 'Authorization: Bearer sk_sandbox_demo' -H 'X-Tenant-ID: demo-linkflow' '"+base+"/v1/contacts?limit=5'") {
		t.Fatalf("banner lacks a working curl line: %s", stdout.String())
	}
	req, _ := http.NewRequest("GET", base+"/v1/contacts?limit=5", nil)
	req.Header.Set("Authorization", "Bearer sk_sandbox_demo")
	req.Header.Set("X-Tenant-ID", "demo-linkflow")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Data       []map[string]any `json:"data"`
		NextCursor *string          `json:"next_cursor"`
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if err := json.Unmarshal(body, &page); err != nil || res.StatusCode != 200 || len(page.Data) != 5 || page.NextCursor == nil {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if !strings.Contains(stderr.String(), `"msg":"shutting down"`) {
		t.Fatalf("logs: %s", stderr.String())
	}
	build := buildinfo.Read()
	if want := `"msg":"listening","addr":"` + strings.TrimPrefix(base, "http://") + `","ops_addr":"(on addr)","version":"` + build.Version + `","commit":"` + build.Commit + `"`; !strings.Contains(stderr.String(), want) {
		t.Fatalf("the startup line does not name the build (%s): %s", want, stderr.String())
	}
}

// TestVersionAndHelp: --version prints the build and --help the flags,
// and both succeed (exit 0) without a configuration.
func TestVersionAndHelp(t *testing.T) {
	t.Setenv("CDP_GATEWAY_CONFIG", "")
	var stdout, stderr strings.Builder
	if err := run(context.Background(), []string{"--version"}, &stdout, &stderr); err != nil {
		t.Fatalf("--version: %v", err)
	}
	build := buildinfo.Read()
	if want := "cdp-gateway " + build.Version + " (commit " + build.Commit + ", built " + build.Date + ")\n"; stdout.String() != want || stderr.Len() != 0 {
		t.Fatalf("--version printed %q (stderr %q), want %q", stdout.String(), stderr.String(), want)
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"--help"}, &stdout, &stderr); err != nil {
		t.Fatalf("--help: %v", err)
	}
	for _, flag := range []string{"-sandbox", "-config", "-config-watch", "-addr", "-log-level", "-redis-url", "-version"} {
		if !strings.Contains(stderr.String(), "\n  "+flag) {
			t.Fatalf("--help does not list %s: %s", flag, stderr.String())
		}
	}
	if err := run(context.Background(), []string{"--no-such-flag"}, io.Discard, io.Discard); err == nil {
		t.Fatal("an unknown flag is accepted")
	}
}

// TestRedisURL: with REDIS_URL the replica keeps its state in Redis and
// says so in /readyz.
func TestRedisURL(t *testing.T) {
	rs := redistest.Start(t)
	t.Setenv("REDIS_URL", rs.URL())
	g := startSandbox(t)
	defer func() { g.cancel(); <-g.done }()
	base, stderr := g.base, g.stderr
	res, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"redis":"ok"`) || !strings.Contains(string(body), `"bindings":"ok"`) {
		t.Fatalf("readyz %d %s", res.StatusCode, body)
	}
	if !strings.Contains(stderr.String(), `"redis":true`) {
		t.Fatalf("start not logged with redis: %s", stderr.String())
	}
}

func TestRunNeedsConfiguration(t *testing.T) {
	t.Setenv("CDP_GATEWAY_CONFIG", "")
	err := run(context.Background(), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--sandbox") {
		t.Fatalf("err = %v", err)
	}
	bad := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(bad, []byte("tenants: []\napi_keys: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"--config", bad}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cursor_secret: is required") || !strings.Contains(err.Error(), "tenants: must list") {
		t.Fatalf("err = %v", err)
	}
	if err := run(context.Background(), []string{"--log-level", "loud", "--sandbox"}, io.Discard, io.Discard); err == nil {
		t.Fatal("bad log level accepted")
	}
}

// TestClosersReportEveryFailure: what run opened is closed last first, and
// every failure of closing it is returned, named, not dropped.
func TestClosersReportEveryFailure(t *testing.T) {
	var order []string
	var cl closers
	cl.add("close the stores", func() error { order = append(order, "stores"); return errors.New("redis: connection reset") })
	cl.add("stop nothing", func() error { order = append(order, "ok"); return nil })
	cl.add("flush telemetry", func() error { order = append(order, "telemetry"); return errors.New("exporter timed out") })
	err := cl.close()
	if strings.Join(order, ",") != "telemetry,ok,stores" {
		t.Fatalf("closed in order %v, want the last opened first", order)
	}
	if err == nil || !strings.Contains(err.Error(), "flush telemetry: exporter timed out") || !strings.Contains(err.Error(), "close the stores: redis: connection reset") {
		t.Fatalf("close() = %v, want both failures named", err)
	}
	if (closers{}).close() != nil {
		t.Fatal("nothing to close is an error")
	}
}

// TestDrainOnShutdown: on SIGTERM /readyz answers 503 "draining" at once
// while requests are still served, and the server stops after the drain
// delay.
func TestDrainOnShutdown(t *testing.T) {
	g := startSandbox(t, "--drain-delay", "1s")
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", g.base+path, nil)
		req.Header.Set("Authorization", "Bearer sk_sandbox_demo")
		req.Header.Set("X-Tenant-ID", "demo-linkflow")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("before: %d %s", code, body)
	}
	g.cancel()
	deadline := time.Now().Add(900 * time.Millisecond)
	for {
		code, body := get("/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, `"shutdown":"draining"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness did not fail during the drain: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := get("/v1/tags?limit=1"); code != http.StatusOK {
		t.Fatalf("a request during the drain: %d %s", code, body)
	}
	if err := <-g.done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(g.stderr.String(), `"msg":"shutting down","drain_delay":"1s"`) {
		t.Fatalf("logs: %s", g.stderr.String())
	}
}

// TestOpsAddress: with --ops-addr the API address serves the tenant API
// and the probes only, and the operators' routes (admin API, metrics,
// docs) answer on the ops address only.
func TestOpsAddress(t *testing.T) {
	g := startSandbox(t, "--ops-addr", "127.0.0.1:0")
	defer func() { g.cancel(); <-g.done }()
	m := regexp.MustCompile(`"ops_addr":"(127\.0\.0\.1:\d+)"`).FindStringSubmatch(g.stderr.String())
	if m == nil {
		t.Fatalf("no ops address logged: %s", g.stderr.String())
	}
	ops := "http://" + m[1]
	status := func(base, path string) int {
		return getStatus(t, base+path, "sk_sandbox_demo", "demo-linkflow")
	}
	for _, tc := range []struct {
		path     string
		api, ops int
	}{
		{"/v1/tags?limit=1", 200, 404},
		{"/admin/v1/tenants", 404, 200},
		{"/metrics", 404, 200},
		{"/docs/", 404, 200},
		{"/openapi.yaml", 200, 200},
		{"/healthz", 200, 200},
		{"/readyz", 200, 200},
	} {
		if got := status(g.base, tc.path); got != tc.api {
			t.Errorf("API address %s: %d, want %d", tc.path, got, tc.api)
		}
		if got := status(ops, tc.path); got != tc.ops {
			t.Errorf("ops address %s: %d, want %d", tc.path, got, tc.ops)
		}
	}
}

// getStatus GETs url with an API key (and a tenant, when given) and
// returns the answer's status.
func getStatus(t *testing.T, url, key, tenant string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	if tenant != "" {
		req.Header.Set("X-Tenant-ID", tenant)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
