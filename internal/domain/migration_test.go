package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// sourceVendor lists a fixed set of contacts, pageSize a page, the page
// state being the offset.
type sourceVendor struct {
	vendor   domain.Vendor
	contacts []domain.Contact
	pageSize int
	// fail, when set, is asked before each page.
	fail func(offset int) error
	// filters are the filters it takes; changed, when set, answers a list
	// filtered by updated_since (one page).
	filters []string
	changed func(ctx context.Context, since time.Time) []domain.Contact
}

func (s *sourceVendor) Vendor() domain.Vendor    { return s.vendor }
func (s *sourceVendor) ContactFilters() []string { return s.filters }
func (s *sourceVendor) ListContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	if !domain.WantExternalIDs(ctx) {
		return domain.Page[domain.Contact]{}, errors.New("a migration must read external ids")
	}
	if q.UpdatedSince != nil {
		return domain.Page[domain.Contact]{Items: s.changed(ctx, *q.UpdatedSince)}, nil
	}
	off, _ := strconv.Atoi(p.State)
	if s.fail != nil {
		if err := s.fail(off); err != nil {
			return domain.Page[domain.Contact]{}, err
		}
	}
	end := min(off+min(p.Limit, s.pageSize), len(s.contacts))
	page := domain.Page[domain.Contact]{Items: slices.Clone(s.contacts[off:end])}
	if end < len(s.contacts) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

// targetVendor upserts contacts matched by email, as Meihua does, and
// counts every write per email, so a test sees duplicates.
type targetVendor struct {
	vendor    domain.Vendor
	batchSize int
	storable  []domain.ContactField
	mu        sync.Mutex
	byEmail   map[string]domain.Contact
	writes    map[string]int
	nextID    int
	// refuse, when set, fails items whose email it returns true for.
	refuse func(email string) bool
}

func newTargetVendor(v domain.Vendor) *targetVendor {
	return &targetVendor{vendor: v, batchSize: 3, byEmail: map[string]domain.Contact{}, writes: map[string]int{}, nextID: 9007199254740993,
		storable: []domain.ContactField{domain.FieldName, domain.FieldEmail, domain.FieldMobilePhone, domain.FieldGender, domain.FieldBirthday}}
}

func (t *targetVendor) Vendor() domain.Vendor                        { return t.vendor }
func (t *targetVendor) BatchSize() int                               { return t.batchSize }
func (t *targetVendor) StorableContactFields() []domain.ContactField { return t.storable }
func (t *targetVendor) StoresExternalIDs() bool                      { return true }
func (t *targetVendor) RequiresExternalID() bool                     { return false }
func (t *targetVendor) BatchUpsertContacts(_ context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(items) > t.batchSize {
		return nil, fmt.Errorf("batch of %d, above %d", len(items), t.batchSize)
	}
	if mode != domain.OnConflictMerge {
		return nil, fmt.Errorf("mode %s", mode)
	}
	var out []domain.BatchItemResult
	for i, in := range items {
		if t.refuse != nil && t.refuse(in.Email) {
			out = append(out, domain.BatchItemResult{Index: i, Status: domain.BatchFailed,
				Err: &domain.VendorError{Vendor: t.vendor, Kind: domain.VendorRejected, Code: "E42", Detail: "refused", Err: errors.New("secret body")}})
			continue
		}
		c, ok := t.byEmail[in.Email]
		status := domain.BatchUpdated
		if !ok {
			c.ID, status = strconv.Itoa(t.nextID), domain.BatchCreated
			t.nextID++
		}
		id := c.ID
		c = in.Contact
		c.ID = id
		t.byEmail[in.Email] = c
		t.writes[in.Email]++
		out = append(out, domain.BatchItemResult{Index: i, Status: status, ID: id})
	}
	return out, nil
}

