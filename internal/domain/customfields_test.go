package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// fieldsConn is a vendor with custom field definitions: it lists them
// (two per page, as a vendor with small pages would) and takes contact
// writes, recording what reached it.
type fieldsConn struct {
	vendor domain.Vendor

	mu      sync.Mutex
	defs    []domain.FieldDef
	listErr error
	loads   int           // definition reads (first pages)
	gate    chan struct{} // when set, a read waits until it is closed
	entered chan struct{} // when set, a read signals here before waiting
	created []domain.ContactInput
	patches []domain.ContactPatch
	batches [][]domain.ContactInput
}

func newFieldsConn(defs ...domain.FieldDef) *fieldsConn {
	return &fieldsConn{vendor: domain.Vendor("linkflow"), defs: defs}
}

func (f *fieldsConn) Vendor() domain.Vendor { return f.vendor }

func (f *fieldsConn) ListFields(ctx context.Context, p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	f.mu.Lock()
	if p.State == "" {
		f.loads++
	}
	gate, entered, err := f.gate, f.entered, f.listErr
	defs := slices.Clone(f.defs)
	f.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return domain.Page[domain.FieldDef]{}, ctx.Err()
		}
	}
	if err != nil {
		return domain.Page[domain.FieldDef]{}, err
	}
	start := 0
	if p.State != "" {
		start, _ = strconv.Atoi(p.State)
	}
	end := min(start+2, len(defs))
	page := domain.Page[domain.FieldDef]{Items: defs[start:end]}
	if end < len(defs) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

func (f *fieldsConn) CreateField(_ context.Context, in domain.FieldInput) (domain.FieldDef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := domain.FieldDef{ID: strconv.Itoa(len(f.defs) + 1), Key: "attr" + strconv.Itoa(len(f.defs)+1), Label: in.Label, Type: in.Type}
	f.defs = append(f.defs, d)
	return d, nil
}

func (f *fieldsConn) CreateContact(_ context.Context, in domain.ContactInput) (domain.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, in)
	c := in.Contact
	c.ID = "1"
	return c, nil
}

func (f *fieldsConn) UpdateContact(_ context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.patches = append(f.patches, p)
	c := domain.Contact{ID: id}
	p.Apply(&c)
	return c, nil
}

func (f *fieldsConn) BatchUpsertContacts(_ context.Context, items []domain.ContactInput, _ domain.OnConflict) ([]domain.BatchItemResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, slices.Clone(items))
	out := make([]domain.BatchItemResult, len(items))
	for i, it := range items {
		out[i] = domain.BatchItemResult{Index: i, Status: domain.BatchUpserted, ID: "id-" + it.Name}
	}
	return out, nil
}

// BatchSize is 2, so that a batch spans several chunks.
func (f *fieldsConn) BatchSize() int { return 2 }

func (f *fieldsConn) addDef(d domain.FieldDef) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.defs = append(f.defs, d)
}

func (f *fieldsConn) set(fn func(*fieldsConn)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fieldsConn) counts() (loads, writes int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads, len(f.created) + len(f.patches) + len(f.batches)
}

// withFields returns a Service over conn for tenant acme on a test clock.
func withFields(t *testing.T, conn domain.Connection) (*domain.Service, domain.Target, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Now: clock.Now, Tenants: []domain.Tenant{{
		ID: "acme", Initial: conn.Vendor(), Connections: map[domain.Vendor]domain.Connection{conn.Vendor(): conn},
	}}})
	return s, target(t, s, "acme"), clock
}

// withReadFields is withFields over a vendor defining attr1 (text), after
// one write has read the definitions.
func withReadFields(t *testing.T) (*fieldsConn, *domain.Service, domain.Target, *fakeClock) {
	t.Helper()
	conn := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText})
	s, tg, clock := withFields(t, conn)
	if err := createWith(s, tg, map[string]any{"attr1": "x"}); err != nil {
		t.Fatal(err)
	}
	return conn, s, tg, clock
}

