package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/sandbox"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// cluster is several gateway replicas, each with its own in-process caches
// and breakers, sharing one real redis-server and one set of simulators.
type cluster struct {
	replicas []*env
	redis    *redistest.Server
	sb       *sandbox.Sandbox
	cfg      *config.Config
}

func newCluster(t *testing.T, n int, edit ...func(*config.Config)) *cluster {
	t.Helper()
	sb, cfg := newSandbox(t, edit...)
	c := &cluster{redis: redistest.Start(t), sb: sb, cfg: cfg}
	for range n {
		c.replicas = append(c.replicas, c.add(t, c.redis.URL()))
	}
	return c
}

// add starts one more replica, on the Redis at url.
func (c *cluster) add(t *testing.T, url string) *env {
	t.Helper()
	prefix := fmt.Sprintf("test-%s:", strings.ReplaceAll(t.Name(), "/", "-"))
	stores, err := app.RedisStores(context.Background(), url, c.cfg, app.RedisOptions{Prefix: prefix, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stores.Close() })
	return serve(t, c.sb, c.cfg, app.Options{Stores: stores})
}

// roomForStampede lifts the replicas' bound of requests in flight above
// a stampede's 500 (newCluster's edit): a replica would otherwise shed
// some with 503 OVERLOADED, which is not what the stampede tests are about.
func roomForStampede(c *config.Config) { c.MaxInFlight = 500 }

