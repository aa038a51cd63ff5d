package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/domain/storetest"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// TestContractsOnCluster runs every contract through a cluster client
// against a one-node Redis Cluster. One node owns every slot, but Redis
// applies the cluster rules all the same: a command or script whose keys
// hash to different slots fails with CROSSSLOT. So this proves the key
// layout (hash tags) is Cluster safe.
func TestContractsOnCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.StartArgs(t, "--cluster-enabled", "yes")
	node := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer node.Close()
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := node.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ok: %q, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	c := newClient(t, "redis+cluster://"+srv.Addr())
	if _, ok := c.(*goredis.ClusterClient); !ok {
		t.Fatalf("NewClient(redis+cluster://) = %T, want a cluster client", c)
	}
	// The rule this test relies on is in force.
	if err := c.Eval(ctx, "return 1", []string{"a", "b"}).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("a script over two slots: %v, want CROSSSLOT", err)
	}

	t.Run("tokens", func(t *testing.T) {
		t.Parallel()
		storetest.Tokens(t, func(t *testing.T) domain.TokenStore {
			return newTokens(t, c, TokensOptions{Prefix: prefix(t)})
		})
	})
	t.Run("tokens reseal", func(t *testing.T) {
		t.Parallel()
		pfx := prefix(t)
		old := newTokens(t, c, TokensOptions{Prefix: pfx}, "k1")
		mustPut(t, old, "a", "access")
		mustSwap(t, old, "a", "", "refresh")
		r, err := newTokens(t, c, TokensOptions{Prefix: pfx}, "k2", "k1").Reseal(ctx)
		if err != nil || r.Resealed != 2 || len(r.Unopened) != 0 {
			t.Fatalf("Reseal on a cluster = %+v, %v; want both values re-sealed", r, err)
		}
		sealedWith(t, c.HGet(ctx, old.tokenKey("a"), "value").Val(), "k2")
		sealedWith(t, c.Get(ctx, old.refreshKey("a")).Val(), "k2")
	})
	t.Run("idempotency", func(t *testing.T) {
		t.Parallel()
		storetest.Idempotency(t, func(t *testing.T, times storetest.IdempotencyTimes) domain.IdempotencyStore {
			return NewIdempotency(c, IdempotencyOptions{Prefix: prefix(t), TTL: times.TTL, Lease: times.Lease})
		})
	})
	t.Run("quota", func(t *testing.T) {
		t.Parallel()
		storetest.Quota(t, func(t *testing.T) domain.QuotaStore {
			return NewQuota(c, QuotaOptions{Prefix: prefix(t)})
		})
	})
	t.Run("bindings", func(t *testing.T) {
		t.Parallel()
		storetest.Bindings(t, func(t *testing.T) domain.BindingStore {
			return newBindings(t, c, BindingsOptions{Prefix: prefix(t)})
		})
	})
	t.Run("jobs", func(t *testing.T) {
		t.Parallel()
		storetest.Jobs(t, func(t *testing.T) domain.JobStore {
			return NewJobs(c, JobsOptions{Prefix: prefix(t)})
		})
	})
	t.Run("id map", func(t *testing.T) {
		t.Parallel()
		storetest.IDMap(t, func(t *testing.T) domain.IDMapStore {
			return NewIDMap(c, IDMapOptions{Prefix: prefix(t)})
		})
	})
	t.Run("freeze", func(t *testing.T) {
		t.Parallel()
		storetest.Freeze(t, func(t *testing.T) domain.FreezeStore { return NewFreezes(c, prefix(t)) })
	})
	t.Run("ping", func(t *testing.T) {
		t.Parallel()
		if err := Ping(ctx, c); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("persistence", func(t *testing.T) {
		t.Parallel()
		if on, err := AOFEnabled(ctx, c); err != nil || on {
			t.Fatalf("AOFEnabled on a cluster without AOF = %v, %v", on, err)
		}
	})
}
