package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	goredis "github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/metric"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/redis"
	"github.com/cdp-gateway/cdp-gateway/internal/config"
	gwhttp "github.com/cdp-gateway/cdp-gateway/internal/http"
	"github.com/cdp-gateway/cdp-gateway/internal/telemetry"
)

// RedisOptions tune RedisStores.
type RedisOptions struct {
	// Prefix isolates the gateway's keys (default redis.DefaultPrefix).
	Prefix string
	// Telemetry traces Redis commands (without their arguments, which can
	// hold tokens).
	Telemetry *telemetry.Telemetry
	Logger    *slog.Logger
	// ConnectTimeout bounds the wait for Redis at start (default 30s).
	ConnectTimeout time.Duration
}

// RedisStores connects to the Redis at url and returns stores every
// replica shares. It waits up to ConnectTimeout for Redis to answer: a
// replica must not serve before it knows the tenants' bindings. cfg's
// tenants are needed for the readiness check, and its token keys (required)
// seal the vendor tokens stored in Redis; in the background it re-seals
// the values an older token key sealed (redis.Tokens.Reseal) and logs what
// it found.
func RedisStores(ctx context.Context, url string, cfg *config.Config, o RedisOptions) (*Stores, error) {
	keys, err := tokenKeyring(cfg.TokenKeys)
	if err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Telemetry == nil {
		o.Telemetry = telemetry.Nop()
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	redisLogOnce.Do(func() { goredis.SetLogger(redisLogger{o.Logger}) })
	client, err := redis.NewClient(url)
	if err != nil {
		return nil, err
	}
	if err := redisotel.InstrumentTracing(client,
		redisotel.WithTracerProvider(o.Telemetry.TracerProvider),
		redisotel.WithDBStatement(false), // arguments can be tokens
		redisotel.WithCallerEnabled(false)); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis tracing: %w", err)
	}
	if err := waitForRedis(ctx, client, o.ConnectTimeout, o.Logger); err != nil {
		_ = client.Close()
		return nil, err
	}
	warnWithoutPersistence(ctx, client, o.Logger)
	bindings, err := redis.NewBindings(ctx, client, redis.BindingsOptions{Prefix: o.Prefix, Logger: o.Logger})
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	tokens, err := redis.NewTokens(client, keys, redis.TokensOptions{Prefix: o.Prefix})
	if err != nil {
		_ = client.Close()
		return nil, errors.Join(err, bindings.Close())
	}
	resealed := reseal(tokens, o.Logger)
	up, err := observeRedis(o.Telemetry, client)
	if err != nil {
		_ = client.Close()
		return nil, errors.Join(err, bindings.Close())
	}
	return &Stores{
		Bindings:    bindings,
		Idempotency: redis.NewIdempotency(client, redis.IdempotencyOptions{Prefix: o.Prefix}),
		Tokens:      tokens,
		Quota:       redis.NewQuota(client, redis.QuotaOptions{Prefix: o.Prefix}),
		Jobs:        redis.NewJobs(client, redis.JobsOptions{Prefix: o.Prefix}),
		IDMap:       redis.NewIDMap(client, redis.IDMapOptions{Prefix: o.Prefix}),
		Freezes:     redis.NewFreezes(client, o.Prefix),
		JobData:     redis.NewJobData(client, redis.JobDataOptions{Prefix: o.Prefix}),
		Readiness: []gwhttp.ReadinessCheck{
			// Redis down: degraded, still serving from in-process state.
			{Name: "redis", Check: func(ctx context.Context) error { return redis.Ping(ctx, client) }},
			// Redis without AOF: degraded, its next restart loses state.
			{Name: "redis_persistence", Check: func(ctx context.Context) error { return persistence(ctx, client) }},
		},
		shared: true,
		close: func() error {
			resealed()
			return errors.Join(up.Unregister(), bindings.Close(), client.Close())
		},
	}, nil
}

// observeRedis reports cdpgw_redis_up: 1 while Redis answers a PING
// (within a second, asked at each collection), else 0, so that an alert
// does not have to read /readyz.
func observeRedis(tel *telemetry.Telemetry, client goredis.UniversalClient) (metric.Registration, error) {
	m := tel.MeterProvider.Meter(telemetry.Name)
	g, err := m.Int64ObservableGauge("cdpgw.redis.up", metric.WithDescription("1 while Redis answers, else 0"))
	if err != nil {
		return nil, fmt.Errorf("redis metric: %w", err)
	}
	return m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		v := int64(1)
		if redis.Ping(ctx, client) != nil {
			v = 0
		}
		o.ObserveInt64(g, v)
		return nil
	}, g)
}

