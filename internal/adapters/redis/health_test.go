package redis

import (
	"context"
	"errors"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/redistest"
)

// TestAOFEnabled reads what Redis reports, as it is now: started with or
// without AOF, turned on at run time, or not answering.
func TestAOFEnabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if on, err := AOFEnabled(ctx, shared); err != nil || on {
		t.Fatalf("the test server runs without persistence, AOFEnabled = %v, %v", on, err)
	}
	aof := redistest.StartArgs(t, "--appendonly", "yes")
	if on, err := AOFEnabled(ctx, newClient(t, aof.URL())); err != nil || !on {
		t.Fatalf("a server started with --appendonly yes: AOFEnabled = %v, %v", on, err)
	}
	srv := redistest.Start(t)
	c := newClient(t, srv.URL())
	if err := c.ConfigSet(ctx, "appendonly", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	if on, err := AOFEnabled(ctx, c); err != nil || !on {
		t.Fatalf("AOF turned on at run time: AOFEnabled = %v, %v", on, err)
	}
	srv.Stop()
	if _, err := AOFEnabled(ctx, c); !errors.Is(err, domain.ErrStoreUnavailable) {
		t.Fatalf("Redis down: %v, want ErrStoreUnavailable", err)
	}
}
