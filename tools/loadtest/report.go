package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

// summary is one job's medians over the rounds.
type summary struct {
	vendor, path string
	calls        int
	rate         float64            // fixed rate, median
	cpu          map[string]float64 // ms per request, fixed rate, by via
	p50, p99     map[string]float64 // ms, fixed rate, by via
	rps          map[string]float64 // closed loop, by via
	ratio        loadkit.Ratio
	closedRatio  float64 // gateway/proxy CPU per request, closed loop
	// proxyAdded50 and proxyAdded99 are the bare ReverseProxy's own added
	// p50 and p99 over the simulator straight (ms, paired per round): what
	// the machine adds to any proxy in front of the simulator, the
	// yardstick of the gateway's added latency.
	proxyAdded50, proxyAdded99 float64
	// pressure is the median share of the fixed-rate runs' time during
	// which a runnable task waited for a CPU (sample.pressure).
	pressure float64
	errors   uint64
	requests float64
}

// summarize takes the medians of a job's rounds. Ratios and differences
// are taken within each round (the runs were side by side) and their
// median reported.
func summarize(j *job, byShape map[string]map[string][]sample) summary {
	s := summary{vendor: j.vendor, path: j.path, calls: len(j.calls),
		cpu: map[string]float64{}, p50: map[string]float64{}, p99: map[string]float64{}, rps: map[string]float64{}}
	fixed, closed := byShape[fixedRate], byShape[closedLoop]
	med := func(runs []sample, f func(sample) float64) float64 {
		xs := make([]float64, len(runs))
		for i, r := range runs {
			xs[i] = f(r)
		}
		return loadkit.Median(xs)
	}
	s.rate = med(fixed[viaGateway], func(r sample) float64 { return float64(r.rate) })
	var pressures []float64
	for _, runs := range fixed {
		for _, r := range runs {
			pressures = append(pressures, r.pressure)
		}
	}
	s.pressure = loadkit.Median(pressures)
	for via, runs := range fixed {
		s.cpu[via] = med(runs, func(r sample) float64 { return loadkit.Millis(r.cpuPerReq) })
		s.p50[via] = med(runs, func(r sample) float64 { return loadkit.Millis(r.p50) })
		s.p99[via] = med(runs, func(r sample) float64 { return loadkit.Millis(r.p99) })
		for _, r := range runs {
			s.errors += r.errors
			s.requests += r.requests
		}
	}
	for via, runs := range closed {
		s.rps[via] = med(runs, func(r sample) float64 { return r.rps })
		for _, r := range runs {
			s.errors += r.errors
			s.requests += r.requests
		}
	}
	paired := func(runs map[string][]sample, f func(gw, other sample) float64, other string) float64 {
		return pairedVia(runs, f, viaGateway, other)
	}
	s.proxyAdded50 = pairedVia(fixed, func(p, d sample) float64 { return loadkit.Millis(p.p50 - d.p50) }, viaProxy, viaDirect)
	s.proxyAdded99 = pairedVia(fixed, func(p, d sample) float64 { return loadkit.Millis(p.p99 - d.p99) }, viaProxy, viaDirect)
	cpuRatio := func(gw, o sample) float64 { return float64(gw.cpuPerReq) / float64(o.cpuPerReq) }
	s.ratio = loadkit.Ratio{
		Vendor: j.vendor, Path: j.path,
		CPUVsProxy: paired(fixed, cpuRatio, viaProxy),
		AddedP50:   time.Duration(paired(fixed, func(gw, d sample) float64 { return float64(gw.p50 - d.p50) }, viaDirect)),
		AddedP99:   time.Duration(paired(fixed, func(gw, d sample) float64 { return float64(gw.p99 - d.p99) }, viaDirect)),
		PeakRSS:    uint64(med(fixed[viaGateway], func(r sample) float64 { return float64(r.peak) })),
	}
	s.closedRatio = paired(closed, cpuRatio, viaProxy)
	return s
}

// pairedVia is the median over the rounds of f(a's run, b's run), the
// runs of one round side by side; NaN and infinite values are left out.
func pairedVia(runs map[string][]sample, f func(a, b sample) float64, a, b string) float64 {
	as, bs := runs[a], runs[b]
	var xs []float64
	for i := range min(len(as), len(bs)) {
		if x := f(as[i], bs[i]); !math.IsNaN(x) && !math.IsInf(x, 0) {
			xs = append(xs, x)
		}
	}
	return loadkit.Median(xs)
}