func createWith(s *domain.Service, tg domain.Target, fields map[string]any) error {
	_, err := s.CreateContact(context.Background(), tg, domain.ContactInput{Contact: domain.Contact{Name: "x", CustomFields: fields}})
	return err
}

// wantFields asserts a ValidationError naming exactly these fields, with
// these messages.
func wantFields(t *testing.T, err error, want map[string]string) {
	t.Helper()
	ve := asError[*domain.ValidationError](t, err)
	got := map[string]string{}
	for _, f := range ve.Fields {
		got[f.Field] = f.Message
	}
	if len(got) != len(want) {
		t.Fatalf("fields %v, want %v", got, want)
	}
	for f, m := range want {
		if got[f] != m {
			t.Fatalf("fields %v, want %s: %q", got, f, m)
		}
	}
}

var typedDefs = []domain.FieldDef{
	{Key: "text", Type: domain.FieldTypeText},
	{Key: "num", Type: domain.FieldTypeNumber},
	{Key: "date", Type: domain.FieldTypeDate},
	{Key: "dt", Type: domain.FieldTypeDateTime},
	{Key: "bool", Type: domain.FieldTypeBoolean},
	{Key: "sel", Type: domain.FieldTypeSelect, Options: []string{"gold", "silver"}},
	{Key: "selany", Type: domain.FieldTypeSelect},
	{Key: "multi", Type: domain.FieldTypeMultiSelect, Options: []string{"a", "b"}},
	{Key: "multiany", Type: domain.FieldTypeMultiSelect},
	{Key: "any", Type: domain.FieldTypeUnknown},
	{Key: "odd", Type: domain.FieldType("geo")},
}

// TestCustomFieldValueTypes: each canonical type takes the values of its
// JSON kind, numbers in every form a decoder may give (json.Number beyond
// 2^53, Go integers, float64), and null (which clears a value).
func TestCustomFieldValueTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key   string
		value any
		msg   string // "" means accepted
	}{
		{"text", "单身", ""},
		{"text", "", ""},
		{"text", json.Number("1"), "must be a string"},
		{"text", true, "must be a string"},
		{"num", json.Number("9007199254740993"), ""},
		{"num", json.Number("12345678901234567890"), ""},
		{"num", json.Number("-1.5e3"), ""},
		{"num", 10000, ""},
		{"num", int64(-3), ""},
		{"num", uint8(7), ""},
		{"num", float64(1.25), ""},
		{"num", "10000", "must be a number"},
		{"num", json.Number("ten"), "must be a number"},
		{"num", json.Number("true"), "must be a number"},
		{"num", json.Number(""), "must be a number"},
		{"num", math.NaN(), "must be a number"},
		{"num", math.Inf(1), "must be a number"},
		{"num", []any{json.Number("1")}, "must be a number"},
		{"date", "2024-05-10", ""},
		{"date", json.Number("20240510"), "must be a date, as a string"},
		{"dt", "2024-05-10 08:22:57", ""},
		{"dt", false, "must be a date and time, as a string"},
		{"bool", true, ""},
		{"bool", "true", "must be true or false"},
		{"sel", "gold", ""},
		{"sel", "bronze", "must be one of the field's options: gold, silver"},
		{"sel", []any{"gold"}, "must be a string"},
		{"selany", "anything", ""},
		{"multi", []any{"a", "b"}, ""},
		{"multi", []string{"b"}, ""},
		{"multi", []any{}, ""},
		{"multi", []any{"a", "c"}, `holds "c", which is not one of the field's options: a, b`},
		{"multi", []any{"a", json.Number("1")}, "must be an array of strings"},
		{"multi", "a", "must be an array of strings"},
		{"multiany", []any{"x"}, ""},
		{"any", map[string]any{"x": 1}, ""},
		{"odd", json.Number("1"), ""},
		{"text", nil, ""},
		{"num", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+fmtValue(tt.value), func(t *testing.T) {
			t.Parallel()
			conn := newFieldsConn(typedDefs...)
			s, tg, _ := withFields(t, conn)
			err := createWith(s, tg, map[string]any{tt.key: tt.value})
			_, writes := conn.counts()
			if tt.msg == "" {
				if err != nil || writes != 1 {
					t.Fatalf("refused (%v) or not written (%d writes)", err, writes)
				}
				return
			}
			wantFields(t, err, map[string]string{"body.custom_fields." + tt.key: tt.msg})
			if writes != 0 {
				t.Fatal("a refused write reached the vendor")
			}
		})
	}
}

