package http

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// The tenant's asynchronous batches and imports (domain/bulk.go).

// respondAsync reports whether Prefer (RFC 7240) holds respond-async.
func respondAsync(prefer *string) bool {
	if prefer == nil {
		return false
	}
	for p := range strings.SplitSeq(*prefer, ",") {
		name, _, _ := strings.Cut(p, ";")
		name, _, _ = strings.Cut(name, "=")
		if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
			return true
		}
	}
	return false
}

// startBatch queues an asynchronous batch: 202 with the job, saying
// Preference-Applied when the caller preferred it (a batch too large for
// one call is queued without being asked).
func (s *Server) startBatch(ctx context.Context, t domain.Target, items []domain.ContactInput, mode domain.OnConflict, preferred bool) (BatchUpsertContactsResponseObject, error) {
	j, err := s.svc.StartContactBatch(ctx, t, items, mode)
	if err != nil {
		return nil, err
	}
	loc := jobLocation(j)
	h := BatchUpsertContacts202ResponseHeaders{Location: &loc}
	if preferred {
		applied := "respond-async"
		h.PreferenceApplied = &applied
	}
	return BatchUpsertContacts202JSONResponse{Body: toJob(j, time.Now()), Headers: h}, nil
}

func jobLocation(j domain.Job) string { return "/v1/jobs/" + j.ID }

// EncodeBatchResult renders an item result as a synchronous batch answers
// it: the asynchronous batch's encoder (domain.BatchResultEncoder).
func EncodeBatchResult(r domain.BatchItemResult) (json.RawMessage, error) {
	return json.Marshal(toBatchItemResult(r))
}

// GetJob implements StrictServerInterface.
func (s *Server) GetJob(ctx context.Context, req GetJobRequestObject) (GetJobResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	j, err := s.svc.TenantJob(ctx, t.Tenant, req.Job)
	if err != nil {
		return nil, jobError(err)
	}
	return GetJob200JSONResponse{Body: toJob(j, time.Now())}, nil
}

// CancelJob implements StrictServerInterface.
func (s *Server) CancelJob(ctx context.Context, req CancelJobRequestObject) (CancelJobResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	j, err := s.svc.CancelTenantJob(ctx, s.jobData, t.Tenant, req.Job)
	if err != nil {
		return nil, jobError(err)
	}
	return CancelJob200JSONResponse{Body: toJob(j, time.Now())}, nil
}

func jobError(err error) error {
	if errors.Is(err, domain.ErrJobNotFound) {
		return newProblem(ProblemCodeNotFound, "the tenant has no such job")
	}
	return err
}

func toJob(j domain.Job, now time.Time) Job {
	out := Job{
		ID: j.ID, Kind: JobKind(j.Kind), State: JobState(j.State), Reason: str(j.Reason),
		Progress: jobProgress(j, now), Errors: mapSlice(j.Errors, toJobItemError), ErrorsDropped: j.ErrorsDropped,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(),
		StartedAt: ts(j.StartedAt), FinishedAt: ts(j.FinishedAt), ResumeAt: ts(j.ResumeAt),
	}
	if out.Errors == nil {
		out.Errors = []JobItemError{}
	}
	if j.CancelRequested {
		out.CancelRequested = &j.CancelRequested
	}
	switch j.Kind {
	case domain.JobKindContactBatch:
		var res BatchUpsertResponse
		// The gateway wrote the output; a bad one shows no result.
		if j.State == domain.JobSucceeded && json.Unmarshal(j.Output, &res) == nil {
			out.Result = &res
		}
	case domain.JobKindContactImport:
		c := ImportCounts{}
		for _, p := range j.Progress {
			c.Items, c.Succeeded, c.Failed = int(p.Total), int(p.Done), int(p.Failed)
		}
		out.Counts = &c
	}
	return out
}
