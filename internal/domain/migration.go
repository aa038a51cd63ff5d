package domain

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// A migration carries a tenant's records from the vendor it is on to
// another of its connections, as a job: it plans from both connections'
// ports, copies resource by resource through them (reading the source a
// page at a time, writing the target in the largest chunks it takes and
// upserting, so that a re-run or a takeover never duplicates), records
// every carried record's old id -> new id, and checkpoints after every
// page.

// JobKindMigration is the job kind of migrations.
const JobKindMigration = "migration"

// MigrationResource names a kind of record a migration carries.
type MigrationResource string

// What a migration carries, in the order it carries them: custom field
// definitions before the contacts whose values need them, contacts before
// what names them (members, contact tags, events), tag groups before
// their tags.
const (
	MigrateCustomFields MigrationResource = "custom_fields"
	MigrateContacts     MigrationResource = "contacts"
	MigrateGroups       MigrationResource = "groups"
	MigrateGroupMembers MigrationResource = "group_members"
	MigrateTagGroups    MigrationResource = "tag_groups"
	MigrateTags         MigrationResource = "tags"
	MigrateContactTags  MigrationResource = "contact_tags"
	MigrateEvents       MigrationResource = "events"
)

// MigrationResources lists every resource in the order a migration
// carries them.
var MigrationResources = []MigrationResource{MigrateCustomFields, MigrateContacts, MigrateGroups, MigrateGroupMembers,
	MigrateTagGroups, MigrateTags, MigrateContactTags, MigrateEvents}

// MigrationSpec is what an operator asks of a migration (the job's Input).
type MigrationSpec struct {
	From      Vendor              `json:"from"`
	To        Vendor              `json:"to"`
	Switch    bool                `json:"switch"`
	DryRun    bool                `json:"dry_run"`
	Resources []MigrationResource `json:"resources"`
	// Plan is the plan made when the migration was started.
	Plan *MigrationPlan `json:"plan,omitempty"`
}

// PlanAction says whether a resource will be carried.
type PlanAction string

// Plan actions.
const (
	PlanCarry  PlanAction = "carry"
	PlanCannot PlanAction = "cannot"
	PlanSkip   PlanAction = "skip" // not asked for
)

// PlanStep is the plan for one resource. Detail says why a resource cannot
// be carried, or how a carried one is carried; Dropped names what of a
// carried resource the target cannot hold (contact fields, custom
// fields); Transformed names what changes form on the way (a gender's
// encoding, a number field created as text).
type PlanStep struct {
	Resource    MigrationResource `json:"resource"`
	Action      PlanAction        `json:"action"`
	Detail      string            `json:"detail,omitempty"`
	Dropped     []string          `json:"dropped,omitempty"`
	Transformed []string          `json:"transformed,omitempty"`
}

// MigrationPlan is what a migration will do, made before it writes
// anything.
type MigrationPlan struct {
	From  Vendor     `json:"from"`
	To    Vendor     `json:"to"`
	Steps []PlanStep `json:"steps"`
}

// Step returns the plan's step for r.
func (p MigrationPlan) Step(r MigrationResource) (PlanStep, bool) {
	for _, s := range p.Steps {
		if s.Resource == r {
			return s, true
		}
	}
	return PlanStep{}, false
}

// ContactFieldStorer is implemented by adapters that say which canonical
// contact fields their contact writes store, and whether they store
// external ids. A migration leaves the rest out of what it writes and
// lists it in its plan; without it, a migration writes everything and the
// target refuses what it cannot store, item by item.
type ContactFieldStorer interface {
	StorableContactFields() []ContactField
	StoresExternalIDs() bool
	// RequiresExternalID reports that every contact written needs an
	// external id (Linkflow identifies contacts by one). A migration
	// gives a contact without one its old id in MigrationChannel.
	RequiresExternalID() bool
}

// MigrationChannel is the channel of the external ids a migration gives
// contacts that have none, at a target that requires one: the id is the
// contact's canonical id at the vendor it came from ("mh_4338372"), so a
// re-run upserts the same contact.
const MigrationChannel = "cdp-gateway-migration"

// MigrationRequest is an operator's request to move a tenant to another
// vendor; the tenant's current vendor is where it moves from.
type MigrationRequest struct {
	To        Vendor
	Switch    bool
	DryRun    bool
	Resources []MigrationResource
}

// ErrMigrationRunning refuses a migration while the tenant has one that
// has not ended.
var ErrMigrationRunning = errors.New("the tenant has a migration that has not ended; cancel it or wait for it")

// errNoJobs: the service was built without job stores.
var errNoJobs = errors.New("this gateway keeps no jobs")

