package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// IdempotencyOptions configures an Idempotency store.
type IdempotencyOptions struct {
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
	// TTL is how long a completed answer is kept; domain.IdempotencyTTL
	// when zero.
	TTL time.Duration
	// Lease is how long a claim stays in flight without Complete or
	// Release; domain.IdempotencyLease when zero.
	Lease time.Duration
}

// Idempotency is a domain.IdempotencyStore on Redis: one hash per key with
// the request's fingerprint, the state (pending or done) and, once done,
// the answer's status, headers (JSON) and body. The hash expires after the
// lease while pending and after the TTL once done.
type Idempotency struct {
	c     goredis.UniversalClient
	pfx   string
	ttl   time.Duration
	lease time.Duration
}

var _ domain.IdempotencyStore = (*Idempotency)(nil)

// NewIdempotency returns an idempotency store on client.
func NewIdempotency(client goredis.UniversalClient, opts IdempotencyOptions) *Idempotency {
	s := &Idempotency{c: client, pfx: prefixOr(opts.Prefix), ttl: opts.TTL, lease: opts.Lease}
	if s.ttl <= 0 {
		s.ttl = domain.IdempotencyTTL
	}
	if s.lease <= 0 {
		s.lease = domain.IdempotencyLease
	}
	return s
}

func (s *Idempotency) key(k string) string { return s.pfx + "idem:" + k }

// Begin's answers, first element of the script's reply.
const (
	beginClaimed  = 0
	beginMismatch = 1
	beginInFlight = 2
	beginDone     = 3
)

// beginScript claims the key when it is free, else says why not; the
// check and the claim are one step, so exactly one caller wins.
var beginScript = goredis.NewScript(`
local r = redis.call('HMGET', KEYS[1], 'fp', 'state', 'status', 'header', 'body')
if not r[1] then
	redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'pending')
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return {0}
end
if r[1] ~= ARGV[1] then
	return {1}
end
if r[2] ~= 'done' then
	return {2}
end
return {3, r[3], r[4] or '', r[5] or ''}
`)

// Begin implements domain.IdempotencyStore.
func (s *Idempotency) Begin(ctx context.Context, key, fingerprint string) (*domain.IdempotentResponse, error) {
	r, err := beginScript.Run(ctx, s.c, []string{s.key(key)}, fingerprint, millis(s.lease)).Slice()
	if err != nil {
		return nil, unavailable("begin idempotent request", err)
	}
	switch code, _ := r[0].(int64); code {
	case beginClaimed:
		return nil, nil
	case beginMismatch:
		return nil, domain.ErrIdempotencyMismatch
	case beginInFlight:
		return nil, domain.ErrIdempotencyInFlight
	case beginDone:
		if len(r) == 4 {
			if resp, err := decodeResponse(r[1], r[2], r[3]); err == nil {
				return resp, nil
			}
		}
		return nil, unavailable("begin idempotent request", fmt.Errorf("malformed record %v", r))
	}
	return nil, unavailable("begin idempotent request", fmt.Errorf("unexpected reply %v", r))
}

// completeScript stores the answer of a claimed key. A key that is not
// there (released, or its lease ran out) stays free: without the
// fingerprint it could only turn every retry into a mismatch.
var completeScript = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
	return 0
end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[1], 'header', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`)

// Complete implements domain.IdempotencyStore.
func (s *Idempotency) Complete(ctx context.Context, key string, resp domain.IdempotentResponse) error {
	header := ""
	if resp.Header != nil {
		b, err := json.Marshal(resp.Header)
		if err != nil {
			return fmt.Errorf("encode idempotent response: %w", err)
		}
		header = string(b)
	}
	err := completeScript.Run(ctx, s.c, []string{s.key(key)}, resp.Status, header, resp.Body, millis(s.ttl)).Err()
	if err != nil {
		return unavailable("complete idempotent request", err)
	}
	return nil
}

// Release implements domain.IdempotencyStore.
func (s *Idempotency) Release(ctx context.Context, key string) error {
	if err := s.c.Del(ctx, s.key(key)).Err(); err != nil {
		return unavailable("release idempotent request", err)
	}
	return nil
}

// decodeResponse rebuilds a stored answer. An empty header or body is
// stored as "" and read back as nil.
func decodeResponse(status, header, body any) (*domain.IdempotentResponse, error) {
	st, ok1 := status.(string)
	h, ok2 := header.(string)
	b, ok3 := body.(string)
	if !ok1 || !ok2 || !ok3 {
		return nil, errors.New("unexpected field types")
	}
	var resp domain.IdempotentResponse
	var err error
	if resp.Status, err = strconv.Atoi(st); err != nil {
		return nil, err
	}
	if h != "" {
		if err := json.Unmarshal([]byte(h), &resp.Header); err != nil {
			return nil, err
		}
	}
	if b != "" {
		resp.Body = []byte(b)
	}
	return &resp, nil
}
