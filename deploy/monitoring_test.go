package deploy

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The rule file's shape (Prometheus's rule_files format); decoding with
// KnownFields refuses anything else.
type ruleFile struct {
	Groups []ruleGroup `yaml:"groups"`
}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readRuleFile(t *testing.T) ruleFile {
	t.Helper()
	f, err := os.Open(filepath.Join(chartDir, "files/alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("files/alerts.yaml: %v", err)
	}
	return rf
}

// instrumentName matches a metric instrument's creation: the name is the
// first argument of a meter's (or instruments.go's helpers') constructor.
var instrumentName = regexp.MustCompile(`(?:counter|seconds|Counter|Gauge|Histogram)\(\s*"(cdpgw(?:\.[a-z0-9_]+)+)"`)

// knownMetrics are the Prometheus names of the gateway's instruments, read
// from its non-test sources under internal/ (instruments.go, and the
// observable gauges where their state lives): OpenTelemetry's dots become
// underscores, counters get _total, second histograms _seconds_bucket,
// _sum and _count.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	err := filepath.WalkDir("../internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range instrumentName.FindAllSubmatch(src, -1) {
			base := strings.ReplaceAll(string(m[1]), ".", "_")
			for _, suffix := range []string{"", "_total", "_seconds_bucket", "_seconds_sum", "_seconds_count"} {
				known[base+suffix] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"cdpgw_vendor_calls_total", "cdpgw_http_request_duration_seconds_bucket", "cdpgw_redis_up"} {
		if !known[m] {
			t.Fatalf("instrument %s not found under internal/: %v", m, known)
		}
	}
	return known
}

var metricName = regexp.MustCompile(`\bcdpgw_[a-z0-9_]+`)

// checkExpr: the expression names a metric, and only known ones.
func checkExpr(t *testing.T, where, expr string, known map[string]bool) []string {
	t.Helper()
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		t.Errorf("%s: %q names no cdpgw_ metric", where, expr)
	}
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s: %s is not a metric the gateway exports", where, n)
		}
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "{") != strings.Count(expr, "}") {
		t.Errorf("%s: unbalanced brackets in %q", where, expr)
	}
	return names
}

func TestAlertRules(t *testing.T) {
	rf := readRuleFile(t)
	known := knownMetrics(t)
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	used := map[string]bool{}
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %+v", g)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || alerts[r.Alert] {
				t.Errorf("rule %+v: alert name empty or repeated", r)
			}
			alerts[r.Alert] = true
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if !slices.Contains([]string{"warning", "critical"}, r.Labels["severity"]) {
				t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: summary or description missing", r.Alert)
			}
			for _, n := range checkExpr(t, r.Alert, r.Expr, known) {
				used[n] = true
			}
		}
	}
	// What issue 12 asks to be alerted on.
	for _, m := range []string{
		"cdpgw_breaker_state",
		"cdpgw_vendor_reauthorizations_required_total",
		"cdpgw_quota_rejections_total",
		"cdpgw_vendor_call_errors_total",
		"cdpgw_redis_up",
		"cdpgw_config_last_reload_successful",
	} {
		if !used[m] {
			t.Errorf("no alert on %s", m)
		}
	}
}

func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "files/dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("files/dashboard.json: %v", err)
	}
	if d.UID == "" || d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard uid %q title %q, %d panels", d.UID, d.Title, len(d.Panels))
	}
	known := knownMetrics(t)
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			checkExpr(t, "panel "+p.Title, q.Expr, known)
		}
	}
}