// StartMigration plans a migration of tenant from its current vendor as
// req asks and queues it as a job. The plan is made first, so a request
// the two connections cannot serve (an unknown resource, a vendor
// without a connection) is refused before anything is stored. actor is
// named in the audit line.
func (s *Service) StartMigration(ctx context.Context, tenant string, req MigrationRequest, actor string) (Job, MigrationPlan, error) {
	if s.jobs == nil || s.ids == nil {
		return Job{}, MigrationPlan{}, errNoJobs
	}
	b, err := s.bindings.Binding(ctx, tenant)
	if err != nil {
		return Job{}, MigrationPlan{}, err
	}
	spec := MigrationSpec{From: b.Vendor, To: req.To, Switch: req.Switch, DryRun: req.DryRun, Resources: req.Resources}
	plan, err := s.PlanMigration(ctx, tenant, spec)
	if err != nil {
		return Job{}, MigrationPlan{}, err
	}
	active, err := s.jobs.Jobs(ctx, tenant, JobKindMigration, 20)
	if err != nil {
		return Job{}, MigrationPlan{}, err
	}
	for _, j := range active {
		if !j.State.Final() {
			return Job{}, MigrationPlan{}, ErrMigrationRunning
		}
	}
	spec.Plan = &plan
	in, err := json.Marshal(spec)
	if err != nil {
		return Job{}, MigrationPlan{}, err
	}
	now := s.now().UTC()
	j := Job{ID: "mig_" + strings.ToLower(rand.Text()), Kind: JobKindMigration, Tenant: tenant, State: JobQueued, Input: in, CreatedAt: now, UpdatedAt: now}
	if err := s.jobs.Create(ctx, j); err != nil {
		return Job{}, MigrationPlan{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "tenant migration started",
		slog.String("audit", "tenant.migration_start"), slog.String("actor", actor), slog.String("tenant", tenant),
		slog.String("job", j.ID), slog.String("from", string(spec.From)), slog.String("to", string(spec.To)),
		slog.Bool("switch", spec.Switch), slog.Bool("dry_run", spec.DryRun))
	return j, plan, nil
}

// Migration returns the tenant's migration id and its plan.
func (s *Service) Migration(ctx context.Context, tenant, id string) (Job, MigrationPlan, error) {
	if s.jobs == nil {
		return Job{}, MigrationPlan{}, errNoJobs
	}
	j, err := s.jobs.Job(ctx, tenant, id)
	if err != nil {
		return Job{}, MigrationPlan{}, err
	}
	if j.Kind != JobKindMigration {
		return Job{}, MigrationPlan{}, ErrJobNotFound
	}
	return j, planOf(j), nil
}

// CancelMigration cancels the tenant's migration id (at once while it
// waits, at its next step while it runs).
func (s *Service) CancelMigration(ctx context.Context, tenant, id, actor string) (Job, MigrationPlan, error) {
	if _, _, err := s.Migration(ctx, tenant, id); err != nil {
		return Job{}, MigrationPlan{}, err
	}
	j, err := s.jobs.Cancel(ctx, tenant, id, "cancelled by "+actor)
	if err != nil {
		return Job{}, MigrationPlan{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "tenant migration cancelled",
		slog.String("audit", "tenant.migration_cancel"), slog.String("actor", actor), slog.String("tenant", tenant), slog.String("job", j.ID))
	return j, planOf(j), nil
}

// migrationOutput is what a migration run reports in its job's Output.
type migrationOutput struct {
	Plan   MigrationPlan  `json:"plan"`
	Fields []CarriedField `json:"fields,omitempty"`
}

// CarriedField is a custom field a migration carried: its key at the
// source (as the API names it there) and at the target, its label, and
// how it was matched (FieldNamed, FieldSameKey, FieldByLabel or
// FieldCreated).
type CarriedField struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label,omitempty"`
	How   string `json:"how"`
}

// How a custom field was carried.
const (
	FieldNamed   = "named"    // the tenant's name maps it at both vendors
	FieldSameKey = "same_key" // both vendors have its key
	FieldByLabel = "label"    // the target had a field of its label
	FieldCreated = "created"  // created at the target
)

// MigrationFields are the custom fields migration job j carried (by its
// last run that carried them).
func MigrationFields(j Job) []CarriedField {
	var out migrationOutput
	if json.Unmarshal(j.Output, &out) != nil {
		return nil
	}
	return out.Fields
}

// planOf is the plan of migration job j: its last run's, or the one made
// when it was started.
func planOf(j Job) MigrationPlan {
	var out migrationOutput
	if json.Unmarshal(j.Output, &out) == nil && len(out.Plan.Steps) > 0 {
		return out.Plan
	}
	var spec MigrationSpec
	if json.Unmarshal(j.Input, &spec) == nil && spec.Plan != nil {
		return *spec.Plan
	}
	return MigrationPlan{}
}

// migrationConns resolves both ends of a tenant's migration.
func (s *Service) migrationConns(tenant string, spec MigrationSpec) (from, to Connection, err error) {
	t, ok := s.tenants[tenant]
	if !ok {
		return nil, nil, ErrTenantUnknown
	}
	if spec.From == spec.To {
		return nil, nil, Invalid("body.to", "is the vendor the tenant is on")
	}
	if from, ok = t.Connections[spec.From]; !ok {
		return nil, nil, &VendorNotConfiguredError{Tenant: tenant, Vendor: spec.From}
	}
	if to, ok = t.Connections[spec.To]; !ok {
		return nil, nil, &VendorNotConfiguredError{Tenant: tenant, Vendor: spec.To}
	}
	return from, to, nil
}

// CheckMigrationResources checks the resources a caller asked for (field
// names the body member in errors); none means all.
func CheckMigrationResources(field string, rs []MigrationResource) ([]MigrationResource, error) {
	if len(rs) == 0 {
		return MigrationResources, nil
	}
	seen := map[MigrationResource]bool{}
	for i, r := range rs {
		if !slices.Contains(MigrationResources, r) {
			return nil, Invalid(fmt.Sprintf("%s.%d", field, i), "is not a resource a migration carries ("+joinResources(MigrationResources)+")")
		}
		if seen[r] {
			return nil, Invalid(fmt.Sprintf("%s.%d", field, i), "is named twice")
		}
		seen[r] = true
	}
	return rs, nil
}

func joinResources(rs []MigrationResource) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ", ")
}

