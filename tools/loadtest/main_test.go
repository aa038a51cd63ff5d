package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	full, err := loadConfig(env("LOADTEST_NGINX", "none"))
	if err != nil {
		t.Fatal(err)
	}
	if full.quick || full.rate != 1000 || full.rounds != 5 || full.duration != 5*time.Second || full.wallLatency != 20*time.Millisecond || full.mixedRate != 2000 || full.nginx != "" || full.slice != 0 {
		t.Fatalf("defaults: %+v", full)
	}
	if full.mixedFor != 10*time.Second {
		t.Fatalf("mixed duration %v, want twice the duration", full.mixedFor)
	}
	if mixed, err := loadConfig(env("LOADTEST_QUICK", "1", "LOADTEST_MIXED_DURATION", "6s", "LOADTEST_NGINX", "none")); err != nil || mixed.mixedFor != 6*time.Second {
		t.Fatalf("LOADTEST_MIXED_DURATION=6s: %v %v", mixed.mixedFor, err)
	}
	if strings.Join(full.vendors, ",") != "linkflow,meihua,nxcloud,miaokol" {
		t.Fatalf("vendors: %v", full.vendors)
	}
	quick, err := loadConfig(env("LOADTEST_QUICK", "1", "LOADTEST_SLICE", "500ms", "LOADTEST_RATE", "50", "LOADTEST_VENDORS", "nxcloud, linkflow", "LOADTEST_NGINX", "none"))
	if err != nil {
		t.Fatal(err)
	}
	if !quick.quick || quick.rate != 50 || quick.slice != 500*time.Millisecond || quick.rounds != 1 || quick.duration >= time.Second || strings.Join(quick.vendors, ",") != "nxcloud,linkflow" {
		t.Fatalf("quick: %+v", quick)
	}
	_, err = loadConfig(env("LOADTEST_RATE", "-1", "LOADTEST_DURATION", "soon", "LOADTEST_VENDORS", "acme", "LOADTEST_NGINX", "none"))
	for _, want := range []string{"LOADTEST_RATE", "LOADTEST_DURATION", `"acme"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestFixedRateFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		configured int
		closed     float64
		want       int
	}{
		{1000, 5000, 1000}, // the gateway keeps up: the configured rate
		{1000, 900, 450},   // it does not: half of what it served
		{1000, 1, 1},       // never zero
	} {
		if got := fixedRateFor(tc.configured, tc.closed); got != tc.want {
			t.Errorf("fixedRateFor(%d, %v) = %d, want %d", tc.configured, tc.closed, got, tc.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if got := quantile(ds, 0.50); got != 50*time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := quantile(ds, 0.99); got != 99*time.Millisecond {
		t.Errorf("p99 = %v", got)
	}
	if got := quantile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("p99 of one = %v", got)
	}
}

// summarize pairs each round's gateway run with the same round's
// baselines and reports the median of the per-round figures.
func TestSummarize(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	fixed := map[string][]sample{
		viaGateway: {
			{cpuPerReq: 3 * ms, p50: 5 * ms, p99: 9 * ms, peak: 40 << 20, rate: 500, pressure: 0.5},
			{cpuPerReq: 2 * ms, p50: 4 * ms, p99: 8 * ms, peak: 50 << 20, rate: 500, pressure: 0.02},
			{cpuPerReq: 9 * ms, p50: 6 * ms, p99: 30 * ms, peak: 45 << 20, rate: 400, pressure: 0.9},
		},
		viaProxy: {{cpuPerReq: 1 * ms, p50: 2 * ms, p99: 3 * ms, pressure: 0.3}, {cpuPerReq: 1 * ms, p50: 1 * ms, p99: 4 * ms, pressure: 0.3}, {cpuPerReq: 3 * ms, p50: 5 * ms, p99: 11 * ms, pressure: 0.3}},
		viaDirect: {
			{p50: 1 * ms, p99: 2 * ms, pressure: 0.04},
			{p50: 1 * ms, p99: 2 * ms, pressure: 0.04},
			{p50: 4 * ms, p99: 10 * ms, pressure: 0.04},
		},
	}
	closed := map[string][]sample{viaGateway: {{rps: 100, cpuPerReq: 2 * ms}}, viaProxy: {{rps: 300, cpuPerReq: ms}}}
	s := summarize(&job{vendor: "linkflow", path: "list50", calls: make([]loadkit.Call, 1)}, map[string]map[string][]sample{fixedRate: fixed, closedLoop: closed})
	// Ratios per round 3, 2, 3; added p50 4, 3, 2; added p99 7, 6, 20.
	want := "RATIO vendor=linkflow path=list50 cpu_per_req_vs_reverseproxy=3.00 added_p50_ms=3.00 added_p99_ms=7.00 peak_rss_mib=45"
	if got := s.ratio.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// The proxy's own added p50 per round 1, 0, 1; p99 1, 2, 1.
	if s.rate != 500 || s.rps[viaProxy] != 300 || s.closedRatio != 2 || s.cpu[viaGateway] != 3 || s.proxyAdded50 != 1 || s.proxyAdded99 != 1 {
		t.Fatalf("summary %+v", s)
	}
	// CPU pressure: the median over every fixed-rate run (gateway 0.5,
	// 0.02, 0.9; proxy 0.3 thrice; direct 0.04 thrice).
	if s.pressure != 0.3 {
		t.Fatalf("pressure %v, want 0.3", s.pressure)
	}
}

// The fixed-rate runs take turns in slices, the order turned each time.
func TestSlicePlan(t *testing.T) {
	t.Parallel()
	order := []string{viaProxy, viaDirect, viaGateway}
	plan := slicePlan(4*time.Second, 2*time.Second, order)
	want := [][]string{{viaProxy, viaDirect, viaGateway}, {viaDirect, viaGateway, viaProxy}}
	if !reflect.DeepEqual(plan, want) {
		t.Fatalf("plan %v, want %v", plan, want)
	}
	if n := len(slicePlan(5*time.Second, 500*time.Millisecond, order)); n != 10 {
		t.Errorf("5s in 500ms slices: %d", n)
	}
	for _, slice := range []time.Duration{0, 10 * time.Second} {
		if plan := slicePlan(5*time.Second, slice, order); !reflect.DeepEqual(plan, [][]string{order}) {
			t.Errorf("slice %v: %v, want one run each", slice, plan)
		}
	}
}

// A tally's sample counts a baseline's calls hits as one request and
// takes its latencies the calls one after the other.
func TestTallySample(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tl := &tally{failures: map[string]int{"status 500": 2}, cpu: 40 * ms, sim: 20 * ms, elapsed: 2 * time.Second, stall: 500 * ms, peak: 7}
	for i := 1; i <= 100; i++ {
		tl.lat = append(tl.lat, time.Duration(i)*ms)
	}
	s, err := tl.sample(2, 25)
	if err != nil {
		t.Fatal(err)
	}
	if s.requests != 50 || s.errors != 2 || s.cpuPerReq != 800*time.Microsecond || s.simPerReq != 400*time.Microsecond ||
		s.p50 != 100*ms || s.p99 != 198*ms || s.rps != 25 || s.peak != 7 || s.rate != 25 || s.pressure != 0.25 {
		t.Fatalf("sample %+v", s)
	}
	if _, err := (&tally{}).sample(1, 1); err == nil {
		t.Error("no answers: no error")
	}
}

// TestOverloaded: the mixed run counts the gateway's 503 OVERLOADED apart
// from failures, by the problem type its body starts with.
func TestOverloaded(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code uint16
		body string
		want bool
	}{
		{503, `{"type":"urn:cdp-gateway:problem:overloaded","title":"The gat`, true},
		{503, `{"type":"urn:cdp-gateway:problem:vendor-unavailable","title"`, false},
		{200, `{"type":"urn:cdp-gateway:problem:overloaded"`, false},
	} {
		if got := overloaded(&vegeta.Result{Code: c.code, Body: []byte(c.body)}); got != c.want {
			t.Errorf("%d %s: %v, want %v", c.code, c.body, got, c.want)
		}
	}
}