func sourceContacts(n int) []domain.Contact {
	cs := make([]domain.Contact, n)
	for i := range cs {
		cs[i] = domain.Contact{ID: strconv.Itoa(1000 + i), Name: fmt.Sprintf("c%d", i), Email: fmt.Sprintf("c%d@example.com", i),
			Fax: "010-1", Gender: domain.GenderFemale, CustomFields: map[string]any{"attr1": json.Number("9007199254740993")},
			ExternalIDs: []domain.ExternalID{{Channel: "udc", ID: strconv.Itoa(i)}}, ExternalIDsLoaded: true,
			Tags: []domain.TagRef{{ID: "1", Name: "vip"}}, CreatedAt: time.Unix(1, 0)}
	}
	return cs
}

func migrationService(t *testing.T, src *sourceVendor, dst *targetVendor) *domain.Service {
	t.Helper()
	svc, _, _ := migrationServiceStores(t, src, dst)
	return svc
}

// migrationServiceStores is migrationService with its job and id stores.
func migrationServiceStores(t *testing.T, src *sourceVendor, dst *targetVendor) (*domain.Service, *memory.Jobs, *memory.IDMap) {
	t.Helper()
	jobs, ids := memory.NewJobs(memory.JobsOptions{}), memory.NewIDMap()
	return newService(t, domain.ServiceConfig{Vendors: testVendors, Jobs: jobs, IDMap: ids, Freezes: memory.NewFreezes(nil), Tenants: []domain.Tenant{{
		ID: "acme", Initial: src.vendor,
		Connections: map[domain.Vendor]domain.Connection{src.vendor: src, dst.vendor: dst},
	}}}), jobs, ids
}