// PlanMigration says what migrating tenant as spec asks would carry, from
// the two connections' ports; it writes nothing.
func (s *Service) PlanMigration(ctx context.Context, tenant string, spec MigrationSpec) (MigrationPlan, error) {
	from, to, err := s.migrationConns(tenant, spec)
	if err != nil {
		return MigrationPlan{}, err
	}
	asked, err := CheckMigrationResources("body.resources", spec.Resources)
	if err != nil {
		return MigrationPlan{}, err
	}
	p := MigrationPlan{From: spec.From, To: spec.To}
	pl := &planner{from: from, to: to, asked: asked, names: s.carriedNames(tenant, spec.From, spec.To)}
	for _, r := range MigrationResources {
		step := PlanStep{Resource: r, Action: PlanCarry}
		if !slices.Contains(asked, r) {
			step.Action = PlanSkip
		} else if err := pl.plan(ctx, &step); err != nil {
			return MigrationPlan{}, err
		}
		pl.steps = append(pl.steps, step)
		p.Steps = append(p.Steps, step)
	}
	return p, nil
}

// planner plans a migration's steps in order; a step may depend on those
// before it (contacts carry the custom fields the custom_fields step
// makes).
type planner struct {
	from, to Connection
	asked    []MigrationResource
	names    contactWriter
	steps    []PlanStep // planned so far
	// fields are the source's custom field keys the custom_fields step
	// carries (matched at the target or created there).
	fields map[string]bool
}

// carries reports whether an earlier step carries r.
func (pl *planner) carries(r MigrationResource) bool {
	i := slices.IndexFunc(pl.steps, func(s PlanStep) bool { return s.Resource == r })
	return i >= 0 && pl.steps[i].Action == PlanCarry
}

// contacts plans the contacts: carried when the source lists them and
// the target upserts them, without the fields the target cannot store
// and the custom fields it neither has nor gets from the custom_fields
// step.
func (pl *planner) contacts(ctx context.Context, step *PlanStep) error {
	from, to, w := pl.from, pl.to, pl.names
	_, reads := from.(ContactLister)
	_, batch := to.(ContactBatchUpserter)
	switch {
	case !reads:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s holds no contacts the gateway can list", from.Vendor())
	case !batch:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s cannot upsert contacts", to.Vendor())
	default:
		step.Dropped = droppedFields(from, to)
		step.Transformed = transformedFields(from, to)
		if tf, ok := to.(ContactFieldStorer); ok && tf.RequiresExternalID() {
			step.Detail = fmt.Sprintf("%s identifies every contact by an external id: a contact without one is given its old id in channel %q", to.Vendor(), MigrationChannel)
		}
		keep, known, err := fieldKeys(ctx, to)
		if err != nil || !known {
			return err
		}
		have, known, err := fieldKeys(ctx, from)
		if err != nil || !known {
			return err
		}
		w.customKeys = keep
		var dropped []string
		for k := range have {
			if _, ok := w.customKey(k); !ok && !pl.fields[k] {
				dropped = append(dropped, "custom_fields."+w.from.name(k))
			}
		}
		slices.Sort(dropped)
		step.Dropped = append(step.Dropped, dropped...)
	}
	return nil
}

