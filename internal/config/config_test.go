package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// The vendors these tests configure, by their drivers' names.
const (
	linkflow domain.Vendor = "linkflow"
	meihua   domain.Vendor = "meihua"
)

// builtin is the gateway's own driver list: the file is checked against it.
var builtin = func() *vendorhttp.Drivers {
	d, err := app.Drivers()
	if err != nil {
		panic(err)
	}
	return d
}()

// minimalFile is the smallest valid file, with the variables K and LONG
// (at least 32 bytes), and extra settings after it.
func minimalFile(extra string) []byte {
	return []byte(`
cursor_secret: {env: LONG}
api_keys: [{name: k, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants: [{id: t, vendor: linkflow, connections: {linkflow: {credentials: {app_key: {env: K}, app_secret: {env: K}}}}}]
` + extra)
}

// wantProblems checks that err reports each of want.
func wantProblems(t *testing.T, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing problem %q in:\n%v", w, err)
		}
	}
}

// parse checks data against the built-in drivers.
func parse(data []byte, e config.Env) (*config.Config, error) { return config.Parse(data, e, builtin) }

func env(vars map[string]string) config.Env {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

var goodEnv = env(map[string]string{
	"CDP_CURSOR_SECRET":         strings.Repeat("s", 32),
	"CDP_TOKEN_KEY_K2":          "env-token-key-k2-0123456789abcdef",
	"ACME_LINKFLOW_APP_KEY":     "env-app-key",
	"ACME_MEIHUA_APP_KEY":       "mh-key",
	"ACME_MEIHUA_APP_SECRET":    "mh-secret",
	"ACME_MEIHUA_REFRESH_TOKEN": "mh-refresh",
})

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("testdata/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parse(data, goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "0.0.0.0:8080" || cfg.MaxBodyBytes != 4<<20 || len(cfg.APIKeys) != 2 || len(cfg.Tenants) != 1 {
		t.Fatalf("cfg = %+v", cfg)
	}
	c := cfg.Tenants[0].Connections[0]
	if c.Vendor != linkflow || c.Timeout != 10*time.Second || c.URLs["cdp_base_url"] != "https://cdp-api.linkflowtech.com" || c.URLs["base_url"] != "https://open.linkflowtech.com" {
		t.Fatalf("connection = %+v", c)
	}
	if c.Credentials["app_key"].Value() != "env-app-key" || c.Credentials["app_secret"].Value() != "file-secret-value" {
		t.Fatal("secrets not resolved (the file's trailing newline must be dropped)")
	}
	if tk := cfg.TokenKeys; len(tk) != 2 || tk[0].ID != "k2" || tk[0].Secret.Value() != "env-token-key-k2-0123456789abcdef" ||
		tk[1].ID != "k1" || tk[1].Secret.Value() != "file-token-key-k1-0123456789abcdef-xyz" {
		t.Fatalf("token keys = %+v", tk)
	}
	if cfg.Tenants[0].Vendor != linkflow || cfg.APIKeys[1].Tenants[0] != "*" {
		t.Fatalf("cfg = %+v", cfg)
	}
	if c.Quota == nil || *c.Quota != (vendorhttp.Quota{Calls: 5000, Per: time.Hour}) {
		t.Fatalf("connection quota = %v", c.Quota)
	}
	if cfg.CORS == nil || !slices.Equal(cfg.CORS.AllowedOrigins, []string{"https://admin.example.com"}) || cfg.CORS.MaxAge != 10*time.Minute {
		t.Fatalf("cors = %+v", cfg.CORS)
	}
	mc := cfg.Tenants[0].Connections[1]
	if mc.Vendor != meihua || mc.URLs["redirect_uri"] != "https://ops.example.com/meihua/callback" || mc.URLs["auth_url"] != "http://auth2.m1world.com" ||
		mc.Credentials["refresh_token"].Value() != "mh-refresh" || mc.Credentials["app_secret"].Value() != "mh-secret" ||
		mc.Quota == nil || mc.Quota.Calls != 4000 || mc.Concurrency != 4 {
		t.Fatalf("meihua connection = %+v", mc)
	}
	if nc := cfg.Tenants[0].Connections[3]; nc.Vendor != "nxcloud" || nc.Options["tenant_id"] != "123" || nc.Options["algorithm"] != "sha256" ||
		nc.URLs["base_url"] != "https://api-hk.nxlink.ai" || nc.Credentials["access_secret"].Value() != "mh-secret" {
		t.Fatalf("nxcloud connection = %+v", nc)
	}
	if kc := cfg.Tenants[0].Connections[2]; kc.Vendor != "miaokol" || kc.URLs["base_url"] != "https://oapi-yzj.miaokol.com" {
		t.Fatalf("miaokol connection = %+v", kc)
	}
	lf := cfg.Vendors[linkflow]
	want := vendorhttp.Settings{
		Timeout: 15 * time.Second,
		Retry:   vendorhttp.RetryPolicy{MaxAttempts: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second},
		Breaker: vendorhttp.BreakerSettings{Failures: 5, OpenFor: 30 * time.Second, HalfOpenProbes: 1},
		Quota:   vendorhttp.Quota{Calls: 0, Per: time.Hour},
		// A request's fan-out: a batch's items, a page's per-contact reads.
		Concurrency: 24,
	}
	if lf != want {
		t.Fatalf("linkflow settings = %+v, want %+v", lf, want)
	}
	if mh := cfg.Vendors[meihua]; mh.Quota != (vendorhttp.Quota{Calls: 2000, Per: time.Hour}) || mh.Breaker.Failures != 5 {
		t.Fatalf("meihua settings = %+v", mh)
	}
}

