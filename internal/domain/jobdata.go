package domain

import (
	"context"
	"errors"
)

// ErrJobDataNotFound is the answer for a chunk the job has not stored.
var ErrJobDataNotFound = errors.New("no such job data chunk")

// JobDataStore keeps the input data of jobs too large for a Job's Input
// (an import's items), as numbered chunks, so that any replica can run
// the job. Data expires with JobRetention after its last append; a job's
// handler drops it when the job ends.
type JobDataStore interface {
	// Append stores data as job's next chunk and returns its index (0, 1 …).
	Append(ctx context.Context, job string, data []byte) (int, error)
	// Chunk returns chunk i of job; ErrJobDataNotFound when there is none.
	Chunk(ctx context.Context, job string, i int) ([]byte, error)
	// Drop deletes every chunk of job.
	Drop(ctx context.Context, job string) error
}