// fieldKeys are the keys of conn's custom field definitions; known is
// false when conn cannot list them.
func fieldKeys(ctx context.Context, conn Connection) (keys map[string]bool, known bool, err error) {
	fl, ok := conn.(FieldLister)
	if !ok {
		return nil, false, nil
	}
	defs, err := ReadFieldDefs(ctx, conn.Vendor(), fl)
	if err != nil {
		return nil, false, err
	}
	keys = make(map[string]bool, len(defs))
	for k := range defs {
		keys[k] = true
	}
	return keys, true, nil
}

// droppedFields are the contact fields (and external ids) the source may
// hold and the target cannot store, as the canonical body names them.
func droppedFields(from, to Connection) []string {
	tf, ok := to.(ContactFieldStorer)
	if !ok {
		return nil
	}
	have, haveExt := ContactFields, true
	if ff, ok := from.(ContactFieldStorer); ok {
		have, haveExt = ff.StorableContactFields(), ff.StoresExternalIDs()
	}
	keep := tf.StorableContactFields()
	var out []string
	for _, f := range ContactFields {
		if slices.Contains(have, f) && !slices.Contains(keep, f) {
			out = append(out, string(f))
		}
	}
	if haveExt && !tf.StoresExternalIDs() {
		out = append(out, "external_ids")
	}
	return out
}

// ContactFieldEncoder is implemented by adapters that say how their
// vendor writes some contact fields ("male/female", "男/女", "epoch
// milliseconds"): a migration's plan lists the fields whose encoding
// changes between the two vendors, which the adapters translate through
// the canonical value.
type ContactFieldEncoder interface {
	ContactFieldEncodings() map[ContactField]string
}

// transformedFields are the contact fields the target stores whose
// encoding differs at the two vendors, each as "gender: linkflow
// male/female -> meihua 男/女".
func transformedFields(from, to Connection) []string {
	fe, ok := from.(ContactFieldEncoder)
	te, ok2 := to.(ContactFieldEncoder)
	if !ok || !ok2 {
		return nil
	}
	keep := ContactFields
	if tf, ok := to.(ContactFieldStorer); ok {
		keep = tf.StorableContactFields()
	}
	fenc, tenc := fe.ContactFieldEncodings(), te.ContactFieldEncodings()
	var out []string
	for _, f := range ContactFields {
		if a, b := fenc[f], tenc[f]; a != "" && b != "" && a != b && slices.Contains(keep, f) {
			out = append(out, fmt.Sprintf("%s: %s %s -> %s %s", f, from.Vendor(), a, to.Vendor(), b))
		}
	}
	return out
}

// migrationCheckpoint is where a migration is: the resource it works on
// and the source's page state within it.
type migrationCheckpoint struct {
	Resource MigrationResource `json:"resource"`
	Page     string            `json:"page"`
}

// MigrationPageSize is how many source records a migration reads a page.
const MigrationPageSize = MaxLimit