// stampede sends n concurrent GETs of path for tenant, spread over the
// replicas, and fails the test on any answer but 200.
func (c *cluster) stampede(t *testing.T, tenant, path string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			r := c.replicas[i%len(c.replicas)].do(req{method: http.MethodGet, path: path, key: keyAll, tenant: tenant})
			if r.Status != http.StatusOK {
				errs <- fmt.Sprintf("%d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("a request failed: %s", e)
	}
}

// TestTokenStampedeAcrossReplicas: three replicas with cold caches, 500
// concurrent requests for one tenant: one vendor token call in all.
func TestTokenStampedeAcrossReplicas(t *testing.T) {
	c := newCluster(t, 3, roomForStampede)
	sim := c.replicas[0].sim
	if sim.TokenCalls() != 0 {
		t.Fatal("the simulator was warm")
	}
	c.stampede(t, tenantLF, "/v1/tags?limit=1", 500)
	if n := sim.TokenCalls(); n != 1 {
		t.Fatalf("%d vendor token calls for 500 requests on 3 cold replicas, want 1", n)
	}
}

// TestSwitchReachesEveryReplica: a switch through the admin API of one
// replica is served by the new vendor on the others within a second, and
// old cursors are refused.
func TestSwitchReachesEveryReplica(t *testing.T) {
	c := newCluster(t, 3)
	r1, r2, r3 := c.replicas[0], c.replicas[1], c.replicas[2]
	list := func(e *env, cursor string) resp {
		p := "/v1/contacts?limit=2"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		return e.do(req{method: http.MethodGet, path: p, key: keyAll, tenant: tenantSwitch})
	}
	page := list(r2, "").ok(t, http.StatusOK)
	oldCursor, _ := page["next_cursor"].(string)
	if oldCursor == "" {
		t.Fatal("no cursor to test with")
	}
	switchTo := func(vendor string, want int64) {
		t.Helper()
		ti := r1.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll,
			body: map[string]any{"vendor": vendor, "reason": "e2e"}}).ok(t, http.StatusOK)
		if ti["vendor"] != vendor || ti["binding_version"] != float64(want) {
			t.Fatalf("switch answered %v", ti)
		}
		switched := time.Now()
		for _, e := range []*env{r2, r3} {
			for {
				r := e.do(req{method: http.MethodGet, path: "/v1/capabilities", key: keyAll, tenant: tenantSwitch})
				if r.Header.Get("X-Vendor") == vendor {
					break
				}
				if time.Since(switched) > time.Second {
					t.Fatalf("a replica still serves %s %v after the switch to %s", r.Header.Get("X-Vendor"), time.Since(switched), vendor)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	switchTo("nxcloud", 2)
	// The replicas answer as NXCloud.
	if c := r3.do(req{method: http.MethodGet, path: "/v1/capabilities", key: keyAll, tenant: tenantSwitch}).ok(t, http.StatusOK); c["vendor"] != "nxcloud" {
		t.Fatalf("capabilities %v", c)
	}
	switchTo("linkflow", 3)
	list(r3, oldCursor).problem(t, http.StatusBadRequest, "INVALID_CURSOR")
	list(r2, "").ok(t, http.StatusOK)
	if !strings.Contains(r1.logs.String(), `"audit":"tenant.switch_vendor"`) {
		t.Fatal("no audit line on the switching replica")
	}
}

// TestQuotaAcrossReplicas: a quota of N per hour is shared by every
// replica; call N+1 is refused without reaching the vendor.
func TestQuotaAcrossReplicas(t *testing.T) {
	const n = 5
	c := newCluster(t, 3, withLinkflow(func(s *vendorhttp.Settings) { s.Quota = vendorhttp.Quota{Calls: n, Per: time.Hour} }))
	sim := c.replicas[0].sim
	for i := range n {
		c.replicas[i%3].get("/v1/groups").ok(t, http.StatusOK)
	}
	before := vendorCalls(sim)
	for _, e := range c.replicas {
		r := e.get("/v1/groups")
		r.problem(t, http.StatusTooManyRequests, "VENDOR_RATE_LIMITED")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	}
	if after := vendorCalls(sim); after != before || before != n {
		t.Fatalf("vendor calls %d, then %d after the refusals; want %d", before, after, n)
	}
}

// TestIdempotencyAcrossReplicas: replay, mismatch and in-flight answers
// hold across replicas, and two concurrent identical writes with one key
// create one record at the vendor.
func TestIdempotencyAcrossReplicas(t *testing.T) {
	c := newCluster(t, 2)
	r1, r2 := c.replicas[0], c.replicas[1]
	sim := r1.sim
	post := func(e *env, key, name string) resp {
		return e.do(req{method: http.MethodPost, path: "/v1/groups", key: keyAll, tenant: tenantLF,
			body: map[string]any{"name": name}, headers: map[string]string{"Idempotency-Key": key}})
	}
	first := post(r1, "k1", "同一组")
	first.ok(t, http.StatusCreated)
	replay := post(r2, "k1", "同一组")
	replay.ok(t, http.StatusCreated)
	if replay.Header.Get("Idempotent-Replayed") != "true" || string(replay.Body) != string(first.Body) {
		t.Fatalf("replay on another replica: %v %s", replay.Header, replay.Body)
	}
	post(r2, "k1", "另一组").problem(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_KEY_REUSED")

	// In flight on one replica, retried on the other.
	sim.InjectFault(linkflowtest.Fault{PathPrefix: "/v2/groups", Delay: 500 * time.Millisecond, Status: 0})
	var wg sync.WaitGroup
	var slow resp
	wg.Go(func() { slow = post(r1, "k2", "slow") })
	waitFor(t, func() bool { return hasRequest(sim, http.MethodPost, "/v2/groups") && countPosts(sim) >= 2 })
	post(r2, "k2", "slow").problem(t, http.StatusConflict, "IDEMPOTENCY_IN_FLIGHT")
	wg.Wait()
	slow.ok(t, http.StatusCreated)

	// Two identical writes at once, one key, two replicas: one record.
	sim.ResetRequests()
	var answers [2]resp
	start := make(chan struct{})
	for i, e := range []*env{r1, r2} {
		wg.Go(func() {
			<-start
			answers[i] = post(e, "k3", "concurrent")
		})
	}
	close(start)
	wg.Wait()
	if n := countPosts(sim); n != 1 {
		t.Fatalf("the vendor got %d creates for one Idempotency-Key", n)
	}
	created := 0
	for _, a := range answers {
		switch a.Status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			a.problem(t, http.StatusConflict, "IDEMPOTENCY_IN_FLIGHT")
		default:
			t.Fatalf("answer %d %s", a.Status, a.Body)
		}
	}
	if created == 0 {
		t.Fatal("neither write succeeded")
	}
}

func countPosts(sim *linkflowtest.Server) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v2/groups" {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never met")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRedisKilledMidRun: with Redis gone, calls with cached tokens and
// bindings keep working, readiness says degraded, calls that need Redis
// answer 503 STATE_UNAVAILABLE; everything recovers when Redis returns.
// (This Redis has no persistence, so readiness is degraded throughout:
// redis_persistence is off.)
func TestRedisKilledMidRun(t *testing.T) {
	c := newCluster(t, 2)
	for _, e := range c.replicas {
		e.get("/v1/groups").ok(t, http.StatusOK)
		h := e.do(req{method: http.MethodGet, path: "/readyz"}).ok(t, http.StatusOK)
		if checks := h["checks"].(map[string]any); h["status"] != "degraded" || checks["redis"] != "ok" || checks["redis_persistence"] != "off" {
			t.Fatalf("readyz %v", h)
		}
	}
	c.redis.Stop()
	for _, e := range c.replicas {
		e.get("/v1/groups").ok(t, http.StatusOK)
		e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=3", key: keyAll, tenant: tenantSwitch}).ok(t, http.StatusOK)
		h := e.do(req{method: http.MethodGet, path: "/readyz"}).ok(t, http.StatusOK)
		checks := h["checks"].(map[string]any)
		if h["status"] != "degraded" || checks["redis"] != "unavailable" || checks["bindings"] != "ok" || checks["redis_persistence"] != "unknown" {
			t.Fatalf("readyz with Redis down: %v", h)
		}
	}
	r := c.replicas[0]
	r.do(req{method: http.MethodPost, path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "x"},
		headers: map[string]string{"Idempotency-Key": "while-down"}}).problem(t, http.StatusServiceUnavailable, "STATE_UNAVAILABLE")
	r.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll,
		body: map[string]any{"vendor": "meihua"}}).problem(t, http.StatusServiceUnavailable, "STATE_UNAVAILABLE")
	// A write without a key does not need Redis.
	r.send(http.MethodPost, "/v1/groups", map[string]any{"name": "no key while down"}).ok(t, http.StatusCreated)

	if err := c.redis.Restart(); err != nil {
		t.Fatal(err)
	}
	for _, e := range c.replicas {
		waitFor(t, func() bool {
			h := e.do(req{method: http.MethodGet, path: "/readyz"})
			return h.Status == http.StatusOK && strings.Contains(string(h.Body), `"redis":"ok"`)
		})
	}
	r.do(req{method: http.MethodPost, path: "/v1/groups", key: keyAll, tenant: tenantLF, body: map[string]any{"name": "x"},
		headers: map[string]string{"Idempotency-Key": "after"}}).ok(t, http.StatusCreated)
	// The restarted Redis lost every binding: it is seeded again from the
	// configuration, and a switch reaches the other replica.
	r.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll,
		body: map[string]any{"vendor": "meihua"}}).ok(t, http.StatusOK)
	waitFor(t, func() bool {
		return c.replicas[1].do(req{method: http.MethodGet, path: "/v1/capabilities", key: keyAll, tenant: tenantSwitch}).Header.Get("X-Vendor") == "meihua"
	})
}

