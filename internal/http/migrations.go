package http

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// StartMigration implements StrictServerInterface.
func (s *Server) StartMigration(ctx context.Context, req StartMigrationRequestObject) (StartMigrationResponseObject, error) {
	p, _ := principalFrom(ctx)
	b := req.Body
	in := domain.MigrationRequest{To: domain.Vendor(b.To), Switch: deref(b.Switch), DryRun: deref(b.DryRun)}
	for _, r := range b.Resources {
		in.Resources = append(in.Resources, domain.MigrationResource(r))
	}
	j, plan, err := s.svc.StartMigration(ctx, req.Tenant, in, p.name)
	if err != nil {
		return nil, migrationError(err)
	}
	loc := "/admin/v1/tenants/" + req.Tenant + "/migrations/" + j.ID
	return StartMigration202JSONResponse{Body: toMigration(j, plan, time.Now()), Headers: StartMigration202ResponseHeaders{Location: &loc}}, nil
}

// ListMigrations implements StrictServerInterface.
func (s *Server) ListMigrations(ctx context.Context, req ListMigrationsRequestObject) (ListMigrationsResponseObject, error) {
	js, plans, err := s.svc.Migrations(ctx, req.Tenant)
	if err != nil {
		return nil, migrationError(err)
	}
	out := MigrationList{Data: make([]Migration, len(js))}
	now := time.Now()
	for i, j := range js {
		out.Data[i] = toMigration(j, plans[i], now)
	}
	return ListMigrations200JSONResponse{Body: out}, nil
}

// GetMigration implements StrictServerInterface.
func (s *Server) GetMigration(ctx context.Context, req GetMigrationRequestObject) (GetMigrationResponseObject, error) {
	j, plan, err := s.svc.Migration(ctx, req.Tenant, req.Migration)
	if err != nil {
		return nil, migrationError(err)
	}
	return GetMigration200JSONResponse{Body: toMigration(j, plan, time.Now())}, nil
}

// CancelMigration implements StrictServerInterface.
func (s *Server) CancelMigration(ctx context.Context, req CancelMigrationRequestObject) (CancelMigrationResponseObject, error) {
	p, _ := principalFrom(ctx)
	j, plan, err := s.svc.CancelMigration(ctx, req.Tenant, req.Migration, p.name)
	if err != nil {
		return nil, migrationError(err)
	}
	return CancelMigration200JSONResponse{Body: toMigration(j, plan, time.Now())}, nil
}

// migrationError answers an unknown tenant like an ungranted one and an
// unknown migration as NOT_FOUND.
func migrationError(err error) error {
	if errors.Is(err, domain.ErrJobNotFound) {
		return newProblem(ProblemCodeNotFound, "the tenant has no such migration")
	}
	return tenantError(err)
}

func toMigration(j domain.Job, plan domain.MigrationPlan, now time.Time) Migration {
	var spec domain.MigrationSpec
	_ = json.Unmarshal(j.Input, &spec) // the gateway wrote it; a bad one shows empty
	m := Migration{
		ID: j.ID, Tenant: j.Tenant, From: Vendor(spec.From), To: Vendor(spec.To), Switch: spec.Switch, DryRun: spec.DryRun,
		State: MigrationState(j.State), Reason: str(j.Reason), Plan: MigrationPlan{Steps: mapSlice(plan.Steps, toPlanStep)},
		Errors: mapSlice(j.Errors, toJobItemError), ErrorsDropped: j.ErrorsDropped, Runs: j.Runs,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(),
		StartedAt: ts(j.StartedAt), FinishedAt: ts(j.FinishedAt), ResumeAt: ts(j.ResumeAt),
	}
	if m.Plan.Steps == nil {
		m.Plan.Steps = []MigrationPlanStep{}
	}
	if ph := domain.MigrationPhase(j); ph != "" {
		p := MigrationPhase(ph)
		m.Phase = &p
	}
	if m.Errors == nil {
		m.Errors = []JobItemError{}
	}
	if j.CancelRequested {
		m.CancelRequested = &j.CancelRequested
	}
	m.Progress = jobProgress(j, now)
	m.Fields = mapSlice(domain.MigrationFields(j), func(f domain.CarriedField) MigrationField {
		return MigrationField{From: f.From, To: f.To, Label: str(f.Label), How: MigrationFieldHow(f.How)}
	})
	return m
}

func toPlanStep(s domain.PlanStep) MigrationPlanStep {
	return MigrationPlanStep{Resource: MigrationResource(s.Resource), Action: MigrationPlanStepAction(s.Action), Detail: str(s.Detail), Dropped: s.Dropped, Transformed: s.Transformed}
}

func toJobItemError(e domain.JobItemError) JobItemError {
	return JobItemError{Resource: e.Resource, Item: e.Item, Code: str(e.Code), Message: e.Message}
}

// jobProgress is j's progress, with the rate and time left while it runs.
func jobProgress(j domain.Job, now time.Time) []JobProgress {
	out := make([]JobProgress, 0, len(j.Progress))
	running := j.State == domain.JobRunning && !j.StartedAt.IsZero()
	for _, p := range j.Progress {
		jp := JobProgress{Resource: p.Resource, Done: p.Done, Failed: p.Failed, Skipped: p.Skipped}
		if p.TotalKnown {
			jp.Total = &p.Total
		}
		handled := p.Done + p.Failed + p.Skipped
		if secs := now.Sub(j.StartedAt).Seconds(); running && secs > 0 && handled > 0 {
			rate := float64(handled) / secs
			jp.RatePerSecond = &rate
			if p.TotalKnown && p.Total >= handled {
				eta := int((float64(p.Total-handled) / rate) + 0.5)
				jp.EtaSeconds = &eta
			}
		}
		out = append(out, jp)
	}
	return out
}
