package redis

import (
	"context"
	"testing"
	"time"
)

// BenchmarkWriteCheck is what a tenant write costs the freeze store on
// Redis: the check alone (Frozen, as before writes registered), and the
// check that registers the write plus its unregister (BeginWrite and
// EndWrite, as every write now does; EndWrite runs off the write's path).
func BenchmarkWriteCheck(b *testing.B) {
	s := NewFreezes(shared, prefix(b))
	ctx := context.Background()
	b.Run("Frozen", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.Frozen(ctx, "acme"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BeginWrite", func(b *testing.B) {
		deadline := time.Now().Add(time.Minute)
		for b.Loop() {
			if _, _, err := s.BeginWrite(ctx, "acme", "w1", deadline); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("BeginWrite+EndWrite", func(b *testing.B) {
		deadline := time.Now().Add(time.Minute)
		for b.Loop() {
			if _, _, err := s.BeginWrite(ctx, "acme", "w1", deadline); err != nil {
				b.Fatal(err)
			}
			if err := s.EndWrite(ctx, "acme", "w1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