// MigrationHandler runs migrations, recording carried ids in the
// service's id map.
func (s *Service) MigrationHandler() JobHandler {
	return JobHandlerFunc(func(ctx context.Context, run *JobRun) error {
		j := run.Job()
		var spec MigrationSpec
		if err := json.Unmarshal(j.Input, &spec); err != nil {
			return fmt.Errorf("migration input: %w", err)
		}
		from, to, err := s.migrationConns(j.Tenant, spec)
		if err != nil {
			return err
		}
		// The plan made when the migration was started; a resumed run
		// does not spend vendor calls on it again.
		plan := planOf(j)
		if len(plan.Steps) == 0 {
			if plan, err = s.PlanMigration(ctx, j.Tenant, spec); err != nil {
				return err
			}
		}
		out, err := json.Marshal(migrationOutput{Plan: plan, Fields: MigrationFields(j)})
		if err != nil {
			return err
		}
		run.SetOutput(out)
		if spec.DryRun {
			return nil
		}
		var cp migrationCheckpoint
		if len(j.Checkpoint) > 0 {
			if err := json.Unmarshal(j.Checkpoint, &cp); err != nil {
				return fmt.Errorf("migration checkpoint: %w", err)
			}
		}
		if s.ids == nil {
			return errNoJobs
		}
		m := &migration{s: s, run: run, ids: s.ids, tenant: j.Tenant, from: from, to: to, plan: plan, fields: MigrationFields(j)}
		todo := slices.Clone(MigrationResources)
		if cp.Resource != "" {
			at := slices.Index(todo, cp.Resource)
			if at < 0 {
				at = len(todo) // past the resources: the cut-over
			}
			todo = todo[at:]
		}
		for i, r := range todo {
			page := ""
			if i == 0 {
				page = cp.Page
			}
			if step, _ := plan.Step(r); step.Action == PlanCarry {
				if err := m.carry(ctx, r, page); err != nil {
					return err
				}
			}
			next := phaseDelta
			if i+1 < len(todo) {
				next = todo[i+1]
			}
			if err := m.checkpoint(next, ""); err != nil {
				return err
			}
		}
		if cp.Resource != phaseCutover {
			// The delta pass: the contacts changed while the copy ran
			// (where the source lists contacts by updated_since), without
			// freezing writes, so the cut-over's own pass is short.
			m.deltaFrom = s.now()
			if err := m.changedRecords(ctx); err != nil {
				return err
			}
			if err := m.changedContacts(ctx, j.StartedAt, false); err != nil {
				return err
			}
			if err := m.checkpoint(phaseCutover, ""); err != nil {
				return err
			}
		}
		if !spec.Switch || cp == (migrationCheckpoint{Resource: phaseCutover, Page: switched}) {
			// Done; or switched already, by a run that ended before it
			// could say so: carrying again now would overwrite writes the
			// tenant has made at its new vendor since.
			return nil
		}
		return m.cutover(ctx, j)
	})
}

// progressChanged is the progress of the passes over contacts changed
// while the copy ran (the delta pass and the cut-over's).
const progressChanged = "contacts_changed"

// phaseDelta and phaseCutover are the checkpoints of a migration past its
// copy passes: at its delta pass, and past it.
const (
	phaseDelta   MigrationResource = "delta"
	phaseCutover MigrationResource = "cutover"
)

// switched is phaseCutover's page once the tenant was switched.
const switched = "switched"

// CutoverFreeze bounds a cut-over's write freeze: the cut-over renews it
// while it runs, and it ends within CutoverFreeze even if
// the job's replica died in the middle.
const CutoverFreeze = 2 * time.Minute

// NotSwitchedError ends a migration that was to switch its tenant but
// could not carry every record: the tenant stays where it is, so that no
// caller loses a record to the switch.
type NotSwitchedError struct {
	Failed int64
	To     Vendor
}

func (e *NotSwitchedError) Error() string {
	return fmt.Sprintf("not switched to %s: records could not be carried (%d failed writes, see the errors); carry them and run the migration again, or switch by hand", e.To, e.Failed)
}

// cutover freezes the tenant's writes, waits for those that began before
// the freeze to end (waitWrites), carries what changed since the
// job started (contacts updated since then, where the source can list
// them so; otherwise contacts not carried yet), switches the tenant to
// the target and lifts the freeze. Reads are served throughout. A
// migration that could not carry every record does not switch.
func (m *migration) cutover(ctx context.Context, j Job) error {
	if m.s.freezes == nil {
		return errNoJobs
	}
	frozen := m.s.now()
	if err := m.s.freezes.Freeze(ctx, m.tenant, frozen.Add(cutoverFreeze)); err != nil {
		return err
	}
	// A vendor call rests in place only while the tenant's writes have
	// been frozen for less than half of cutoverFreeze: a longer rest (an
	// hourly quota) would keep them frozen as long. The job pauses
	// instead, which lifts the freeze, and the cut-over runs again whole
	// later.
	ctx = restWithin(ctx, frozen.Add(cutoverFreeze/2))
	defer func() {
		if err := m.s.freezes.Unfreeze(context.WithoutCancel(ctx), m.tenant); err != nil {
			m.s.log.LogAttrs(ctx, slog.LevelWarn, "tenant writes stay frozen until the freeze ends", slog.String("tenant", m.tenant), slog.String("job", j.ID), slog.String("error", err.Error()))
		}
	}()
	held, stop := m.holdFreeze(ctx)
	defer stop()
	m.s.log.LogAttrs(ctx, slog.LevelInfo, "tenant writes frozen for a migration's cut-over", slog.String("tenant", m.tenant), slog.String("job", j.ID))
	if err := m.s.waitWrites(ctx, m.tenant, j.ID); err != nil {
		return err
	}
	since := j.StartedAt
	if !m.deltaFrom.IsZero() { // this run made the delta pass
		since = m.deltaFrom
	}
	if err := m.changedRecords(ctx); err != nil {
		return err
	}
	if err := m.changedContacts(ctx, since, true); err != nil {
		return err
	}
	var failed int64
	for _, p := range m.run.Progressed() {
		failed += p.Failed
	}
	if failed > 0 {
		return &NotSwitchedError{Failed: failed, To: m.to.Vendor()}
	}
	if !held() {
		return errFreezeLost
	}
	actor := "migration " + j.ID
	if _, err := m.s.SwitchVendor(ctx, m.tenant, m.to.Vendor(), actor, actor+" cut-over"); err != nil {
		return err
	}
	return m.checkpoint(phaseCutover, switched)
}

