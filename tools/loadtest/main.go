// Command loadtest is the gateway's load harness (`make loadtest`): a
// benchmark, never part of `make test`. It runs the built gateway, a
// standalone simulator per vendor, a bare httputil.ReverseProxy per
// simulator and nginx (when there is one) as separate processes, drives
// every path each vendor's adapter serves with vegeta at a fixed rate and
// closed-loop, in several interleaved rounds, and reads each process's CPU
// time and peak RSS from /proc. It prints a table, then one line per
// vendor and path (RATIO, THROUGHPUT), the wall times (WALL) and the
// mixed-traffic peak (RSS); the README's Performance section documents
// each line and the knobs below.
//
//	LOADTEST_QUICK=1           a smoke run, under 60 s, printing the same lines
//	LOADTEST_RATE=1000         fixed rate, requests per second
//	LOADTEST_DURATION=5s       length of each measured run
//	LOADTEST_SLICE=0s          fixed rate: the ways of serving a path take turns in slices this long (0: one run each)
//	LOADTEST_ROUNDS=5          rounds; medians are reported
//	LOADTEST_WORKERS=8         closed-loop workers
//	LOADTEST_LATENCY=0s        vendor latency injected during the fixed-rate and closed-loop runs
//	LOADTEST_WALL_LATENCY=20ms vendor latency injected during the wall-time runs (get one, batch of 1000)
//	LOADTEST_MIXED_RATE=2000   rate of the mixed-traffic peak RSS run
//	LOADTEST_MIXED_DURATION=   its length (default: twice LOADTEST_DURATION, at least 2s; quick: twice)
//	LOADTEST_VENDORS=          vendors to drive, comma-separated (default: every simulator)
//	LOADTEST_LOG_LEVEL=warn    the gateway's --log-level
//	LOADTEST_BIN=bin           where gateway, loadtest-simulator and loadtest-proxy are
//	LOADTEST_NGINX=            nginx binary (default: nginx on PATH or /usr/sbin/nginx; none: no nginx rows)
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type config struct {
	quick       bool
	rate        int
	duration    time.Duration
	slice       time.Duration
	rounds      int
	workers     int
	latency     time.Duration
	wallLatency time.Duration
	wallReps    int
	mixedRate   int
	mixedFor    time.Duration
	vendors     []string
	logLevel    string
	bin         string
	nginx       string
	ticks       int
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{quick: getenv("LOADTEST_QUICK") == "1"}
	// The quick run is a smoke test of every step, not a measurement.
	c.rate, c.duration, c.rounds, c.workers, c.wallLatency, c.wallReps, c.mixedRate =
		1000, 5*time.Second, 5, 8, 20*time.Millisecond, 5, 2000
	if c.quick {
		c.rate, c.duration, c.rounds, c.workers, c.wallLatency, c.wallReps, c.mixedRate =
			200, 250*time.Millisecond, 1, 4, 5*time.Millisecond, 1, 300
	}
	var errs []error
	num := func(name string, p *int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a positive integer", name, v))
			}
			*p = n
		}
	}
	dur := func(name string, p *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s=%q: want a duration like 5s", name, v))
			}
			*p = d
		}
	}
	num("LOADTEST_RATE", &c.rate)
	num("LOADTEST_ROUNDS", &c.rounds)
	num("LOADTEST_WORKERS", &c.workers)
	num("LOADTEST_MIXED_RATE", &c.mixedRate)
	dur("LOADTEST_DURATION", &c.duration)
	dur("LOADTEST_SLICE", &c.slice)
	dur("LOADTEST_LATENCY", &c.latency)
	dur("LOADTEST_WALL_LATENCY", &c.wallLatency)
	if c.duration == 0 {
		errs = append(errs, errors.New("LOADTEST_DURATION must be above 0"))
	}
	c.mixedFor = max(c.duration*2, 2*time.Second)
	if c.quick {
		c.mixedFor = c.duration * 2
	}
	dur("LOADTEST_MIXED_DURATION", &c.mixedFor)
	if c.mixedFor == 0 {
		errs = append(errs, errors.New("LOADTEST_MIXED_DURATION must be above 0"))
	}
	c.logLevel = cmp(getenv("LOADTEST_LOG_LEVEL"), "warn")
	c.bin = cmp(getenv("LOADTEST_BIN"), "bin")
	drivers, err := app.Drivers()
	if err != nil {
		return c, err
	}
	var all []string
	for _, d := range drivers.All() {
		if d.Demo != nil {
			all = append(all, string(d.Vendor))
		}
	}
	c.vendors = all
	if v := getenv("LOADTEST_VENDORS"); v != "" {
		c.vendors = nil
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(all, name) {
				errs = append(errs, fmt.Errorf("LOADTEST_VENDORS: no simulator for %q (have %s)", name, strings.Join(all, ", ")))
			}
			c.vendors = append(c.vendors, name)
		}
	}
	switch c.nginx = getenv("LOADTEST_NGINX"); c.nginx {
	case "none":
		c.nginx = ""
	case "":
		if p, err := exec.LookPath("nginx"); err == nil {
			c.nginx = p
		} else if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
			c.nginx = "/usr/sbin/nginx"
		}
	}
	return c, errors.Join(errs...)
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func run() error {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.ticks, err = loadkit.ClockTicks(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "loadtest-")
	if err != nil {
		return err
	}
	began := time.Now()
	fmt.Printf("loadtest: %s, rate %d/s, %s per run, %d rounds, %d closed-loop workers, vendor latency %s (wall runs %s), gateway log level %s, files in %s\n",
		map[bool]string{true: "quick smoke run", false: "full run"}[cfg.quick], cfg.rate, cfg.duration, cfg.rounds, cfg.workers,
		cfg.latency, cfg.wallLatency, cfg.logLevel, dir)

	var sims []*sim
	defer func() {
		for _, s := range sims {
			s.stop()
		}
	}()
	for _, v := range cfg.vendors {
		s, err := startSim(ctx, cfg, dir, v)
		if err != nil {
			return err
		}
		sims = append(sims, s)
	}
	for _, s := range sims {
		if err := waitFor(ctx, s.proxy, answers200(s.proxyAt+"/_loadtest/record")); err != nil {
			return err
		}
	}
	gw, err := startGateway(ctx, cfg, dir, sims)
	if err != nil {
		return err
	}
	defer gw.p.stop()
	nginx, err := startNginx(ctx, cfg, dir, sims)
	if err != nil {
		return err
	}
	if nginx != nil {
		defer nginx.stop()
	} else {
		fmt.Println("loadtest: no nginx (LOADTEST_NGINX, or install Debian's nginx: make loadtest does): nginx rows are skipped")
	}

	h := &harness{cfg: cfg, gw: gw, nginx: nginx, client: &http.Client{Timeout: 3 * time.Minute}, load: loadClient()}
	jobs, skipped, err := h.prepare(sims)
	if err != nil {
		return err
	}
	res, err := h.rounds(ctx, jobs)
	if err != nil {
		return err
	}
	walls, err := h.walls(ctx, sims, jobs)
	if err != nil {
		return err
	}
	mixed, err := h.mixed(ctx, jobs)
	if err != nil {
		return err
	}
	failed, err := report(os.Stdout, cfg, jobs, skipped, res, walls, mixed, h.lifetimePeaks(sims))
	if err != nil {
		return err
	}
	fmt.Printf("loadtest: done in %s\n", time.Since(began).Round(100*time.Millisecond))
	if failed {
		// The processes' logs say why.
		fmt.Printf("loadtest: requests failed (ERRORS lines): the processes' logs are kept in %s\n", dir)
		return nil
	}
	return os.RemoveAll(dir)
}