func fmtValue(v any) string { return fmt.Sprintf("%T(%v)", v, v) }

// TestCustomFieldsUnknownAndWrongKeys: create and PATCH name every bad
// field, and nothing reaches the vendor.
func TestCustomFieldsUnknownAndWrongKeys(t *testing.T) {
	t.Parallel()
	defs := []domain.FieldDef{{Key: "attr1", Type: domain.FieldTypeText}, {Key: "attr2", Type: domain.FieldTypeNumber}}
	bad := map[string]any{"attr1": "ok", "attr2": "abc", "attr9": "x", "Attr1": "x"}
	want := map[string]string{
		"body.custom_fields.attr2": "must be a number",
		"body.custom_fields.attr9": "is not a custom field of this tenant's linkflow account",
		"body.custom_fields.Attr1": "is not a custom field of this tenant's linkflow account",
	}

	t.Run("create", func(t *testing.T) {
		t.Parallel()
		conn := newFieldsConn(defs...)
		s, tg, _ := withFields(t, conn)
		wantFields(t, createWith(s, tg, bad), want)
		if _, writes := conn.counts(); writes != 0 {
			t.Fatal("a refused create reached the vendor")
		}
		if err := createWith(s, tg, map[string]any{"attr1": "ok", "attr2": json.Number("12000")}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("patch", func(t *testing.T) {
		t.Parallel()
		conn := newFieldsConn(defs...)
		s, tg, _ := withFields(t, conn)
		_, err := s.UpdateContact(context.Background(), tg, "lf_4", domain.ContactPatch{CustomFields: bad})
		wantFields(t, err, want)
		if _, writes := conn.counts(); writes != 0 {
			t.Fatal("a refused patch reached the vendor")
		}
		c, err := s.UpdateContact(context.Background(), tg, "lf_4", domain.ContactPatch{CustomFields: map[string]any{"attr2": 5, "attr1": nil}})
		if err != nil || c.ID != "lf_4" {
			t.Fatalf("UpdateContact = %+v, %v", c, err)
		}
	})

	t.Run("input checks come first", func(t *testing.T) {
		t.Parallel()
		conn := newFieldsConn(defs...)
		s, tg, _ := withFields(t, conn)
		_, err := s.UpdateContact(context.Background(), tg, "mh_4", domain.ContactPatch{CustomFields: bad})
		asError[*domain.IDMismatchError](t, err)
		_, err = s.UpdateContact(context.Background(), tg, "lf_4", domain.ContactPatch{})
		wantFieldError(t, err, "body")
		if loads, _ := conn.counts(); loads != 0 {
			t.Fatalf("definitions read %d times for a request refused on other grounds", loads)
		}
	})
}

// TestCustomFieldsBatchItems: a batch item with a bad field fails alone,
// naming its fields under its index; the others are written, in their
// chunks, and keep their places in the results.
func TestCustomFieldsBatchItems(t *testing.T) {
	t.Parallel()
	conn := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText}, domain.FieldDef{Key: "attr2", Type: domain.FieldTypeNumber})
	s, tg, _ := withFields(t, conn)
	items := contactInputs(6)
	items[1].CustomFields = map[string]any{"attr9": "x"}
	items[2].CustomFields = map[string]any{"attr2": "x", "attr1": json.Number("1")}
	items[3].CustomFields = map[string]any{"attr2": json.Number("9007199254740993")}
	items[5].CustomFields = map[string]any{"attr10": true}
	res, err := s.BatchUpsertContacts(context.Background(), tg, items, domain.OnConflictMerge)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(items) {
		t.Fatalf("%d results for %d items", len(res), len(items))
	}
	wantItem := map[int]map[string]string{
		1: {"body.items.1.custom_fields.attr9": "is not a custom field of this tenant's linkflow account"},
		2: {"body.items.2.custom_fields.attr2": "must be a number", "body.items.2.custom_fields.attr1": "must be a string"},
		5: {"body.items.5.custom_fields.attr10": "is not a custom field of this tenant's linkflow account"},
	}
	for i, r := range res {
		if r.Index != i {
			t.Errorf("result %d has index %d", i, r.Index)
		}
		if w, bad := wantItem[i]; bad {
			if r.Status != domain.BatchFailed {
				t.Errorf("item %d: %+v, want failed", i, r)
				continue
			}
			wantFields(t, r.Err, w)
			continue
		}
		if r.Status != domain.BatchUpserted || r.ID != "lf_id-n"+strconv.Itoa(i) {
			t.Errorf("item %d: %+v, want upserted as lf_id-n%d", i, r, i)
		}
	}
	var sent [][]string
	for _, b := range conn.batches {
		sent = append(sent, names(b))
	}
	if want := [][]string{{"n0", "n3"}, {"n4"}}; !slices.EqualFunc(sent, want, slices.Equal) {
		t.Fatalf("chunks sent %v, want %v", sent, want)
	}
	if loads, _ := conn.counts(); loads != 1 {
		t.Fatalf("%d definition reads, want 1 (read for this batch, so not again for its unknown keys)", loads)
	}

	t.Run("every item refused", func(t *testing.T) {
		t.Parallel()
		conn := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText})
		s, tg, _ := withFields(t, conn)
		items := contactInputs(3)
		for i := range items {
			items[i].CustomFields = map[string]any{"attr1": i}
		}
		res, err := s.BatchUpsertContacts(context.Background(), tg, items, domain.OnConflictMerge)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Index != i || r.Status != domain.BatchFailed {
				t.Errorf("item %d: %+v", i, r)
			}
		}
		if _, writes := conn.counts(); writes != 0 {
			t.Fatal("refused items reached the vendor")
		}
	})
}

