package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
)

// adminGateway is an in-process gateway over the sandbox's simulators,
// its state in stores that another replica (replica) can share.
type adminGateway struct {
	t      *testing.T
	url    string
	sb     *sandbox.Sandbox
	stores *app.Stores
}

// newAdminGateway starts simulators and one replica whose job runner
// looks for jobs every poll: an hour keeps a started migration queued
// until another replica takes it.
func newAdminGateway(t *testing.T, poll time.Duration) *adminGateway {
	t.Helper()
	drivers, err := app.Drivers()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.Start(sandbox.Options{Drivers: drivers, Contacts: 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	g := &adminGateway{t: t, sb: sb, stores: app.MemoryStores()}
	g.url = g.replica(poll)
	return g
}

// replica starts another replica of the gateway on the same stores and
// returns its address.
func (g *adminGateway) replica(poll time.Duration) string {
	g.t.Helper()
	drivers, err := app.Drivers()
	if err != nil {
		g.t.Fatal(err)
	}
	a, err := app.New(context.Background(), g.sb.Config, app.Options{Drivers: drivers, Stores: g.stores,
		Logger: slog.New(slog.DiscardHandler), Jobs: app.JobOptions{Poll: poll}})
	if err != nil {
		g.t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	g.t.Cleanup(func() { srv.Close(); _ = a.Close() })
	return srv.URL
}

// call sends an admin or API call with the sandbox key and decodes the
// JSON answer.
func (g *adminGateway) call(method, path, tenant string, body any) (map[string]any, http.Header) {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+sandbox.APIKey)
	req.Header.Set("Content-Type", "application/json")
	if tenant != "" {
		req.Header.Set("X-Tenant-ID", tenant)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode/100 != 2 {
		g.t.Fatalf("%s %s: %d %v %v", method, path, res.StatusCode, m, err)
	}
	return m, res.Header
}

// cli is one run of gateway migrate against the gateway.
type cli struct {
	out, errOut *lockedBuffer
	code        chan int
}

// migrate runs gateway migrate with the sandbox key in its environment
// (unless env says otherwise) and returns at once.
func (g *adminGateway) migrate(ctx context.Context, tty bool, env map[string]string, args ...string) *cli {
	c := &cli{out: &lockedBuffer{}, errOut: &lockedBuffer{}, code: make(chan int, 1)}
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		if k == keyEnv {
			return sandbox.APIKey
		}
		return ""
	}
	args = append([]string{"--url", g.url, "--interval", "10ms"}, args...)
	go func() {
		c.code <- runMigrate(ctx, args, cliIO{stdout: c.out, stderr: c.errOut, getenv: getenv, tty: tty})
	}()
	return c
}

// wait waits for the command's exit status and checks the key was
// printed nowhere.
func (c *cli) wait(t *testing.T) int {
	t.Helper()
	code := <-c.code
	for _, out := range []string{c.out.String(), c.errOut.String()} {
		if strings.Contains(out, sandbox.APIKey) || strings.Contains(out, "sk_bad_key") {
			t.Fatalf("the key was printed:\n%s", out)
		}
	}
	return code
}

// waitFor waits until the command has printed re.
func (c *cli) waitFor(t *testing.T, re string) []string {
	t.Helper()
	r := regexp.MustCompile(re)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if m := r.FindStringSubmatch(c.out.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command has not printed %q:\n%s\nstderr: %s", re, c.out.String(), c.errOut.String())
		}
	}
}

func TestMigrateDryRunPrintsThePlan(t *testing.T) {
	t.Parallel()
	g := newAdminGateway(t, 10*time.Millisecond)
	for _, tc := range []struct{ to, want string }{
		{"miaokol", `\n  contacts +cannot be carried: miaokol cannot upsert contacts\n`},
		{"meihua", `\n  contacts +carry\n +left out: nickname, `},
	} {
		c := g.migrate(t.Context(), false, nil, "--tenant", sandbox.TenantSwitch, "--to", tc.to, "--dry-run")
		if code := c.wait(t); code != exitOK || !regexp.MustCompile(tc.want).MatchString(c.out.String()) || !strings.Contains(c.out.String(), "Dry run: nothing is written.") {
			t.Fatalf("dry run to %s: exit %d, want the plan %q:\n%s\nstderr: %s", tc.to, code, tc.want, c.out.String(), c.errOut.String())
		}
	}
	if ten, _ := g.call(http.MethodGet, "/admin/v1/tenants/"+sandbox.TenantSwitch, "", nil); ten["vendor"] != "linkflow" {
		t.Fatalf("a dry run moved the tenant to %v", ten["vendor"])
	}
}

// TestMigrateSwitches: a migration with --switch, drawn with bars, carries
// every Linkflow contact and moves the tenant; old ids are then served
// through the id map.
func TestMigrateSwitches(t *testing.T) {
	t.Parallel()
	g := newAdminGateway(t, 10*time.Millisecond)
	lf, _ := g.sb.Simulator(sandbox.TenantSwitch, linkflow.Driver.Vendor).(*linkflowtest.Server)
	contacts := lf.Contacts()
	c := g.migrate(t.Context(), true, nil, "--tenant", sandbox.TenantSwitch, "--to", "meihua", "--switch")
	code := c.wait(t)
	out := c.out.String()
	for _, want := range []string{
		"Started mig_",
		"state: succeeded",
		"\nSucceeded: mig_",
		`\n  contacts +` + strconv.Itoa(len(contacts)) + " carried, 0 failed, 0 skipped\n",
		"demo-switch is now on meihua",
		`\nCustom fields at meihua \(`,
		`\n  attr2 -> \d+ \(年收入\), created\n`,
		`\n  attr3 -> \d+ \(会员等级\), matched by label\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the output lacks %q", want)
		}
	}
	if code != exitOK || t.Failed() {
		t.Fatalf("exit %d:\n%s\nstderr: %s", code, out, c.errOut.String())
	}
	if ten, _ := g.call(http.MethodGet, "/admin/v1/tenants/"+sandbox.TenantSwitch, "", nil); ten["vendor"] != "meihua" {
		t.Fatalf("the tenant is on %v", ten["vendor"])
	}
	old := "lf_" + strconv.FormatInt(contacts[0].ID, 10)
	got, h := g.call(http.MethodGet, "/v1/contacts/"+old, sandbox.TenantSwitch, nil)
	if id, _ := got["id"].(string); !strings.HasPrefix(id, "mh_") || h.Get("X-Id-Translated") != old+"="+id {
		t.Fatalf("GET %s answered %v, X-Id-Translated %q", old, got["id"], h.Get("X-Id-Translated"))
	}
}

// TestMigrateAttachesAndCancels: a tenant's migration that has not ended
// is attached to when it is the one asked for, named when it is not, and
// cancelled with --cancel. The first replica never runs a job (it polls
// hourly), so a started one waits, queued, for the second.
func TestMigrateAttachesAndCancels(t *testing.T) {
	t.Parallel()
	g := newAdminGateway(t, time.Hour)
	base := "/admin/v1/tenants/" + sandbox.TenantSwitch + "/migrations"

	other, _ := g.call(http.MethodPost, base, "", map[string]any{"to": "nxcloud"})
	c := g.migrate(t.Context(), false, nil, "--tenant", sandbox.TenantSwitch, "--to", "meihua")
	if code := c.wait(t); code != exitFailed || !strings.Contains(c.errOut.String(), "--attach "+other["id"].(string)) {
		t.Fatalf("another migration under way: exit %d, stderr %s", code, c.errOut.String())
	}
	c = g.migrate(t.Context(), false, nil, "--tenant", sandbox.TenantSwitch, "--cancel", other["id"].(string))
	if code := c.wait(t); code != exitOK || !strings.Contains(c.out.String(), "Cancelled: "+other["id"].(string)) {
		t.Fatalf("--cancel: exit %d:\n%s\nstderr: %s", code, c.out.String(), c.errOut.String())
	}

	started, _ := g.call(http.MethodPost, base, "", map[string]any{"to": "meihua"})
	id := started["id"].(string)
	c = g.migrate(t.Context(), false, nil, "--tenant", sandbox.TenantSwitch, "--to", "meihua")
	c.waitFor(t, "Attaching to "+id+", already under way")
	g.replica(10 * time.Millisecond) // takes the job up
	if code := c.wait(t); code != exitOK || !strings.Contains(c.out.String(), "Succeeded: "+id) || strings.Contains(c.out.String(), "Started") {
		t.Fatalf("attached: exit %d:\n%s\nstderr: %s", code, c.out.String(), c.errOut.String())
	}
	c = g.migrate(t.Context(), false, nil, "--tenant", sandbox.TenantSwitch, "--attach", id)
	if code := c.wait(t); code != exitOK || !strings.Contains(c.out.String(), "Attached to "+id) {
		t.Fatalf("--attach an ended one: exit %d:\n%s", code, c.out.String())
	}
}

// TestMigrateDetaches: Ctrl-C leaves the migration running and says how
// to come back to it.
func TestMigrateDetaches(t *testing.T) {
	t.Parallel()
	g := newAdminGateway(t, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	c := g.migrate(ctx, false, nil, "--tenant", sandbox.TenantSwitch, "--to", "meihua", "--switch")
	id := c.waitFor(t, `Started (mig_\w+)`)[1]
	cancel()
	if code := c.wait(t); code != exitDetached || !strings.Contains(c.out.String(), "gateway migrate --tenant demo-switch --attach "+id) ||
		!strings.Contains(c.out.String(), "gateway migrate --tenant demo-switch --cancel "+id) {
		t.Fatalf("detached: exit %d:\n%s", code, c.out.String())
	}
	// The job goes on: still queued, or taken up by the replica's first
	// look for work when that came after the start (a race the test does
	// not control).
	if m, _ := g.call(http.MethodGet, "/admin/v1/tenants/demo-switch/migrations/"+id, "", nil); m["state"] == "cancelled" || m["state"] == "failed" || m["cancel_requested"] == true {
		t.Fatalf("after a detach the migration is %v", m)
	}
}

// TestMigrateRefusals: a refused key shows the problem's code and never
// the key; bad usage exits 2.
func TestMigrateRefusals(t *testing.T) {
	t.Parallel()
	g := newAdminGateway(t, time.Hour)
	notGateway := httptest.NewServer(http.NotFoundHandler())
	defer notGateway.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("sk_bad_key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"bad key", map[string]string{keyEnv: "sk_bad_key"}, []string{"--tenant", "demo-switch", "--to", "meihua"}, exitFailed, "401 UNAUTHENTICATED"},
		{"bad key file", nil, []string{"--key-file", keyFile, "--tenant", "demo-switch", "--to", "meihua"}, exitFailed, "401 UNAUTHENTICATED"},
		{"no key", map[string]string{keyEnv: ""}, []string{"--tenant", "demo-switch", "--to", "meihua"}, exitUsage, "no admin key"},
		{"no tenant", nil, []string{"--to", "meihua"}, exitUsage, "--tenant is required"},
		{"no vendor", nil, []string{"--tenant", "demo-switch"}, exitUsage, "--to is required"},
		{"unknown vendor", nil, []string{"--tenant", "demo-switch", "--to", "venus"}, exitFailed, "400 VALIDATION_FAILED"},
		{"unknown migration", nil, []string{"--tenant", "demo-switch", "--attach", "mig_aaaaaaaaaaaaaaaaaaaaaaaaaa"}, exitFailed, "404 NOT_FOUND"},
		{"another tenant's", nil, []string{"--tenant", "nobody", "--to", "meihua"}, exitFailed, "403 TENANT_FORBIDDEN"},
		{"not the gateway", nil, []string{"--url", notGateway.URL, "--tenant", "demo-switch", "--to", "meihua"}, exitFailed, "404: Not Found: the answer is not a problem+json"},
	} {
		c := g.migrate(t.Context(), false, tc.env, tc.args...)
		if code := c.wait(t); code != tc.code || !strings.Contains(c.errOut.String(), tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, c.errOut.String(), tc.code, tc.want)
		}
	}
}

// TestMigrateRidesOutAnUnavailableGateway: while the gateway answers 5xx
// (a replica restarting) the command says so and keeps asking; the job
// goes on there. The gateway here is a stand-in that fails the first
// read of the migration.
func TestMigrateRidesOutAnUnavailableGateway(t *testing.T) {
	t.Parallel()
	mig := func(state string) map[string]any {
		return map[string]any{"id": "mig_aaaaaaaaaaaaaaaaaaaaaaaaaa", "tenant": "demo-switch", "from": "linkflow", "to": "meihua",
			"switch": false, "dry_run": false, "state": state, "plan": map[string]any{"steps": []any{}}, "errors": []any{},
			"errors_dropped": 0, "runs": 1, "created_at": "2026-11-29T08:00:00Z", "updated_at": "2026-11-29T08:00:00Z",
			"progress": []any{map[string]any{"resource": "contacts", "done": 7, "failed": 0, "skipped": 0}}}
	}
	reads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+sandbox.APIKey {
			t.Errorf("%s %s without the key", r.Method, r.URL)
		}
		var body any
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/migrations"):
			body = map[string]any{"data": []any{mig("running")}}
		case reads == 0:
			reads++
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			body = map[string]any{"type": "urn:cdp-gateway:problem:state-unavailable", "title": "State unavailable", "status": 503, "code": "STATE_UNAVAILABLE", "request_id": "r1"}
		default:
			body = mig("succeeded")
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer srv.Close()
	g := &adminGateway{t: t, url: srv.URL}
	c := g.migrate(t.Context(), false, nil, "--tenant", "demo-switch", "--to", "meihua")
	if code := c.wait(t); code != exitOK {
		t.Fatalf("exit %d:\n%s\nstderr: %s", code, c.out.String(), c.errOut.String())
	}
	out := c.out.String()
	if !strings.Contains(out, "cannot read the migration (503 STATE_UNAVAILABLE: State unavailable (request r1)); asking again") ||
		!regexp.MustCompile(`\n  contacts +7 carried`).MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
}

// TestStateText: the state line says why a migration waits and until
// when.
func TestStateText(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 8, 0, 5, 0, time.UTC)
	reason, yes, cutover := "paused for 5s: meihua's quota is spent", true, gwhttp.MigrationPhaseCutover
	for _, tc := range []struct {
		mig  gwhttp.Migration
		want string
	}{
		{gwhttp.Migration{State: "paused", ResumeAt: &at, Reason: &reason}, "paused until " + at.Local().Format(time.TimeOnly) + ": " + reason},
		{gwhttp.Migration{State: "running", CancelRequested: &yes}, "running (cancel requested)"},
		{gwhttp.Migration{State: "cancelled", CancelRequested: &yes}, "cancelled"},
		{gwhttp.Migration{State: "running", Phase: &cutover}, "running (cut-over: writes frozen)"},
		{gwhttp.Migration{State: "succeeded", Phase: &cutover}, "succeeded"},
	} {
		if got := stateText(tc.mig); got != tc.want {
			t.Errorf("stateText = %q, want %q", got, tc.want)
		}
	}
}
