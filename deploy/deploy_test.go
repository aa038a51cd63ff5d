package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// helmModule is the helm the tests run, built from the Go module proxy
// (never a downloaded binary); the chart README names the same version.
const helmModule = "helm.sh/helm/v3/cmd/helm@v3.22.0"

const (
	chartDir       = "helm/cdp-gateway"
	productionFile = "helm/cdp-gateway/ci/production-values.yaml"
)

// helmBin is the helm built by TestMain.
var helmBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "cdp-gateway-helm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	gobin := filepath.Join(dir, "bin")
	install := exec.Command("go", "install", helmModule)
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := install.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go install %s: %v\n%s", helmModule, err, out)
		return 1
	}
	helmBin = filepath.Join(gobin, "helm")
	// helm keeps nothing of the user's: its homes are in the temp dir.
	for _, v := range []string{"HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"} {
		os.Setenv(v, filepath.Join(dir, v))
	}
	return m.Run()
}

// helm runs helm with args and returns its standard output.
func helm(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helmBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// object is one rendered manifest: its kind and name, and the whole of it.
type object struct {
	Kind string
	Name string
	raw  map[string]any
}

// into decodes the object into v, matching field names as encoding/json
// does (case-insensitively), so that v needs no tags.
func (o object) into(t *testing.T, v any) {
	t.Helper()
	b, err := json.Marshal(o.raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Name, err)
	}
}

// manifests is a rendering of the chart.
type manifests []object

