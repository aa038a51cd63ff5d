package main

import (
	"bytes"
	"context"
	"fmt"
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
				for _, via := range order {
					if err := ctx.Err(); err != nil {
						return nil, err
					}
					ru, err := h.measure(j, via, shape, rate)
					if err != nil {
						return nil, fmt.Errorf("round %d %s %s %s: %w", r+1, key(j), via, shape, err)
					}
					res[key(j)][shape][via] = append(res[key(j)][shape][via], ru)
				}
			}
		}
		fmt.Printf("loadtest: round %d of %d done\n", r+1, h.cfg.rounds)
	}
	return res, nil
}

// measure drives one way of serving j's path for the run's duration and
// reads the serving process's CPU time and peak RSS around it.
//
// A baseline (proxy, nginx, direct) sends the vendor calls one gateway
// request makes, in turn; when that is more than one, it sends that many
// times the gateway's rate, and its figures are per gateway request's
// worth: CPU over hits divided by the calls, latency quantiles times the
// calls (the calls one after the other).
func (h *harness) measure(j *job, via, shape string, rate int) (sample, error) {
	var p *proc
	targets := []vegeta.Target{j.gateway}
	calls := 1
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
		return sample{}, fmt.Errorf("reset peak RSS of %s: %w", p.name, err)
	}
	// CPU time of the serving process and of the simulator.
	cpu := func() (serving, simulator time.Duration, err error) {
		if serving, err = loadkit.ProcStat(p.pid(), h.cfg.ticks); err != nil {
			return 0, 0, err
		}
		simulator, err = loadkit.ProcStat(j.sim.p.pid(), h.cfg.ticks)
		return serving, simulator, err
	}
	cpu0, sim0, err := cpu()
	if err != nil {
		return sample{}, err
	}
	lat, failures, elapsed := h.attack(targets, shape, rate*calls)
	cpu1, sim1, err := cpu()
	if err != nil {
		return sample{}, err
	}
	pk, err := loadkit.PeakRSS(p.pid())
	if err != nil {
		return sample{}, err
	}
	if len(lat) == 0 {
		return sample{}, fmt.Errorf("no answers")
	}
	reqs := float64(len(lat)) / float64(calls)
	return sample{
		requests:  reqs,
		errors:    count(failures),
		failures:  failures,
		cpuPerReq: time.Duration(float64(cpu1-cpu0) / reqs),
		simPerReq: time.Duration(float64(sim1-sim0) / reqs),
		p50:       quantile(lat, 0.50) * time.Duration(calls),
		p99:       quantile(lat, 0.99) * time.Duration(calls),
		rps:       reqs / elapsed.Seconds(),
		peak:      pk,
		rate:      rate,
	}, nil
}

// attack sends targets in turn for the run's duration: at rate hits per
// second, or closed-loop with the configured workers each sending
// as soon as its last answer came. It returns every latency, the count of
// failures (transport errors and non-2xx answers, by kind) and the time
// taken.
func (h *harness) attack(targets []vegeta.Target, shape string, rate int) ([]time.Duration, map[string]int, time.Duration) {
	opts := []func(*vegeta.Attacker){vegeta.KeepAlive(true), vegeta.Timeout(time.Minute), vegeta.Connections(1024), vegeta.MaxBody(0)}
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
	for r := range atk.Attack(vegeta.NewStaticTargeter(targets...), pacer, h.cfg.duration, "") {
		lat = append(lat, r.Latency)
		if f := failure(r); f != "" {
			failures[f]++
		}
	}
	return lat, failures, time.Since(began)
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