// harness holds the running processes and the client setup calls use.
type harness struct {
	cfg    config
	gw     *gateway
	nginx  *proc
	client *http.Client
	load   *http.Client // the measured runs' (loadClient)
}

// prepare finds, for every vendor and path, the gateway call, or why the
// vendor's adapter cannot serve it (its 501), and warms the gateway's
// token cache and connections.
func (h *harness) prepare(sims []*sim) ([]*job, []string, error) {
	var jobs []*job
	var skipped []string
	for _, s := range sims {
		ops, err := h.gw.capabilities(h.client, s.vendor)
		if err != nil {
			return nil, nil, err
		}
		s.ops = ops
		id := ""
		if ops["listContacts"] {
			if id, err = h.gw.firstContact(h.client, s.vendor); err != nil {
				return nil, nil, err
			}
		}
		for _, p := range ratioPaths {
			if !ops[p.op] {
				skipped = append(skipped, fmt.Sprintf("%s %s: %s is not in the vendor's capabilities", s.vendor, p.name, p.op))
				continue
			}
			method, uri, body, ok := p.request(s.vendor, id)
			if !ok {
				skipped = append(skipped, fmt.Sprintf("%s %s: the harness has no such call for the vendor", s.vendor, p.name))
				continue
			}
			t := h.gw.target(s.vendor, method, uri, body)
			status, b, err := do(h.client, t)
			if err != nil {
				return nil, nil, err
			}
			if status != http.StatusOK {
				return nil, nil, fmt.Errorf("%s %s: %d %.300s", s.vendor, p.name, status, b)
			}
			jobs = append(jobs, &job{vendor: s.vendor, path: p.name, sim: s, gateway: t})
		}
	}
	return jobs, skipped, nil
}

