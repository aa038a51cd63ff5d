package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

// proc is one process the harness started and measures.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// start runs bin with args as a process of its own, its output in dir.
func start(dir, name, bin string, args ...string) (*proc, error) {
	out, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = out.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM and waits up to 3 s, then kills.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// exited reports an error when the process has ended.
func (p *proc) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited: %v (see its log)", p.name, p.cmd.ProcessState)
	default:
		return nil
	}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String(), nil
}

// waitFor polls until check succeeds, p ends, or 20 s pass.
func waitFor(ctx context.Context, p *proc, check func() error) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := check()
		if err == nil {
			return nil
		}
		if e := p.exited(); e != nil {
			return e
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready: %w", p.name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// answers200 checks that GET url answers 200.
func answers200(url string) func() error {
	return func() error {
		res, err := http.Get(url)
		if err != nil {
			return err
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, res.Status)
		}
		return nil
	}
}

// sim is one vendor's standalone simulator and the proxies in front of it.
type sim struct {
	vendor  string
	p       *proc
	info    loadkit.SimInfo
	control string // http://host:port
	proxy   *proc
	proxyAt string          // http://host:port of the bare ReverseProxy
	nginxAt string          // http://host:port of nginx's server for it; "" without nginx
	ops     map[string]bool // the operations the vendor's adapter supports
}

func startSim(ctx context.Context, cfg config, dir, vendor string) (*sim, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	infoPath := filepath.Join(dir, "sim-"+vendor+".json")
	p, err := start(dir, "simulator-"+vendor, filepath.Join(cfg.bin, "loadtest-simulator"),
		"-vendor", vendor, "-addr", addr, "-contacts", "1200", "-latency", cfg.latency.String(), "-info", infoPath)
	if err != nil {
		return nil, err
	}
	s := &sim{vendor: vendor, p: p, control: "http://" + addr}
	err = waitFor(ctx, p, func() error {
		b, err := os.ReadFile(infoPath)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &s.info)
	})
	if err != nil {
		p.stop()
		return nil, err
	}
	if s.proxyAt, err = freeAddr(); err != nil {
		p.stop()
		return nil, err
	}
	if s.proxy, err = start(dir, "reverseproxy-"+vendor, filepath.Join(cfg.bin, "loadtest-proxy"), "-addr", s.proxyAt, "-target", s.control); err != nil {
		p.stop()
		return nil, err
	}
	s.proxyAt = "http://" + s.proxyAt
	return s, nil
}

func (s *sim) stop() {
	s.proxy.stop()
	s.p.stop()
}

// setLatency sets the simulator's injected latency.
func (s *sim) setLatency(d time.Duration) error {
	return s.command(http.MethodPut, "/_loadtest/latency?d="+d.String())
}

// command sends one of the simulator's control requests, which answer 204.
func (s *sim) command(method, uri string) error {
	req, err := http.NewRequest(method, s.control+uri, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		return fmt.Errorf("%s: %s %s: %s", s.vendor, method, uri, res.Status)
	}
	return nil
}

// record returns the vendor calls the simulator receives while do runs.
func (s *sim) record(do func() error) ([]loadkit.Call, error) {
	set := func(n int) error { return s.command(http.MethodPost, "/_loadtest/record?n="+strconv.Itoa(n)) }
	if err := set(100_000); err != nil {
		return nil, err
	}
	if err := do(); err != nil {
		return nil, err
	}
	res, err := http.Get(s.control + "/_loadtest/record")
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	var calls []loadkit.Call
	if err := json.NewDecoder(res.Body).Decode(&calls); err != nil {
		return nil, err
	}
	return calls, set(0)
}

// gateway is the gateway process and how to call it.
type gateway struct {
	p      *proc
	base   string // http://host:port
	apiKey string
}