func newMigration(t *testing.T, s domain.JobStore, id string, spec domain.MigrationSpec) {
	t.Helper()
	in, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := s.Create(t.Context(), domain.Job{ID: id, Kind: domain.JobKindMigration, Tenant: "acme", State: domain.JobQueued, Input: in, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
}

func runMigrations(t *testing.T, svc *domain.Service, jobs domain.JobStore) {
	t.Helper()
	r, err := domain.NewJobRunner(domain.JobRunnerConfig{Store: jobs, Owner: "r1", Poll: 10 * time.Millisecond, Lease: time.Second,
		Handlers: map[string]domain.JobHandler{domain.JobKindMigration: svc.MigrationHandler()}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestMigrationCarriesEveryContactOnce(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(11), pageSize: 4}
	dst := newTargetVendor("meihua")
	svc, jobs, ids := migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	if p := j.Progress; len(p) != 1 || p[0].Done != 11 || p[0].Failed != 0 || p[0].Skipped != 0 {
		t.Fatalf("progress %+v", p)
	}
	for i := range 11 {
		email := fmt.Sprintf("c%d@example.com", i)
		if dst.writes[email] != 1 {
			t.Errorf("%s written %d times", email, dst.writes[email])
		}
		got := dst.byEmail[email]
		want := domain.Contact{ID: got.ID, Name: fmt.Sprintf("c%d", i), Email: email, Gender: domain.GenderFemale,
			CustomFields: map[string]any{"attr1": json.Number("9007199254740993")}, ExternalIDs: []domain.ExternalID{{Channel: "udc", ID: strconv.Itoa(i)}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("carried %+v\nwant    %+v", got, want)
		}
	}
	first, last := domain.MapKey(domain.ContactKind, "lf_1000"), domain.MapKey(domain.ContactKind, "lf_1010")
	m, err := ids.LookupIDs(t.Context(), "acme", []string{first, last, "lf_1000"})
	if err != nil || len(m) != 2 || m[first] != "mh_9007199254740993" || m[last] != "mh_9007199254741003" {
		t.Fatalf("id map %v, %v", m, err)
	}

	// A second migration finds everything carried.
	newMigration(t, jobs, "m2", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	if j := waitState(t, jobs, "m2", domain.JobSucceeded); j.Progress[0].Skipped != 11 || j.Progress[0].Done != 0 {
		t.Fatalf("re-run progress %+v", j.Progress)
	}
	if dst.writes["c0@example.com"] != 1 {
		t.Fatal("a re-run wrote a carried contact again")
	}
}

// TestMigrationPausesAndResumesFromItsCheckpoint: a spent quota mid-way
// pauses the job; it resumes at the page it stopped at, and nothing is
// written twice or left out.
func TestMigrationPausesAndResumesFromItsCheckpoint(t *testing.T) {
	t.Parallel()
	var once sync.Once
	var pagesRead []int
	var mu sync.Mutex
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(10), pageSize: 4, fail: func(off int) (err error) {
		mu.Lock()
		pagesRead = append(pagesRead, off)
		mu.Unlock()
		if off == 8 {
			once.Do(func() {
				err = &domain.VendorError{Vendor: "linkflow", Kind: domain.VendorRateLimited, Detail: "quota spent", RetryAfter: 200 * time.Millisecond}
			})
		}
		return err
	}}
	dst := newTargetVendor("meihua")
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	p := waitState(t, jobs, "m1", domain.JobPaused)
	if p.Progress[0].Done != 8 || p.Reason == "" {
		t.Fatalf("paused at %+v (%s), want 8 done", p.Progress, p.Reason)
	}
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	if j.Progress[0].Done != 10 || j.Runs != 2 {
		t.Fatalf("progress %+v, runs %d", j.Progress, j.Runs)
	}
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(pagesRead, []int{0, 4, 8, 8}) {
		t.Fatalf("pages read at offsets %v, want 0 4 8 8 (resumed at its checkpoint)", pagesRead)
	}
	for e, n := range dst.writes {
		if n != 1 {
			t.Errorf("%s written %d times", e, n)
		}
	}
}

func TestMigrationRecordsRefusedContacts(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(5), pageSize: 10}
	dst := newTargetVendor("meihua")
	dst.refuse = func(email string) bool { return email == "c3@example.com" }
	svc, jobs, ids := migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	if j.Progress[0].Done != 4 || j.Progress[0].Failed != 1 {
		t.Fatalf("progress %+v", j.Progress)
	}
	want := []domain.JobItemError{{Resource: "contacts", Item: "lf_1003", Code: "E42", Message: "refused (meihua E42)"}}
	if !reflect.DeepEqual(j.Errors, want) {
		t.Fatalf("errors %+v, want %+v", j.Errors, want)
	}
	if m, _ := ids.LookupIDs(t.Context(), "acme", []string{domain.MapKey(domain.ContactKind, "lf_1003")}); len(m) != 0 {
		t.Fatalf("a refused contact is in the id map: %v", m)
	}
}

func TestMigrationPlan(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow"}
	dst := newTargetVendor("meihua")
	svc := migrationService(t, src, dst)
	p, err := svc.PlanMigration(t.Context(), "acme", domain.MigrationSpec{From: "linkflow", To: "meihua"})
	if err != nil {
		t.Fatal(err)
	}
	step, _ := p.Step(domain.MigrateContacts)
	if step.Action != domain.PlanCarry || slices.Contains(step.Dropped, "email") || !slices.Contains(step.Dropped, "fax") {
		t.Fatalf("contacts step %+v: want carried, fax dropped, email kept", step)
	}

	// A source the gateway cannot list contacts of (as Miaokol) cannot carry them.
	back, err := svc.PlanMigration(t.Context(), "acme", domain.MigrationSpec{From: "meihua", To: "linkflow"})
	if err != nil {
		t.Fatal(err)
	}
	if step, _ := back.Step(domain.MigrateContacts); step.Action != domain.PlanCannot || step.Detail == "" {
		t.Fatalf("contacts step %+v: want cannot, with a reason", step)
	}

	for _, tc := range []struct {
		spec domain.MigrationSpec
		want string
	}{
		{domain.MigrationSpec{From: "linkflow", To: "linkflow"}, "body.to"},
		{domain.MigrationSpec{From: "linkflow", To: "meihua", Resources: []domain.MigrationResource{"contacts", "planets"}}, "body.resources.1"},
		{domain.MigrationSpec{From: "linkflow", To: "meihua", Resources: []domain.MigrationResource{"contacts", "contacts"}}, "body.resources.1"},
	} {
		_, err := svc.PlanMigration(t.Context(), "acme", tc.spec)
		wantFieldError(t, err, tc.want)
	}
	if _, err := svc.PlanMigration(t.Context(), "acme", domain.MigrationSpec{From: "linkflow", To: "nxcloud"}); asError[*domain.VendorNotConfiguredError](t, err).Vendor != "nxcloud" {
		t.Fatal("a vendor without a connection was planned")
	}
}

func TestMigrationDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(3), pageSize: 10}
	dst := newTargetVendor("meihua")
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", DryRun: true})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	var out struct{ Plan domain.MigrationPlan }
	if err := json.Unmarshal(j.Output, &out); err != nil || len(out.Plan.Steps) == 0 {
		t.Fatalf("dry run output %s: %v", j.Output, err)
	}
	if len(dst.writes) != 0 {
		t.Fatalf("a dry run wrote %v", dst.writes)
	}
}

func TestStartMigration(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(2), pageSize: 10}
	dst := newTargetVendor("meihua")
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	ctx := t.Context()
	j, plan, err := svc.StartMigration(ctx, "acme", domain.MigrationRequest{To: "meihua", Switch: true}, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if j.State != domain.JobQueued || j.Kind != domain.JobKindMigration || !strings.HasPrefix(j.ID, "mig_") || plan.From != "linkflow" || plan.To != "meihua" {
		t.Fatalf("started %+v with plan %+v", j, plan)
	}
	var spec domain.MigrationSpec
	if err := json.Unmarshal(j.Input, &spec); err != nil || !reflect.DeepEqual(spec, domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Plan: &plan}) {
		t.Fatalf("input %s: %v", j.Input, err)
	}
	if _, _, err := svc.StartMigration(ctx, "acme", domain.MigrationRequest{To: "meihua"}, "ops"); !errors.Is(err, domain.ErrMigrationRunning) {
		t.Fatalf("a second migration while one waits: %v, want ErrMigrationRunning", err)
	}
	if got, _, err := svc.Migration(ctx, "acme", j.ID); err != nil || got.ID != j.ID {
		t.Fatalf("Migration = %+v, %v", got, err)
	}
	if _, _, err := svc.Migration(ctx, "other", j.ID); !errors.Is(err, domain.ErrJobNotFound) {
		t.Fatalf("another tenant's migration: %v, want ErrJobNotFound", err)
	}
	got, _, err := svc.CancelMigration(ctx, "acme", j.ID, "ops")
	if err != nil || got.State != domain.JobCancelled {
		t.Fatalf("CancelMigration = %s, %v", got.State, err)
	}
	if _, _, err := svc.StartMigration(ctx, "acme", domain.MigrationRequest{To: "meihua"}, "ops"); err != nil {
		t.Fatalf("a migration after the last one ended: %v", err)
	}
	_, _, err = svc.StartMigration(ctx, "acme", domain.MigrationRequest{To: "linkflow"}, "ops")
	wantFieldError(t, err, "body.to") // checked before the running one
	if js, _ := jobs.Jobs(ctx, "acme", "", 10); len(js) != 2 {
		t.Fatalf("%d jobs stored, want 2 (refused requests store nothing)", len(js))
	}
}

// TestMigrationCutover: after its copy, the migration carries the
// contacts changed since it started (listed with updated_since, written
// again although already carried) without freezing writes; with switch,
// it then freezes the tenant's writes, carries those changed since that
// delta pass again, switches the tenant and lifts the freeze.
func TestMigrationCutover(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	var svc *domain.Service
	var jobs *memory.Jobs
	var frozeDuringDelta, frozeDuringFirst error
	var phaseDuringDelta string
	var passes int
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(3), pageSize: 10, filters: []string{"updated_since"}}
	src.changed = func(ctx context.Context, since time.Time) []domain.Contact {
		if passes++; passes == 1 {
			frozeDuringFirst = svc.CheckWritable(ctx, "acme")
		}
		frozeDuringDelta = svc.CheckWritable(ctx, "acme")
		if j, err := jobs.Job(ctx, "acme", "m1"); err == nil {
			phaseDuringDelta = domain.MigrationPhase(j)
		}
		c := src.contacts[1]
		c.Name = "changed"
		return []domain.Contact{c}
	}
	dst := newTargetVendor("meihua")
	svc, jobs, _ = migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
	j := waitState(t, jobs, "m1", domain.JobSucceeded)
	if phaseDuringDelta != "cutover" || domain.MigrationPhase(j) != "" {
		t.Fatalf("phase during the cut-over %q, after it %q", phaseDuringDelta, domain.MigrationPhase(j))
	}
	if fe := asError[*domain.FrozenError](t, frozeDuringDelta); fe.Tenant != "acme" || fe.RetryAfter <= 0 {
		t.Fatalf("writes during the cut-over: %+v", fe)
	}
	if err := svc.CheckWritable(t.Context(), "acme"); err != nil {
		t.Fatalf("writes after the cut-over: %v", err)
	}
	if tg := target(t, svc, "acme"); tg.Vendor != "meihua" {
		t.Fatalf("after the cut-over the tenant is on %s", tg.Vendor)
	}
	if passes != 2 || frozeDuringFirst != nil {
		t.Fatalf("%d passes over changed contacts, the first with writes %v: want 2, the first unfrozen", passes, frozeDuringFirst)
	}
	// Copied, then written again by each pass.
	if got := dst.byEmail["c1@example.com"]; got.Name != "changed" || dst.writes["c1@example.com"] != 3 || dst.writes["c0@example.com"] != 1 {
		t.Fatalf("changed contact %+v written %d times; c0 %d times", got, dst.writes["c1@example.com"], dst.writes["c0@example.com"])
	}
	if p := j.Progress; len(p) != 2 || p[1].Resource != "contacts_changed" || p[1].Done != 2 {
		t.Fatalf("progress %+v", p)
	}
}