// walls measures, at the wall-time latency, a get-one call through the
// gateway and straight to the simulator, and a batch of 1000, one at a
// time.
func (h *harness) walls(ctx context.Context, sims []*sim, jobs []*job) ([]wall, error) {
	for _, s := range sims {
		if err := s.setLatency(h.cfg.wallLatency); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, s := range sims {
			_ = s.setLatency(h.cfg.latency)
		}
	}()
	var out []wall
	for _, j := range jobs {
		if j.path != "get_one" {
			continue
		}
		if err := j.record(); err != nil {
			return nil, err
		}
		gw, err := h.timed(ctx, []vegeta.Target{j.gateway}, h.cfg.wallReps*4)
		if err != nil {
			return nil, err
		}
		direct, err := h.timed(ctx, j.direct(), h.cfg.wallReps*4)
		if err != nil {
			return nil, err
		}
		out = append(out, wall{vendor: j.vendor, path: j.path, gateway: gw, direct: direct, calls: len(j.calls)})
	}
	for _, s := range sims {
		body, ok := batch(s.vendor, 1000)
		if !ok || !s.ops["batchUpsertContacts"] {
			continue
		}
		t := h.gw.target(s.vendor, http.MethodPost, "/v1/contacts/batch", body)
		var calls int
		recorded, err := s.record(func() error {
			status, b, err := do(h.client, t)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("%s batch: %d %.300s", s.vendor, status, b)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		calls = len(recorded)
		d, err := h.timed(ctx, []vegeta.Target{t}, h.cfg.wallReps)
		if err != nil {
			return nil, err
		}
		out = append(out, wall{vendor: s.vendor, path: "batch1000", gateway: d, calls: calls})
	}
	return out, nil
}

// timed sends ts in turn, n times over, one call at a time, and returns
// the median wall time of a turn; every answer must be a 200.
func (h *harness) timed(ctx context.Context, ts []vegeta.Target, n int) (time.Duration, error) {
	var ms []float64
	for range n {
		began := time.Now()
		for _, t := range ts {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			status, b, err := do(h.client, t)
			if err != nil {
				return 0, err
			}
			if status != http.StatusOK {
				return 0, fmt.Errorf("%s %s: %d %.300s", t.Method, t.URL, status, b)
			}
		}
		ms = append(ms, loadkit.Millis(time.Since(began)))
	}
	return time.Duration(loadkit.Median(ms) * float64(time.Millisecond)), nil
}

// lifetimePeaks is every process's VmHWM since it started.
func (h *harness) lifetimePeaks(sims []*sim) []peak {
	var out []peak
	add := func(p *proc) {
		if p == nil {
			return
		}
		if b, err := loadkit.PeakRSS(p.pid()); err == nil {
			out = append(out, peak{p.name, b})
		}
	}
	add(h.gw.p)
	add(h.nginx)
	for _, s := range sims {
		add(s.proxy)
		add(s.p)
	}
	return out
}

type peak struct {
	name  string
	bytes uint64
}
