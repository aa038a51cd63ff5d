package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
)

var async = map[string]string{"Prefer": "respond-async"}

// waitJob polls a tenant job of demo-linkflow until it reaches state
// (10 s at most).
func (e *env) waitJob(loc, state string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j := e.get(loc).ok(e.t, http.StatusOK)
		if j["state"] == state {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s is %v (%v), want %s", loc, j["state"], j["reason"], state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// emails counts the simulator's contacts by email.
func emails(sim *linkflowtest.Server) map[string]int {
	out := map[string]int{}
	for _, c := range sim.Contacts() {
		out[c.Email]++
	}
	return out
}

// TestAsyncBatch: with Prefer: respond-async a batch is a job whose result
// is the synchronous answer, item for item; its items are checked before
// anything is queued; the idempotency rules hold; another tenant cannot
// see it.
func TestAsyncBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Label: "big a", Alias: "attr8", DataType: "number"})
	body := `{"items": [
		{"name": "Async One", "email": "async.one@example.com", "external_ids": [{"channel": "async.example.com", "id": "a1"}], "custom_fields": {"attr8": ` + big53 + `}},
		{"name": "Async Two"},
		{"name": "Async Three", "external_ids": [{"channel": "async.example.com", "id": "a3"}], "custom_fields": {"nosuch": 1}}]}`

	r := e.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, body: body, headers: async})
	j := r.ok(t, http.StatusAccepted)
	loc := r.Header.Get("Location")
	if loc != "/v1/jobs/"+j["id"].(string) || r.Header.Get("Preference-Applied") != "respond-async" || j["kind"] != "contacts.batch" {
		t.Fatalf("202 %v at %q, headers %v", j, loc, r.Header)
	}
	done := e.waitJob(loc, "succeeded")
	// The same items again, synchronously: the same answer (both update).
	sync := e.send(http.MethodPost, "/v1/contacts/batch", body).ok(t, http.StatusOK)
	want, _ := json.Marshal(sync)
	got, _ := json.Marshal(done["result"])
	if !bytes.Equal(got, want) {
		t.Fatalf("async result\n%s\nsync answer\n%s", got, want)
	}
	if p := done["progress"].([]any)[0].(map[string]any); p["done"].(float64) != 1 || p["failed"].(float64) != 2 {
		t.Fatalf("progress %v", p)
	}
	errs := done["errors"].([]any)
	if len(errs) != 2 || errs[0].(map[string]any)["item"] != "1" || !strings.Contains(errs[1].(map[string]any)["message"].(string), "body.items.2.custom_fields.nosuch") {
		t.Fatalf("errors %v", errs)
	}
	var stored *linkflowtest.Contact
	for _, c := range e.sim.Contacts() {
		if c.Email == "async.one@example.com" {
			stored = &c
		}
	}
	if stored == nil {
		t.Fatal("the async batch's contact is not at the vendor")
	}
	wantNumber(t, "vendor attr8 after async batch", stored.Props["attr8"], big53)

	t.Run("bad batch", func(t *testing.T) {
		before := len(e.sim.Contacts())
		e.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, headers: async,
			body: `{"items": [{"name": "ok"}, {"gender": "robot"}]}`}).problem(t, 400, "VALIDATION_FAILED")
		e.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, headers: async,
			body: `{"items": [{"name": "ok", "shoe_size": 44}]}`}).problem(t, 400, "VALIDATION_FAILED")
		if after := len(e.sim.Contacts()); after != before {
			t.Fatalf("a refused batch wrote %d contacts", after-before)
		}
	})

	t.Run("limits", func(t *testing.T) {
		items := make([]map[string]any, 1001)
		for i := range items {
			items[i] = map[string]any{"name": "n" + strconv.Itoa(i), "email": fmt.Sprintf("limit%d@example.com", i),
				"external_ids": []any{map[string]any{"channel": "limit.example.com", "id": strconv.Itoa(i)}}}
		}
		// The last item is in the job's second write: its refusal still
		// names its place in the whole batch.
		items[1000]["custom_fields"] = map[string]any{"nosuch": 1}
		// More than one call takes: a job, asked for or not.
		r := e.send(http.MethodPost, "/v1/contacts/batch", map[string]any{"items": items})
		r.ok(t, http.StatusAccepted)
		if r.Header.Get("Preference-Applied") != "" || r.Header.Get("Location") == "" {
			t.Fatalf("unasked job: Preference-Applied %q, Location %q", r.Header.Get("Preference-Applied"), r.Header.Get("Location"))
		}
		done := e.waitJob(r.Header.Get("Location"), "succeeded")
		res := done["result"].(map[string]any)
		if res["succeeded"].(float64) != 1000 || len(res["results"].([]any)) != 1001 {
			t.Fatalf("1001 items: %v succeeded", res["succeeded"])
		}
		last := res["results"].([]any)[1000].(map[string]any)
		if field := at(t, last, "error", "errors", "0", "field"); last["index"].(float64) != 1000 || field != "body.items.1000.custom_fields.nosuch" {
			t.Fatalf("last result %v", last)
		}
		if got := emails(e.sim); got["limit999@example.com"] != 1 || got["limit1000@example.com"] != 0 {
			t.Fatalf("at the vendor: item 999 %d times, item 1000 %d times", got["limit999@example.com"], got["limit1000@example.com"])
		}
	})

	t.Run("idempotency", func(t *testing.T) {
		hdr := map[string]string{"Prefer": "respond-async", "Idempotency-Key": "async-1"}
		one := `{"items": [{"name": "Idem", "external_ids": [{"channel": "idem.example.com", "id": "i1"}]}]}`
		first := e.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, body: one, headers: hdr})
		j1 := first.ok(t, http.StatusAccepted)
		again := e.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, body: one, headers: hdr})
		j2 := again.ok(t, http.StatusAccepted)
		if j1["id"] != j2["id"] || again.Header.Get("Idempotent-Replayed") != "true" || again.Header.Get("Location") != first.Header.Get("Location") ||
			again.Header.Get("Preference-Applied") != "respond-async" {
			t.Fatalf("replay made job %v (first %v), headers %v", j2["id"], j1["id"], again.Header)
		}
		e.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, headers: hdr,
			body: `{"items": [{"name": "Other"}]}`}).problem(t, 422, "IDEMPOTENCY_KEY_REUSED")
	})

	t.Run("tenant isolation and scopes", func(t *testing.T) {
		// keyAll may use demo-switch too: the job is still not its.
		e.do(req{method: http.MethodGet, path: loc, key: keyAll, tenant: tenantSwitch}).problem(t, 404, "NOT_FOUND")
		e.do(req{method: http.MethodDelete, path: loc, key: keyAll, tenant: tenantSwitch}).problem(t, 404, "NOT_FOUND")
		e.do(req{method: http.MethodGet, path: loc, key: keyOther, tenant: tenantLF}).problem(t, 403, "TENANT_FORBIDDEN")
		e.do(req{method: http.MethodGet, path: loc, key: keyReader, tenant: tenantLF}).ok(t, http.StatusOK)
		e.do(req{method: http.MethodDelete, path: loc, key: keyReader, tenant: tenantLF}).problem(t, 403, "INSUFFICIENT_SCOPE")
		e.get("/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa").problem(t, 404, "NOT_FOUND")
		e.get("/v1/jobs/mig_aaaaaaaaaaaaaaaaaaaaaaaaaa").problem(t, 400, "VALIDATION_FAILED")
		// An ended job is answered as it is.
		if c := e.send(http.MethodDelete, loc, nil).ok(t, http.StatusOK); c["state"] != "succeeded" {
			t.Fatalf("cancel of an ended job: %v", c["state"])
		}
	})
}

