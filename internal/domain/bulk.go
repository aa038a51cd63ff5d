package domain

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bulk jobs are a tenant's own long writes: an asynchronous contact batch
// (POST /v1/contacts/batch with Prefer: respond-async) and an NDJSON
// contact import. Both write through BatchUpsertContacts, the code path of
// a synchronous batch, a chunk at a time, and checkpoint after each chunk.

// Job kinds of the bulk jobs a tenant sees (GET /v1/jobs/{job}).
const (
	JobKindContactBatch  = "contacts.batch"
	JobKindContactImport = "contacts.import"
)

// MaxAsyncBatch is the largest asynchronous batch upsert: ten synchronous
// batches, whose body still fits the request body limit.
const MaxAsyncBatch = 10 * MaxBatch

// ImportChunk is how many items of an import are stored, and written, as
// one chunk; an import's memory is bounded by it whatever the body size.
const ImportChunk = MaxBatch

// progressContacts names the progress of a bulk job.
const progressContacts = "contacts"

// TenantJobKind reports whether jobs of kind are a tenant's own (shown by
// the jobs API); migrations are an operator's and are not.
func TenantJobKind(kind string) bool {
	return kind == JobKindContactBatch || kind == JobKindContactImport
}

// contactBatchSpec is an asynchronous batch's Input.
type contactBatchSpec struct {
	Mode  OnConflict    `json:"mode"`
	Items []storedInput `json:"items"`
}

// contactImportSpec is an import's Input: its items are in the job's
// data chunks.
type contactImportSpec struct {
	Mode   OnConflict `json:"mode"`
	Chunks int        `json:"chunks"`
	Items  int        `json:"items"`
}

// importItem is one valid line of an import, as its chunk stores it.
type importItem struct {
	Line int         `json:"line"`
	Item storedInput `json:"item"`
}

// storedInput is a ContactInput as a bulk job stores it: only what it
// sets (a zero Contact encodes to some 700 bytes, most of an item), custom
// values exact (decoded with decodeExact).
type storedInput struct {
	Fields      map[ContactField]string `json:"f,omitempty"`
	Gender      Gender                  `json:"g,omitempty"`
	Birthday    *time.Time              `json:"b,omitempty"`
	ExternalIDs []storedExternalID      `json:"x,omitempty"`
	Custom      map[string]any          `json:"c,omitempty"`
}

type storedExternalID struct {
	Channel string `json:"c"`
	ID      string `json:"i"`
	Type    string `json:"t,omitempty"`
}

func storeInput(in ContactInput) storedInput {
	s := storedInput{Gender: in.Gender, Birthday: in.Birthday, Custom: in.CustomFields}
	for _, f := range ContactFields {
		if p := in.StringField(f); p != nil && *p != "" {
			if s.Fields == nil {
				s.Fields = map[ContactField]string{}
			}
			s.Fields[f] = *p
		}
	}
	for _, e := range in.ExternalIDs {
		s.ExternalIDs = append(s.ExternalIDs, storedExternalID(e))
	}
	return s
}

func (s storedInput) input() ContactInput {
	c := Contact{Gender: s.Gender, Birthday: s.Birthday, CustomFields: s.Custom}
	for f, v := range s.Fields {
		if p := c.StringField(f); p != nil {
			*p = v
		}
	}
	for _, e := range s.ExternalIDs {
		c.ExternalIDs = append(c.ExternalIDs, ExternalID(e))
	}
	return ContactInput{Contact: c}
}

// bulkCheckpoint is where a bulk job is: the next item of a batch, the
// next chunk of an import.
type bulkCheckpoint struct {
	Next int `json:"next"`
}

// ContactBatchOutput is an asynchronous batch's Output: the synchronous
// answer's shape, with each result as BatchResultEncoder renders it.
type ContactBatchOutput struct {
	Succeeded int               `json:"succeeded"`
	Failed    int               `json:"failed"`
	Results   []json.RawMessage `json:"results"`
}

