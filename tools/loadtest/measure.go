package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

// The ways a path is served, each a process of its own but direct.
const (
	viaGateway = "gateway"
	viaProxy   = "reverseproxy"
	viaNginx   = "nginx"
	viaDirect  = "direct"
)

// The two load shapes.
const (
	fixedRate  = "fixed"
	closedLoop = "closed"
)

// job is one vendor's path: the gateway call, and the vendor calls one
// gateway call makes, recorded at the simulator, which the baselines send.
type job struct {
	vendor, path string
	sim          *sim
	gateway      vegeta.Target
	calls        []loadkit.Call
}

// record sends the gateway call once and keeps the vendor calls it made.
// Done again before each round: recorded calls carry the gateway's current
// token (Meihua's rotates) and signature time (NXCloud takes 60 s).
func (j *job) record() error {
	calls, err := j.sim.record(func() error {
		status, b, err := do(http.DefaultClient, j.gateway)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("%s %s: %d %.300s", j.vendor, j.path, status, b)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(calls) == 0 {
		return fmt.Errorf("%s %s: the gateway made no vendor call", j.vendor, j.path)
	}
	j.calls = calls
	return nil
}

// at is the recorded vendor calls sent to base (a proxy, or the
// simulator).
func (j *job) at(base string) []vegeta.Target {
	out := make([]vegeta.Target, len(j.calls))
	for i, c := range j.calls {
		out[i] = vegeta.Target{Method: c.Method, URL: base + c.URI, Header: c.Header, Body: c.Body}
	}
	return out
}

func (j *job) direct() []vegeta.Target { return j.at(j.sim.control) }

// sample is one measured run of one way of serving a path.
type sample struct {
	requests  float64 // gateway requests' worth: baseline hits / vendor calls per request
	errors    uint64
	failures  map[string]int // by status or transport error
	cpuPerReq time.Duration  // of the serving process (direct: the simulator's)
	simPerReq time.Duration  // the simulator's
	p50, p99  time.Duration  // per gateway request's worth (see measure)
	rps       float64
	peak      uint64 // VmHWM during the run, bytes
	rate      int    // gateway requests' worth per second (fixed rate)
	// pressure is the share of the run's wall time during which a runnable
	// task on the machine waited for a CPU (/proc/pressure/cpu): the queue
	// any latency percentile of the run also measures.
	pressure float64
}

// fixedRateFor is the fixed rate of a path: the configured rate, or half
// of what the gateway served closed-loop on it, whichever is lower, so
// that the latency measured is the path's and not that of a queue
// growing behind a rate the gateway cannot serve.
func fixedRateFor(configured int, gatewayClosedLoopRPS float64) int {
	return max(1, min(configured, int(gatewayClosedLoopRPS/2)))
}

// results[vendor/path][shape][via] are the rounds' runs.
type results map[string]map[string]map[string][]sample

func key(j *job) string { return j.vendor + "/" + j.path }

// rounds runs every job, round after round, each way of serving it in
// turn, the order turned by one each time so that no way always runs
// first or last.
func (h *harness) rounds(ctx context.Context, jobs []*job) (results, error) {
	vias := []string{viaGateway, viaProxy, viaNginx, viaDirect}
	if h.nginx == nil {
		vias = slices.DeleteFunc(vias, func(v string) bool { return v == viaNginx })
	}
	res := results{}
	turn := 0
	for r := range h.cfg.rounds {
		for _, j := range jobs {
			if err := j.record(); err != nil {
				return nil, err
			}
			if res[key(j)] == nil {
				res[key(j)] = map[string]map[string][]sample{fixedRate: {}, closedLoop: {}}
			}
			// Closed loop first: what the gateway serves at most on this
			// path sets the fixed rate (see fixedRateFor).
			rate := 0
			for _, shape := range []string{closedLoop, fixedRate} {
				if shape == fixedRate {
					runs := res[key(j)][closedLoop][viaGateway]
					rate = fixedRateFor(h.cfg.rate, runs[len(runs)-1].rps)
				}
				turn++
				order := append(slices.Clone(vias[turn%len(vias):]), vias[:turn%len(vias)]...)
				// Closed loop: each way for the whole duration in turn.
				// Fixed rate: the ways take turns in slices (see slicePlan),
				// so that each sees the same moments of the machine.
				plan := [][]string{order}
				if shape == fixedRate {
					plan = slicePlan(h.cfg.duration, h.cfg.slice, order)
				}
				runs, err := h.measure(ctx, j, plan, shape, rate)
				if err != nil {
					return nil, fmt.Errorf("round %d %s %s: %w", r+1, key(j), shape, err)
				}
				for _, via := range order {
					res[key(j)][shape][via] = append(res[key(j)][shape][via], runs[via])
				}
			}
		}
		fmt.Printf("loadtest: round %d of %d done\n", r+1, h.cfg.rounds)
	}
	return res, nil
}

// slicePlan splits a fixed-rate run of d into slices of about slice each
// (at least one): in each slice every way runs once, for d over the count
// of slices, the order turned by one from slice to slice.
func slicePlan(d, slice time.Duration, order []string) [][]string {
	n := 1
	if slice > 0 {
		n = max(1, int((d+slice/2)/slice))
	}
	plan := make([][]string, n)
	for i := range plan {
		k := i % len(order)
		plan[i] = append(slices.Clone(order[k:]), order[:k]...)
	}
	return plan
}

// tally is one way's share of a run, added up over its slices.
type tally struct {
	lat      []time.Duration
	failures map[string]int
	cpu, sim time.Duration // of the serving process, of the simulator
	elapsed  time.Duration
	stall    time.Duration // CPU pressure stall time (loadkit.CPUPressure)
	peak     uint64
}

// sample is the tally's figures per gateway request's worth: a baseline
// that sends calls vendor calls per gateway request counts calls hits as
// one request, its latencies the calls one after the other.
func (t *tally) sample(calls, rate int) (sample, error) {
	if len(t.lat) == 0 {
		return sample{}, fmt.Errorf("no answers")
	}
	reqs := float64(len(t.lat)) / float64(calls)
	return sample{
		requests:  reqs,
		errors:    count(t.failures),
		failures:  t.failures,
		cpuPerReq: time.Duration(float64(t.cpu) / reqs),
		simPerReq: time.Duration(float64(t.sim) / reqs),
		p50:       quantile(t.lat, 0.50) * time.Duration(calls),
		p99:       quantile(t.lat, 0.99) * time.Duration(calls),
		rps:       reqs / t.elapsed.Seconds(),
		peak:      t.peak,
		rate:      rate,
		pressure:  float64(t.stall) / float64(t.elapsed),
	}, nil
}

// measure drives j's path the ways plan says, slice after slice, each
// slice's ways in its order for the run's duration over the slices, and
// reads around each the serving process's CPU time and peak RSS, the
// simulator's CPU time and the machine's CPU pressure.
//
// A baseline (proxy, nginx, direct) sends the vendor calls one gateway
// request makes, in turn; when that is more than one, it sends that many
// times the gateway's rate, and its figures are per gateway request's
// worth (see tally.sample).
func (h *harness) measure(ctx context.Context, j *job, plan [][]string, shape string, rate int) (map[string]sample, error) {
	tallies := map[string]*tally{}
	callsOf := map[string]int{}
	d := h.cfg.duration / time.Duration(len(plan))
	for _, order := range plan {
		for _, via := range order {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if tallies[via] == nil {
				tallies[via] = &tally{failures: map[string]int{}}
			}
			calls, err := h.slice(j, via, shape, rate, d, tallies[via])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", via, err)
			}
			callsOf[via] = calls
		}
	}
	out := map[string]sample{}
	for via, t := range tallies {
		s, err := t.sample(callsOf[via], rate)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", via, err)
		}
		out[via] = s
	}
	return out, nil
}

