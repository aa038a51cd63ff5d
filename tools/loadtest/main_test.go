package main

import (
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
	if full.quick || full.rate != 1000 || full.rounds != 5 || full.duration != 5*time.Second || full.wallLatency != 20*time.Millisecond || full.mixedRate != 2000 || full.nginx != "" {
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
	quick, err := loadConfig(env("LOADTEST_QUICK", "1", "LOADTEST_RATE", "50", "LOADTEST_VENDORS", "nxcloud, linkflow", "LOADTEST_NGINX", "none"))
	if err != nil {
		t.Fatal(err)
	}
	if !quick.quick || quick.rate != 50 || quick.rounds != 1 || quick.duration >= time.Second || strings.Join(quick.vendors, ",") != "nxcloud,linkflow" {
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
			{cpuPerReq: 3 * ms, p50: 5 * ms, p99: 9 * ms, peak: 40 << 20, rate: 500},
			{cpuPerReq: 2 * ms, p50: 4 * ms, p99: 8 * ms, peak: 50 << 20, rate: 500},
			{cpuPerReq: 9 * ms, p50: 6 * ms, p99: 30 * ms, peak: 45 << 20, rate: 400},
		},
		viaProxy: {{cpuPerReq: 1 * ms, p50: 2 * ms, p99: 3 * ms}, {cpuPerReq: 1 * ms, p50: 1 * ms, p99: 4 * ms}, {cpuPerReq: 3 * ms, p50: 5 * ms, p99: 11 * ms}},
		viaDirect: {
			{p50: 1 * ms, p99: 2 * ms},
			{p50: 1 * ms, p99: 2 * ms},
			{p50: 4 * ms, p99: 10 * ms},
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