// ContactImportOutput is an import's Output: its counts.
type ContactImportOutput struct {
	Items     int `json:"items"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
}

// BatchResultEncoder renders one item result as a synchronous batch
// answers it (the HTTP layer's shape), so that an asynchronous batch's
// results are those of a synchronous one.
type BatchResultEncoder func(BatchItemResult) (json.RawMessage, error)

// NewJobID returns a new id for a job of the tenant's own.
func NewJobID() string { return "job_" + strings.ToLower(rand.Text()) }

// checkBulk resolves the batch port and the conflict mode of a bulk write,
// before anything is stored.
func (s *Service) checkBulk(t Target, mode OnConflict) (OnConflict, error) {
	if s.jobs == nil {
		return "", errNoJobs
	}
	if _, err := port[ContactBatchUpserter](t.conn, OpBatchUpsertContacts); err != nil {
		return "", err
	}
	if mode == "" {
		mode = OnConflictMerge
	}
	return mode, nil
}

// StartContactBatch queues items as an asynchronous batch upsert of the
// target's tenant. The items have passed the checks of a synchronous
// batch's items; the vendor's port is checked here, before anything is
// stored.
func (s *Service) StartContactBatch(ctx context.Context, t Target, items []ContactInput, mode OnConflict) (Job, error) {
	mode, err := s.checkBulk(t, mode)
	if err != nil {
		return Job{}, err
	}
	if len(items) == 0 || len(items) > MaxAsyncBatch {
		return Job{}, Invalid("body.items", fmt.Sprintf("must hold 1 to %d contacts in an asynchronous batch", MaxAsyncBatch))
	}
	spec := contactBatchSpec{Mode: mode, Items: make([]storedInput, len(items))}
	for i, in := range items {
		spec.Items[i] = storeInput(in)
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return Job{}, err
	}
	return s.createBulkJob(ctx, NewJobID(), JobKindContactBatch, t.Tenant, in, len(items))
}

// ContactImport is an import being received: Add its items in order, then
// Start it once the body is complete, or Abort it.
type ContactImport struct {
	s      *Service
	t      Target
	data   JobDataStore
	id     string
	mode   OnConflict
	chunk  []importItem
	chunks int
	items  int
}

// BeginContactImport starts receiving an import for the target's tenant.
// The vendor's port is checked first, so that a vendor without batch
// upserts refuses the import before its body is read.
func (s *Service) BeginContactImport(t Target, data JobDataStore, mode OnConflict) (*ContactImport, error) {
	mode, err := s.checkBulk(t, mode)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, errNoJobs
	}
	return &ContactImport{s: s, t: t, data: data, id: NewJobID(), mode: mode, chunk: make([]importItem, 0, ImportChunk)}, nil
}

// Add takes the next valid item, read from line; a full chunk is stored.
func (im *ContactImport) Add(ctx context.Context, line int, item ContactInput) error {
	im.chunk = append(im.chunk, importItem{Line: line, Item: storeInput(item)})
	im.items++
	if len(im.chunk) < ImportChunk {
		return nil
	}
	return im.flush(ctx)
}

// Items is how many items were added.
func (im *ContactImport) Items() int { return im.items }

func (im *ContactImport) flush(ctx context.Context) error {
	if len(im.chunk) == 0 {
		return nil
	}
	b, err := json.Marshal(im.chunk)
	if err != nil {
		return err
	}
	if _, err := im.data.Append(ctx, im.id, b); err != nil {
		return err
	}
	im.chunks++
	clear(im.chunk)
	im.chunk = im.chunk[:0]
	return nil
}

// Start stores the last chunk and queues the import. An import without
// items is refused, and its data dropped.
func (im *ContactImport) Start(ctx context.Context) (Job, error) {
	if im.items == 0 {
		im.Abort(ctx)
		return Job{}, Invalid("body", "holds no contacts: send one JSON object per line")
	}
	if err := im.flush(ctx); err != nil {
		im.Abort(ctx)
		return Job{}, err
	}
	in, err := json.Marshal(contactImportSpec{Mode: im.mode, Chunks: im.chunks, Items: im.items})
	if err != nil {
		im.Abort(ctx)
		return Job{}, err
	}
	j, err := im.s.createBulkJob(ctx, im.id, JobKindContactImport, im.t.Tenant, in, im.items)
	if err != nil {
		im.Abort(ctx)
	}
	return j, err
}

// Abort drops what was stored of the import: nothing of a refused import
// is kept.
func (im *ContactImport) Abort(ctx context.Context) {
	im.s.dropImport(context.WithoutCancel(ctx), im.data, im.id)
}

func (s *Service) createBulkJob(ctx context.Context, id, kind, tenant string, in []byte, items int) (Job, error) {
	now := s.now().UTC()
	j := Job{ID: id, Kind: kind, Tenant: tenant, State: JobQueued, Input: in, CreatedAt: now, UpdatedAt: now,
		Progress: []JobProgress{{Resource: progressContacts, Total: int64(items), TotalKnown: true}}}
	if err := s.jobs.Create(ctx, j); err != nil {
		return Job{}, err
	}
	return j, nil
}

// TenantJob returns the tenant's bulk job id; a migration (an operator's
// job) is not found here.
func (s *Service) TenantJob(ctx context.Context, tenant, id string) (Job, error) {
	if s.jobs == nil {
		return Job{}, errNoJobs
	}
	j, err := s.jobs.Job(ctx, tenant, id)
	if err != nil {
		return Job{}, err
	}
	if !TenantJobKind(j.Kind) {
		return Job{}, ErrJobNotFound
	}
	return j, nil
}

// CancelTenantJob cancels the tenant's bulk job id: at once while it
// waits, at its next chunk while it runs. What it wrote stays written.
// The data of an import cancelled while it waited is dropped from data
// (that of one cancelled while it ran expires).
func (s *Service) CancelTenantJob(ctx context.Context, data JobDataStore, tenant, id string) (Job, error) {
	if _, err := s.TenantJob(ctx, tenant, id); err != nil {
		return Job{}, err
	}
	j, err := s.jobs.Cancel(ctx, tenant, id, "cancelled by the caller")
	if err == nil && j.Kind == JobKindContactImport && j.State.Final() && data != nil {
		s.dropImport(ctx, data, j.ID)
	}
	return j, err
}

// decodeExact decodes b into v with numbers kept as json.Number.
func decodeExact(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// ContactBatchHandler runs asynchronous batches, rendering each item's
// result with encode.
func (s *Service) ContactBatchHandler(encode BatchResultEncoder) JobHandler {
	return JobHandlerFunc(func(ctx context.Context, run *JobRun) error {
		j := run.Job()
		var spec contactBatchSpec
		if err := decodeExact(j.Input, &spec); err != nil {
			return fmt.Errorf("batch input: %w", err)
		}
		var out ContactBatchOutput
		if len(j.Output) > 0 {
			if err := decodeExact(j.Output, &out); err != nil {
				return fmt.Errorf("batch output: %w", err)
			}
		}
		w, next, err := s.newBulkWriter(ctx, run, spec.Mode)
		if err != nil {
			return err
		}
		items := make([]ContactInput, len(spec.Items))
		for i, s := range spec.Items {
			items[i] = s.input()
		}
		for start := next; start < len(items); start += w.step {
			end := min(start+w.step, len(items))
			results, err := w.write(ctx, items[start:end], out.Succeeded > 0)
			if err != nil {
				return err
			}
			for i, r := range results {
				r.Index = start + i
				r.Err = renameItemFields(r.Err, i, "body.items."+strconv.Itoa(r.Index))
				b, err := encode(r)
				if err != nil {
					return err
				}
				out.Results = append(out.Results, b)
				if r.Status == BatchFailed {
					out.Failed++
					run.ItemError(bulkItemError(strconv.Itoa(r.Index), r.Err))
				} else {
					out.Succeeded++
				}
			}
			if err := w.checkpoint(run, results, out, end); err != nil {
				return err
			}
		}
		return nil
	})
}

// ContactImportHandler runs imports, reading their items from data. An
// import's data is dropped when it succeeded or was cancelled while it
// ran (one cancelled while it waited: CancelTenantJob); otherwise it
// expires.
func (s *Service) ContactImportHandler(data JobDataStore) JobHandler {
	return JobHandlerFunc(func(ctx context.Context, run *JobRun) error {
		err := s.runImport(ctx, run, data)
		if errors.Is(context.Cause(ctx), errJobCancelled) {
			s.dropImport(context.WithoutCancel(ctx), data, run.Job().ID)
		}
		return err
	})
}

func (s *Service) dropImport(ctx context.Context, data JobDataStore, id string) {
	if err := data.Drop(ctx, id); err != nil {
		s.log.WarnContext(ctx, "import data not dropped: it expires", "job", id, "error", err.Error())
	}
}

func (s *Service) runImport(ctx context.Context, run *JobRun, data JobDataStore) error {
	j := run.Job()
	var spec contactImportSpec
	if err := json.Unmarshal(j.Input, &spec); err != nil {
		return fmt.Errorf("import input: %w", err)
	}
	out := ContactImportOutput{Items: spec.Items}
	for _, p := range j.Progress {
		if p.Resource == progressContacts {
			out.Succeeded, out.Failed = int(p.Done), int(p.Failed)
		}
	}
	w, next, err := s.newBulkWriter(ctx, run, spec.Mode)
	if err != nil {
		return err
	}
	for c := next; c < spec.Chunks; c++ {
		b, err := data.Chunk(ctx, j.ID, c)
		if err != nil {
			return fmt.Errorf("import chunk %d: %w", c, err)
		}
		var items []importItem
		if err := decodeExact(b, &items); err != nil {
			return fmt.Errorf("import chunk %d: %w", c, err)
		}
		in := make([]ContactInput, len(items))
		for i, it := range items {
			in[i] = it.Item.input()
		}
		var results []BatchItemResult
		for start := 0; start < len(in); start += w.step {
			end := min(start+w.step, len(in))
			rs, err := w.write(ctx, in[start:end], out.Succeeded > 0)
			if err != nil {
				return err
			}
			for i, r := range rs {
				if r.Status == BatchFailed {
					out.Failed++
					where := "line " + strconv.Itoa(items[start+i].Line)
					run.ItemError(bulkItemError(where, renameItemFields(r.Err, i, where)))
				} else {
					out.Succeeded++
				}
			}
			results = append(results, rs...)
		}
		if err := w.checkpoint(run, results, out, c+1); err != nil {
			return err
		}
	}
	s.dropImport(ctx, data, j.ID)
	return nil
}

// bulkWriter writes a bulk job's items through the synchronous batch's
// code path.
type bulkWriter struct {
	s    *Service
	t    Target
	mode OnConflict
	// step is how many items one write takes: whole vendor chunks, at
	// most a synchronous batch.
	step int
	// stop is a failure of the whole call after something was written:
	// the items after it fail with it, as in a synchronous batch.
	stop error
}

// newBulkWriter returns the writer of run's job and where the job is
// (its checkpoint).
func (s *Service) newBulkWriter(ctx context.Context, run *JobRun, mode OnConflict) (w *bulkWriter, next int, err error) {
	j := run.Job()
	if len(j.Checkpoint) > 0 {
		var cp bulkCheckpoint
		if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
			return nil, 0, fmt.Errorf("bulk checkpoint: %w", err)
		}
		next = cp.Next
	}
	t, err := s.Target(ctx, j.Tenant)
	if err != nil {
		return nil, 0, err
	}
	b, err := port[ContactBatchUpserter](t.conn, OpBatchUpsertContacts)
	if err != nil {
		return nil, 0, err
	}
	size := min(max(b.BatchSize(), 1), MaxBatch)
	return &bulkWriter{s: s, t: t, mode: mode, step: size * (MaxBatch / size)}, next, nil
}

// write upserts items (at most step) and returns their results, indexed
// from 0. An error stops the job: a resting vendor or frozen writes pause
// it; a whole-call failure before anything was written fails it (a
// synchronous batch answers it as the call's error); after something was
// written (written), the items fail with it instead.
func (w *bulkWriter) write(ctx context.Context, items []ContactInput, written bool) ([]BatchItemResult, error) {
	if w.stop == nil {
		var fe *FrozenError
		wctx, end, err := w.s.BeginWrite(ctx, w.t.Tenant)
		defer end()
		if errors.As(err, &fe) {
			return nil, &JobPauseError{After: fe.RetryAfter, Reason: SafeDetail(err)}
		}
		// A rest in place ends within the write's deadline (the cut-over
		// waits for the write no longer), and checks the tenant again.
		rs, err := w.s.BatchUpsertContacts(withAfterRest(wctx, w.stillWritable), w.t, items, w.mode)
		if err == nil {
			return rs, nil
		}
		var ve *VendorError
		var pe *JobPauseError
		resting := errors.As(err, &ve) && (ve.Kind == VendorRateLimited || ve.Kind == VendorCircuitOpen) || errors.As(err, &pe)
		if ctx.Err() != nil || resting || !written {
			return nil, err
		}
		w.stop = err
	}
	rs := make([]BatchItemResult, len(items))
	failItems(rs, 0, len(items), w.stop)
	return rs, nil
}

// stillWritable is checked when a write rested in place: the tenant's
// writes may have been frozen, or the tenant moved to another vendor,
// meanwhile. Either pauses the job, which then resumes at the tenant's
// vendor of then, instead of writing where the tenant no longer is.
func (w *bulkWriter) stillWritable(ctx context.Context) error {
	var fe *FrozenError
	if err := w.s.CheckWritable(ctx, w.t.Tenant); errors.As(err, &fe) {
		return &JobPauseError{After: fe.RetryAfter, Reason: SafeDetail(err)}
	}
	t, err := w.s.Target(ctx, w.t.Tenant)
	if err != nil {
		return err
	}
	if t.Version != w.t.Version {
		return &JobPauseError{After: time.Second, Reason: "the tenant moved to " + string(t.Vendor) + " while the job waited for " + string(w.t.Vendor) + "; it goes on there"}
	}
	return nil
}

// checkpoint counts results and saves out and the checkpoint next.
func (w *bulkWriter) checkpoint(run *JobRun, results []BatchItemResult, out any, next int) error {
	run.Progress(progressContacts, func(p *JobProgress) {
		for _, r := range results {
			if r.Status == BatchFailed {
				p.Failed++
			} else {
				p.Done++
			}
		}
	})
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	run.SetOutput(b)
	cp, err := json.Marshal(bulkCheckpoint{Next: next})
	if err != nil {
		return err
	}
	return run.Checkpoint(cp)
}

// bulkItemError records a failed item of a bulk job.
func bulkItemError(item string, err error) JobItemError {
	return itemError(MigrationResource(progressContacts), item, err)
}

// renameItemFields names the fields of item i of a write, refused as
// body.items.<i>.…, as to.… instead: a bulk job writes a part of its
// items at a time, and names them by their place in the whole batch (or
// their import line).
func renameItemFields(err error, i int, to string) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	from := "body.items." + strconv.Itoa(i)
	out := &ValidationError{Fields: make([]FieldError, len(ve.Fields))}
	for k, f := range ve.Fields {
		if rest, ok := strings.CutPrefix(f.Field, from); ok && (rest == "" || rest[0] == '.') {
			f.Field = to + rest
		}
		out.Fields[k] = f
	}
	return out
}