// TestMigrationDoesNotSwitchWithRecordsLeftBehind: a contact the target
// refused keeps the tenant where it is; the job fails saying why.
func TestMigrationDoesNotSwitchWithRecordsLeftBehind(t *testing.T) {
	defer domain.SetCutoverSettle(0)()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(4), pageSize: 10}
	dst := newTargetVendor("meihua")
	dst.refuse = func(email string) bool { return email == "c2@example.com" }
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true, Resources: []domain.MigrationResource{domain.MigrateContacts}})
	j := waitState(t, jobs, "m1", domain.JobFailed)
	if !strings.Contains(j.Reason, "not switched to meihua: records could not be carried (2 failed writes") {
		t.Fatalf("reason %q", j.Reason)
	}
	if tg := target(t, svc, "acme"); tg.Vendor != "linkflow" {
		t.Fatalf("the tenant was switched to %s with a record left behind", tg.Vendor)
	}
	if err := svc.CheckWritable(t.Context(), "acme"); err != nil {
		t.Fatalf("writes stay frozen: %v", err)
	}
}

// fieldLister lists fixed custom field definitions, in one page.
type fieldLister []string

func (keys fieldLister) ListFields(context.Context, domain.PageRequest) (domain.Page[domain.FieldDef], error) {
	var p domain.Page[domain.FieldDef]
	for _, k := range keys {
		p.Items = append(p.Items, domain.FieldDef{ID: k, Key: k, Type: domain.FieldTypeUnknown})
	}
	return p, nil
}

