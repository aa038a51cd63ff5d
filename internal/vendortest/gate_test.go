package vendortest

import (
	"sync"
	"testing"
	"time"
)

func TestGate(t *testing.T) {
	t.Parallel()
	// Three at once open it: all three are let through together.
	g := NewGate(3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { g.Enter(t.Context())() })
	}
	wg.Wait()
	if g.Max() != 3 {
		t.Fatalf("Max = %d, want 3", g.Max())
	}
	// One after the other: each waits out its patience, Max stays 1.
	g = NewGate(2)
	g.Patience = 10 * time.Millisecond
	for range 3 {
		g.Enter(t.Context())()
	}
	if g.Max() != 1 {
		t.Fatalf("Max = %d for calls in a row, want 1", g.Max())
	}
}