// TestRedisUpMetric: cdpgw_redis_up follows Redis going away and coming
// back, and goes with the stores.
func TestRedisUpMetric(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	_, cfg := newSandbox(t)
	tel, err := telemetry.New(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	stores, err := app.RedisStores(context.Background(), rs.URL(), cfg, app.RedisOptions{Prefix: "test-redis-up:", Telemetry: tel, ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	up := func() string {
		rec := httptest.NewRecorder()
		tel.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return sample(rec.Body.String(), "cdpgw_redis_up")
	}
	if got := up(); got != "1" {
		t.Fatalf("cdpgw_redis_up = %q with Redis up", got)
	}
	rs.Stop()
	if got := up(); got != "0" {
		t.Fatalf("cdpgw_redis_up = %q with Redis down", got)
	}
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return up() == "1" })
	if err := stores.Close(); err != nil {
		t.Fatal(err)
	}
	if got := up(); got != "" {
		t.Fatalf("cdpgw_redis_up = %q after the stores closed", got)
	}
}

// TestBindingsNeverGoBackAfterRedisLosesData: Redis is killed and comes
// back empty while a replica restarts. The restarted replica seeds the
// tenants file's binding (version 1) before the live replicas, which hold
// a switch (version 2), reach Redis again. Every replica ends on the
// switch, the live ones never serve version 1, and a pre-switch cursor
// stays refused.
func TestBindingsNeverGoBackAfterRedisLosesData(t *testing.T) {
	sb, cfg := newSandbox(t)
	rs := redistest.Start(t)
	proxy := redistest.NewProxy(t, rs.Addr())
	c := &cluster{redis: rs, sb: sb, cfg: cfg}
	live := []*env{c.add(t, proxy.URL()), c.add(t, proxy.URL())}
	binding := func(e *env) (string, float64) {
		ti := e.do(req{method: http.MethodGet, path: "/admin/v1/tenants/" + tenantSwitch, key: keyAll}).ok(t, http.StatusOK)
		return ti["vendor"].(string), ti["binding_version"].(float64)
	}
	page := live[0].do(req{method: http.MethodGet, path: "/v1/contacts?limit=2", key: keyAll, tenant: tenantSwitch}).ok(t, http.StatusOK)
	oldCursor, _ := page["next_cursor"].(string)
	if oldCursor == "" {
		t.Fatal("no cursor to test with")
	}
	live[0].do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll,
		body: map[string]any{"vendor": "meihua", "reason": "e2e"}}).ok(t, http.StatusOK)
	waitFor(t, func() bool { v, n := binding(live[1]); return v == "meihua" && n == 2 })

	// The live replicas lose Redis, which comes back empty.
	proxy.Refuse(true)
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := c.add(t, rs.URL()) // seeds demo-switch on linkflow, version 1
	if v, n := binding(restarted); v != "linkflow" || n != 1 {
		t.Fatalf("the restarted replica starts on %s %v, want the seeded linkflow 1", v, n)
	}
	proxy.Refuse(false)

	wentBack := ""
	waitFor(t, func() bool {
		done := true
		for i, e := range append(live, restarted) {
			v, n := binding(e)
			if i < len(live) && n < 2 {
				wentBack = fmt.Sprintf("live replica %d went back to %s %v", i, v, n)
			}
			done = done && v == "meihua" && n == 2
		}
		return done
	})
	if wentBack != "" {
		t.Fatal(wentBack)
	}
	for _, e := range append(live, restarted) {
		r := e.do(req{method: http.MethodGet, path: "/v1/capabilities", key: keyAll, tenant: tenantSwitch})
		if r.Header.Get("X-Vendor") != "meihua" {
			t.Fatalf("a replica serves %s", r.Header.Get("X-Vendor"))
		}
	}
	// The next switch, on any replica, is version 3; back on Linkflow, the
	// cursor of version 1 is still refused.
	ti := restarted.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll,
		body: map[string]any{"vendor": "linkflow", "reason": "e2e"}}).ok(t, http.StatusOK)
	if ti["binding_version"] != float64(3) {
		t.Fatalf("switch after the restore answered %v, want version 3", ti)
	}
	waitFor(t, func() bool { _, n := binding(live[0]); return n == 3 })
	live[0].do(req{method: http.MethodGet, path: "/v1/contacts?limit=2&cursor=" + oldCursor, key: keyAll, tenant: tenantSwitch}).
		problem(t, http.StatusBadRequest, "INVALID_CURSOR")
}

