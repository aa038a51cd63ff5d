package redistest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

func client(t *testing.T, s *Server) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	c := goredis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestStart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if !strings.HasPrefix(s.URL(), "redis://127.0.0.1:") || !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("URL %q, Addr %q: want a loopback address", s.URL(), s.Addr())
	}
	if err := client(t, s).Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestStopAndRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)
	addr := s.Addr()
	c := client(t, s)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid

	s.Stop()
	if alive(pid) {
		t.Fatalf("redis-server %d still runs after Stop", pid)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered after Stop")
	}
	s.Stop() // stopping twice is harmless

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, want the same address %s", s.Addr(), addr)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	// No persistence: a restart loses the data, as a cache-only Redis does.
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, goredis.Nil) {
		t.Fatalf("GET after Restart: %v, want no key", err)
	}
	// Restart of a running server replaces the process.
	pid = s.cmd.Process.Pid
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) || c.Ping(ctx).Err() != nil {
		t.Fatal("Restart of a running server did not replace it")
	}
}

func TestCleanupKillsServer(t *testing.T) {
	t.Parallel()
	var pid int
	t.Run("owner", func(t *testing.T) {
		pid = Start(t).cmd.Process.Pid
	})
	// Cleanup waits for the process, so it is gone by now.
	if alive(pid) {
		t.Fatalf("redis-server %d outlived its test", pid)
	}
}

func TestStartMain(t *testing.T) {
	t.Parallel()
	s, stop, err := StartMain()
	if err != nil {
		t.Fatal(err)
	}
	pid, dir := s.cmd.Process.Pid, s.dir
	if err := client(t, s).Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	stop()
	if alive(pid) {
		t.Fatalf("redis-server %d still runs after stop", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s left behind: %v", dir, err)
	}
}

func TestServersAreIndependent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := Start(t), Start(t)
	if a.Addr() == b.Addr() {
		t.Fatalf("both servers on %s", a.Addr())
	}
	if err := client(t, a).Set(ctx, "k", "a", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client(t, b).Get(ctx, "k").Err(); !errors.Is(err, goredis.Nil) {
		t.Fatalf("b sees a's key: %v", err)
	}
}

func TestMissingBinary(t *testing.T) {
	// Not parallel: it changes the environment.
	t.Setenv("REDIS_SERVER", filepath.Join(t.TempDir(), "no-redis-server"))
	_, err := Binary()
	if err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("Binary() = %v, want an error that says `make test` installs it", err)
	}
	if _, _, err := StartMain(); err == nil {
		t.Fatal("StartMain without a binary succeeded")
	}

	t.Setenv("REDIS_SERVER", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("Binary() without PATH = %v, want an error that says `make test` installs it", err)
	}
}