// TestFieldDefsCache: definitions are read once per connection and TTL;
// each tenant's connection has its own.
func TestFieldDefsCache(t *testing.T) {
	t.Parallel()
	a := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText}, domain.FieldDef{Key: "attr2"}, domain.FieldDef{Key: "attr3"})
	b := newFieldsConn(domain.FieldDef{Key: "attr5", Type: domain.FieldTypeText})
	clock := newFakeClock()
	s := newService(t, domain.ServiceConfig{Vendors: testVendors, Now: clock.Now, Tenants: []domain.Tenant{
		{ID: "a", Initial: a.Vendor(), Connections: map[domain.Vendor]domain.Connection{a.Vendor(): a}},
		{ID: "b", Initial: b.Vendor(), Connections: map[domain.Vendor]domain.Connection{b.Vendor(): b}},
	}})
	ta, tb := target(t, s, "a"), target(t, s, "b")
	for range 5 {
		if err := createWith(s, ta, map[string]any{"attr1": "x", "attr3": 1}); err != nil {
			t.Fatal(err)
		}
	}
	if loads, _ := a.counts(); loads != 1 {
		t.Fatalf("%d definition reads for 5 writes, want 1", loads)
	}
	// Tenant b has its own account: a's fields are not b's.
	wantFields(t, createWith(s, tb, map[string]any{"attr1": "x"}), map[string]string{
		"body.custom_fields.attr1": "is not a custom field of this tenant's linkflow account"})
	if err := createWith(s, tb, map[string]any{"attr5": "x"}); err != nil {
		t.Fatal(err)
	}

	clock.Advance(domain.FieldDefsTTL - time.Second)
	if err := createWith(s, ta, map[string]any{"attr1": "x"}); err != nil {
		t.Fatal(err)
	}
	if loads, _ := a.counts(); loads != 1 {
		t.Fatalf("%d definition reads within the TTL, want 1", loads)
	}
	clock.Advance(time.Second)
	if err := createWith(s, ta, map[string]any{"attr1": "x"}); err != nil {
		t.Fatal(err)
	}
	if loads, _ := a.counts(); loads != 2 {
		t.Fatalf("%d definition reads after the TTL, want 2", loads)
	}
	// Writes without custom fields never read them.
	clock.Advance(domain.FieldDefsTTL)
	if err := createWith(s, ta, nil); err != nil {
		t.Fatal(err)
	}
	if loads, _ := a.counts(); loads != 2 {
		t.Fatalf("a write without custom fields read the definitions")
	}
}

