package nxcloud

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
)

// NXCloud refuses a request whose ts is more than this far from its
// clock (1004).
const vendorClockWindow = 60 * time.Second

// clockWarnAt is the measured offset beyond which the adapter warns:
// half of NXCloud's window, the margin at which the gateway's readiness
// check reports the clock as skewed.
const clockWarnAt = 30 * time.Second

// clockLogEvery bounds how often one connection logs about its clock.
const clockLogEvery = time.Minute

// clock is the connection's measure of its clock against NXCloud's, and
// what it has logged about it.
type clock struct {
	mu       sync.Mutex
	skew     time.Duration
	measured bool
	skewed   bool      // the last measure was beyond clockWarnAt
	logged   time.Time // when the adapter last logged a warning about the clock
}

func (c *clock) get() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.skew, c.measured
}

// observeClock measures the offset from an answer's Date header and keeps
// it. It logs the first measure of the connection (a warning when it is
// beyond clockWarnAt), and after that only when the offset goes beyond
// clockWarnAt or comes back, at most once per clockLogEvery for warnings.
func (a *Adapter) observeClock(ctx context.Context, h http.Header) {
	now := a.now()
	skew, ok := vendorhttp.DateSkew(h, now)
	if !ok {
		return
	}
	beyond := skew > clockWarnAt || skew < -clockWarnAt
	c := &a.clock
	c.mu.Lock()
	first := !c.measured
	changed := beyond != c.skewed
	c.skew, c.measured, c.skewed = skew, true, beyond
	warn := beyond && (first || changed) && (c.logged.IsZero() || now.Sub(c.logged) >= clockLogEvery)
	if warn {
		c.logged = now
	}
	c.mu.Unlock()
	attrs := []slog.Attr{slog.Duration("clock_skew", skew), slog.Duration("vendor_window", vendorClockWindow)}
	switch {
	case warn:
		a.log.LogAttrs(ctx, slog.LevelWarn, "the gateway's clock is far off nxcloud's, which refuses signed requests beyond its window: fix the host clock (NTP)", attrs...)
	case first:
		a.log.LogAttrs(ctx, slog.LevelInfo, "clock offset to nxcloud measured", attrs...)
	case changed && !beyond:
		a.log.LogAttrs(ctx, slog.LevelInfo, "the gateway's clock is back near nxcloud's", attrs...)
	}
}

// clockSkewDetail describes a 1004 answer for the caller, with the
// offset measured from its Date header, and logs it (at most once per
// clockLogEvery).
func (a *Adapter) clockSkewDetail(resp *vendorhttp.Response) string {
	now := a.now()
	skew, ok := vendorhttp.DateSkew(resp.Header, now)
	c := &a.clock
	c.mu.Lock()
	logIt := c.logged.IsZero() || now.Sub(c.logged) >= clockLogEvery
	if logIt {
		c.logged = now
	}
	c.mu.Unlock()
	measured := "nxcloud's answer had no Date header to measure the offset by"
	if ok {
		measured = "the gateway's clock is " + describeSkew(skew) + " nxcloud's (measured from its answer's Date header)"
	}
	if logIt {
		attrs := []slog.Attr{slog.Bool("measured", ok)}
		if ok {
			attrs = append(attrs, slog.Duration("clock_skew", skew))
		}
		a.log.LogAttrs(context.Background(), slog.LevelWarn, "nxcloud refused a request's timestamp (1004): fix the host clock (NTP)", attrs...)
	}
	return fmt.Sprintf("nxcloud refused the request's timestamp, which it takes only within %s of its own clock: %s; fix the gateway host's clock (NTP)",
		vendorClockWindow, measured)
}

// describeSkew says how far and which way the gateway's clock is off:
// "2m0s ahead of", "45s behind".
func describeSkew(skew time.Duration) string {
	if skew < 0 {
		return (-skew).Round(time.Second).String() + " behind"
	}
	return skew.Round(time.Second).String() + " ahead of"
}
