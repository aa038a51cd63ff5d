package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// JobsOptions configures a Jobs store.
type JobsOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
	// Retention is how long an ended job is kept; domain.JobRetention when
	// zero.
	Retention time.Duration
}

// Jobs is a domain.JobStore on Redis. Each job is a hash: the job as JSON
// (doc), its kind, state, lease owner and end (Redis time, Unix ms), run
// count and cancel flag. A sorted set holds every job a runner may claim,
// scored by when it may (its creation while queued, its lease's end while
// running or held in place, ResumeAt while paused), and a sorted set per tenant lists its
// jobs by creation. Every key shares the {jobs} hash tag, so the scripts
// that move a job between them work on Redis Cluster. Lease times are
// Redis's clock, so replicas agree on them whatever their own clocks say.
type Jobs struct {
	c         goredis.UniversalClient
	pfx       string
	retention time.Duration
}

var _ domain.JobStore = (*Jobs)(nil)

// NewJobs returns a job store on client.
func NewJobs(client goredis.UniversalClient, opts JobsOptions) *Jobs {
	return &Jobs{c: client, pfx: prefixOr(opts.Prefix) + "{jobs}:", retention: cmp.Or(opts.Retention, domain.JobRetention)}
}

// member names a job in the runnable set; tenant ids hold no '/'.
func member(tenant, id string) string           { return tenant + "/" + id }
func (s *Jobs) jobKey(tenant, id string) string { return s.pfx + "job:" + member(tenant, id) }
func (s *Jobs) runnableKey() string             { return s.pfx + "runnable" }
func (s *Jobs) tenantKey(tenant string) string  { return s.pfx + "tenant:" + tenant }

// now is Redis's clock in Unix ms, in scripts.
const luaNow = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function final(s) return s == 'succeeded' or s == 'failed' or s == 'cancelled' end
`

// createScript stores a new job, runnable from its creation (or now, if
// that is earlier).
var createScript = goredis.NewScript(luaNow + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'kind', ARGV[2], 'state', ARGV[3], 'runs', 0)
redis.call('ZADD', KEYS[2], math.min(tonumber(ARGV[4]), now), ARGV[5])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[6])
return 1
`)

// Create implements domain.JobStore.
func (s *Jobs) Create(ctx context.Context, j domain.Job) error {
	doc, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job: %w", err)
	}
	keys := []string{s.jobKey(j.Tenant, j.ID), s.runnableKey(), s.tenantKey(j.Tenant)}
	n, err := createScript.Run(ctx, s.c, keys, doc, j.Kind, string(j.State), j.CreatedAt.UnixMilli(), member(j.Tenant, j.ID), j.ID).Int()
	if err != nil {
		return unavailable("create job", err)
	}
	if n == 0 {
		return domain.ErrJobExists
	}
	return nil
}

// jobFields are the hash fields a job is read from, in this order.
var jobFields = []string{"doc", "runs", "cancel", "state"}

// readJob rebuilds a job from its fields as HMGET returns them; ok is false
// when the job is not there.
func readJob(v []any) (j domain.Job, ok bool, err error) {
	doc, _ := v[0].(string)
	if doc == "" {
		return domain.Job{}, false, nil
	}
	if err := json.Unmarshal([]byte(doc), &j); err != nil {
		return domain.Job{}, false, fmt.Errorf("malformed job: %w", err)
	}
	runs, _ := v[1].(string)
	if j.Runs, err = strconv.Atoi(cmp.Or(runs, "0")); err != nil {
		return domain.Job{}, false, fmt.Errorf("malformed job run count: %w", err)
	}
	cancel, _ := v[2].(string)
	state, _ := v[3].(string)
	j.CancelRequested = cancel == "1" && !domain.JobState(state).Final()
	return j, true, nil
}

// Job implements domain.JobStore.
func (s *Jobs) Job(ctx context.Context, tenant, id string) (domain.Job, error) {
	v, err := s.c.HMGet(ctx, s.jobKey(tenant, id), jobFields...).Result()
	if err != nil {
		return domain.Job{}, unavailable("read job", err)
	}
	j, ok, err := readJob(v)
	switch {
	case err != nil:
		return domain.Job{}, unavailable("read job", err)
	case !ok:
		return domain.Job{}, domain.ErrJobNotFound
	}
	return j, nil
}

// Jobs implements domain.JobStore. Jobs past their retention are dropped
// from the tenant's list as it is read.
func (s *Jobs) Jobs(ctx context.Context, tenant, kind string, limit int) ([]domain.Job, error) {
	out := []domain.Job{}
	const page = 100
	for start := int64(0); len(out) < limit; start += page {
		ids, err := s.c.ZRevRange(ctx, s.tenantKey(tenant), start, start+page-1).Result()
		if err != nil {
			return nil, unavailable("list jobs", err)
		}
		if len(ids) == 0 {
			break
		}
		cmds := make([]*goredis.SliceCmd, len(ids))
		if _, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HMGet(ctx, s.jobKey(tenant, id), append([]string{"kind"}, jobFields...)...)
			}
			return nil
		}); err != nil {
			return nil, unavailable("list jobs", err)
		}
		var gone []any
		for i, c := range cmds {
			v := c.Val()
			j, ok, err := readJob(v[1:])
			switch {
			case err != nil:
				return nil, unavailable("list jobs", err)
			case !ok:
				gone = append(gone, ids[i])
			case (kind == "" || v[0] == kind) && len(out) < limit:
				out = append(out, j)
			}
		}
		if len(gone) > 0 {
			if err := s.c.ZRem(ctx, s.tenantKey(tenant), gone...).Err(); err != nil {
				return nil, unavailable("list jobs", err)
			}
			start -= int64(len(gone))
		}
	}
	return out, nil
}

