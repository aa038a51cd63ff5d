// Package typescript_test checks the TypeScript client from go test (and so
// make test): it installs the pinned npm packages, type-checks and builds
// the client and its tests under tsc --strict, and runs them with node's
// test runner against a sandbox gateway started in this process.
package typescript_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
)

// contacts is how many contacts each demo vendor is seeded with.
const contacts = 45

// lockStamp is a copy of package-lock.json taken after npm ci: while it
// matches, node_modules is what the lock file asks for.
const lockStamp = "node_modules/.cdp-gateway-lock.json"

func TestTypeScriptClient(t *testing.T) {
	for _, tool := range []string{"node", "npm", "npx"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the TypeScript client's test needs Node.js 20 or later with npm and npx on PATH: %v", err)
		}
	}
	ensureNodeModules(t)
	// Type-check (the client, and test/types.ts whose every
	// @ts-expect-error must meet an error) and build dist/.
	_ = os.RemoveAll("dist")
	command(t, nil, "npx", "--no-install", "tsc", "-p", "tsconfig.json", "--strict", "--noEmitOnError")

	url := startSandbox(t)
	command(t, []string{
		"GATEWAY_URL=" + url,
		"GATEWAY_API_KEY=" + sandbox.APIKey,
		"GATEWAY_CONTACTS=" + strconv.Itoa(contacts),
	}, "node", "--test", "--test-reporter=spec", "dist/test/gateway.test.js")
}

// ensureNodeModules runs npm ci unless node_modules was installed from
// this package-lock.json already.
func ensureNodeModules(t *testing.T) {
	t.Helper()
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if stamp, err := os.ReadFile(lockStamp); err == nil && bytes.Equal(stamp, lock) {
		return
	}
	command(t, nil, "npm", "ci", "--no-audit", "--no-fund")
	if err := os.WriteFile(lockStamp, lock, 0o644); err != nil {
		t.Fatal(err)
	}
}

// startSandbox serves a sandbox gateway (demo tenants, the sandbox key,
// the fault switch on) on a loopback port for the test's duration.
func startSandbox(t *testing.T) string {
	t.Helper()
	drivers, err := app.Drivers()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(sandbox.Options{Drivers: drivers, Contacts: contacts})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	a, err := app.New(context.Background(), sb.Config, app.Options{
		Drivers:       drivers,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		SandboxFaults: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

// command runs name in this directory with env added, failing the test
// with its output when it fails.
func command(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("%s %v (%s)", filepath.Base(name), args, time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
}