// report prints the table, then the lines, and says whether any request
// failed.
func report(out io.Writer, cfg config, jobs []*job, skipped []string, res results, walls []wall, mixed mixedRun, peaks []peak) (failed bool, err error) {
	w := &strings.Builder{}
	sums := make([]summary, len(jobs))
	for i, j := range jobs {
		sums[i] = summarize(j, res[key(j)])
	}
	fmt.Fprintf(w, "\nFixed rate up to %d/s (rate: the path's, lowered to half the gateway's closed-loop rate; CPU ms per request, latency ms), closed loop with %d workers (requests/s); medians of %d rounds:\n\n", cfg.rate, cfg.workers, cfg.rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "vendor\tpath\tcalls\trate\tcpu gw\tcpu rp\tcpu nginx\tgw/rp\tp50 gw\tp50 direct\tp99 gw\tp99 direct\t+p50\t+p99\tpeak MiB\trps gw\trps rp\trps nginx\trps direct\terrors\t")
	for _, s := range sums {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%d\t\n",
			s.vendor, s.path, s.calls, s.rate,
			num(s.cpu, viaGateway, 3), num(s.cpu, viaProxy, 3), num(s.cpu, viaNginx, 3), s.ratio.CPUVsProxy,
			num(s.p50, viaGateway, 2), num(s.p50, viaDirect, 2), num(s.p99, viaGateway, 2), num(s.p99, viaDirect, 2),
			loadkit.Millis(s.ratio.AddedP50), loadkit.Millis(s.ratio.AddedP99), loadkit.MiB(s.ratio.PeakRSS),
			num(s.rps, viaGateway, 0), num(s.rps, viaProxy, 0), num(s.rps, viaNginx, 0), num(s.rps, viaDirect, 0), s.errors)
	}
	_ = tw.Flush()
	for _, sk := range skipped {
		fmt.Fprintf(w, "  skipped: %s\n", sk)
	}
	fmt.Fprintln(w, "  (calls: vendor calls per gateway request; baselines send those calls; gw: gateway, rp: bare httputil.ReverseProxy, direct: straight to the simulator)")
	fmt.Fprintln(w)
	for _, s := range sums {
		fmt.Fprintln(w, s.ratio)
	}
	for _, s := range sums {
		fmt.Fprintf(w, "CPU vendor=%s path=%s rate=%.0f gateway_ms_per_req=%s reverseproxy_ms_per_req=%s nginx_ms_per_req=%s simulator_ms_per_req=%s vendor_calls=%d\n",
			s.vendor, s.path, s.rate, num(s.cpu, viaGateway, 3), num(s.cpu, viaProxy, 3), num(s.cpu, viaNginx, 3), num(s.cpu, viaDirect, 3), s.calls)
	}
	for _, s := range sums {
		fmt.Fprintf(w, "LATENCY vendor=%s path=%s rate=%.0f gateway_p99_ms=%s reverseproxy_p99_ms=%s direct_p99_ms=%s reverseproxy_added_p50_ms=%.2f reverseproxy_added_p99_ms=%.2f cpu_pressure_pct=%.0f\n",
			s.vendor, s.path, s.rate, num(s.p99, viaGateway, 2), num(s.p99, viaProxy, 2), num(s.p99, viaDirect, 2), s.proxyAdded50, s.proxyAdded99, 100*s.pressure)
	}
	for _, s := range sums {
		fmt.Fprintf(w, "THROUGHPUT vendor=%s path=%s workers=%d gateway_rps=%s reverseproxy_rps=%s nginx_rps=%s direct_rps=%s cpu_per_req_vs_reverseproxy=%.2f\n",
			s.vendor, s.path, cfg.workers, num(s.rps, viaGateway, 0), num(s.rps, viaProxy, 0), num(s.rps, viaNginx, 0), num(s.rps, viaDirect, 0), s.closedRatio)
	}
	for _, wl := range walls {
		direct := ""
		if wl.direct > 0 {
			direct = fmt.Sprintf(" direct_ms=%.2f", loadkit.Millis(wl.direct))
		}
		fmt.Fprintf(w, "WALL vendor=%s path=%s ms=%.2f%s vendor_latency_ms=%.2f vendor_calls=%d\n",
			wl.vendor, wl.path, loadkit.Millis(wl.gateway), direct, loadkit.Millis(cfg.wallLatency), wl.calls)
	}
	if mixed.requests > 0 {
		fmt.Fprintf(w, "RSS path=mixed rate=%d peak_rss_mib=%d achieved_rps=%.0f requests=%d errors=%d overloaded=%d\n",
			mixed.rate, loadkit.MiB(mixed.peak), mixed.achieved, mixed.requests, mixed.errors, mixed.overloaded)
	}
	for _, p := range peaks {
		fmt.Fprintf(w, "PEAK process=%s lifetime_peak_rss_mib=%d\n", p.name, loadkit.MiB(p.bytes))
	}
	for _, s := range sums {
		if s.pressure > maxQuietPressure {
			fmt.Fprintf(w, "WARN vendor=%s path=%s cpu_pressure_pct=%.0f: a runnable task waited for a CPU that share of the fixed-rate runs' time; their p99 figures measure that queue, not the path\n", s.vendor, s.path, 100*s.pressure)
		}
	}
	for _, s := range sums {
		if s.requests > 0 && float64(s.errors) > 0.01*s.requests {
			fmt.Fprintf(w, "WARN vendor=%s path=%s errors=%d: more than 1%% of requests failed; its figures are not to be trusted\n", s.vendor, s.path, s.errors)
		}
	}
	for _, j := range jobs {
		for _, shape := range []string{closedLoop, fixedRate} {
			for _, via := range []string{viaGateway, viaProxy, viaNginx, viaDirect} {
				failures := map[string]int{}
				for _, r := range res[key(j)][shape][via] {
					for f, n := range r.failures {
						failures[f] += n
					}
				}
				failed = failed || len(failures) > 0
				for _, f := range slices.Sorted(maps.Keys(failures)) {
					fmt.Fprintf(w, "ERRORS vendor=%s path=%s via=%s shape=%s count=%d failure=%q\n", j.vendor, j.path, via, shape, failures[f], f)
				}
			}
		}
	}
	for _, sk := range skipped {
		v, rest, _ := strings.Cut(sk, " ")
		p, reason, _ := strings.Cut(rest, ": ")
		fmt.Fprintf(w, "SKIP vendor=%s path=%s reason=%q\n", v, p, reason)
	}
	if mixed.errors > 0 {
		failed = true
	}
	_, err = io.WriteString(out, w.String())
	return failed, err
}

// maxQuietPressure is the CPU pressure (sample.pressure) above which a
// run's p99 is reported as the machine's rather than the path's.
const maxQuietPressure = 0.10

// num formats m[k] with prec decimals, "-" when there is none.
func num(m map[string]float64, k string, prec int) string {
	v, ok := m[k]
	if !ok || math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}