// claimScript leases the runnable job with the lowest score to ARGV[1],
// dropping members whose job has expired on the way.
var claimScript = goredis.NewScript(luaNow + `
for _ = 1, 100 do
	local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
	if #m == 0 then return false end
	local key = ARGV[3] .. m[1]
	local h = redis.call('HMGET', key, 'state')
	if not h[1] or final(h[1]) then
		redis.call('ZREM', KEYS[1], m[1])
	else
		local till = now + tonumber(ARGV[2])
		redis.call('HSET', key, 'owner', ARGV[1], 'lease_until', till)
		redis.call('HINCRBY', key, 'runs', 1)
		redis.call('ZADD', KEYS[1], till, m[1])
		return redis.call('HMGET', key, 'doc', 'runs', 'cancel', 'state')
	end
end
return false
`)

// Claim implements domain.JobStore.
func (s *Jobs) Claim(ctx context.Context, owner string, lease time.Duration) (domain.Job, bool, error) {
	v, err := claimScript.Run(ctx, s.c, []string{s.runnableKey()}, owner, millis(lease), s.pfx+"job:").Slice()
	if errors.Is(err, goredis.Nil) {
		return domain.Job{}, false, nil
	}
	if err != nil {
		return domain.Job{}, false, unavailable("claim job", err)
	}
	j, ok, err := readJob(v)
	if err != nil || !ok {
		return domain.Job{}, false, unavailable("claim job", cmp.Or(err, errors.New("claimed job vanished")))
	}
	return j, true, nil
}

// saveScript writes a job while ARGV[1] holds its lease and moves it in
// the runnable set as its state asks; a paused job held in place (ARGV[8])
// keeps the lease as a running one does.
var saveScript = goredis.NewScript(luaNow + `
local h = redis.call('HMGET', KEYS[1], 'owner', 'lease_until', 'state', 'cancel')
if not h[1] or h[1] ~= ARGV[1] or tonumber(h[2] or '0') <= now or final(h[3]) then return -1 end
redis.call('HSET', KEYS[1], 'doc', ARGV[3], 'state', ARGV[4])
if final(ARGV[4]) then
	redis.call('HSET', KEYS[1], 'owner', '', 'lease_until', 0)
	redis.call('ZREM', KEYS[2], ARGV[7])
	redis.call('PEXPIRE', KEYS[1], ARGV[6])
elseif ARGV[4] == 'paused' and ARGV[8] ~= '1' then
	redis.call('HSET', KEYS[1], 'owner', '', 'lease_until', 0)
	redis.call('ZADD', KEYS[2], ARGV[5], ARGV[7])
else
	local till = now + tonumber(ARGV[2])
	redis.call('HSET', KEYS[1], 'lease_until', till)
	redis.call('ZADD', KEYS[2], till, ARGV[7])
end
if h[4] == '1' then return 1 end
return 0
`)

// Save implements domain.JobStore.
func (s *Jobs) Save(ctx context.Context, j domain.Job, owner string, lease time.Duration) (bool, error) {
	doc, err := json.Marshal(j)
	if err != nil {
		return false, fmt.Errorf("encode job: %w", err)
	}
	keys := []string{s.jobKey(j.Tenant, j.ID), s.runnableKey()}
	held := 0
	if j.Held {
		held = 1
	}
	n, err := saveScript.Run(ctx, s.c, keys, owner, millis(lease), doc, string(j.State), j.ResumeAt.UnixMilli(), millis(s.retention), member(j.Tenant, j.ID), held).Int()
	switch {
	case err != nil:
		return false, unavailable("save job", err)
	case n < 0:
		return false, domain.ErrJobLeaseLost
	}
	return n == 1, nil
}

// Cancel implements domain.JobStore. It reads the job and writes it back
// in one optimistic transaction, so that a runner claiming the job at the
// same moment makes it start over and see the claim.
func (s *Jobs) Cancel(ctx context.Context, tenant, id, reason string) (domain.Job, error) {
	key := s.jobKey(tenant, id)
	var out domain.Job
	txf := func(tx *goredis.Tx) error {
		v, err := tx.HMGet(ctx, key, append(jobFields, "owner", "lease_until")...).Result()
		if err != nil {
			return err
		}
		j, ok, err := readJob(v)
		if err != nil {
			return err
		}
		if !ok {
			return domain.ErrJobNotFound
		}
		if j.State.Final() {
			out = j
			return nil
		}
		now, err := tx.Time(ctx).Result()
		if err != nil {
			return err
		}
		owner, _ := v[4].(string)
		till, _ := v[5].(string)
		if ms, _ := strconv.ParseInt(cmp.Or(till, "0"), 10, 64); owner != "" && ms > now.UnixMilli() {
			_, err := tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
				p.HSet(ctx, key, "cancel", "1")
				return nil
			})
			j.CancelRequested = true
			out = j
			return err
		}
		j.State, j.Reason, j.FinishedAt, j.UpdatedAt = domain.JobCancelled, reason, now.UTC(), now.UTC()
		doc, err := json.Marshal(j)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			p.HSet(ctx, key, "doc", doc, "state", string(j.State), "owner", "", "lease_until", 0)
			p.ZRem(ctx, s.runnableKey(), member(tenant, id))
			p.PExpire(ctx, key, s.retention)
			return nil
		})
		out = j
		return err
	}
	for range 10 {
		err := s.c.Watch(ctx, txf, key)
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, domain.ErrJobNotFound):
			return domain.Job{}, err
		case !errors.Is(err, goredis.TxFailedErr):
			return domain.Job{}, unavailable("cancel job", err)
		}
	}
	return domain.Job{}, unavailable("cancel job", errors.New("the job kept changing"))
}