// slice drives one way of serving j's path for d and adds what it
// measured to t. It returns the vendor calls one of its hits stands for.
func (h *harness) slice(j *job, via, shape string, rate int, d time.Duration, t *tally) (calls int, err error) {
	var p *proc
	targets := []vegeta.Target{j.gateway}
	calls = 1
	switch via {
	case viaGateway:
		p = h.gw.p
	case viaProxy:
		p, targets, calls = j.sim.proxy, j.at(j.sim.proxyAt), len(j.calls)
	case viaNginx:
		p, targets, calls = h.nginx, j.at(j.sim.nginxAt), len(j.calls)
	case viaDirect:
		p, targets, calls = j.sim.p, j.direct(), len(j.calls)
	}
	if err := loadkit.ResetPeakRSS(p.pid()); err != nil {
		return 0, fmt.Errorf("reset peak RSS of %s: %w", p.name, err)
	}
	// CPU time of the serving process and of the simulator, and the
	// machine's CPU pressure stall time.
	read := func() (serving, simulator, stall time.Duration, err error) {
		if serving, err = loadkit.ProcStat(p.pid(), h.cfg.ticks); err != nil {
			return 0, 0, 0, err
		}
		if simulator, err = loadkit.ProcStat(j.sim.p.pid(), h.cfg.ticks); err != nil {
			return 0, 0, 0, err
		}
		stall, _ = loadkit.CPUPressure() // 0 where the kernel has no PSI
		return serving, simulator, stall, nil
	}
	cpu0, sim0, stall0, err := read()
	if err != nil {
		return 0, err
	}
	lat, failures, elapsed := h.attack(targets, shape, rate*calls, d)
	cpu1, sim1, stall1, err := read()
	if err != nil {
		return 0, err
	}
	pk, err := loadkit.PeakRSS(p.pid())
	if err != nil {
		return 0, err
	}
	t.lat = append(t.lat, lat...)
	for f, n := range failures {
		t.failures[f] += n
	}
	t.cpu += cpu1 - cpu0
	t.sim += sim1 - sim0
	t.stall += stall1 - stall0
	t.elapsed += elapsed
	t.peak = max(t.peak, pk)
	return calls, nil
}