// TestVendorDefaults: a file without a vendors section gets every vendor's
// defaults, Meihua's plan quota included.
func TestVendorDefaults(t *testing.T) {
	cfg, err := parse([]byte(`
cursor_secret: {env: CDP_CURSOR_SECRET}
api_keys: [{name: a, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants: [{id: acme, vendor: linkflow, connections: {linkflow: {credentials: {app_key: {env: ACME_LINKFLOW_APP_KEY}, app_secret: {env: ACME_LINKFLOW_APP_KEY}}}}}]
`), goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range builtin.All() {
		if cfg.Vendors[d.Vendor] != d.Defaults {
			t.Errorf("%s: %+v, want its driver's defaults %+v", d.Vendor, cfg.Vendors[d.Vendor], d.Defaults)
		}
	}
	if cfg.Vendors[meihua].Quota.Calls != 2000 || cfg.Vendors[linkflow].Quota.Calls != 0 || cfg.Vendors[linkflow] != vendorhttp.DefaultSettings() {
		t.Fatal("quota defaults")
	}
}

// TestSecretsDoNotPrint: a config printed or marshalled by mistake shows
// no secret.
func TestSecretsDoNotPrint(t *testing.T) {
	data, _ := os.ReadFile("testdata/tenants.yaml")
	cfg, err := parse(data, goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(cfg)
	for _, out := range []string{fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%#v", *cfg), string(js)} {
		for _, s := range []string{"env-app-key", "file-secret-value", strings.Repeat("s", 32), "env-token-key-k2", "file-token-key-k1"} {
			if strings.Contains(out, s) {
				t.Fatalf("secret printed: %s", out)
			}
		}
	}
}

// TestEveryProblemReported: a file with many mistakes reports each, with
// its path, in one error.
func TestEveryProblemReported(t *testing.T) {
	bad := `
cursor_secret: inline-secret
max_body_bytes: -1
max_import_bytes: -5
api_keys:
  - name: a
    sha256: nothex
    scopes: [read, fly]
    tenants: [acme, ghost]
  - name: a
    sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
    scopes: []
    tenants: []
tenants:
  - id: Acme_Corp
    vendor: linkflow
    connections:
      linkflow:
        base_url: ftp://x
        timeout: forever
        credentials:
          app_key: plain-text-key
          extra: {env: X}
  - id: acme
    vendor: miaokol
    connections:
      miaokol:
        credentials: {}
        concurrency: 0
      oracle: {}
  - id: acme
    vendor: nosuch
    connections: {}
vendors:
  linkflow:
    timeout: 0s
    retry: {max_attempts: 0, base_delay: 2s, max_delay: 1s}
    breaker: {failures: 0, open_for: 100ms, half_open_probes: 1000}
    quota: {calls: -1, per: 2d}
    concurrency: 65
  oracle: {}
`
	_, err := parse([]byte(bad), env(nil))
	var ce *config.Error
	if err == nil || !asConfigErr(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"cursor_secret: must be a reference",
		"max_body_bytes: must not be negative",
		"max_import_bytes: must not be negative",
		"api_keys[0].sha256: must be the 64 hex characters",
		"api_keys[0].scopes[1]: unknown scope \"fly\"",
		"api_keys[0].tenants[1]: unknown tenant \"ghost\"",
		"api_keys[1].name: key name a is used twice",
		"api_keys[1].scopes: must list at least one",
		"api_keys[1].tenants: must list the tenants",
		"tenants[0].id: must be 1-63 lower-case",
		"tenants[0].connections.linkflow.base_url: must be an http(s) URL",
		"tenants[0].connections.linkflow.timeout: must be a duration",
		"tenants[0].connections.linkflow.credentials.app_key: must be a reference",
		"tenants[0].connections.linkflow.credentials.app_secret: is required",
		"tenants[0].connections.linkflow.credentials.extra: is not a linkflow credential",
		"tenants[1].connections.miaokol.credentials.app_id: is required",
		"tenants[1].connections.miaokol.concurrency: must be between 1 and 64",
		"tenants[1].connections.oracle: unknown vendor",
		"tenants[2].id: tenant acme is listed twice",
		"tenants[2].connections: must configure at least one",
		"tenants[2].vendor: unknown vendor \"nosuch\"",
		"vendors.linkflow.timeout: must be a duration between 1ms and 5m0s",
		"vendors.linkflow.retry.max_attempts: must be between 1 and 10",
		"vendors.linkflow.retry.max_delay: must not be shorter than base_delay",
		"vendors.linkflow.breaker.failures: must be between 1 and 1000",
		"vendors.linkflow.breaker.open_for: must be a duration between 1s and 1h0m0s",
		"vendors.linkflow.breaker.half_open_probes: must be between 1 and 100",
		"vendors.linkflow.quota.calls: must not be negative",
		"vendors.linkflow.quota.per: must be a duration",
		"vendors.linkflow.concurrency: must be between 1 and 64",
		"vendors.oracle: unknown vendor",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing problem %q in:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "plain-text-key") || strings.Contains(msg, "inline-secret") {
		t.Fatalf("an inline secret was echoed: %s", msg)
	}
}

func asConfigErr(err error, target **config.Error) bool {
	ce, ok := err.(*config.Error)
	*target = ce
	return ok
}

func TestSecretReferences(t *testing.T) {
	base := func(ref string) string {
		return `
cursor_secret: ` + ref + `
api_keys: [{name: k, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants:
  - id: t
    vendor: linkflow
    connections:
      linkflow:
        credentials: {app_key: {env: K}, app_secret: {env: S}}
`
	}
	vars := env(map[string]string{"K": "k", "S": "s", "SHORT": "short", "LONG": strings.Repeat("x", 40), "EMPTY": ""})
	cases := []struct {
		ref, want string
	}{
		{"{env: LONG}", ""},
		{"{env: MISSING}", "environment variable MISSING is not set"},
		{"{env: EMPTY}", "environment variable EMPTY is not set"},
		{"{env: SHORT}", "must be at least 32 bytes"},
		{"{file: testdata/nope}", "cannot read secret file testdata/nope"},
		{"{env: LONG, file: x}", "exactly one of env or file"},
		{"{}", "exactly one of env or file"},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			_, err := parse([]byte(base(c.ref)), vars)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	t.Run("unknown key", func(t *testing.T) {
		_, err := parse([]byte(base("{env: LONG}")+"surprise: 1\n"), vars)
		if err == nil || !strings.Contains(err.Error(), "surprise") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no cursor secret", func(t *testing.T) {
		_, err := parse([]byte(strings.Replace(base("{env: LONG}"), "cursor_secret: {env: LONG}\n", "", 1)), vars)
		if err == nil || !strings.Contains(err.Error(), "cursor_secret: is required") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestLoad(t *testing.T) {
	t.Setenv("CDP_CURSOR_SECRET", strings.Repeat("z", 32))
	t.Setenv("CDP_TOKEN_KEY_K2", strings.Repeat("k", 32))
	for _, v := range []string{"ACME_LINKFLOW_APP_KEY", "ACME_MEIHUA_APP_KEY", "ACME_MEIHUA_APP_SECRET", "ACME_MEIHUA_REFRESH_TOKEN"} {
		t.Setenv(v, "k")
	}
	cfg, err := config.Load("testdata/tenants.yaml", builtin, config.WithRedis())
	if err != nil {
		t.Fatal(err)
	}
	// Hot reload watches the file and the secret files it names.
	want := []string{"testdata/tenants.yaml", "testdata/token_key_k1", "testdata/acme_linkflow_app_secret"}
	if !slices.Equal(cfg.Files, want) {
		t.Fatalf("Files = %q, want %q", cfg.Files, want)
	}
	if cfg.Digest != config.DigestFiles(want) {
		t.Fatal("Digest is not the files' digest")
	}
	_, err = config.Load("testdata/missing.yaml", builtin)
	var ce *config.Error
	if !errors.As(err, &ce) || !slices.Equal(ce.Files, []string{"testdata/missing.yaml"}) {
		t.Fatalf("missing file: %v", err)
	}
	// A secret file that cannot be read is named, so that a watcher
	// waits for it.
	bad := filepath.Join(t.TempDir(), "tenants.yaml")
	data, _ := os.ReadFile("testdata/tenants.yaml")
	if err := os.WriteFile(bad, bytes.ReplaceAll(data, []byte("testdata/acme_linkflow_app_secret"), []byte("/nonexistent/secret")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(bad, builtin, config.WithRedis())
	if !errors.As(err, &ce) || !slices.Contains(ce.Files, "/nonexistent/secret") || !strings.Contains(err.Error(), "cannot read secret file /nonexistent/secret") {
		t.Fatalf("unreadable secret file: %v", err)
	}
}

// TestTokenKeys: token_keys is required with Redis and optional without;
// every entry is checked, each problem named by its path, and no secret is
// echoed.
func TestTokenKeys(t *testing.T) {
	t.Parallel()
	vars := env(map[string]string{"K": "k", "LONG": strings.Repeat("x", 40),
		"KEY1": "key-one-0123456789abcdef0123456789", "KEY2": "key-two-0123456789abcdef0123456789",
		"SHORT": "short-key-0123456789abcdef-31by"})
	cases := []struct {
		name  string
		keys  string
		redis bool
		want  []string // problems; none: accepted
	}{
		{"missing with Redis", "", true, []string{"token_keys: is required when the gateway keeps its state in Redis (REDIS_URL is set)"}},
		{"empty with Redis", "token_keys: []\n", true, []string{"token_keys: is required when"}},
		{"missing without Redis", "", false, nil},
		{"one key", "token_keys: [{id: k1, secret: {env: KEY1}}]\n", true, nil},
		{"a rotation", "token_keys: [{id: k2, secret: {env: KEY2}}, {id: k1, secret: {env: KEY1}}]\n", true, nil},
		{"checked without Redis too", "token_keys: [{id: K1, secret: {env: KEY1}}]\n", false, []string{"token_keys[0].id: must be 1-32 lower-case letters"}},
		{"short secret", "token_keys: [{id: k1, secret: {env: SHORT}}]\n", true, []string{"token_keys[0].secret: must be at least 32 bytes"}},
		{"duplicate id", "token_keys: [{id: k1, secret: {env: KEY1}}, {id: k1, secret: {env: KEY2}}]\n", true,
			[]string{"token_keys[1].id: key id k1 is listed twice"}},
		{"bad ids", "token_keys: [{id: Key1, secret: {env: KEY1}}, {id: k.2, secret: {env: KEY2}}, {secret: {env: LONG}}, {id: " +
			strings.Repeat("k", 33) + ", secret: {file: testdata/token_key_k1}}]\n", true, []string{
			"token_keys[0].id: must be 1-32", "token_keys[1].id: must be 1-32", "token_keys[2].id: must be 1-32", "token_keys[3].id: must be 1-32"}},
		{"plain string secret", "token_keys: [{id: k1, secret: inline-token-key-0123456789abcdef0123}]\n", true,
			[]string{"token_keys[0].secret: must be a reference, {env: NAME} or {file: PATH}"}},
		{"no secret", "token_keys: [{id: k1}]\n", true, []string{"token_keys[0].secret: is required"}},
		{"unset variable", "token_keys: [{id: k1, secret: {env: NOPE}}]\n", true, []string{"token_keys[0].secret: environment variable NOPE is not set"}},
		{"one secret twice", "token_keys: [{id: k2, secret: {env: KEY1}}, {id: k1, secret: {env: KEY1}}]\n", true,
			[]string{"token_keys[1].secret: is the secret of token_keys[0] too"}},
		{"unknown field", "token_keys: [{id: k1, secret: {env: KEY1}, current: true}]\n", true, []string{"current"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var opts []config.Option
			if c.redis {
				opts = append(opts, config.WithRedis())
			}
			cfg, err := config.Parse(minimalFile(c.keys), vars, builtin, opts...)
			if len(c.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.keys == "" && cfg.TokenKeys != nil {
					t.Fatalf("token keys %+v from nowhere", cfg.TokenKeys)
				}
				return
			}
			wantProblems(t, err, c.want)
			for _, secret := range []string{"inline-token-key", "key-one-", "key-two-", "short-key-"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("a secret was echoed: %v", err)
				}
			}
		})
	}
	t.Run("reported with the other problems", func(t *testing.T) {
		t.Parallel()
		_, err := config.Parse([]byte("tenants: []\n"), vars, builtin, config.WithRedis())
		if err == nil || !strings.Contains(err.Error(), "token_keys: is required") || !strings.Contains(err.Error(), "cursor_secret: is required") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestConnectionOptions: a driver's plain options are read from the
// connection, checked, defaulted and required as the driver says.
func TestConnectionOptions(t *testing.T) {
	t.Parallel()
	oneOf := func(vs ...string) func(string) error {
		return func(v string) error {
			if !slices.Contains(vs, v) {
				return fmt.Errorf("must be one of %s", strings.Join(vs, ", "))
			}
			return nil
		}
	}
	toy := vendorhttp.Driver{Vendor: "toy", IDPrefix: "ty", Credentials: []string{"secret"},
		Options: []vendorhttp.OptionSetting{
			{Name: "account", Example: "7", Check: func(v string) error {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return errors.New("must be an integer")
				}
				return nil
			}},
			{Name: "algorithm", Default: "md5", Check: oneOf("md5", "sha256")},
		},
		Connect: func(vendorhttp.Connection) (domain.Connection, error) { return domain.NewBareConnection("toy"), nil },
	}
	drivers, err := vendorhttp.NewDrivers(toy)
	if err != nil {
		t.Fatal(err)
	}
	file := func(conn string) []byte {
		return []byte(`cursor_secret: {env: S}
api_keys: [{name: a, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants: [{id: acme, vendor: toy, connections: {toy: {credentials: {secret: {env: S}}` + conn + `}}}]
`)
	}
	vars := env(map[string]string{"S": strings.Repeat("s", 32)})
	cfg, err := config.Parse(file(", account: 42"), vars, drivers)
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.Tenants[0].Connections[0].Options; o["account"] != "42" || o["algorithm"] != "md5" {
		t.Fatalf("options %v", o)
	}
	for conn, want := range map[string]string{
		"":                                   "tenants[0].connections.toy.account: is required",
		", account: x":                       "tenants[0].connections.toy.account: must be an integer",
		", account: 1, algorithm: sha1":      "tenants[0].connections.toy.algorithm: must be one of md5, sha256",
		", account: 1, algorithm: sha256, x": "tenants[0].connections.toy.x: is not a toy setting (account, algorithm",
	} {
		if _, err := config.Parse(file(conn), vars, drivers); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", conn, err, want)
		}
	}
}

// TestVendorWithoutAdapter: a vendor whose driver has no adapter in the
// build cannot be configured, and the problem says so.
func TestVendorWithoutAdapter(t *testing.T) {
	t.Parallel()
	drivers, err := vendorhttp.NewDrivers(vendorhttp.Driver{Vendor: "toy", IDPrefix: "ty"},
		vendorhttp.Driver{Vendor: "real", IDPrefix: "rl", Connect: func(vendorhttp.Connection) (domain.Connection, error) { return domain.NewBareConnection("real"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = config.Parse([]byte(`cursor_secret: {env: S}
api_keys: [{name: a, sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b, scopes: [read], tenants: ["*"]}]
tenants: [{id: acme, vendor: toy, connections: {toy: {}}}]
`), env(map[string]string{"S": strings.Repeat("s", 32)}), drivers)
	if err == nil || !strings.Contains(err.Error(), "tenants[0].connections.toy: this build has no toy adapter yet (supported: real)") {
		t.Fatalf("err = %v", err)
	}
}

// TestCORS: the cors setting is off when absent, takes exact http(s)
// origins, and refuses each kind of bad origin and "*" with credentials,
// naming the setting.
func TestCORS(t *testing.T) {
	t.Parallel()
	vars := env(map[string]string{"K": "k", "LONG": strings.Repeat("x", 40)})
	cases := []struct {
		name string
		cors string
		want *config.CORS // when accepted
		errs []string     // problems; none: accepted
	}{
		{"absent: off", "", nil, nil},
		{"exact origins", "cors: {allowed_origins: [https://admin.example.com, 'http://LOCALHOST:5173'], allow_credentials: true, max_age: 1h}\n",
			&config.CORS{AllowedOrigins: []string{"https://admin.example.com", "http://localhost:5173"}, AllowCredentials: true, MaxAge: time.Hour}, nil},
		{"defaults", "cors: {allowed_origins: [https://admin.example.com]}\n",
			&config.CORS{AllowedOrigins: []string{"https://admin.example.com"}, MaxAge: config.DefaultCORSMaxAge}, nil},
		{"every origin", "cors: {allowed_origins: ['*']}\n", &config.CORS{AllowedOrigins: []string{"*"}, MaxAge: config.DefaultCORSMaxAge}, nil},
		{"star with credentials", "cors: {allowed_origins: ['*'], allow_credentials: true}\n", nil,
			[]string{`cors.allowed_origins[0]: "*" cannot be used with allow_credentials: true`}},
		{"star among others", "cors: {allowed_origins: [https://a.example.com, '*']}\n", nil,
			[]string{`cors.allowed_origins[1]: "*" already allows every origin`}},
		{"no origins", "cors: {allow_credentials: false}\n", nil, []string{"cors.allowed_origins: must list at least one origin"}},
		{"empty list", "cors: {allowed_origins: []}\n", nil, []string{"cors.allowed_origins: must list at least one origin"}},
		{"a path", "cors: {allowed_origins: [https://admin.example.com/app]}\n", nil,
			[]string{`cors.allowed_origins[0]: "https://admin.example.com/app" must have no path`}},
		{"a trailing slash", "cors: {allowed_origins: [https://admin.example.com/]}\n", nil,
			[]string{`cors.allowed_origins[0]: "https://admin.example.com/" must have no path`}},
		{"a query", "cors: {allowed_origins: ['https://admin.example.com?x=1']}\n", nil, []string{"cors.allowed_origins[0]: ", "must have no path, query"}},
		{"no scheme", "cors: {allowed_origins: [admin.example.com]}\n", nil, []string{"cors.allowed_origins[0]: ", "must start with http:// or https://"}},
		{"another scheme", "cors: {allowed_origins: ['ftp://admin.example.com']}\n", nil, []string{"must start with http:// or https://"}},
		{"no host", "cors: {allowed_origins: ['https://']}\n", nil, []string{`cors.allowed_origins[0]: "https://" has no host`}},
		{"a wildcard", "cors: {allowed_origins: ['https://*.example.com']}\n", nil, []string{"cors.allowed_origins[0]: ", "list each origin exactly"}},
		{"a user", "cors: {allowed_origins: ['https://me@admin.example.com']}\n", nil, []string{"must not carry a user name"}},
		{"a bad port", "cors: {allowed_origins: ['https://admin.example.com:99999', 'http://localhost:']}\n", nil,
			[]string{"cors.allowed_origins[0]: ", "has a bad port", "cors.allowed_origins[1]: ", "has an empty port"}},
		{"twice", "cors: {allowed_origins: [https://a.example.com, 'https://A.example.com']}\n", nil,
			[]string{"cors.allowed_origins[1]: https://a.example.com is listed twice (also cors.allowed_origins[0])"}},
		{"bad max age", "cors: {allowed_origins: [https://a.example.com], max_age: forever}\n", nil, []string{"cors.max_age: must be a duration between 1s and 24h0m0s"}},
		{"unknown field", "cors: {allowed_origins: [https://a.example.com], allowed_methods: [GET]}\n", nil, []string{"allowed_methods"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse(minimalFile(c.cors), vars, builtin)
			if len(c.errs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if (cfg.CORS == nil) != (c.want == nil) || cfg.CORS != nil && (!slices.Equal(cfg.CORS.AllowedOrigins, c.want.AllowedOrigins) ||
					cfg.CORS.AllowCredentials != c.want.AllowCredentials || cfg.CORS.MaxAge != c.want.MaxAge) {
					t.Fatalf("cors = %+v, want %+v", cfg.CORS, c.want)
				}
				return
			}
			wantProblems(t, err, c.errs)
		})
	}
	t.Run("reported with the other problems", func(t *testing.T) {
		t.Parallel()
		_, err := config.Parse([]byte("tenants: []\ncors: {allowed_origins: ['*'], allow_credentials: true}\n"), vars, builtin)
		if err == nil || !strings.Contains(err.Error(), `cors.allowed_origins[0]: "*" cannot`) || !strings.Contains(err.Error(), "cursor_secret: is required") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestMaxInFlightRequests: absent is the gateway's default (0 here); a
// bound must be at least 1, never 0 (that would refuse every request).
func TestMaxInFlightRequests(t *testing.T) {
	t.Parallel()
	vars := env(map[string]string{"K": "k", "LONG": strings.Repeat("x", 40)})
	for _, c := range []struct {
		name, file string
		want       int
		err        string
	}{
		{"absent: the default", "", 0, ""},
		{"set", "max_in_flight_requests: 64\n", 64, ""},
		{"zero", "max_in_flight_requests: 0\n", 0, "max_in_flight_requests: must be at least 1"},
		{"negative", "max_in_flight_requests: -5\n", 0, "max_in_flight_requests: must be at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse(minimalFile(c.file), vars, builtin)
			if c.err != "" {
				wantProblems(t, err, []string{c.err})
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MaxInFlight != c.want {
				t.Fatalf("MaxInFlight = %d, want %d", cfg.MaxInFlight, c.want)
			}
		})
	}
}

// TestCustomFieldNames: a tenant's custom field names are read by name
// with their key at each vendor, and each bad entry is refused naming its
// path.
func TestCustomFieldNames(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("testdata/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parse(example, goodEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.CustomFieldName{{Name: "membership_level", Keys: map[domain.Vendor]string{linkflow: "attr3", meihua: "4338372", "nxcloud": "customize_4_52"}}}
	if got := cfg.Tenants[0].CustomFields; len(got) != 1 || got[0].Name != want[0].Name || !maps.Equal(got[0].Keys, want[0].Keys) {
		t.Fatalf("custom fields = %+v, want %+v", got, want)
	}
	const line = `membership_level: {linkflow: attr3, meihua: "4338372", nxcloud: customize_4_52}`
	if !bytes.Contains(example, []byte(line)) {
		t.Fatal("the example no longer maps membership_level")
	}
	for _, tc := range []struct{ name, entry, want string }{
		{"two names", line + "\n      tier: {linkflow: attr4}", ""},
		{"unquoted number key", `level: {meihua: 4338372}`, ""},
		{"bad name", `Level: {linkflow: attr3}`, "tenants[0].custom_fields.Level: must be 1-63 lower-case letters"},
		{"name with a dash", `member-level: {linkflow: attr3}`, "tenants[0].custom_fields.member-level: must be 1-63"},
		{"no vendor", `level: {}`, "tenants[0].custom_fields.level: must map the field"},
		{"not a connection", `level: {toy: attr3}`, "tenants[0].custom_fields.level.toy: the tenant has no toy connection (connections: linkflow, meihua, miaokol, nxcloud)"},
		{"empty key", `level: {linkflow: ""}`, "tenants[0].custom_fields.level.linkflow: must be the field's key at linkflow"},
		{"key mapped twice", "a_level: {linkflow: attr3}\n      b_level: {linkflow: attr3}", `tenants[0].custom_fields.b_level.linkflow: linkflow key "attr3" is mapped by a_level already`},
		{"name is a mapped key", "attr3: {meihua: \"1\"}\n      level: {linkflow: attr3}", "tenants[0].custom_fields.attr3: is the linkflow key mapped by level"},
		{"not a map", `level: attr3`, "cannot unmarshal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parse(bytes.Replace(example, []byte(line), []byte(tc.entry), 1), goodEnv)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A name may equal its own key: the field keeps one spelling.
	cfg, err = parse(bytes.Replace(example, []byte(line), []byte(`attr3: {linkflow: attr3, meihua: "1"}`), 1), goodEnv)
	if err != nil || cfg.Tenants[0].CustomFields[0].Keys[meihua] != "1" {
		t.Fatalf("cfg = %+v, err = %v", cfg, err)
	}
}