type namedSource struct {
	*sourceVendor
	fieldLister
}

type namedTarget struct {
	*targetVendor
	fieldLister
}

// TestMigrationCarriesFieldsByName: a custom value goes from the source's
// key to the tenant's name to the target's key; a field named but not
// mapped at the target, and an unmapped key the target does not define,
// are dropped and listed in the plan by the name the API gives them.
func TestMigrationCarriesFieldsByName(t *testing.T) {
	t.Parallel()
	cs := sourceContacts(3)
	for i := range cs {
		cs[i].CustomFields = map[string]any{"attr3": json.Number("9007199254740993"), "attr4": "10", "attr1": "kept", "attr7": "lost", "attr9": "other"}
	}
	src := namedSource{&sourceVendor{vendor: "linkflow", contacts: cs, pageSize: 2}, fieldLister{"attr1", "attr3", "attr4", "attr7", "attr9"}}
	// meihua's attr4 and points are other fields, of no name.
	dst := namedTarget{newTargetVendor("meihua"), fieldLister{"4338372", "attr1", "attr4", "points", "attr9"}}
	jobs, ids := memory.NewJobs(memory.JobsOptions{}), memory.NewIDMap()
	svc := newService(t, domain.ServiceConfig{Vendors: testVendors, Jobs: jobs, IDMap: ids, Tenants: []domain.Tenant{{
		ID: "acme", Initial: "linkflow", Connections: map[domain.Vendor]domain.Connection{"linkflow": src, "meihua": dst},
		FieldNames: []domain.CustomFieldName{
			{Name: "membership_level", Keys: map[domain.Vendor]string{"linkflow": "attr3", "meihua": "4338372"}},
			// Named at linkflow only: dropped.
			{Name: "points", Keys: map[domain.Vendor]string{"linkflow": "attr4"}},
			// Named at meihua only: linkflow's attr9 is another field.
			{Name: "tier", Keys: map[domain.Vendor]string{"meihua": "attr9"}},
		},
	}}})
	spec := domain.MigrationSpec{From: "linkflow", To: "meihua"}
	plan, err := svc.PlanMigration(t.Context(), "acme", spec)
	if err != nil {
		t.Fatal(err)
	}
	step, _ := plan.Step(domain.MigrateContacts)
	if want := []string{"custom_fields.attr7", "custom_fields.attr9", "custom_fields.points"}; !slices.Equal(step.Dropped[len(step.Dropped)-3:], want) ||
		slices.Contains(step.Dropped, "custom_fields.attr3") || slices.Contains(step.Dropped, "custom_fields.membership_level") {
		t.Fatalf("dropped %v, want to end with %v", step.Dropped, want)
	}
	runMigrations(t, svc, jobs)
	newMigration(t, jobs, "m1", spec)
	waitState(t, jobs, "m1", domain.JobSucceeded)
	for _, c := range cs {
		got := dst.byEmail[c.Email].CustomFields
		want := map[string]any{"4338372": json.Number("9007199254740993"), "attr1": "kept"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s carried custom fields %v, want %v", c.Email, got, want)
		}
	}
}

