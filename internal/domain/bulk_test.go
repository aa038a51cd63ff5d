package domain_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/memory"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func bulkService(t *testing.T, dst *targetVendor) (*domain.Service, *memory.Jobs) {
	t.Helper()
	jobs := memory.NewJobs(memory.JobsOptions{})
	return newService(t, domain.ServiceConfig{Vendors: testVendors, Jobs: jobs, Tenants: []domain.Tenant{{
		ID: "acme", Initial: dst.vendor, Connections: map[domain.Vendor]domain.Connection{dst.vendor: dst},
	}}}), jobs
}

func bulkItems(n int) []domain.ContactInput {
	items := make([]domain.ContactInput, n)
	for i := range items {
		items[i] = domain.ContactInput{Contact: domain.Contact{Name: fmt.Sprintf("c%d", i), Email: fmt.Sprintf("c%d@example.com", i),
			CustomFields: map[string]any{"n": json.Number("9007199254740993")}}}
	}
	return items
}

// runBulk runs the service's bulk handlers until the job ends.
func runBulk(t *testing.T, svc *domain.Service, jobs domain.JobStore, data domain.JobDataStore, id string) domain.Job {
	t.Helper()
	encode := func(r domain.BatchItemResult) (json.RawMessage, error) {
		return json.Marshal(map[string]any{"index": r.Index, "status": r.Status})
	}
	r, err := domain.NewJobRunner(domain.JobRunnerConfig{Store: jobs, Owner: "r1", Poll: 5 * time.Millisecond, Lease: time.Minute,
		Handlers: map[string]domain.JobHandler{
			domain.JobKindContactBatch: svc.ContactBatchHandler(encode), domain.JobKindContactImport: svc.ContactImportHandler(data)}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	rctx, stop := context.WithCancel(t.Context())
	go func() { r.Run(rctx); close(done) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := jobs.Job(t.Context(), "acme", id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Final() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s)", id, j.State, j.Reason)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestContactBatchResumes: a batch taken over after a checkpoint writes
// only the items after it, and its output keeps the results before it.
func TestContactBatchResumes(t *testing.T) {
	t.Parallel()
	dst := newTargetVendor("meihua")
	dst.batchSize = 100
	svc, jobs := bulkService(t, dst)
	tg := target(t, svc, "acme")
	j, err := svc.StartContactBatch(t.Context(), tg, bulkItems(2500), "")
	if err != nil {
		t.Fatal(err)
	}
	// As if a runner had written the first 1000 and handed the job over.
	claimed, ok, err := jobs.Claim(t.Context(), "gone", time.Minute)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	prior := make([]json.RawMessage, 1000)
	for i := range prior {
		prior[i] = json.RawMessage(fmt.Sprintf(`{"index":%d,"status":"created"}`, i))
	}
	claimed.Output, _ = json.Marshal(domain.ContactBatchOutput{Succeeded: 1000, Results: prior})
	claimed.Checkpoint, claimed.State, claimed.ResumeAt = []byte(`{"next":1000}`), domain.JobPaused, time.Now()
	if _, err := jobs.Save(t.Context(), claimed, "gone", time.Minute); err != nil {
		t.Fatal(err)
	}

	end := runBulk(t, svc, jobs, nil, j.ID)
	if end.State != domain.JobSucceeded {
		t.Fatalf("state %s (%s)", end.State, end.Reason)
	}
	if n := len(dst.writes); n != 1500 {
		t.Fatalf("%d contacts written after the checkpoint, want 1500", n)
	}
	if dst.writes["c999@example.com"] != 0 || dst.writes["c1000@example.com"] != 1 {
		t.Fatalf("writes around the checkpoint: %d, %d", dst.writes["c999@example.com"], dst.writes["c1000@example.com"])
	}
	var out domain.ContactBatchOutput
	if err := json.Unmarshal(end.Output, &out); err != nil {
		t.Fatal(err)
	}
	if out.Succeeded != 2500 || len(out.Results) != 2500 || string(out.Results[2499]) != `{"index":2499,"status":"created"}` {
		t.Fatalf("output: %d succeeded, %d results, last %s", out.Succeeded, len(out.Results), out.Results[len(out.Results)-1])
	}
	if got := dst.byEmail["c7@example.com"].CustomFields; got != nil {
		t.Fatalf("an item before the checkpoint was written: %v", got)
	}
	if got := dst.byEmail["c1007@example.com"].CustomFields["n"]; got != json.Number("9007199254740993") {
		t.Fatalf("custom value %v (%T), want the exact number", got, got)
	}
}

// TestImportJob: an import's chunks are written in order, item errors
// name their line, and its data is dropped when it succeeded.
func TestImportJob(t *testing.T) {
	t.Parallel()
	dst := newTargetVendor("meihua")
	dst.batchSize = 100
	dst.refuse = func(email string) bool { return email == "c1500@example.com" }
	svc, jobs := bulkService(t, dst)
	data := memory.NewJobData(memory.JobDataOptions{})
	im, err := svc.BeginContactImport(target(t, svc, "acme"), data, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range bulkItems(2100) {
		if err := im.Add(t.Context(), i+2, in); err != nil { // line 1 was blank
			t.Fatal(err)
		}
	}
	j, err := im.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := data.Chunk(t.Context(), j.ID, 2); err != nil {
		t.Fatalf("the third chunk: %v", err)
	}
	end := runBulk(t, svc, jobs, data, j.ID)
	if end.State != domain.JobSucceeded || len(dst.writes) != 2099 {
		t.Fatalf("state %s (%s), %d written", end.State, end.Reason, len(dst.writes))
	}
	if p := end.Progress[0]; p.Done != 2099 || p.Failed != 1 || p.Total != 2100 {
		t.Fatalf("progress %+v", p)
	}
	if len(end.Errors) != 1 || end.Errors[0].Item != "line 1502" || end.Errors[0].Code != "E42" {
		t.Fatalf("errors %+v", end.Errors)
	}
	if _, err := data.Chunk(t.Context(), j.ID, 0); !errors.Is(err, domain.ErrJobDataNotFound) {
		t.Fatalf("the data of a finished import: %v", err)
	}
}

// TestTenantJobsHideMigrations: the tenant's job API shows its bulk jobs,
// never an operator's migration, and cancels only those.
func TestTenantJobsHideMigrations(t *testing.T) {
	t.Parallel()
	svc, jobs := bulkService(t, newTargetVendor("meihua"))
	newMigration(t, jobs, "mig_1", domain.MigrationSpec{From: "meihua", To: "linkflow"})
	if _, err := svc.TenantJob(t.Context(), "acme", "mig_1"); !errors.Is(err, domain.ErrJobNotFound) {
		t.Fatalf("TenantJob of a migration: %v", err)
	}
	if _, err := svc.CancelTenantJob(t.Context(), nil, "acme", "mig_1"); !errors.Is(err, domain.ErrJobNotFound) {
		t.Fatalf("CancelTenantJob of a migration: %v", err)
	}
	if j, _ := jobs.Job(t.Context(), "acme", "mig_1"); j.State != domain.JobQueued {
		t.Fatalf("the migration is %s", j.State)
	}
	b, err := svc.StartContactBatch(t.Context(), target(t, svc, "acme"), bulkItems(1), "")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := svc.CancelTenantJob(t.Context(), nil, "acme", b.ID); err != nil || c.State != domain.JobCancelled {
		t.Fatalf("cancel: %s, %v", c.State, err)
	}
	if _, err := svc.StartContactBatch(t.Context(), target(t, svc, "acme"), bulkItems(domain.MaxAsyncBatch+1), ""); err == nil {
		t.Fatal("a batch over MaxAsyncBatch was queued")
	}
}

// TestImportCancelledWhileRunning: a cancel ends a running import after
// its current chunk, and its data is dropped.
func TestImportCancelledWhileRunning(t *testing.T) {
	t.Parallel()
	dst := newTargetVendor("meihua")
	dst.batchSize = 100
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	dst.refuse = func(string) bool {
		once.Do(func() { close(started); <-release })
		return false
	}
	svc, jobs := bulkService(t, dst)
	data := memory.NewJobData(memory.JobDataOptions{})
	im, err := svc.BeginContactImport(target(t, svc, "acme"), data, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range bulkItems(3000) {
		if err := im.Add(t.Context(), i+1, in); err != nil {
			t.Fatal(err)
		}
	}
	j, err := im.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		<-started
		if c, err := svc.CancelTenantJob(t.Context(), data, "acme", j.ID); err != nil || !c.CancelRequested {
			t.Errorf("cancel of a running import: %+v, %v", c, err)
		}
		close(release)
	}()
	end := runBulk(t, svc, jobs, data, j.ID)
	if end.State != domain.JobCancelled || len(dst.writes) != 1000 {
		t.Fatalf("state %s, %d written; want cancelled after the first chunk", end.State, len(dst.writes))
	}
	if _, err := data.Chunk(t.Context(), j.ID, 2); !errors.Is(err, domain.ErrJobDataNotFound) {
		t.Fatalf("the data of a cancelled import: %v", err)
	}
}

// restingVendor rests its first BatchUpsertContacts call in place, as a
// vendor client does on the gateway's spent quota, and runs during before
// the rest ends.
type restingVendor struct {
	*targetVendor
	once   sync.Once
	during func()
}

func (v *restingVendor) BatchUpsertContacts(ctx context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	var err error
	v.once.Do(func() {
		v.during()
		var rested bool
		if rested, err = domain.RestInJob(ctx, 20*time.Millisecond, "the tenant's meihua call quota is spent"); !rested && err == nil {
			err = errors.New("the write did not rest in a job")
		}
	})
	if err != nil {
		return nil, err
	}
	return v.targetVendor.BatchUpsertContacts(ctx, items, mode)
}

// TestContactBatchMovedWhileItRests: a batch's write that rests in place
// while its tenant is moved to another vendor does not go on at the old
// one: the job pauses and resumes at the new vendor.
func TestContactBatchMovedWhileItRests(t *testing.T) {
	t.Parallel()
	from := &restingVendor{targetVendor: newTargetVendor("meihua")}
	to := newTargetVendor("linkflow")
	jobs := memory.NewJobs(memory.JobsOptions{})
	svc := newService(t, domain.ServiceConfig{Vendors: testVendors, Jobs: jobs, Tenants: []domain.Tenant{{
		ID: "acme", Initial: "meihua", Connections: map[domain.Vendor]domain.Connection{"meihua": from, "linkflow": to},
	}}})
	from.during = func() {
		if _, err := svc.SwitchVendor(context.Background(), "acme", "linkflow", "test", "moved while a batch rests"); err != nil {
			t.Error(err)
		}
	}
	j, err := svc.StartContactBatch(t.Context(), target(t, svc, "acme"), bulkItems(7), "")
	if err != nil {
		t.Fatal(err)
	}
	end := runBulk(t, svc, jobs, nil, j.ID)
	if end.State != domain.JobSucceeded || end.Runs != 2 {
		t.Fatalf("state %s (%s), runs %d; want succeeded after a pause", end.State, end.Reason, end.Runs)
	}
	if len(from.writes) != 0 || len(to.writes) != 7 {
		t.Fatalf("%d contacts written at the old vendor, %d at the new; want 0 and 7", len(from.writes), len(to.writes))
	}
}