// TestFieldDefsRefreshOnUnknownKey: a field created at the vendor after
// the definitions were read is accepted at once (one refresh), but unknown
// keys cost at most one refresh per TTL per connection.
func TestFieldDefsRefreshOnUnknownKey(t *testing.T) {
	t.Parallel()
	conn, s, tg, clock := withReadFields(t)
	clock.Advance(time.Second)
	conn.addDef(domain.FieldDef{Key: "attr2", Type: domain.FieldTypeNumber})
	if err := createWith(s, tg, map[string]any{"attr2": 1}); err != nil {
		t.Fatalf("a field created a second ago was refused: %v", err)
	}
	if loads, _ := conn.counts(); loads != 2 {
		t.Fatalf("%d definition reads, want 2", loads)
	}
	for range 10 {
		wantFieldError(t, createWith(s, tg, map[string]any{"attr9": "x"}), "body.custom_fields.attr9")
	}
	if loads, _ := conn.counts(); loads != 2 {
		t.Fatalf("%d definition reads after 10 unknown keys, want still 2", loads)
	}
	// Once the window has passed, an unknown key may look again.
	clock.Advance(domain.FieldDefsTTL)
	wantFieldError(t, createWith(s, tg, map[string]any{"attr9": "x"}), "body.custom_fields.attr9")
	if loads, _ := conn.counts(); loads != 3 {
		t.Fatalf("%d definition reads, want 3 (the expired definitions read again, no second read for the key)", loads)
	}
	clock.Advance(time.Second)
	conn.addDef(domain.FieldDef{Key: "attr9", Type: domain.FieldTypeText})
	if err := createWith(s, tg, map[string]any{"attr9": "x"}); err != nil {
		t.Fatalf("attr9, created since, refused: %v", err)
	}
	if loads, _ := conn.counts(); loads != 4 {
		t.Fatalf("%d definition reads, want 4", loads)
	}
}

// TestFieldDefsSingleFlight: concurrent writes share one read of the
// definitions, both on a cold cache and for an unknown key.
func TestFieldDefsSingleFlight(t *testing.T) {
	t.Parallel()
	conn := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText})
	s, tg, _ := withFields(t, conn)
	const n = 50
	run := func(fields map[string]any) []error {
		gate, entered := make(chan struct{}), make(chan struct{}, n)
		conn.set(func(f *fieldsConn) { f.gate, f.entered = gate, entered })
		defer conn.set(func(f *fieldsConn) { f.gate, f.entered = nil, nil })
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = createWith(s, tg, fields) }()
		}
		readStarted(t, entered, gate)
		// Let the other writers reach the read in flight before it ends.
		time.Sleep(50 * time.Millisecond)
		close(gate)
		wg.Wait()
		return errs
	}
	for _, err := range run(map[string]any{"attr1": "x"}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if loads, _ := conn.counts(); loads != 1 {
		t.Fatalf("%d definition reads for %d concurrent writes on a cold cache, want 1", loads, n)
	}
	for _, err := range run(map[string]any{"attr9": "x"}) {
		wantFieldError(t, err, "body.custom_fields.attr9")
	}
	if loads, _ := conn.counts(); loads != 2 {
		t.Fatalf("%d definition reads after %d concurrent unknown keys, want 2", loads, n)
	}
}