// TestRedisPersistenceAsTheREADMESays: what the README promises of Redis
// with and without AOF. A replica writes with an Idempotency-Key and
// switches a vendor; then every replica stops and Redis is killed and
// restarted. With AOF the retried write replays and the switch stands;
// without persistence the retried write runs again at the vendor, the
// switch is forgotten, and the gateway said so at start and in /readyz.
func TestRedisPersistenceAsTheREADMESays(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		readiness string // status of /readyz before the restart
		state     string // its redis_persistence check
		kept      bool
	}{
		{"with AOF", []string{"--appendonly", "yes", "--appendfsync", "always"}, "ok", "ok", true},
		{"without persistence", nil, "degraded", "off", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb, cfg := newSandbox(t)
			rs := redistest.StartArgs(t, tc.args...)
			replica := func() (*env, *app.Stores, *vendortest.LogBuffer) {
				logs := &vendortest.LogBuffer{}
				stores, err := app.RedisStores(context.Background(), rs.URL(), cfg, app.RedisOptions{ConnectTimeout: 5 * time.Second,
					Logger: slog.New(slog.NewJSONHandler(logs, nil))})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stores.Close() })
				return serve(t, sb, cfg, app.Options{Stores: stores}), stores, logs
			}
			first, stores, logs := replica()
			warned := strings.Contains(logs.String(), "redis persistence is off")
			if warned == tc.kept {
				t.Fatalf("start logs warn of no persistence: %v; want %v:\n%s", warned, !tc.kept, logs.String())
			}
			h := first.do(req{method: http.MethodGet, path: "/readyz"}).ok(t, http.StatusOK)
			if checks := h["checks"].(map[string]any); h["status"] != tc.readiness || checks["redis_persistence"] != tc.state {
				t.Fatalf("readyz %v, want %s with redis_persistence %s", h, tc.readiness, tc.state)
			}
			post := func(e *env) resp {
				return e.do(req{method: http.MethodPost, path: "/v1/groups", key: keyAll, tenant: tenantLF,
					body: map[string]any{"name": "持久"}, headers: map[string]string{"Idempotency-Key": "persist-1"}})
			}
			created := post(first)
			created.ok(t, http.StatusCreated)
			first.do(req{method: http.MethodPut, path: "/admin/v1/tenants/" + tenantSwitch + "/vendor", key: keyAll,
				body: map[string]any{"vendor": "meihua", "reason": "e2e"}}).ok(t, http.StatusOK)

			// Every replica goes; Redis is killed and comes back.
			if err := stores.Close(); err != nil {
				t.Fatal(err)
			}
			if err := rs.Restart(); err != nil {
				t.Fatal(err)
			}
			second, _, _ := replica()
			first.sim.ResetRequests()
			// Without the record the retry reaches the vendor again (which
			// here refuses a second group of that name: 409).
			retried := post(second)
			replayed := retried.Status == http.StatusCreated && retried.Header.Get("Idempotent-Replayed") == "true" &&
				string(retried.Body) == string(created.Body)
			if n := countPosts(first.sim); replayed != tc.kept || n != map[bool]int{true: 0, false: 1}[tc.kept] {
				t.Fatalf("the retried write: replayed %v, %d creates at the vendor (answer %d %s); want replayed %v",
					replayed, n, retried.Status, retried.Body, tc.kept)
			}
			ti := second.do(req{method: http.MethodGet, path: "/admin/v1/tenants/" + tenantSwitch, key: keyAll}).ok(t, http.StatusOK)
			if kept := ti["vendor"] == "meihua" && ti["binding_version"] == float64(2); kept != tc.kept {
				t.Fatalf("binding after the restart %v %v; want the switch kept: %v", ti["vendor"], ti["binding_version"], tc.kept)
			}
		})
	}
}
