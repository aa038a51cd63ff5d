package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// TestCutoverWaitsForARunningWrite: a contact write let through before a
// migration's cut-over froze demo-switch's writes is slow at Linkflow (6 s,
// longer than the fixed 2 s the cut-over used to wait) and still running
// when the freeze begins. The cut-over waits for it to end before it reads
// the last changes, so the contact it wrote is at Meihua after the switch.
// On the in-process stores (sandbox) and on Redis.
func TestCutoverWaitsForARunningWrite(t *testing.T) {
	t.Parallel()
	for _, store := range []string{"memory", "redis"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			sb, cfg := newSandbox(t)
			var opts app.Options
			if store == "redis" {
				rs := redistest.Start(t)
				stores, err := app.RedisStores(context.Background(), rs.URL(), cfg, app.RedisOptions{Prefix: "inflight:", ConnectTimeout: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = stores.Close() })
				opts.Stores = stores
			}
			e := serve(t, sb, cfg, opts)
			lf, mh := linkflowSim(sb, tenantSwitch), meihuaSim(sb, tenantSwitch)
			lf.InjectFault(vendortest.Fault{PathPrefix: "/identifiers", Method: http.MethodPost, Delay: 6 * time.Second})
			const email = "inflight-1@example.com"
			written := make(chan int, 1)
			go func() { written <- postContact(e.url, email) }()
			waitFor(t, func() bool { // the write is at Linkflow, held there
				for _, r := range lf.Requests() {
					if r.Method == http.MethodPost && r.Path == "/identifiers" && bytes.Contains(r.Body, []byte(email)) {
						return true
					}
				}
				return false
			})

			r := e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua", "switch": true})
			r.ok(t, http.StatusAccepted)
			done := e.waitMigrationWithin(r.Header.Get("Location"), "succeeded", 60*time.Second)
			if status := <-written; status != http.StatusCreated {
				t.Fatalf("the slow write answered %d, want 201", status)
			}
			if ten := e.admin(http.MethodGet, "/admin/v1/tenants/"+tenantSwitch, nil).ok(t, http.StatusOK); ten["vendor"] != "meihua" {
				t.Fatalf("after the migration the tenant is on %v (%v)", ten["vendor"], done)
			}
			n := 0
			for _, c := range mh.Contacts() {
				if strings.EqualFold(c.Email, email) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("the contact written while the cut-over began is at Meihua %d times, want once (progress %v)", n, done["progress"])
			}
			if !strings.Contains(e.logs.String(), "the cut-over waits for the tenant's running writes") {
				t.Error("no log line of the cut-over waiting for the running write")
			}
		})
	}
}

// postContact creates a contact on demo-switch as keyOther and returns
// the answer's status (0 when there is none). It runs on a goroutine of
// its own, so it reports rather than fails.
func postContact(url, email string) int {
	body, err := json.Marshal(map[string]any{"name": "In Flight", "email": email,
		"external_ids": []map[string]any{{"channel": "udc", "id": email}}})
	if err != nil {
		return 0
	}
	hr, err := http.NewRequest(http.MethodPost, url+"/v1/contacts", bytes.NewReader(body))
	if err != nil {
		return 0
	}
	hr.Header.Set("Authorization", "Bearer "+keyOther)
	hr.Header.Set("X-Tenant-ID", tenantSwitch)
	hr.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		return 0
	}
	_ = res.Body.Close()
	return res.StatusCode
}