// render runs helm template on the chart with the values files and --set
// arguments given, and fails the test on an error.
func render(t *testing.T, args ...string) manifests {
	t.Helper()
	out, err := helm(append([]string{"template", "gw", chartDir, "--namespace", "cdp"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return parseManifests(t, out)
}

func parseManifests(t *testing.T, s string) manifests {
	t.Helper()
	var ms manifests
	dec := yaml.NewDecoder(strings.NewReader(s))
	for {
		var raw map[string]any
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return ms
		}
		if err != nil {
			t.Fatalf("rendered manifests: %v", err)
		}
		if raw == nil {
			continue
		}
		var head struct {
			Kind     string
			Metadata struct{ Name string }
		}
		o := object{raw: raw}
		o.into(t, &head)
		o.Kind, o.Name = head.Kind, head.Metadata.Name
		ms = append(ms, o)
	}
}

func (ms manifests) ofKind(kind string) []object {
	var out []object
	for _, o := range ms {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the only object of kind, failing the test otherwise.
func (ms manifests) one(t *testing.T, kind string) object {
	t.Helper()
	os := ms.ofKind(kind)
	if len(os) != 1 {
		t.Fatalf("%d objects of kind %s, want 1", len(os), kind)
	}
	return os[0]
}

type probe struct {
	HTTPGet struct {
		Path string
		Port string
	}
}

type container struct {
	Name    string
	Image   string
	Command []string
	Args    []string
	Ports   []struct {
		Name          string
		ContainerPort int
	}
	Env []struct {
		Name      string
		Value     string
		ValueFrom *struct {
			SecretKeyRef *struct{ Name, Key string }
		}
	}
	StartupProbe, LivenessProbe, ReadinessProbe *probe
	SecurityContext                             struct {
		AllowPrivilegeEscalation *bool
		ReadOnlyRootFilesystem   *bool
		RunAsNonRoot             *bool
		Capabilities             struct{ Drop []string }
		SeccompProfile           struct{ Type string }
	}
	VolumeMounts []struct {
		Name, MountPath, SubPath string
	}
}

type deployment struct {
	Spec struct {
		Replicas *int
		Template struct {
			Metadata struct{ Annotations map[string]string }
			Spec     struct {
				AutomountServiceAccountToken  *bool
				TerminationGracePeriodSeconds int
				SecurityContext               struct {
					RunAsNonRoot   *bool
					RunAsUser      int
					SeccompProfile struct{ Type string }
				}
				TopologySpreadConstraints []struct{ TopologyKey string }
				Containers                []container
				Volumes                   []struct {
					Name      string
					ConfigMap *struct{ Name string }
					Secret    *struct{ SecretName string }
				}
			}
		}
	}
}

func (ms manifests) deployment(t *testing.T) (deployment, container) {
	t.Helper()
	var d deployment
	ms.one(t, "Deployment").into(t, &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want the gateway alone", len(d.Spec.Template.Spec.Containers))
	}
	return d, d.Spec.Template.Spec.Containers[0]
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

// checkPod asserts what every rendering's gateway pod has: probes, ports,
// security context, no service account token.
func checkPod(t *testing.T, ms manifests) {
	t.Helper()
	d, c := ms.deployment(t)
	pod := d.Spec.Template.Spec
	for _, p := range []struct {
		name string
		p    *probe
		path string
	}{
		{"startup", c.StartupProbe, "/healthz"},
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
	} {
		if p.p == nil || p.p.HTTPGet.Path != p.path || p.p.HTTPGet.Port != "http" {
			t.Errorf("%s probe %+v, want GET %s on port http", p.name, p.p, p.path)
		}
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if !mapsEqual(ports, map[string]int{"http": 8080, "ops": 9090}) {
		t.Errorf("container ports %v, want http 8080 and ops 9090", ports)
	}
	for _, a := range []string{"--addr=:8080", "--ops-addr=:9090"} {
		if !slices.Contains(c.Args, a) {
			t.Errorf("args %q lack %s", c.Args, a)
		}
	}
	sc := c.SecurityContext
	if !isFalse(sc.AllowPrivilegeEscalation) || !isTrue(sc.ReadOnlyRootFilesystem) || !isTrue(sc.RunAsNonRoot) ||
		!slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) || sc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("container securityContext %+v", sc)
	}
	psc := pod.SecurityContext
	if !isTrue(psc.RunAsNonRoot) || psc.RunAsUser != 65532 || psc.SeccompProfile.Type != "RuntimeDefault" {
		t.Errorf("pod securityContext %+v", psc)
	}
	if !isFalse(pod.AutomountServiceAccountToken) {
		t.Error("the pod mounts a service account token")
	}
	for _, sa := range ms.ofKind("ServiceAccount") {
		var s struct{ AutomountServiceAccountToken *bool }
		sa.into(t, &s)
		if !isFalse(s.AutomountServiceAccountToken) {
			t.Errorf("ServiceAccount %s automounts its token", sa.Name)
		}
	}
	// The drain delay and the 30 s shutdown fit in the grace period.
	if pod.TerminationGracePeriodSeconds <= 5+30 {
		t.Errorf("terminationGracePeriodSeconds %d, want more than drain delay + 30", pod.TerminationGracePeriodSeconds)
	}
	var keys []string
	for _, tsc := range pod.TopologySpreadConstraints {
		keys = append(keys, tsc.TopologyKey)
	}
	if !slices.Equal(keys, []string{"kubernetes.io/hostname", "topology.kubernetes.io/zone"}) {
		t.Errorf("topology spread over %v", keys)
	}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" {
			t.Errorf("volume %s mounted with subPath: Kubernetes would never update it", m.Name)
		}
	}
	checkServices(t, ms)
}

// checkServices: the API Service has the API port only, the ops Service
// the ops port only.
func checkServices(t *testing.T, ms manifests) {
	t.Helper()
	want := map[string]string{"gw-cdp-gateway": "http", "gw-cdp-gateway-ops": "ops"}
	got := map[string]string{}
	for _, o := range ms.ofKind("Service") {
		if strings.HasSuffix(o.Name, "-redis") {
			continue
		}
		var s struct {
			Spec struct {
				Ports []struct {
					Name       string
					TargetPort string
				}
			}
		}
		o.into(t, &s)
		for _, p := range s.Spec.Ports {
			got[o.Name] += p.TargetPort
		}
	}
	if !mapsEqual(got, want) {
		t.Errorf("Services' target ports %v, want %v", got, want)
	}
}

func mapsEqual[K, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestLint(t *testing.T) {
	for _, args := range [][]string{nil, {"-f", productionFile}, {"-f", productionFile, "--set", "redis.existingSecret.name=", "--set", "redis.bundled.enabled=true"}} {
		if out, err := helm(append([]string{"lint", "--strict", chartDir}, args...)...); err != nil {
			t.Errorf("%v\n%s", err, out)
		}
	}
}

func TestDefaultValuesRunTheSandbox(t *testing.T) {
	ms := render(t)
	checkPod(t, ms)
	d, c := ms.deployment(t)
	if !slices.Contains(c.Args, "--sandbox") || slices.ContainsFunc(c.Args, func(a string) bool { return strings.HasPrefix(a, "--config") }) {
		t.Errorf("args %q, want the sandbox without a config", c.Args)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas %v, want 1", d.Spec.Replicas)
	}
	for _, e := range c.Env {
		if e.Name == "REDIS_URL" {
			t.Error("the sandbox has REDIS_URL")
		}
	}
	for _, kind := range []string{"ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget", "StatefulSet", "Ingress", "Secret"} {
		if n := len(ms.ofKind(kind)); n != 0 {
			t.Errorf("%d %s in the sandbox", n, kind)
		}
	}
	if len(d.Spec.Template.Metadata.Annotations) != 0 {
		t.Errorf("sandbox pod annotations %v", d.Spec.Template.Metadata.Annotations)
	}
	notes := renderNotes(t)
	if !strings.Contains(notes, "TRIAL") || !strings.Contains(notes, "curl -s -H 'Authorization: Bearer sk_sandbox_demo'") {
		t.Errorf("NOTES do not say trial and show the first call:\n%s", notes)
	}
}

// renderNotes renders NOTES.txt with args. helm renders it only for an
// install, which needs a cluster; so a copy of the chart gets a manifest
// that holds the notes (NOTES.txt includes the define cdp-gateway.notes).
func renderNotes(t *testing.T, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cdp-gateway")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	const tpl = "apiVersion: v1\nkind: Notes\nnotes: {{ include \"cdp-gateway.notes\" . | toJson }}\n"
	if err := os.WriteFile(filepath.Join(dir, "templates", "notes-check.yaml"), []byte(tpl), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := helm(append([]string{"template", "gw", dir, "--namespace", "cdp", "--show-only", "templates/notes-check.yaml"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	var n struct{ Notes string }
	parseManifests(t, out).one(t, "Notes").into(t, &n)
	return n.Notes
}

func TestProductionValues(t *testing.T) {
	ms := render(t, "-f", productionFile)
	checkPod(t, ms)
	d, c := ms.deployment(t)
	if d.Spec.Replicas != nil {
		t.Errorf("replicas %d set beside the HPA", *d.Spec.Replicas)
	}
	if !slices.Contains(c.Args, "--config=/etc/cdp-gateway/tenants.yaml") || slices.Contains(c.Args, "--sandbox") {
		t.Errorf("args %q", c.Args)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		default:
			env[e.Name] = e.Value
		}
	}
	for name, want := range map[string]string{
		"REDIS_URL":                   "secret:cdp-gateway-redis/url",
		"CDP_CURSOR_SECRET":           "secret:cdp-gateway-core/cursor-secret",
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4317",
		"OTEL_SERVICE_NAME":           "cdp-gateway",
	} {
		if env[name] != want {
			t.Errorf("env %s = %q, want %q", name, env[name], want)
		}
	}

	var hpa struct {
		Spec struct{ MinReplicas, MaxReplicas int }
	}
	ms.one(t, "HorizontalPodAutoscaler").into(t, &hpa)
	if hpa.Spec.MinReplicas != 3 || hpa.Spec.MaxReplicas != 10 {
		t.Errorf("HPA %+v", hpa.Spec)
	}
	ms.one(t, "PodDisruptionBudget")
	checkServiceMonitor(t, ms)
	if n := len(ms.ofKind("NetworkPolicy")); n != 1 {
		t.Errorf("%d NetworkPolicies, want the gateway's", n)
	}
	checkIngress(t, ms)
	if notes := renderNotes(t, "-f", productionFile); !strings.Contains(notes, "https://cdp.example.com/v1/contacts?limit=5") || strings.Contains(notes, "TRIAL") {
		t.Errorf("NOTES do not show the first call through the Ingress:\n%s", notes)
	}

	// The PrometheusRule carries the rule file's groups as they are.
	var rule struct{ Spec ruleFile }
	ms.one(t, "PrometheusRule").into(t, &rule)
	if file := readRuleFile(t); !slices.EqualFunc(rule.Spec.Groups, file.Groups, func(a, b ruleGroup) bool {
		return a.Name == b.Name && len(a.Rules) == len(b.Rules)
	}) {
		t.Errorf("PrometheusRule groups differ from files/alerts.yaml")
	}
	var dash struct{ Data map[string]string }
	for _, cm := range ms.ofKind("ConfigMap") {
		if cm.Name == "gw-cdp-gateway-dashboard" {
			cm.into(t, &dash)
		}
	}
	want, err := os.ReadFile(filepath.Join(chartDir, "files/dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if dash.Data["cdp-gateway.json"] != string(want) {
		t.Error("the dashboard ConfigMap does not carry files/dashboard.json")
	}
}

// checkServiceMonitor: it scrapes /metrics on the ops port of the ops
// Service, and of no other Service.
func checkServiceMonitor(t *testing.T, ms manifests) {
	t.Helper()
	var sm struct {
		Spec struct {
			Selector  struct{ MatchLabels map[string]string }
			Endpoints []struct{ Port, Path string }
		}
	}
	ms.one(t, "ServiceMonitor").into(t, &sm)
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != "ops" || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on port ops", sm.Spec.Endpoints)
	}
	var selected []string
	for _, o := range ms.ofKind("Service") {
		var svc struct {
			Metadata struct{ Labels map[string]string }
		}
		o.into(t, &svc)
		matches := len(sm.Spec.Selector.MatchLabels) > 0
		for k, v := range sm.Spec.Selector.MatchLabels {
			matches = matches && svc.Metadata.Labels[k] == v
		}
		if matches {
			selected = append(selected, o.Name)
		}
	}
	if !slices.Equal(selected, []string{"gw-cdp-gateway-ops"}) {
		t.Errorf("ServiceMonitor selects Services %v, want the ops Service only", selected)
	}
}

// checkIngress: one path, /v1, to the API Service's http port.
func checkIngress(t *testing.T, ms manifests) {
	t.Helper()
	var ing struct {
		Spec struct {
			Rules []struct {
				Host string
				HTTP struct {
					Paths []struct {
						Path, PathType string
						Backend        struct {
							Service struct {
								Name string
								Port struct {
									Name   string
									Number int
								}
							}
						}
					}
				}
			}
		}
	}
	ms.one(t, "Ingress").into(t, &ing)
	if len(ing.Spec.Rules) == 0 {
		t.Fatal("Ingress without rules")
	}
	for _, r := range ing.Spec.Rules {
		if len(r.HTTP.Paths) != 1 {
			t.Errorf("host %s: %d paths, want /v1 only", r.Host, len(r.HTTP.Paths))
		}
		for _, p := range r.HTTP.Paths {
			b := p.Backend.Service
			if p.Path != "/v1" || p.PathType != "Prefix" || b.Name != "gw-cdp-gateway" || b.Port.Name != "http" || b.Port.Number != 0 {
				t.Errorf("host %s: path %s (%s) to %s port %q/%d, want /v1 (Prefix) to gw-cdp-gateway port http", r.Host, p.Path, p.PathType, b.Name, b.Port.Name, b.Port.Number)
			}
		}
	}
}

func TestChecksumsOnlyWithoutHotReload(t *testing.T) {
	for _, hot := range []bool{true, false} {
		t.Run(fmt.Sprintf("hotReload=%v", hot), func(t *testing.T) {
			ms := render(t, "-f", productionFile, "--set", fmt.Sprintf("config.hotReload=%v", hot))
			d, c := ms.deployment(t)
			ann := d.Spec.Template.Metadata.Annotations
			_, hasConfig := ann["checksum/config"]
			_, hasSecrets := ann["checksum/secrets"]
			if hasConfig == hot || hasSecrets == hot {
				t.Errorf("annotations %v", ann)
			}
			if slices.Contains(c.Args, "--config-watch=false") == hot {
				t.Errorf("args %q", c.Args)
			}
			// Environment variables are read once: always rolled.
			if _, ok := ann["checksum/env-secrets"]; !ok {
				t.Errorf("annotations %v lack checksum/env-secrets", ann)
			}
		})
	}
	// The config's checksum follows the config.
	sum := func(args ...string) string {
		d, _ := render(t, append([]string{"-f", productionFile, "--set", "config.hotReload=false"}, args...)...).deployment(t)
		return d.Spec.Template.Metadata.Annotations["checksum/config"]
	}
	if a, b := sum(), sum("--set", "config.tenants.max_body_bytes=1024"); a == b {
		t.Errorf("checksum/config %s did not change with the config", a)
	}
}

func TestBundledRedis(t *testing.T) {
	ms := render(t, "-f", productionFile, "--set", "redis.existingSecret.name=", "--set", "redis.bundled.enabled=true")
	checkPod(t, ms)
	var sts struct {
		Spec struct {
			Template struct {
				Spec struct {
					AutomountServiceAccountToken *bool
					SecurityContext              struct{ RunAsNonRoot *bool }
					Containers                   []container
				}
			}
			VolumeClaimTemplates []any
		}
	}
	ms.one(t, "StatefulSet").into(t, &sts)
	pod := sts.Spec.Template.Spec
	if len(pod.Containers) != 1 || !strings.Contains(strings.Join(pod.Containers[0].Command, " "), "--appendonly yes") {
		t.Errorf("Redis runs without AOF: %+v", pod.Containers)
	}
	if !isTrue(pod.SecurityContext.RunAsNonRoot) || !isFalse(pod.AutomountServiceAccountToken) || len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Errorf("Redis pod %+v", pod)
	}
	_, c := ms.deployment(t)
	found := false
	for _, e := range c.Env {
		found = found || e.Name == "REDIS_URL" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == "gw-cdp-gateway-redis"
	}
	if !found {
		t.Error("the gateway's REDIS_URL is not the bundled Redis's Secret")
	}
	if n := len(ms.ofKind("NetworkPolicy")); n != 2 {
		t.Errorf("%d NetworkPolicies, want the gateway's and Redis's", n)
	}
	checkNoSecretInConfigMaps(t, ms)
}

// fakeSecrets reads testdata/secrets.yaml: Secret name -> key -> value.
func fakeSecrets(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile("testdata/secrets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, o := range parseManifests(t, string(b)) {
		var s struct{ StringData map[string]string }
		o.into(t, &s)
		out[o.Name] = s.StringData
	}
	return out
}

// checkNoSecretInConfigMaps: no value of the fake Secrets, nor of any
// Secret the chart rendered, is in a ConfigMap; and the tenants file has
// no scalar where a secret goes.
func checkNoSecretInConfigMaps(t *testing.T, ms manifests) {
	t.Helper()
	var values []string
	for _, s := range fakeSecrets(t) {
		for _, v := range s {
			values = append(values, v)
		}
	}
	for _, o := range ms.ofKind("Secret") {
		var s struct{ Data map[string][]byte }
		o.into(t, &s) // encoding/json decodes base64 into []byte
		for _, v := range s.Data {
			values = append(values, string(v))
		}
	}
	cms := ms.ofKind("ConfigMap")
	if len(cms) == 0 {
		t.Fatal("no ConfigMap rendered")
	}
	for _, cm := range cms {
		var c struct{ Data map[string]string }
		cm.into(t, &c)
		for key, data := range c.Data {
			for _, v := range values {
				if len(v) >= 8 && strings.Contains(data, v) {
					t.Errorf("ConfigMap %s key %s holds a secret value", cm.Name, key)
				}
			}
			if strings.Contains(data, "FAKE-SECRET") {
				t.Errorf("ConfigMap %s key %s holds a secret value", cm.Name, key)
			}
			if key == "tenants.yaml" {
				var doc any
				if err := yaml.Unmarshal([]byte(data), &doc); err != nil {
					t.Fatalf("ConfigMap %s: %v", cm.Name, err)
				}
				literalSecrets(t, "", doc)
			}
		}
	}
}

var secretKey = regexp.MustCompile(`(?i)secret|password|token$|_key$|^key$`)

// literalSecrets fails the test for a scalar under a key that names a
// secret (app_secret: "…" rather than app_secret: {file: …}).
func literalSecrets(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := path + "." + k
			if _, scalar := x.(string); scalar && secretKey.MatchString(k) && k != "sha256" {
				t.Errorf("tenants file %s is a literal, not a reference", p)
			}
			if k == "credentials" {
				if m, ok := x.(map[string]any); ok {
					for name, ref := range m {
						if _, isRef := ref.(map[string]any); !isRef && !secretKey.MatchString(name) {
							t.Errorf("tenants file %s.%s is a literal, not a reference", p, name)
						}
					}
				}
			}
			literalSecrets(t, p, x)
		}
	case []any:
		for i, x := range v {
			literalSecrets(t, fmt.Sprintf("%s[%d]", path, i), x)
		}
	}
}

func TestNoSecretInConfigMaps(t *testing.T) {
	checkNoSecretInConfigMaps(t, render(t, "-f", productionFile))
}

// editedProduction writes the production values, changed by edit, to a
// temp file for a -f argument (--set cannot empty a list or drop a key of
// a values file).
func editedProduction(t *testing.T, edit func(v map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(productionFile)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	edit(v)
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// sub is v's map at key.
func sub(v map[string]any, key string) map[string]any { return v[key].(map[string]any) }

func TestSchemaRefusesBadValues(t *testing.T) {
	prod := func(args ...string) []string { return append([]string{"-f", productionFile}, args...) }
	noTokenKeys := editedProduction(t, func(v map[string]any) { delete(sub(sub(v, "config"), "tenants"), "token_keys") })
	// An NXCloud account id past 2^53: helm would round it (…993 to …992).
	nxTenantID := func(id any) string {
		return editedProduction(t, func(v map[string]any) {
			for _, tn := range sub(sub(v, "config"), "tenants")["tenants"].([]any) {
				if nx, ok := sub(tn.(map[string]any), "connections")["nxcloud"]; ok {
					nx.(map[string]any)["tenant_id"] = id
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
		why  string // in helm's report of the schema's refusal
	}{
		{"negative replicas", []string{"--set", "replicaCount=-1"}, "at '/replicaCount': minimum"},
		{"replicas not a number", []string{"--set-string", "replicaCount=three"}, "at '/replicaCount': got string, want integer"},
		{"unknown key", []string{"--set", "replicas=3"}, "additional properties 'replicas' not allowed"},
		{"unknown nested key", []string{"--set", "ingress.path=/"}, "additional properties 'path' not allowed"},
		{"hotReload not a boolean", []string{"--set-string", "config.hotReload=yes"}, "at '/config/hotReload': got string, want boolean"},
		{"bad log level", []string{"--set", "logLevel=verbose"}, "at '/logLevel'"},
		{"privilege escalation", []string{"--set", "securityContext.allowPrivilegeEscalation=true"}, "at '/securityContext/allowPrivilegeEscalation'"},
		{"production without a config", []string{"--set", "sandbox=false"}, "at '/config/tenants': missing properties"},
		{"sandbox with Redis", []string{"--set", "redis.bundled.enabled=true"}, "at '/redis/bundled/enabled'"},
		{"sandbox with several replicas", []string{"--set", "replicaCount=2"}, "at '/replicaCount': maximum"},
		{"sandbox with a config", prod("--set", "sandbox=true"), "at '/config/tenants': maxProperties"},
		{"both inline config and existing ConfigMap", prod("--set", "config.existingConfigMap=tenants"), "at '/config/existingConfigMap': maxLength"},
		{"literal cursor secret", prod("--set", "config.tenants.cursor_secret=FAKE-SECRET-literal-0123456789abcdef"), "at '/config/tenants/cursor_secret': got string, want object"},
		{"literal vendor credential", prod("--set", "config.tenants.tenants[0].connections.linkflow.credentials.app_secret=FAKE-SECRET-x"), "credentials/app_secret': got string, want object"},
		{"several replicas without Redis", prod("--set", "redis.existingSecret.name=", "--set", "autoscaling.enabled=false"), "at '/redis/existingSecret/name': minLength"},
		{"Redis without token_keys", []string{"-f", noTokenKeys}, "missing property 'token_keys'"},
		{"ingress without hosts", []string{"-f", editedProduction(t, func(v map[string]any) { sub(v, "ingress")["hosts"] = []any{} })}, "at '/ingress/hosts': minItems"},
		{"OTEL passthrough of another variable", prod("--set", "otel.REDIS_URL=redis://x"), "invalid propertyName 'REDIS_URL'"},
		{"a number helm would round", []string{"-f", nxTenantID(9007199254740993)}, "connections/nxcloud/tenant_id': maximum"},
		{"ops port open to everyone", []string{"-f", editedProduction(t, func(v map[string]any) { sub(v, "networkPolicy")["opsFrom"] = []any{} })}, "at '/networkPolicy/opsFrom': minItems"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := helm(append([]string{"template", "gw", chartDir}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), "values don't meet the specifications of the schema") {
				t.Fatalf("not refused by the schema: %v", err)
			}
			if !strings.Contains(err.Error(), tc.why) {
				t.Errorf("refused, but not for %q: %v", tc.why, err)
			}
		})
	}
	// The same values made right are taken.
	for _, args := range [][]string{
		{"--set", "sandbox=false", "--set", "config.existingConfigMap=tenants"},
		prod("--set", "redis.existingSecret.name=", "--set", "autoscaling.enabled=false", "--set", "replicaCount=1"),
		{"-f", noTokenKeys, "--set", "redis.existingSecret.name=", "--set", "autoscaling.enabled=false", "--set", "replicaCount=1"},
		{"-f", nxTenantID("9007199254740993")},
	} {
		if _, err := helm(append([]string{"template", "gw", chartDir}, args...)...); err != nil {
			t.Errorf("refused: %v", err)
		}
	}
}

// leafMaps are values described as a whole in the chart README: a
// Kubernetes object (resources, a security context) or a set of labels.
var leafMaps = map[string]bool{"resources": true, "podSecurityContext": true, "securityContext": true, "labels": true}

// TestChartREADMEListsEveryValue: each value of values.yaml, as a dotted
// path to a leaf (or an empty map or list), is in the chart README.
func TestChartREADMEListsEveryValue(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		last := prefix[strings.LastIndex(prefix, ".")+1:]
		if !ok || len(m) == 0 || leafMaps[last] || strings.HasPrefix(prefix, "probes.") {
			paths = append(paths, prefix)
			return
		}
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, x)
		}
	}
	walk("", values)
	for _, p := range paths {
		if !bytes.Contains(readme, []byte("`"+p+"`")) {
			t.Errorf("chart README does not describe `%s`", p)
		}
	}
}