// readStarted waits until a read of the definitions has started; if none
// does, it lets any blocked reader go and fails the test.
func readStarted(t *testing.T, entered <-chan struct{}, gate chan struct{}) {
	t.Helper()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		close(gate)
		t.Fatal("no read of the custom field definitions started")
	}
}

// TestFieldDefsCallerGivesUp: a writer that gives up while the
// definitions are read gets its own error at once; the read goes on for
// the others and is kept.
func TestFieldDefsCallerGivesUp(t *testing.T) {
	t.Parallel()
	conn := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText})
	s, tg, _ := withFields(t, conn)
	gate, entered := make(chan struct{}), make(chan struct{}, 2)
	conn.set(func(f *fieldsConn) { f.gate, f.entered = gate, entered })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.CreateContact(ctx, tg, domain.ContactInput{Contact: domain.Contact{CustomFields: map[string]any{"attr1": "x"}}})
		done <- err
	}()
	readStarted(t, entered, gate)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateContact = %v, want context.Canceled", err)
	}
	close(gate)
	conn.set(func(f *fieldsConn) { f.gate, f.entered = nil, nil })
	if err := createWith(s, tg, map[string]any{"attr1": "x"}); err != nil {
		t.Fatal(err)
	}
	if loads, writes := conn.counts(); loads != 1 || writes != 1 {
		t.Fatalf("%d reads and %d writes, want 1 and 1 (the read the first writer started, kept)", loads, writes)
	}
}