// ndjson is n import lines of contacts named prefix-i.
func ndjson(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"name":"%s %d","email":"%s-%d@example.com","external_ids":[{"channel":"import.example.com","id":"%s-%d"}]}`+"\n", prefix, i, prefix, i, prefix, i)
	}
	return b.String()
}

func (e *env) importContacts(body string, headers map[string]string) resp {
	e.t.Helper()
	h := map[string]string{"Content-Type": "application/x-ndjson"}
	for k, v := range headers {
		h[k] = v
	}
	return e.do(req{method: http.MethodPost, path: "/v1/contacts/imports", key: keyAll, tenant: tenantLF, body: body, headers: h})
}

// TestImport: an NDJSON import runs as a job, chunk by chunk; a bad line
// refuses it whole, naming the line, with nothing stored.
func TestImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *config.Config) { c.MaxImportBytes = 1 << 20 })
	e.sim.AddProperty(linkflowtest.Property{Label: "big a", Alias: "attr8", DataType: "number"})

	body := ndjson("imp", 2500) + "\n" +
		`{"name":"Exact","email":"exact@example.com","external_ids":[{"channel":"import.example.com","id":"exact"}],"custom_fields":{"attr8":` + big53 + `}}` + "\n" +
		`{"name":"No Id"}`
	r := e.importContacts(body, nil)
	j := r.ok(t, http.StatusAccepted)
	if j["kind"] != "contacts.import" || r.Header.Get("Location") != "/v1/jobs/"+j["id"].(string) {
		t.Fatalf("202 %v, headers %v", j, r.Header)
	}
	done := e.waitJob(r.Header.Get("Location"), "succeeded")
	if c := done["counts"].(map[string]any); c["items"].(float64) != 2502 || c["succeeded"].(float64) != 2501 || c["failed"].(float64) != 1 {
		t.Fatalf("counts %v", c)
	}
	if errs := done["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["item"] != "line 2503" {
		t.Fatalf("errors %v", errs)
	}
	got := emails(e.sim)
	for _, i := range []int{0, 999, 1000, 2499} {
		if n := got[fmt.Sprintf("imp-%d@example.com", i)]; n != 1 {
			t.Fatalf("imported contact %d is at the vendor %d times", i, n)
		}
	}
	for _, c := range e.sim.Contacts() {
		if c.Email == "exact@example.com" {
			wantNumber(t, "vendor attr8 after import", c.Props["attr8"], big53)
		}
	}

	t.Run("bad lines", func(t *testing.T) {
		before := len(e.sim.Contacts())
		body := ndjson("bad", 1500) + `{"name":"x","shoe_size":44}` + "\n" + `{"gender":"robot"}` + "\n" + "not json\n" + ndjson("late", 3)
		p := e.importContacts(body, nil).problem(t, 400, "VALIDATION_FAILED")
		fields := []string{}
		for _, f := range p["errors"].([]any) {
			fields = append(fields, f.(map[string]any)["field"].(string))
		}
		if want := []string{"line 1501.shoe_size", "line 1502.gender", "line 1503"}; strings.Join(fields, ",") != strings.Join(want, ",") {
			t.Fatalf("errors name %v, want %v", fields, want)
		}
		time.Sleep(100 * time.Millisecond) // a job, had one been queued, would have started
		if after := len(e.sim.Contacts()); after != before {
			t.Fatalf("a refused import wrote %d contacts", after-before)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		e.do(req{method: http.MethodPost, path: "/v1/contacts/imports", key: keyAll, tenant: tenantLF, body: ndjson("ct", 1)}).
			problem(t, 415, "UNSUPPORTED_MEDIA_TYPE")
		e.importContacts(ndjson("idem", 1), map[string]string{"Idempotency-Key": "imp-1"}).problem(t, 400, "VALIDATION_FAILED")
		e.importContacts("\n\n", nil).problem(t, 400, "VALIDATION_FAILED")
		e.importContacts(ndjson("big", 12000), nil).problem(t, 413, "PAYLOAD_TOO_LARGE")
		e.importContacts(`{"name":"`+strings.Repeat("x", 300<<10)+`"}`, nil).problem(t, 400, "VALIDATION_FAILED")
		e.do(req{method: http.MethodPost, path: "/v1/contacts/imports", key: keyReader, tenant: tenantLF, body: ndjson("scope", 1),
			headers: map[string]string{"Content-Type": "application/x-ndjson"}}).problem(t, 403, "INSUFFICIENT_SCOPE")
	})
}

// TestImportAcrossReplicas: with Redis, an import received by one replica
// is run by whichever replica claims it (its items are in Redis) and seen
// from every replica.
func TestImportAcrossReplicas(t *testing.T) {
	c := newCluster(t, 2)
	r1, r2 := c.replicas[0], c.replicas[1]
	r := r1.importContacts(ndjson("replica", 2100), nil)
	r.ok(t, http.StatusAccepted)
	done := r2.waitJob(r.Header.Get("Location"), "succeeded")
	if n := done["counts"].(map[string]any)["succeeded"].(float64); n != 2100 {
		t.Fatalf("counts %v", done["counts"])
	}
	if n := emails(r1.sim)["replica-2099@example.com"]; n != 1 {
		t.Fatalf("the last line is at the vendor %d times", n)
	}
	b := r2.do(req{method: http.MethodPost, path: "/v1/contacts/batch", key: keyAll, tenant: tenantLF, headers: async,
		body: `{"items": [{"name": "Across", "external_ids": [{"channel": "replica.example.com", "id": "x"}]}]}`})
	b.ok(t, http.StatusAccepted)
	if res := r1.waitJob(b.Header.Get("Location"), "succeeded")["result"].(map[string]any); res["succeeded"].(float64) != 1 {
		t.Fatalf("batch result %v", res)
	}
}
