package domain_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// namedConn is a fieldsConn that also answers reads: every contact it
// answers holds stored, under the vendor's keys.
type namedConn struct {
	*fieldsConn
	stored map[string]any
}

func (n *namedConn) contact(id string) domain.Contact {
	return domain.Contact{ID: id, Name: "n", CustomFields: n.stored}
}

func (n *namedConn) GetContact(_ context.Context, id string) (domain.Contact, error) {
	return n.contact(id), nil
}

func (n *namedConn) ContactFilters() []string { return nil }

func (n *namedConn) ListContacts(context.Context, domain.ContactQuery, domain.PageRequest) (domain.Page[domain.Contact], error) {
	return domain.Page[domain.Contact]{Items: []domain.Contact{n.contact("1"), n.contact("2")}}, nil
}

func (n *namedConn) ListGroupMembers(context.Context, string, domain.PageRequest) (domain.Page[domain.Contact], error) {
	return domain.Page[domain.Contact]{Items: []domain.Contact{n.contact("3")}}, nil
}

// exact is 2^53+1, which a float64 cannot hold.
const exact = json.Number("9007199254740993")

// withNames returns a Service with tenant acme, which names linkflow's
// attr3 membership_level (and meihua's 4338372, not used here), and
// tenant beta on the same vendor account shape without names; both on
// linkflow connections defining attr3 (text), attr4 (number) and attr9
// (text, unmapped).
func withNames(t *testing.T) (s *domain.Service, acme, beta *namedConn) {
	t.Helper()
	defs := []domain.FieldDef{
		{ID: "3", Key: "attr3", Type: domain.FieldTypeText},
		{ID: "4", Key: "attr4", Type: domain.FieldTypeNumber},
		{ID: "9", Key: "attr9", Type: domain.FieldTypeText},
	}
	stored := map[string]any{"attr3": "gold", "attr4": exact, "attr9": "kept"}
	acme = &namedConn{fieldsConn: newFieldsConn(defs...), stored: stored}
	beta = &namedConn{fieldsConn: newFieldsConn(defs...), stored: stored}
	s = newService(t, domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{
		{ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": acme, "meihua": bareMeihua{}},
			FieldNames: []domain.CustomFieldName{
				{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr3", "meihua": "4338372"}},
				{Name: "points", Keys: map[domain.Vendor]string{"linkflow": "attr4"}},
			}},
		{ID: "beta", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": beta}},
	}})
	return s, acme, beta
}

type bareMeihua struct{}

func (bareMeihua) Vendor() domain.Vendor { return "meihua" }

var named = map[string]any{"membership_level": "gold", "points": exact, "attr9": "kept"}

func wantCustom(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: custom fields %v, want %v", what, got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s: custom fields %v, want %v", what, got, want)
		}
	}
}