// TestFieldDefsVendorDown: with no definitions read yet, a write fails
// with the vendor's error and is not sent; with definitions read before,
// a failed re-read checks against those.
func TestFieldDefsVendorDown(t *testing.T) {
	t.Parallel()
	down := &domain.VendorError{Vendor: domain.Vendor("linkflow"), Kind: domain.VendorUnavailable, Status: 503, Detail: "linkflow is unavailable"}

	t.Run("nothing read yet", func(t *testing.T) {
		t.Parallel()
		conn := newFieldsConn(domain.FieldDef{Key: "attr1", Type: domain.FieldTypeText})
		conn.listErr = down
		s, tg, _ := withFields(t, conn)
		if err := createWith(s, tg, map[string]any{"attr1": "x"}); asError[*domain.VendorError](t, err) != down {
			t.Fatalf("create: %v, want the vendor's error", err)
		}
		_, err := s.UpdateContact(context.Background(), tg, "lf_1", domain.ContactPatch{CustomFields: map[string]any{"attr1": "x"}})
		if asError[*domain.VendorError](t, err) != down {
			t.Fatalf("update: %v, want the vendor's error", err)
		}
		items := contactInputs(3)
		items[1].CustomFields = map[string]any{"attr1": "x"}
		res, err := s.BatchUpsertContacts(context.Background(), tg, items, domain.OnConflictMerge)
		if res != nil || asError[*domain.VendorError](t, err) != down {
			t.Fatalf("batch: %v, %v; want the vendor's error for the whole call", res, err)
		}
		if _, writes := conn.counts(); writes != 0 {
			t.Fatal("an unchecked write reached the vendor")
		}
		// It is not remembered: the next write reads again.
		conn.set(func(f *fieldsConn) { f.listErr = nil })
		if err := createWith(s, tg, map[string]any{"attr1": "x"}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("read before", func(t *testing.T) {
		t.Parallel()
		conn, s, tg, clock := withReadFields(t)
		conn.set(func(f *fieldsConn) { f.listErr = down })
		clock.Advance(domain.FieldDefsTTL)
		if err := createWith(s, tg, map[string]any{"attr1": "y"}); err != nil {
			t.Fatalf("known key refused while the definitions cannot be re-read: %v", err)
		}
		wantFields(t, createWith(s, tg, map[string]any{"attr1": 1}), map[string]string{"body.custom_fields.attr1": "must be a string"})
		wantFieldError(t, createWith(s, tg, map[string]any{"attr9": 1}), "body.custom_fields.attr9")
		// A vendor that is down is asked again after a while, not on
		// every write.
		if loads, _ := conn.counts(); loads != 3 {
			t.Fatalf("%d definition reads, want 3 (the first, a failed re-read, the unknown key's failed refresh)", loads)
		}
		for range 5 {
			wantFieldError(t, createWith(s, tg, map[string]any{"attr1": 1}), "body.custom_fields.attr1")
		}
		if loads, _ := conn.counts(); loads != 3 {
			t.Fatalf("%d definition reads, want still 3", loads)
		}
		clock.Advance(30 * time.Second)
		conn.set(func(f *fieldsConn) { f.listErr = nil; f.defs = append(f.defs, domain.FieldDef{Key: "attr9"}) })
		if err := createWith(s, tg, map[string]any{"attr9": 1}); err != nil {
			t.Fatalf("definitions not read again once the vendor is back: %v", err)
		}
		if loads, _ := conn.counts(); loads != 4 {
			t.Fatalf("%d definition reads, want 4", loads)
		}
	})
}

// TestFieldDefsOnlyWithFieldLister: a vendor that cannot list its custom
// fields gets no check (its own refusal is all there is); the operation's
// port is resolved before any definition is read.
func TestFieldDefsOnlyWithFieldLister(t *testing.T) {
	t.Parallel()
	conn := newFullConn(domain.Vendor("linkflow"))
	s, tg := singleTenant(t, creatorOnly{conn})
	if err := createWith(s, tg, map[string]any{"anything": json.Number("1")}); err != nil {
		t.Fatalf("a vendor without field definitions had its custom fields checked: %v", err)
	}

	lister := newFieldsConn(domain.FieldDef{Key: "attr1"})
	s2, tg2 := singleTenant(t, listerOnly{lister})
	_, err := s2.CreateContact(context.Background(), tg2, domain.ContactInput{Contact: domain.Contact{CustomFields: map[string]any{"attr9": 1}}})
	asError[*domain.UnsupportedError](t, err)
	if loads, _ := lister.counts(); loads != 0 {
		t.Fatal("definitions read for an operation the vendor does not support")
	}
}

// creatorOnly creates contacts and cannot list field definitions.
type creatorOnly struct{ c *fullConn }

func (c creatorOnly) Vendor() domain.Vendor { return c.c.Vendor() }
func (c creatorOnly) CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error) {
	return c.c.CreateContact(ctx, in)
}

// listerOnly lists field definitions and writes nothing.
type listerOnly struct{ f *fieldsConn }

func (l listerOnly) Vendor() domain.Vendor { return l.f.Vendor() }
func (l listerOnly) ListFields(ctx context.Context, p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	return l.f.ListFields(ctx, p)
}

// TestFieldDefsAfterCreateField: a field created through the gateway is
// usable at once, even when an unknown key has just spent the refresh.
func TestFieldDefsAfterCreateField(t *testing.T) {
	t.Parallel()
	conn, s, tg, _ := withReadFields(t)
	wantFieldError(t, createWith(s, tg, map[string]any{"attr2": "x"}), "body.custom_fields.attr2")
	f, err := s.CreateField(context.Background(), tg, domain.FieldInput{Label: "Tier", Type: domain.FieldTypeText})
	if err != nil || f.Key != "attr2" {
		t.Fatalf("CreateField = %+v, %v", f, err)
	}
	if err := createWith(s, tg, map[string]any{"attr2": "gold"}); err != nil {
		t.Fatalf("a field created through the gateway was refused: %v", err)
	}
	if loads, _ := conn.counts(); loads != 3 {
		t.Fatalf("%d definition reads, want 3", loads)
	}
}
