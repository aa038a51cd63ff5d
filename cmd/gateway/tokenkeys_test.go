package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// TestRedisNeedsTokenKeys: with REDIS_URL a tenants file without
// token_keys is refused at start, naming the setting; with them the
// gateway starts on Redis and checks the token values there.
func TestRedisNeedsTokenKeys(t *testing.T) {
	rs := redistest.Start(t)
	t.Setenv("REDIS_URL", rs.URL())
	t.Setenv("CDP_CURSOR_SECRET", strings.Repeat("c", 32))
	t.Setenv("CDP_TOKEN_KEY_K1", strings.Repeat("t", 32))
	t.Setenv("APP_KEY", "k")
	base := `
cursor_secret: {env: CDP_CURSOR_SECRET}
api_keys: [{name: a, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants: [{id: acme, vendor: linkflow, connections: {linkflow: {credentials: {app_key: {env: APP_KEY}, app_secret: {env: APP_KEY}}}}}]
`
	file := func(extra string) string {
		path := filepath.Join(t.TempDir(), "tenants.yaml")
		if err := os.WriteFile(path, []byte(base+extra), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	err := run(context.Background(), []string{"--config", file(""), "--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "token_keys: is required when the gateway keeps its state in Redis") {
		t.Fatalf("err = %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", file("token_keys: [{id: k1, secret: {env: CDP_TOKEN_KEY_K1}}]\n"), "--addr", "127.0.0.1:0", "--drain-delay", "0s", "--ops-addr", "127.0.0.1:0"}, io.Discard, stderr)
	}()
	// Started, then the token values in Redis checked (in the background).
	for _, line := range []string{`"msg":"listening"`, `"current_token_key":"k1"`} {
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), line); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no %s in the logs: %s", line, stderr.String())
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), strings.Repeat("t", 32)) {
		t.Fatal("the token key was logged")
	}
}