// TestFieldNamesOnReads: every answer that carries contacts names the
// mapped fields by the tenant's names, unmapped keys as they are, values
// exact; the field list shows the names as keys. Another tenant on the
// same vendor keys sees the vendor's keys.
func TestFieldNamesOnReads(t *testing.T) {
	t.Parallel()
	s, _, _ := withNames(t)
	ctx := context.Background()
	acme, beta := target(t, s, "acme"), target(t, s, "beta")

	c, err := s.GetContact(ctx, acme, "lf_1")
	if err != nil {
		t.Fatal(err)
	}
	wantCustom(t, "get", c.CustomFields, named)
	l, err := s.ListContacts(ctx, acme, domain.ContactFilter{}, domain.ListOptions{})
	if err != nil || len(l.Items) != 2 {
		t.Fatal(l, err)
	}
	for _, c := range l.Items {
		wantCustom(t, "list", c.CustomFields, named)
	}
	m, err := s.ListGroupMembers(ctx, acme, "lf_7", domain.ListOptions{})
	if err != nil || len(m.Items) != 1 {
		t.Fatal(m, err)
	}
	wantCustom(t, "members", m.Items[0].CustomFields, named)

	var keys []string
	for o := (domain.ListOptions{}); ; {
		fields, err := s.ListFields(ctx, acme, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields.Items {
			keys = append(keys, f.Key+"="+f.ID)
		}
		if o.Cursor = fields.NextCursor; o.Cursor == "" {
			break
		}
	}
	if got := strings.Join(keys, " "); got != "membership_level=lf_3 points=lf_4 attr9=lf_9" {
		t.Fatalf("field keys %s", got)
	}

	// beta names nothing: the vendor's keys, on the same kind of account.
	c, err = s.GetContact(ctx, beta, "lf_1")
	if err != nil {
		t.Fatal(err)
	}
	wantCustom(t, "beta get", c.CustomFields, map[string]any{"attr3": "gold", "attr4": exact, "attr9": "kept"})
	fields, err := s.ListFields(ctx, beta, domain.ListOptions{})
	if err != nil || fields.Items[0].Key != "attr3" {
		t.Fatal(fields, err)
	}
}

// TestFieldNamesOnWrites: create, PATCH and batch items take the tenant's
// names and reach the vendor under its keys, exact; their answers speak
// the names again.
func TestFieldNamesOnWrites(t *testing.T) {
	t.Parallel()
	s, conn, _ := withNames(t)
	ctx := context.Background()
	acme := target(t, s, "acme")
	vendorKeys := map[string]any{"attr3": "gold", "attr4": exact, "attr9": "kept"}

	c, err := s.CreateContact(ctx, acme, domain.ContactInput{Contact: domain.Contact{Name: "x", CustomFields: named}})
	if err != nil {
		t.Fatal(err)
	}
	wantCustom(t, "create sent", conn.created[0].CustomFields, vendorKeys)
	wantCustom(t, "create answer", c.CustomFields, named)
	wantCustom(t, "caller's map untouched", named, map[string]any{"membership_level": "gold", "points": exact, "attr9": "kept"})

	c, err = s.UpdateContact(ctx, acme, "lf_1", domain.ContactPatch{CustomFields: map[string]any{"points": exact}})
	if err != nil {
		t.Fatal(err)
	}
	wantCustom(t, "patch sent", conn.patches[0].CustomFields, map[string]any{"attr4": exact})
	wantCustom(t, "patch answer", c.CustomFields, map[string]any{"points": exact})

	res, err := s.BatchUpsertContacts(ctx, acme, []domain.ContactInput{
		{Contact: domain.Contact{Name: "a", CustomFields: map[string]any{"membership_level": "silver"}}},
		{Contact: domain.Contact{Name: "b"}},
		{Contact: domain.Contact{Name: "c", CustomFields: map[string]any{"points": exact, "attr9": "y"}}},
	}, "")
	if err != nil || len(res) != 3 || res[0].Status != domain.BatchUpserted || res[2].Status != domain.BatchUpserted {
		t.Fatal(res, err)
	}
	wantCustom(t, "batch item 0", conn.batches[0][0].CustomFields, map[string]any{"attr3": "silver"})
	wantCustom(t, "batch item 2", conn.batches[1][0].CustomFields, map[string]any{"attr4": exact, "attr9": "y"})
}

// TestFieldNamesChecks: the custom field checks name a field as the
// caller spelled it; a mapped field spelled by its vendor key is refused,
// on every write, before the vendor is called; another tenant's names
// mean nothing to a tenant without them.
func TestFieldNamesChecks(t *testing.T) {
	t.Parallel()
	s, conn, betaConn := withNames(t)
	ctx := context.Background()
	acme, beta := target(t, s, "acme"), target(t, s, "beta")
	oneSpelling := `is this tenant's custom field "membership_level": write it by that name (one spelling per field)`

	err := createWith(s, acme, map[string]any{"attr3": "gold", "attr9": "x"})
	wantFields(t, err, map[string]string{"body.custom_fields.attr3": oneSpelling})
	_, err = s.UpdateContact(ctx, acme, "lf_1", domain.ContactPatch{CustomFields: map[string]any{"attr4": exact}})
	wantFields(t, err, map[string]string{"body.custom_fields.attr4": `is this tenant's custom field "points": write it by that name (one spelling per field)`})
	err = createWith(s, acme, map[string]any{"points": "many", "nope": 1})
	wantFields(t, err, map[string]string{
		"body.custom_fields.points": "must be a number",
		"body.custom_fields.nope":   "is not a custom field of this tenant's linkflow account",
	})
	if _, writes := conn.counts(); writes != 0 {
		t.Fatalf("%d writes reached the vendor", writes)
	}

	res, err := s.BatchUpsertContacts(ctx, acme, []domain.ContactInput{
		{Contact: domain.Contact{Name: "a", CustomFields: map[string]any{"attr3": "silver"}}},
		{Contact: domain.Contact{Name: "b", CustomFields: map[string]any{"membership_level": "silver"}}},
		{Contact: domain.Contact{Name: "c", CustomFields: map[string]any{"points": "x"}}},
	}, "")
	if err != nil || len(res) != 3 || res[1].Status != domain.BatchUpserted {
		t.Fatal(res, err)
	}
	wantFields(t, res[0].Err, map[string]string{"body.items.0.custom_fields.attr3": oneSpelling})
	wantFields(t, res[2].Err, map[string]string{"body.items.2.custom_fields.points": "must be a number"})
	if len(conn.batches) != 1 || len(conn.batches[0]) != 1 || conn.batches[0][0].CustomFields["attr3"] != "silver" {
		t.Fatalf("sent %+v", conn.batches)
	}

	// beta: attr3 is its key, membership_level is nothing.
	if err := createWith(s, beta, map[string]any{"attr3": "gold"}); err != nil {
		t.Fatal(err)
	}
	err = createWith(s, beta, map[string]any{"membership_level": "gold"})
	wantFields(t, err, map[string]string{"body.custom_fields.membership_level": "is not a custom field of this tenant's linkflow account"})
	if betaConn.created[0].CustomFields["attr3"] != "gold" || len(betaConn.created) != 1 {
		t.Fatalf("beta sent %+v", betaConn.created)
	}
}

// TestFieldNamesRefusedByService: names the Service cannot serve stop it
// being built.
func TestFieldNamesRefusedByService(t *testing.T) {
	t.Parallel()
	conn := newFieldsConn()
	for name, tc := range map[string]struct {
		names []domain.CustomFieldName
		want  string
	}{
		"not a connection": {[]domain.CustomFieldName{{Name: "a", Keys: map[domain.Vendor]string{"meihua": "1"}}},
			"tenant acme: custom field a is mapped on meihua, which is not one of its connections"},
		"key twice": {[]domain.CustomFieldName{{Name: "a", Keys: map[domain.Vendor]string{"linkflow": "k"}}, {Name: "b", Keys: map[domain.Vendor]string{"linkflow": "k"}}},
			`linkflow key "k" is mapped by "a" and "b"`},
		"name is a key": {[]domain.CustomFieldName{{Name: "a", Keys: map[domain.Vendor]string{"linkflow": "k"}}, {Name: "k", Keys: map[domain.Vendor]string{"linkflow": "j"}}},
			`name "k" is the linkflow key of "a"`},
	} {
		_, err := domain.NewService(context.Background(), domain.ServiceConfig{Vendors: testVendors, CursorSecret: []byte(testSecret),
			Bindings: memory.NewBindings(memory.BindingsOptions{}),
			Tenants:  []domain.Tenant{{ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": conn}, FieldNames: tc.names}}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

// TestFieldNamesCostNothingUnused: reading a contact with custom fields
// costs a tenant without names no allocation beyond reading one without
// custom fields; a tenant with names pays for its translated map.
func TestFieldNamesCostNothingUnused(t *testing.T) {
	s, _, betaConn := withNames(t)
	ctx := context.Background()
	acme, beta := target(t, s, "acme"), target(t, s, "beta")
	get := func(tg domain.Target) float64 {
		return testing.AllocsPerRun(200, func() {
			if _, err := s.GetContact(ctx, tg, "lf_1"); err != nil {
				t.Fatal(err)
			}
		})
	}
	unnamed := get(beta)
	betaConn.stored = nil
	bare := get(beta)
	if unnamed != bare {
		t.Fatalf("a tenant without names: %v allocations with custom fields, %v without", unnamed, bare)
	}
	if named := get(acme); named <= unnamed {
		t.Fatalf("a tenant with names: %v allocations, want more than %v (the measurement sees the translation)", named, unnamed)
	}
}

// refusingConn is a namedConn whose vendor refuses every contact write,
// naming custom fields by its own keys, as adapters do.
type refusingConn struct{ *namedConn }

func vendorRefusal(prefix string) error {
	return &domain.ValidationError{Fields: []domain.FieldError{
		{Field: prefix + "custom_fields.attr3", Message: "vendor says no"},
		{Field: prefix + "custom_fields.attr9", Message: "vendor says no"},
		{Field: prefix + "email", Message: "vendor says no"},
	}}
}

func (refusingConn) CreateContact(context.Context, domain.ContactInput) (domain.Contact, error) {
	return domain.Contact{}, vendorRefusal("body.")
}

func (refusingConn) UpdateContact(context.Context, string, domain.ContactPatch) (domain.Contact, error) {
	return domain.Contact{}, vendorRefusal("body.")
}

func (refusingConn) BatchUpsertContacts(_ context.Context, items []domain.ContactInput, _ domain.OnConflict) ([]domain.BatchItemResult, error) {
	out := make([]domain.BatchItemResult, len(items))
	for i := range items {
		out[i] = domain.BatchItemResult{Index: i, Status: domain.BatchFailed, Err: vendorRefusal("body.items." + strconv.Itoa(i) + ".")}
	}
	return out, nil
}

// TestFieldNamesInVendorRefusals: a vendor's refusal that names a mapped
// field by its key names it as the tenant does; other fields as they are.
func TestFieldNamesInVendorRefusals(t *testing.T) {
	t.Parallel()
	_, acme, _ := withNames(t)
	conn := refusingConn{acme}
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Tenants: []domain.Tenant{{
		ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": conn},
		FieldNames: []domain.CustomFieldName{{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr3"}}},
	}}})
	ctx := context.Background()
	tg := target(t, s, "acme")
	want := func(prefix string) map[string]string {
		return map[string]string{prefix + "custom_fields.membership_level": "vendor says no", prefix + "custom_fields.attr9": "vendor says no", prefix + "email": "vendor says no"}
	}
	wantFields(t, createWith(s, tg, map[string]any{"membership_level": "x"}), want("body."))
	_, err := s.UpdateContact(ctx, tg, "lf_1", domain.ContactPatch{CustomFields: map[string]any{"membership_level": "x"}})
	wantFields(t, err, want("body."))
	res, err := s.BatchUpsertContacts(ctx, tg, []domain.ContactInput{{}, {}, {}}, "")
	if err != nil || len(res) != 3 {
		t.Fatal(res, err)
	}
	wantFields(t, res[0].Err, want("body.items.0."))
}