// TestMigrationResumedAfterItsSwitchCarriesNothing: a run that switched
// the tenant but ended before it could say so is taken up again; the new
// run must not carry the old vendor's contacts over writes made at the
// new one since.
func TestMigrationResumedAfterItsSwitchCarriesNothing(t *testing.T) {
	t.Parallel()
	src := &sourceVendor{vendor: "linkflow", contacts: sourceContacts(3), pageSize: 10}
	dst := newTargetVendor("meihua")
	svc, jobs, _ := migrationServiceStores(t, src, dst)
	in, err := json.Marshal(domain.MigrationSpec{From: "linkflow", To: "meihua", Switch: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := jobs.Create(t.Context(), domain.Job{ID: "m1", Kind: domain.JobKindMigration, Tenant: "acme", State: domain.JobQueued, Input: in,
		Checkpoint: []byte(`{"resource":"cutover","page":"switched"}`), StartedAt: now.Add(-time.Minute), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	runMigrations(t, svc, jobs)
	waitState(t, jobs, "m1", domain.JobSucceeded)
	if len(dst.writes) != 0 {
		t.Fatalf("a run after the switch wrote %v", dst.writes)
	}
	if err := svc.CheckWritable(t.Context(), "acme"); err != nil {
		t.Fatalf("a run after the switch froze writes: %v", err)
	}
}
