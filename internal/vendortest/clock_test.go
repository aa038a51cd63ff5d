package vendortest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// t0 is 2024-03-16 15:44:20 China Standard Time.
var t0 = time.Date(2024, 3, 16, 7, 44, 20, 0, time.UTC)

func TestClock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(c *vendortest.Clock)
		want time.Time
	}{
		{"starts where told", func(*vendortest.Clock) {}, t0},
		{"advance", func(c *vendortest.Clock) { c.Advance(90 * time.Minute) }, t0.Add(90 * time.Minute)},
		{"advance backwards", func(c *vendortest.Clock) { c.Advance(-time.Hour) }, t0.Add(-time.Hour)},
		{"set", func(c *vendortest.Clock) { c.Set(t0.AddDate(1, 0, 0)) }, t0.AddDate(1, 0, 0)},
		{"set then advance", func(c *vendortest.Clock) { c.Set(t0.Add(time.Hour)); c.Advance(time.Second) }, t0.Add(time.Hour + time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := vendortest.NewClock(t0)
			tt.run(c)
			if got := read(c.Now); !got.Equal(tt.want) {
				t.Errorf("Now() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestClockZeroValue(t *testing.T) {
	t.Parallel()
	var c vendortest.Clock
	if !c.Now().IsZero() {
		t.Errorf("zero Clock reads %v", c.Now())
	}
	c.Advance(time.Second)
	if got := c.Now(); !got.Equal(time.Time{}.Add(time.Second)) {
		t.Errorf("after Advance: %v", got)
	}
}

// Run with -race.
func TestClockConcurrent(t *testing.T) {
	t.Parallel()
	c := vendortest.NewClock(t0)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			c.Advance(time.Second)
			_ = c.Now()
		})
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(t0.Add(100 * time.Second)) {
		t.Errorf("Now() = %v after 100 concurrent seconds, want %v", got, t0.Add(100*time.Second))
	}
}

// read takes the clock as simulators and stores do, a function.
func read(now func() time.Time) time.Time { return now() }
