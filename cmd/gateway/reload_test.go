package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConfigReload: the command reloads its tenants file on SIGHUP, and
// on its own when the file changes unless --config-watch=false.
func TestConfigReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name+".tmp"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, name+".tmp"), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	tenants := func(keys ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "cursor_secret: {file: %s}\napi_keys:\n", filepath.Join(dir, "cursor_secret"))
		for i, k := range keys {
			sum := sha256.Sum256([]byte(k))
			fmt.Fprintf(&b, "  - {name: key%d, sha256: %s, scopes: [admin], tenants: [\"*\"]}\n", i, hex.EncodeToString(sum[:]))
		}
		// No call reaches the vendor: only the admin listing is used.
		fmt.Fprintf(&b, `tenants:
  - id: acme
    vendor: linkflow
    connections:
      linkflow:
        base_url: http://127.0.0.1:9
        cdp_base_url: http://127.0.0.1:9
        credentials: {app_key: {file: %[1]s}, app_secret: {file: %[1]s}}
`, filepath.Join(dir, "cursor_secret"))
		return b.String()
	}
	write("cursor_secret", strings.Repeat("s", 40))
	path := filepath.Join(dir, "tenants.yaml")

	start := func(flags ...string) (ops string, stop func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		stderr := &lockedBuffer{}
		done := make(chan error, 1)
		args := append([]string{"--config", path, "--addr", "127.0.0.1:0", "--ops-addr", "127.0.0.1:0", "--drain-delay", "0"}, flags...)
		go func() { done <- run(ctx, args, io.Discard, stderr) }()
		re := regexp.MustCompile(`"ops_addr":"(127\.0\.0\.1:\d+)"`)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if m := re.FindStringSubmatch(stderr.String()); m != nil {
				ops = "http://" + m[1]
				break
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("not listening: %s", stderr.String())
			}
		}
		return ops, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	}
	status := func(ops, key string) int {
		t.Helper()
		return getStatus(t, ops+"/admin/v1/tenants", key, "")
	}
	eventually := func(ops, key string, want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); status(ops, key) != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: never %d", key, want)
			}
		}
	}

	t.Run("SIGHUP", func(t *testing.T) {
		write("tenants.yaml", tenants("sk_first"))
		ops, stop := start("--config-watch=false")
		defer stop()
		if got := status(ops, "sk_first"); got != http.StatusOK {
			t.Fatalf("first key: %d", got)
		}
		write("tenants.yaml", tenants("sk_second"))
		time.Sleep(time.Second) // watching is off: nothing happens
		if got := status(ops, "sk_second"); got != http.StatusUnauthorized {
			t.Fatalf("reloaded without a signal: second key %d", got)
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		eventually(ops, "sk_second", http.StatusOK)
		eventually(ops, "sk_first", http.StatusUnauthorized)
	})
	t.Run("watch", func(t *testing.T) {
		write("tenants.yaml", tenants("sk_first"))
		ops, stop := start()
		defer stop()
		if got := status(ops, "sk_first"); got != http.StatusOK {
			t.Fatalf("first key: %d", got)
		}
		write("tenants.yaml", tenants("sk_third"))
		eventually(ops, "sk_third", http.StatusOK)
	})
}
