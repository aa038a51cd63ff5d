package vendortest

import (
	"context"
	"sync"
	"time"
)

// Gate shows how many calls a client has in flight at once, without
// timing anything: each call that enters is held until Want calls are in
// at the same time (then the gate stays open) or Patience passes, and Max
// is the most that were ever in. A client that sends calls one after the
// other gets Max 1 (each held for Patience); one that sends Want at once
// gets Max Want at once, and never more than its own bound.
type Gate struct {
	// Want is how many calls in at once open the gate.
	Want int
	// Patience is how long a call is held at most (default 5 s).
	Patience time.Duration

	mu      sync.Mutex
	in, max int
	open    chan struct{}
}

// NewGate returns a gate that opens when want calls are in at once.
func NewGate(want int) *Gate { return &Gate{Want: want} }

// Enter counts a call in and holds it as Gate says; the call must run the
// returned function when it is done.
func (g *Gate) Enter(ctx context.Context) (leave func()) {
	g.mu.Lock()
	if g.open == nil {
		g.open = make(chan struct{})
	}
	g.in++
	g.max = max(g.max, g.in)
	if g.in >= g.Want {
		select {
		case <-g.open:
		default:
			close(g.open)
		}
	}
	open := g.open
	g.mu.Unlock()
	patience := g.Patience
	if patience <= 0 {
		patience = 5 * time.Second
	}
	t := time.NewTimer(patience)
	defer t.Stop()
	select {
	case <-open:
	case <-t.C:
	case <-ctx.Done():
	}
	return func() {
		g.mu.Lock()
		g.in--
		g.mu.Unlock()
	}
}

// Max is the most calls that were in at once.
func (g *Gate) Max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max
}