// startGateway writes a tenants file with one tenant per simulator
// ("lt-<vendor>"), secrets in files beside it, and starts bin/gateway on it
// in production mode: no sandbox, no Redis, logging at cfg.logLevel.
func startGateway(ctx context.Context, cfg config, dir string, sims []*sim) (*gateway, error) {
	secret := func(name string, n int) (string, error) {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		v := hex.EncodeToString(b)
		return v, os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600)
	}
	if _, err := secret("cursor_secret", 32); err != nil {
		return nil, err
	}
	key, err := secret("api_key", 24)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	var y strings.Builder
	fmt.Fprintf(&y, "cursor_secret: {file: %s}\n", filepath.Join(dir, "cursor_secret"))
	fmt.Fprintf(&y, "api_keys:\n  - name: loadtest\n    sha256: %x\n    scopes: [read, write]\n    tenants: [\"*\"]\n", sum)
	y.WriteString("tenants:\n")
	for _, s := range sims {
		fmt.Fprintf(&y, "  - id: %s\n    vendor: %s\n    connections:\n      %s:\n", tenantOf(s.vendor), s.vendor, s.vendor)
		for _, kv := range sorted(s.info.URLs) {
			fmt.Fprintf(&y, "        %s: %q\n", kv[0], kv[1])
		}
		for _, kv := range sorted(s.info.Options) {
			fmt.Fprintf(&y, "        %s: %q\n", kv[0], kv[1])
		}
		y.WriteString("        credentials:\n")
		for _, kv := range sorted(s.info.Credentials) {
			file := filepath.Join(dir, s.vendor+"_"+kv[0])
			if err := os.WriteFile(file, []byte(kv[1]), 0o600); err != nil {
				return nil, err
			}
			fmt.Fprintf(&y, "          %s: {file: %s}\n", kv[0], file)
		}
	}
	// No plan quota: the harness calls far more than a vendor plan allows
	// in an hour (Meihua's driver counts 2000 by default).
	y.WriteString("vendors:\n")
	for _, s := range sims {
		fmt.Fprintf(&y, "  %s:\n    quota: {calls: 0, per: 1h}\n", s.vendor)
	}
	tenants := filepath.Join(dir, "tenants.yaml")
	if err := os.WriteFile(tenants, []byte(y.String()), 0o600); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	ops, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, err := start(dir, "gateway", filepath.Join(cfg.bin, "gateway"), "--config", tenants, "--addr", addr, "--ops-addr", ops,
		"--log-level", cfg.logLevel, "--drain-delay", "0s")
	if err != nil {
		return nil, err
	}
	g := &gateway{p: p, base: "http://" + addr, apiKey: key}
	if err := waitFor(ctx, p, answers200(g.base+"/healthz")); err != nil {
		p.stop()
		return nil, err
	}
	return g, nil
}

func tenantOf(vendor string) string { return "lt-" + vendor }

func sorted(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// startNginx runs nginx as one process (no daemon, no master, one worker),
// with a server per simulator proxying to it over kept-alive upstream
// connections, its files in dir/nginx. It returns nil when cfg has no
// nginx.
func startNginx(ctx context.Context, cfg config, dir string, sims []*sim) (*proc, error) {
	if cfg.nginx == "" {
		return nil, nil
	}
	nd := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(nd, 0o700); err != nil {
		return nil, err
	}
	var c strings.Builder
	fmt.Fprintf(&c, "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log warn;\n", nd, nd)
	c.WriteString("events { worker_connections 4096; }\nhttp {\n  access_log off;\n")
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&c, "  %s_temp_path %s/%s;\n", t, nd, t)
	}
	c.WriteString("  client_max_body_size 8m;\n")
	for _, s := range sims {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&c, "  upstream sim_%s { server %s; keepalive 128; }\n", s.vendor, strings.TrimPrefix(s.control, "http://"))
		fmt.Fprintf(&c, "  server {\n    listen %s;\n    location / {\n      proxy_pass http://sim_%s;\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_set_header Host $http_host;\n    }\n  }\n", addr, s.vendor)
		s.nginxAt = "http://" + addr
	}
	c.WriteString("}\n")
	conf := filepath.Join(nd, "nginx.conf")
	if err := os.WriteFile(conf, []byte(c.String()), 0o600); err != nil {
		return nil, err
	}
	p, err := start(dir, "nginx", cfg.nginx, "-p", nd, "-c", conf, "-e", filepath.Join(nd, "error.log"))
	if err != nil {
		return nil, err
	}
	// Ready when every server accepts; a refused request still proves it.
	err = waitFor(ctx, p, func() error {
		for _, s := range sims {
			res, err := http.Get(s.nginxAt + "/_loadtest/record")
			if err != nil {
				return err
			}
			_ = res.Body.Close()
		}
		return nil
	})
	if err != nil {
		p.stop()
		return nil, errors.Join(err, errors.New("nginx log: "+filepath.Join(nd, "error.log")))
	}
	return p, nil
}
