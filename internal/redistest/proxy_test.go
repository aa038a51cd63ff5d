package redistest

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

func TestProxyRefuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)
	p := NewProxy(t, s.Addr())
	c := goredis.NewClient(&goredis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.Refuse(true)
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered through a refusing proxy")
	}
	// The server itself is fine for its other clients.
	if v, err := client(t, s).Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("direct GET = %q, %v", v, err)
	}
	p.Refuse(false)
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("no answer through the proxy after Refuse(false)")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestProxyFreezeSubscribers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := Start(t)
	p := NewProxy(t, s.Addr())
	c := goredis.NewClient(&goredis.Options{Addr: p.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	sub := c.Subscribe(ctx, "ch")
	t.Cleanup(func() { _ = sub.Close() })
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	p.FreezeSubscribers()
	if err := client(t, s).Publish(ctx, "ch", "hello").Err(); err != nil {
		t.Fatal(err)
	}
	if msg, err := sub.ReceiveTimeout(ctx, 200*time.Millisecond); err == nil {
		t.Fatalf("a frozen subscriber received %v", msg)
	}
	// Other connections still pass.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING on a connection that did not subscribe: %v", err)
	}
}