// migration is one run of a migration job.
type migration struct {
	s        *Service
	run      *JobRun
	ids      IDMapStore
	tenant   string
	from, to Connection
	plan     MigrationPlan
	// changed is set during the passes over changed contacts, whose
	// progress is counted apart.
	changed bool
	// deltaFrom is when this run's delta pass started.
	deltaFrom time.Time
	// written are the contacts a pass over changed contacts wrote since
	// their memberships and tags were last carried (followChanges).
	written []Contact
	// newGroups are the groups a pass over changes carried.
	newGroups []Group
	// fields are the custom fields carried so far, as reported.
	fields []CarriedField
}

// skipped counts an item of resource res not carried on purpose; a pass
// over changes counts only what it carries.
func (m *migration) skipped(res string) {
	if !m.changed {
		m.run.Progress(res, func(p *JobProgress) { p.Skipped++ })
	}
}

// changedRecords carries the custom fields, groups, tag groups and tags
// created since their passes, and the members of the new groups, before
// the changed contacts (which then take the new fields' values and join
// the new groups too).
func (m *migration) changedRecords(ctx context.Context) error {
	m.changed = true
	defer func() { m.changed, m.newGroups = false, nil }()
	for _, r := range []MigrationResource{MigrateCustomFields, MigrateGroups, MigrateTagGroups, MigrateTags} {
		if step, _ := m.plan.Step(r); step.Action == PlanCarry {
			if err := m.carry(ctx, r, ""); err != nil {
				return err
			}
		}
	}
	if step, _ := m.plan.Step(MigrateGroupMembers); step.Action == PlanCarry && len(m.newGroups) > 0 {
		return m.carryMembers(ctx, m.newGroups, "")
	}
	return nil
}

// wrote notes that a pass over changed contacts wrote c.
func (m *migration) wrote(c Contact) {
	if m.changed {
		m.written = append(m.written, c)
	}
}

// changedContacts carries the contacts changed since since: listed with
// updated_since where the source can filter so, and written again;
// otherwise, when full is set, the contacts not carried yet (a pass over
// every contact that skips the carried ones), else none.
func (m *migration) changedContacts(ctx context.Context, since time.Time, full bool) error {
	if step, _ := m.plan.Step(MigrateContacts); step.Action != PlanCarry {
		return nil
	}
	since = since.Add(-time.Minute) // vendors stamp updates with their own clocks
	var q *ContactQuery
	if l := m.from.(ContactLister); slices.Contains(l.ContactFilters(), "updated_since") {
		q = &ContactQuery{UpdatedSince: &since}
	} else if !full {
		return nil
	}
	m.changed = true
	defer func() { m.changed = false }()
	return m.contacts(ctx, "", q != nil, q)
}

// checkpoint records where the run is, with its progress; passes over
// changes (m.changed) run again whole and record nothing.
func (m *migration) checkpoint(r MigrationResource, page string) error {
	if m.changed {
		return nil
	}
	b, err := json.Marshal(migrationCheckpoint{Resource: r, Page: page})
	if err != nil {
		return err
	}
	return m.run.Checkpoint(b)
}

// idmap is the tenant's id map of records of kind k.
func (m *migration) idmap(k RecordKind) IDMapStore { return kindIDs{store: m.ids, kind: k} }

// sourceID and targetID give a record's canonical id at either end.
func (m *migration) sourceID(native string) string {
	return m.s.vendors.FormatID(m.from.Vendor(), native)
}
func (m *migration) targetID(native string) string {
	return m.s.vendors.FormatID(m.to.Vendor(), native)
}

