// Package redistest starts a private redis-server for tests: its own
// process on a free loopback port, without persistence, killed (with its
// whole process group) when the test ends. Tests never use a Redis that
// someone else started.
//
// The binary is $REDIS_SERVER, or redis-server on PATH. When it is missing
// the test fails (it does not skip): `make test` installs it.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// startTimeout bounds how long a fresh redis-server may take to answer PING.
const startTimeout = 15 * time.Second

// portAttempts is how many free ports Start tries before giving up: another
// process may take a port between our probe and redis-server's bind.
const portAttempts = 5

// Server is a redis-server process owned by a test.
type Server struct {
	bin  string
	dir  string
	args []string

	mu   sync.Mutex
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	runs int           // log file counter
}

// Start starts a redis-server for tb and stops it when tb ends. It fails tb
// when redis-server cannot be found or started.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartArgs(tb)
}

// StartArgs is Start with extra redis-server arguments, such as
// "--cluster-enabled", "yes". They come after the harness's own.
func StartArgs(tb testing.TB, args ...string) *Server {
	tb.Helper()
	s, err := newServer(tb.TempDir())
	if err == nil {
		s.args = args
		err = s.startFree()
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartMain is Start for TestMain, where there is no testing.TB: it returns
// the server and a function that stops it and removes its files.
//
//	func TestMain(m *testing.M) {
//		srv, stop, err := redistest.StartMain()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		stop()
//		os.Exit(code)
//	}
func StartMain() (*Server, func(), error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	s, err := newServer(dir)
	if err == nil {
		err = s.startFree()
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return s, func() { s.Stop(); cleanup() }, nil
}

// Binary returns the redis-server the harness runs: $REDIS_SERVER, else
// redis-server on PATH.
func Binary() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("REDIS_SERVER=%s: %w (`make test` installs redis-server)", p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errors.New("redis-server not found: these tests need a real Redis; " +
			"run `make test` (it installs redis-server), install it yourself, or set REDIS_SERVER to its path")
	}
	return p, nil
}

func newServer(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	return &Server{bin: bin, dir: dir}, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Stop kills the server (SIGKILL to its process group), as if Redis died
// mid-run, and waits for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

// Restart starts the server again on the same port, stopping it first if it
// is running. Like a real Redis restart without persistence, it comes back
// empty.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	return s.startLocked(s.port)
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	killGroup(s.cmd.Process)
	<-s.done
	s.cmd, s.done = nil, nil
}

// startFree starts the server on a free port, trying another one when the
// port is taken before redis-server binds it.
func (s *Server) startFree() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for range portAttempts {
		port, err := freePort()
		if err != nil {
			return err
		}
		err = s.startLocked(port)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return fmt.Errorf("redistest: start redis-server: %w", errors.Join(errs...))
}

var errPortTaken = errors.New("port taken")

func (s *Server) startLocked(port int) error {
	s.runs++
	logPath := filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", s.runs))
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }() // the child has its own descriptor

	args := append([]string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()

	if err := waitReady(cmd, done, port); err != nil {
		killGroup(cmd.Process)
		<-done
		tail := logTail(logPath)
		if strings.Contains(tail, "Address already in use") || errors.Is(err, errPortTaken) {
			return fmt.Errorf("port %d: %w", port, errPortTaken)
		}
		return fmt.Errorf("redis-server on port %d: %w; log:\n%s", port, err, tail)
	}
	s.port, s.cmd, s.done = port, cmd, done
	return nil
}

// waitReady polls until the process answers PING, and checks that the
// answer comes from this process and not from another server that holds
// the port.
func waitReady(cmd *exec.Cmd, done <-chan struct{}, port int) error {
	c := goredis.NewClient(&goredis.Options{
		Addr:            net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		DialTimeout:     200 * time.Millisecond,
		ReadTimeout:     time.Second,
		WriteTimeout:    time.Second,
		MaxRetries:      -1,
		PoolSize:        1,
		DisableIdentity: true,
	})
	defer func() { _ = c.Close() }()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return errors.New("exited during start")
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := c.Info(ctx, "server").Result()
		cancel()
		if err == nil {
			if pid := infoField(info, "process_id"); pid != strconv.Itoa(cmd.Process.Pid) {
				return fmt.Errorf("another server (pid %s) answers: %w", pid, errPortTaken)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %v: %w", startTimeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func infoField(info, name string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			return v
		}
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("redistest: find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("redistest: free port %d: %w", port, err)
	}
	return port, nil
}

func logTail(path string) string {
	b, _ := os.ReadFile(path)
	const most = 2000
	if len(b) > most {
		b = b[len(b)-most:]
	}
	return string(b)
}
