package app_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/app"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// nameFields gives the tenant its custom field names.
func nameFields(cfg *config.Config, tenant string, names ...domain.CustomFieldName) {
	for i := range cfg.Tenants {
		if cfg.Tenants[i].ID == tenant {
			cfg.Tenants[i].CustomFields = names
		}
	}
}

// TestFieldNamesEndToEnd: demo-switch names Linkflow's attr3 and a Meihua
// property membership_level, and Linkflow's number attr8 points. The API
// speaks the names (contacts, fields), takes them on writes, exact, and
// refuses the vendor spelling; demo-linkflow, on another Linkflow account
// with the same keys, keeps the vendor's keys; a migration to Meihua
// carries membership_level into the Meihua property and, once switched,
// the API reads it there under the same name.
func TestFieldNamesEndToEnd(t *testing.T) {
	t.Parallel()
	sb, cfg := newSandbox(t)
	lf, mh := linkflowSim(sb, tenantSwitch), meihuaSim(sb, tenantSwitch)
	lf.AddProperty(linkflowtest.Property{Label: "points", Alias: "attr8", DataType: "number"})
	prop := mh.AddProperty("Membership", 1, "")
	propKey := strconv.FormatInt(prop, 10)
	nameFields(cfg, tenantSwitch,
		domain.CustomFieldName{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr3", "meihua": propKey}},
		domain.CustomFieldName{Name: "points", Keys: map[domain.Vendor]string{"linkflow": "attr8"}})
	e := serve(t, sb, cfg, app.Options{})
	on := func(method, path string, body any) resp {
		t.Helper()
		return e.do(req{method: method, path: path, key: keyOther, tenant: tenantSwitch, body: body})
	}

	// Reads: a seeded contact's attr3 is membership_level.
	var seeded linkflowtest.Contact
	for _, c := range lf.Contacts() {
		if c.Props["attr3"] != nil && c.Email != "" {
			seeded = c
			break
		}
	}
	got := on(http.MethodGet, "/v1/contacts/lf_"+strconv.FormatInt(seeded.ID, 10), nil).ok(t, http.StatusOK)
	cf := got["custom_fields"].(map[string]any)
	if cf["membership_level"] != seeded.Props["attr3"] || cf["attr3"] != nil {
		t.Fatalf("custom_fields %v, want membership_level %v", cf, seeded.Props["attr3"])
	}
	keys := map[string]bool{}
	for _, f := range on(http.MethodGet, "/v1/fields?limit=200", nil).ok(t, http.StatusOK)["data"].([]any) {
		keys[f.(map[string]any)["key"].(string)] = true
	}
	if !keys["membership_level"] || !keys["points"] || keys["attr3"] || !keys["attr1"] {
		t.Fatalf("field keys %v", keys)
	}

	// Writes by name, exact; the answer and the vendor agree.
	r := on(http.MethodPost, "/v1/contacts", `{"name": "Named", "email": "named@example.com", "external_ids": [{"channel": "names.example.com", "id": "n1"}],
		"custom_fields": {"membership_level": "gold", "points": `+big53+`, "attr1": "single"}}`)
	r.ok(t, http.StatusCreated)
	created := exact(t, r.Body)
	wantNumber(t, "create answer points", at(t, created, "custom_fields", "points"), big53)
	id := at(t, created, "id").(string)
	n, _ := strconv.ParseInt(strings.TrimPrefix(id, "lf_"), 10, 64)
	stored, _ := lf.Contact(n)
	wantNumber(t, "linkflow attr8", stored.Props["attr8"], big53)
	if stored.Props["attr3"] != "gold" || stored.Props["attr1"] != "single" || stored.Props["membership_level"] != nil {
		t.Fatalf("linkflow stored %v", stored.Props)
	}
	wantNumber(t, "get points", at(t, exact(t, on(http.MethodGet, "/v1/contacts/"+id, nil).Body), "custom_fields", "points"), big53)

	// The vendor spelling of a named field is refused, nothing written.
	before := len(lf.Contacts())
	p := on(http.MethodPatch, "/v1/contacts/"+id, map[string]any{"custom_fields": map[string]any{"attr3": "silver"}}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
	if msg := fieldMessages(t, p)["body.custom_fields.attr3"]; !strings.Contains(msg, `"membership_level"`) {
		t.Fatalf("errors %v", fieldMessages(t, p))
	}
	if stored, _ := lf.Contact(n); stored.Props["attr3"] != "gold" || len(lf.Contacts()) != before {
		t.Fatal("a refused write changed linkflow")
	}

	// demo-linkflow names nothing: attr3 is attr3 there.
	other := e.do(req{method: http.MethodGet, path: "/v1/fields?limit=200", key: keyAll, tenant: tenantLF}).ok(t, http.StatusOK)
	for _, f := range other["data"].([]any) {
		if k := f.(map[string]any)["key"]; k == "membership_level" || k == "points" {
			t.Fatalf("demo-linkflow sees demo-switch's name %v", k)
		}
	}
	e.do(req{method: http.MethodPost, path: "/v1/contacts", key: keyAll, tenant: tenantLF,
		body: map[string]any{"name": "x", "external_ids": externalID("iso-1"), "custom_fields": map[string]any{"membership_level": "gold"}}}).
		problem(t, http.StatusBadRequest, "VALIDATION_FAILED")

	// Migration: membership_level arrives in the Meihua property; points,
	// named at Linkflow only and a number, is created at Meihua as a
	// text property, and the plan says so.
	r = e.admin(http.MethodPost, "/admin/v1/tenants/"+tenantSwitch+"/migrations", map[string]any{"to": "meihua", "switch": true})
	started := r.ok(t, http.StatusAccepted)
	fields := planStep(t, started, "custom_fields")
	if !strings.Contains(strings.Join(anyStrings(fields["transformed"]), " "), "custom_fields.points: a number field, created at meihua as text") {
		t.Fatalf("custom_fields step %v, want points created as text", fields)
	}
	if d := strings.Join(anyStrings(planStep(t, started, "contacts")["dropped"]), " "); strings.Contains(d, "custom_fields") {
		t.Fatalf("contacts step drops %s: the custom_fields step carries them", d)
	}
	e.waitMigration(r.Header.Get("Location"), "succeeded")
	at := map[string]string{}
	for _, c := range mh.Contacts() {
		at[strings.ToLower(c.Email)] = c.Properties[prop]
	}
	checked := 0
	for _, c := range lf.Contacts() {
		if v, ok := c.Props["attr3"].(string); ok && v != "" && c.Email != "" {
			checked++
			if at[strings.ToLower(c.Email)] != v {
				t.Errorf("%s: meihua property %q, want %q", c.Email, at[strings.ToLower(c.Email)], v)
			}
		}
	}
	if checked == 0 || at["named@example.com"] != "gold" {
		t.Fatalf("checked %d contacts; named@example.com has %q", checked, at["named@example.com"])
	}
	var points []meihuatest.Property
	for _, p := range mh.Properties() {
		if p.Label == "points" {
			points = append(points, p)
		}
	}
	if len(points) != 1 || points[0].FieldType != 1 {
		t.Fatalf("meihua properties labelled points: %+v, want one text property", points)
	}
	for _, c := range mh.Contacts() {
		if strings.EqualFold(c.Email, "named@example.com") && c.Properties[points[0].ID] != big53 {
			t.Fatalf("named@example.com's points at meihua: %q, want %s exactly", c.Properties[points[0].ID], big53)
		}
	}
	// Switched: the old id reads the Meihua contact, by the same name.
	cf = on(http.MethodGet, "/v1/contacts/"+id, nil).ok(t, http.StatusOK)["custom_fields"].(map[string]any)
	if cf["membership_level"] != "gold" || cf[propKey] != nil {
		t.Fatalf("after the switch custom_fields %v", cf)
	}
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, s := range l {
		out[i], _ = s.(string)
	}
	return out
}

// TestFieldNamesCheckedAtStartAndReload: a named key the vendor does not
// define fails the start and a reload, naming tenant, vendor, key and
// name (the running configuration serves on); a vendor that does not
// answer only logs a warning.
func TestFieldNamesCheckedAtStartAndReload(t *testing.T) {
	t.Parallel()
	missing := domain.CustomFieldName{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr77"}}
	sb, cfg := newSandbox(t, func(cfg *config.Config) { nameFields(cfg, tenantSwitch, missing) })
	_, err := app.New(context.Background(), cfg, app.Options{})
	want := `tenant demo-switch: custom field membership_level: linkflow has no field with key "attr77"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("start: err = %v, want %q", err, want)
	}

	good := *cfg
	good.Tenants = append([]config.Tenant(nil), cfg.Tenants...)
	nameFields(&good, tenantSwitch, domain.CustomFieldName{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr3"}})
	a, err := app.New(context.Background(), &good, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if _, err := a.Reload(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("reload: err = %v, want %q", err, want)
	}
	// A name that is another Linkflow field's key would hide that field.
	hiding := good
	hiding.Tenants = append([]config.Tenant(nil), good.Tenants...)
	nameFields(&hiding, tenantSwitch, domain.CustomFieldName{Name: "attr1", Keys: map[domain.Vendor]string{"linkflow": "attr3"}})
	if _, err := a.Reload(context.Background(), &hiding); err == nil ||
		!strings.Contains(err.Error(), `tenant demo-switch: custom field attr1: linkflow has another field with key "attr1", which the name would hide`) {
		t.Fatalf("reload: err = %v", err)
	}

	// Meihua unreachable: a warning, and the gateway starts.
	down := good
	down.Tenants = append([]config.Tenant(nil), good.Tenants...)
	for i, tn := range down.Tenants {
		if tn.ID != tenantSwitch {
			continue
		}
		conns := append([]config.Connection(nil), tn.Connections...)
		for j, c := range conns {
			if c.Vendor == "meihua" {
				urls := map[string]string{}
				for k, v := range c.URLs {
					urls[k] = v
				}
				urls["base_url"] = "http://127.0.0.1:1"
				conns[j].URLs = urls
			}
		}
		down.Tenants[i].Connections = conns
	}
	nameFields(&down, tenantSwitch, domain.CustomFieldName{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr3", "meihua": "999"}})
	logs := serve(t, sb, &down, app.Options{}).logs.String()
	warned := false
	for line := range strings.Lines(logs) {
		warned = warned || strings.Contains(line, "custom field names not checked") && strings.Contains(line, `"level":"WARN"`) &&
			strings.Contains(line, `"tenant":"demo-switch"`) && strings.Contains(line, `"vendor":"meihua"`)
	}
	if !warned {
		t.Fatalf("no warning of the unchecked names: %s", logs)
	}
}