// contacts carries every contact (those q matches, when given), page by
// page from page on. A contact already in the id map was carried by an
// earlier run and is skipped, unless again is set (the cut-over's pass
// over contacts changed since: they are written again).
func (m *migration) contacts(ctx context.Context, page string, again bool, q *ContactQuery) error {
	src := m.from.(ContactLister)
	dst := m.to.(ContactBatchUpserter)
	w := m.s.carriedNames(m.tenant, m.from.Vendor(), m.to.Vendor())
	w.storable, w.externalIDs = ContactFields, true
	if st, ok := m.to.(ContactFieldStorer); ok {
		w.storable, w.externalIDs, w.requireExt = st.StorableContactFields(), st.StoresExternalIDs(), st.RequiresExternalID()
	}
	var err error
	if w.customKeys, _, err = fieldKeys(ctx, m.to); err != nil {
		return err
	}
	if w.carried, err = m.carriedFields(ctx); err != nil {
		return err
	}
	if q == nil {
		q = &ContactQuery{}
	}
	ctx = WithExternalIDs(ctx)
	for {
		p, err := src.ListContacts(ctx, *q, PageRequest{Limit: MigrationPageSize, State: page})
		if err != nil {
			return err
		}
		if err := m.carryContacts(ctx, dst, p.Items, w, again); err != nil {
			return err
		}
		if err := m.followChanges(ctx); err != nil {
			return err
		}
		if p.Next == "" {
			return nil
		}
		page = p.Next
		if again {
			continue // the cut-over is not checkpointed page by page: it runs again whole
		}
		if err := m.checkpoint(MigrateContacts, page); err != nil {
			return err
		}
	}
}

func (m *migration) carryContacts(ctx context.Context, dst ContactBatchUpserter, cs []Contact, w contactWriter, again bool) error {
	from := make([]string, len(cs))
	for i, c := range cs {
		from[i] = m.sourceID(c.ID)
	}
	carried, err := m.idmap(ContactKind).LookupIDs(ctx, m.tenant, from)
	if err != nil {
		return err
	}
	progress := string(MigrateContacts)
	if m.changed {
		progress = progressChanged
	}
	upd, _ := dst.(ContactUpdater)
	var todo []int // indexes into cs
	for i := range cs {
		to, ok := carried[from[i]]
		switch {
		case ok && !again:
			m.run.Progress(progress, func(p *JobProgress) { p.Skipped++ })
		case ok && upd != nil:
			// Written again by its id at the target: an upsert would
			// match on a natural key the change may have changed.
			if err := m.patchContact(ctx, upd, to, cs[i], w); err != nil {
				if FailsEveryCall(err) {
					return err
				}
				m.run.Progress(progress, func(p *JobProgress) { p.Failed++ })
				m.run.ItemError(itemError(MigrationResource(progress), from[i], err))
				continue
			}
			m.run.Progress(progress, func(p *JobProgress) { p.Done++ })
			m.wrote(cs[i])
		default:
			todo = append(todo, i)
		}
	}
	for chunk := range slices.Chunk(todo, max(dst.BatchSize(), 1)) {
		items := make([]ContactInput, len(chunk))
		for k, i := range chunk {
			items[k] = w.input(cs[i])
			if w.requireExt && len(items[k].ExternalIDs) == 0 {
				items[k].ExternalIDs = []ExternalID{{Channel: MigrationChannel, ID: from[i]}}
			}
		}
		res, err := dst.BatchUpsertContacts(ctx, items, OnConflictMerge)
		if err != nil {
			return err
		}
		pairs := map[string]string{}
		for _, r := range res {
			if r.Index < 0 || r.Index >= len(chunk) {
				return fmt.Errorf("%s answered a batch result for item %d of %d", m.to.Vendor(), r.Index, len(chunk))
			}
			src := from[chunk[r.Index]]
			if r.Status == BatchFailed || r.ID == "" {
				m.run.Progress(progress, func(p *JobProgress) { p.Failed++ })
				m.run.ItemError(itemError(MigrationResource(progress), src, cmpErr(r.Err)))
				continue
			}
			pairs[src] = m.targetID(r.ID)
			m.run.Progress(progress, func(p *JobProgress) { p.Done++ })
			m.wrote(cs[chunk[r.Index]])
		}
		if err := m.idmap(ContactKind).PutIDs(ctx, m.tenant, pairs); err != nil {
			return err
		}
	}
	return nil
}

// patchContact writes c again to its carried contact to at the target:
// every field both vendors store, set to the source's value (empty
// clears it), and its custom values.
func (m *migration) patchContact(ctx context.Context, upd ContactUpdater, to string, c Contact, w contactWriter) error {
	native, err := m.s.vendors.ParseID("contact", to, m.to.Vendor())
	if err != nil {
		return err
	}
	in := w.input(c)
	p := ContactPatch{Values: in.Contact, Set: map[ContactField]bool{}, CustomFields: in.CustomFields}
	have := ContactFields
	if fs, ok := m.from.(ContactFieldStorer); ok {
		have = fs.StorableContactFields()
	}
	for _, f := range w.storable {
		if slices.Contains(have, f) {
			p.Set[f] = true
		}
	}
	_, err = upd.UpdateContact(ctx, native, p)
	return err
}