// tokenKeyring is the keyring of the configuration's token_keys.
func tokenKeyring(keys []config.TokenKey) (*redis.Keyring, error) {
	rk := make([]redis.TokenKey, len(keys))
	for i, k := range keys {
		rk[i] = redis.TokenKey{ID: k.ID, Secret: []byte(k.Secret.Value())}
	}
	ring, err := redis.NewKeyring(rk...)
	if err != nil {
		return nil, fmt.Errorf("token_keys: %w (see the README, Tokens at rest)", err)
	}
	return ring, nil
}

// reseal runs tokens.Reseal in the background and logs what it did: how
// many values it sealed again under the current key, and which keys that
// token_keys does not list still seal some. The function it returns stops
// the sweep and waits for it.
func reseal(tokens *redis.Tokens, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r, err := tokens.Reseal(ctx)
		if err != nil {
			if ctx.Err() == nil {
				log.LogAttrs(ctx, slog.LevelWarn, "token values not re-sealed under the current token key; the next start tries again",
					slog.String("error", err.Error()))
			}
			return
		}
		log.LogAttrs(ctx, slog.LevelInfo, "token values in Redis checked", slog.String("current_token_key", tokens.Keys().Current()),
			slog.Int("resealed", r.Resealed))
		if len(r.Unopened) == 0 {
			return
		}
		var unopened []string // "k0: 3", "not sealed: 1"
		for _, id := range slices.Sorted(maps.Keys(r.Unopened)) {
			name := "token key " + id
			if id == "" {
				name = "not sealed"
			}
			unopened = append(unopened, fmt.Sprintf("%s: %d", name, r.Unopened[id]))
		}
		log.LogAttrs(ctx, slog.LevelWarn, "token values in Redis do not open with token_keys: access tokens among them are fetched again; "+
			"refresh tokens fail until the key that sealed them is listed again (README, Tokens at rest)",
			slog.String("token_keys", strings.Join(tokens.Keys().IDs(), ",")), slog.String("unopened", strings.Join(unopened, ", ")))
	}()
	return func() { cancel(); <-done }
}

// persistence is the redis_persistence readiness check: "off" when Redis
// reports no AOF, "unknown" when it cannot be asked.
func persistence(ctx context.Context, client goredis.UniversalClient) error {
	on, err := redis.AOFEnabled(ctx, client)
	switch {
	case err != nil:
		return &gwhttp.CheckState{State: "unknown", Err: err}
	case !on:
		return &gwhttp.CheckState{State: "off", Err: errNoPersistence}
	}
	return nil
}

// errNoPersistence says what a Redis without AOF costs.
var errNoPersistence = errors.New("redis persistence is off (no AOF): a Redis restart loses idempotency records " +
	"(a retried write runs again), tenant bindings, quota counts and rotated refresh tokens")

// warnWithoutPersistence logs at start when Redis keeps no AOF (see the
// README, "Persistence").
func warnWithoutPersistence(ctx context.Context, client goredis.UniversalClient, log *slog.Logger) {
	on, err := redis.AOFEnabled(ctx, client)
	switch {
	case err != nil:
		log.LogAttrs(ctx, slog.LevelWarn, "redis persistence could not be checked", slog.String("error", err.Error()))
	case !on:
		log.LogAttrs(ctx, slog.LevelWarn, errNoPersistence.Error()+"; see the README, Persistence")
	}
}

// waitForRedis pings until Redis answers or timeout passes.
func waitForRedis(ctx context.Context, client goredis.UniversalClient, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := 100 * time.Millisecond
	for {
		err := redis.Ping(ctx, client)
		if err == nil {
			return nil
		}
		log.LogAttrs(ctx, slog.LevelWarn, "waiting for redis", slog.String("error", err.Error()))
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis did not answer within %s: %w", timeout, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// redisLogOnce guards go-redis's process-wide logger.
var redisLogOnce sync.Once

// redisLogger sends go-redis's own messages (reconnect attempts) to the
// gateway's log at debug level: outages show in readiness and in the
// stores' errors, without a line per dial attempt.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Log(ctx, slog.LevelDebug, "redis client", slog.String("message", fmt.Sprintf(format, v...)))
}