// attack sends targets in turn for d: at rate hits per second, or
// closed-loop with the configured workers each sending as soon as its
// last answer came. It goes through the harness's one client, whose
// connections stay open from run to run (a run does not pay for
// connecting). It returns every latency, the count of failures
// (transport errors and non-2xx answers, by kind) and the time taken.
func (h *harness) attack(targets []vegeta.Target, shape string, rate int, d time.Duration) ([]time.Duration, map[string]int, time.Duration) {
	opts := []func(*vegeta.Attacker){vegeta.Client(h.load), vegeta.MaxBody(0)}
	pacer := vegeta.Rate{Freq: rate, Per: time.Second}
	if shape == closedLoop {
		w := uint64(h.cfg.workers)
		opts = append(opts, vegeta.Workers(w), vegeta.MaxWorkers(w))
		pacer = vegeta.Rate{} // no pacing: each worker sends when answered
	}
	atk := vegeta.NewAttacker(opts...)
	began := time.Now()
	var lat []time.Duration
	failures := map[string]int{}
	for r := range atk.Attack(vegeta.NewStaticTargeter(targets...), pacer, d, "") {
		lat = append(lat, r.Latency)
		if f := failure(r); f != "" {
			failures[f]++
		}
	}
	return lat, failures, time.Since(began)
}

// loadClient is the client every measured run sends through: kept-alive
// connections, up to 1024 idle per host (vegeta's Connections(1024)), a
// minute's timeout.
func loadClient() *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 1024,
		},
	}
}

// failure names what went wrong with r ("" when it is a 2xx answer).
func failure(r *vegeta.Result) string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Code < 200 || r.Code > 299:
		return fmt.Sprintf("status %d", r.Code)
	}
	return ""
}

// overloaded reports whether r is the gateway's 503 OVERLOADED answer.
func overloaded(r *vegeta.Result) bool {
	return r.Code == http.StatusServiceUnavailable && bytes.Contains(r.Body, []byte(`"type":"urn:cdp-gateway:problem:overloaded"`))
}

func count(failures map[string]int) uint64 {
	var n uint64
	for _, c := range failures {
		n += uint64(c)
	}
	return n
}

// quantile is the q-quantile of ds (nearest rank); ds is sorted in place.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[max(0, min(i, len(ds)-1))]
}

// wall is a path's wall time at the wall-time latency, one call at a time.
type wall struct {
	vendor, path string
	gateway      time.Duration
	direct       time.Duration // the recorded vendor calls, one after the other, straight to the simulator (0: not measured)
	calls        int           // vendor calls per gateway call
}

// mixedRun is the gateway's peak RSS under the mixed traffic.
type mixedRun struct {
	rate     int
	requests int
	errors   uint64
	// overloaded counts the gateway's 503 OVERLOADED answers: requests it
	// shed at once, past its bound of requests in flight, not failures.
	overloaded uint64
	peak       uint64
	achieved   float64 // answered without error per second, until the last answer
}

// mixed sends the gateway calls of every vendor's passthrough, get one,
// list of 10 and list of 50 in turn at the mixed rate (lists of 200 and
// batches are left out: a handful of them would be the whole load) and
// reads the gateway's peak RSS over the run.
func (h *harness) mixed(ctx context.Context, jobs []*job) (mixedRun, error) {
	var targets []vegeta.Target
	var names []string
	for _, j := range jobs {
		if j.path == "list200" {
			continue
		}
		targets = append(targets, j.gateway)
		names = append(names, key(j))
	}
	if len(targets) == 0 || ctx.Err() != nil {
		return mixedRun{}, ctx.Err()
	}
	pid := h.gw.p.pid()
	if err := loadkit.ResetPeakRSS(pid); err != nil {
		return mixedRun{}, err
	}
	// The body's first bytes tell an OVERLOADED answer (its type comes first).
	atk := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Timeout(time.Minute), vegeta.Connections(1024), vegeta.MaxBody(64))
	m := mixedRun{rate: h.cfg.mixedRate}
	began := time.Now()
	for r := range atk.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{Freq: h.cfg.mixedRate, Per: time.Second}, h.cfg.mixedFor, "") {
		m.requests++
		switch {
		case overloaded(r):
			m.overloaded++
		case failure(r) != "":
			m.errors++
		}
	}
	m.achieved = float64(uint64(m.requests)-m.errors-m.overloaded) / time.Since(began).Seconds()
	pk, err := loadkit.PeakRSS(pid)
	if err != nil {
		return m, err
	}
	m.peak = pk
	fmt.Printf("loadtest: mixed traffic: %s\n", strings.Join(names, " "))
	return m, nil
}