// itemError records why item of resource was not carried: the vendor's
// error code when it gave one, and the gateway's words.
func itemError(r MigrationResource, item string, err error) JobItemError {
	e := JobItemError{Resource: string(r), Item: item, Message: SafeDetail(err)}
	var ve *VendorError
	var val *ValidationError
	switch {
	case errors.As(err, &ve):
		e.Code = ve.Code
	case errors.As(err, &val):
		msgs := make([]string, len(val.Fields))
		for i, f := range val.Fields {
			msgs[i] = f.Field + " " + f.Message
		}
		e.Message = "the target refused " + strings.Join(msgs, "; ")
	}
	return e
}

// cmpErr is err, or an error saying none was given.
func cmpErr(err error) error {
	if err == nil {
		return errors.New("the vendor answered no id")
	}
	return err
}

// contactWriter is what a migration's target stores of a contact: its
// storable fields, whether external ids, and its custom field keys (nil:
// unknown, every key is written). A custom value is carried by the name
// the API gives it (the tenant's name where it named the field, else the
// vendor key): from and to are the tenant's names at either end.
type contactWriter struct {
	storable    []ContactField
	externalIDs bool
	requireExt  bool // the target needs an external id on every contact
	customKeys  map[string]bool
	from, to    *fieldNames
	// carried are the target's keys of the source's custom fields the
	// custom_fields step matched by label or created.
	carried map[string]string
}

// carriedNames is the contactWriter of tenant's custom field names from
// vendor from to vendor to.
func (s *Service) carriedNames(tenant string, from, to Vendor) contactWriter {
	t := s.tenants[tenant]
	return contactWriter{from: t.names[from], to: t.names[to]}
}

// customKey is the target's key of the source's custom field key k, and
// false when the target has no field of that name: k is a field the
// tenant named that it did not map at the target, or an unmapped key the
// target does not define (or spells another named field by).
func (w contactWriter) customKey(k string) (string, bool) {
	name := w.from.name(k)
	key, ok := "", false
	if w.to != nil {
		key, ok = w.to.toKey[name]
	}
	if !ok {
		if made, ok := w.carried[k]; ok {
			return made, true
		}
		if mappedAt(w.from, name) || w.to.name(name) != name {
			return "", false
		}
		key = name
	}
	if w.customKeys != nil && !w.customKeys[key] {
		return "", false
	}
	return key, true
}

// mappedAt reports whether name is one of the tenant's names mapped in m.
func mappedAt(m *fieldNames, name string) bool {
	if m == nil {
		return false
	}
	_, ok := m.toKey[name]
	return ok
}

// input is what a migration writes of c: the fields, external ids (when
// they were read) and custom fields the target stores.
func (w contactWriter) input(c Contact) ContactInput {
	in := Contact{}
	if c.ExternalIDsLoaded && w.externalIDs {
		in.ExternalIDs = c.ExternalIDs
	}
	for k, v := range c.CustomFields {
		if key, ok := w.customKey(k); ok {
			if in.CustomFields == nil {
				in.CustomFields = map[string]any{}
			}
			in.CustomFields[key] = v
		}
	}
	for _, f := range w.storable {
		switch f {
		case FieldGender:
			in.Gender = c.Gender
		case FieldBirthday:
			in.Birthday = c.Birthday
		default:
			*in.StringField(f) = *c.StringField(f)
		}
	}
	return ContactInput{Contact: in}
}

// Migrations lists the tenant's migrations, newest first, at most 20.
func (s *Service) Migrations(ctx context.Context, tenant string) ([]Job, []MigrationPlan, error) {
	if s.jobs == nil {
		return nil, nil, errNoJobs
	}
	js, err := s.jobs.Jobs(ctx, tenant, JobKindMigration, 20)
	if err != nil {
		return nil, nil, err
	}
	plans := make([]MigrationPlan, len(js))
	for i, j := range js {
		plans[i] = planOf(j)
	}
	return js, plans, nil
}

// MigrationPhase says where a running or paused migration is: "copy"
// while it carries records, "cutover" while it freezes the tenant's
// writes, carries the last changes and switches; "" for a migration
// that waits to start or has ended.
func MigrationPhase(j Job) string {
	if j.State != JobRunning && j.State != JobPaused {
		return ""
	}
	var cp migrationCheckpoint
	if json.Unmarshal(j.Checkpoint, &cp) == nil && cp.Resource == phaseCutover {
		return "cutover"
	}
	return "copy"
}
