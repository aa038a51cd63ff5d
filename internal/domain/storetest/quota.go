package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Quota is the contract of a QuotaStore. newStore returns an empty store
// on the real clock.
func Quota(t *testing.T, newStore func(t *testing.T) domain.QuotaStore) {
	t.Helper()

	type take struct {
		ok         bool
		retryAfter time.Duration
	}
	takeN := func(s domain.QuotaStore, t *testing.T, key string, limit int64, window time.Duration, n int) ([]take, error) {
		out := make([]take, n)
		for i := range out {
			ok, ra, err := s.Take(t.Context(), key, limit, window)
			if err != nil {
				return nil, err
			}
			out[i] = take{ok, ra}
		}
		return out, nil
	}
	// refusedIn checks that tk is a refusal that names a wait within the window.
	refusedIn := func(tk take, window time.Duration) error {
		if tk.ok || tk.retryAfter <= 0 || tk.retryAfter > window {
			return fmt.Errorf("take = %v, retry after %v; want a refusal with 0 < retry after <= %v", tk.ok, tk.retryAfter, window)
		}
		return nil
	}

	tests := []struct {
		name string
		run  func(t *testing.T, s domain.QuotaStore)
	}{
		{"counts up to the limit", func(t *testing.T, s domain.QuotaStore) {
			inOneWindow(t, time.Hour, func(key string) error {
				got, err := takeN(s, t, key, 3, time.Hour, 5)
				if err != nil {
					return err
				}
				for i, tk := range got[:3] {
					if !tk.ok || tk.retryAfter != 0 {
						return fmt.Errorf("take %d = %+v, want ok", i+1, tk)
					}
				}
				for _, tk := range got[3:] {
					if err := refusedIn(tk, time.Hour); err != nil {
						return err
					}
				}
				return nil
			})
		}},
		{"refused calls are not counted", func(t *testing.T, s domain.QuotaStore) {
			inOneWindow(t, time.Hour, func(key string) error {
				if _, err := takeN(s, t, key, 3, time.Hour, 6); err != nil {
					return err
				}
				// 3 counted, 3 refused: a budget of 5 has exactly 2 left.
				got, err := takeN(s, t, key, 5, time.Hour, 3)
				if err != nil {
					return err
				}
				if !got[0].ok || !got[1].ok || got[2].ok {
					return fmt.Errorf("with the limit raised to 5: %+v, want ok, ok, refused", got)
				}
				return nil
			})
		}},
		{"keys are independent", func(t *testing.T, s domain.QuotaStore) {
			inOneWindow(t, time.Hour, func(key string) error {
				if _, err := takeN(s, t, key+"a", 1, time.Hour, 2); err != nil {
					return err
				}
				got, err := takeN(s, t, key+"b", 1, time.Hour, 1)
				if err != nil {
					return err
				}
				if !got[0].ok {
					return fmt.Errorf("key b refused after key a was spent")
				}
				return nil
			})
		}},
		{"a new window has a fresh budget", func(t *testing.T, s domain.QuotaStore) {
			const window = 300 * time.Millisecond
			var key string
			var wait time.Duration
			inOneWindow(t, window, func(k string) error {
				got, err := takeN(s, t, k, 1, window, 2)
				if err != nil {
					return err
				}
				key, wait = k, got[1].retryAfter
				if !got[0].ok {
					return fmt.Errorf("first take refused")
				}
				return refusedIn(got[1], window)
			})
			time.Sleep(wait + 20*time.Millisecond)
			if ok, ra, err := s.Take(t.Context(), key, 1, window); err != nil || !ok {
				t.Fatalf("Take after retry-after = %v, %v, %v; want ok", ok, ra, err)
			}
		}},
		{"windows are aligned to the Unix epoch", func(t *testing.T, s domain.QuotaStore) {
			// 7 s does not divide the seconds between year 1 and 1970, so
			// windows counted from Go's zero time would end 4 s off.
			const window = 7 * time.Second
			inOneWindow(t, window, func(key string) error {
				if _, err := takeN(s, t, key, 1, window, 1); err != nil {
					return err
				}
				before := time.Now()
				ok, ra, err := s.Take(t.Context(), key, 1, window)
				after := time.Now()
				if err != nil {
					return err
				}
				if err := refusedIn(take{ok, ra}, window); err != nil {
					return err
				}
				// The store's clock read lies in [before, after], so the
				// window's end lies in [before+ra, after+ra] and must be a
				// multiple of the window since the epoch.
				lo, hi := before.Add(ra).UnixNano(), after.Add(ra).UnixNano()
				w := int64(window)
				if end := (lo + w - 1) / w * w; end > hi {
					return fmt.Errorf("retry after %v ends the window between %v and %v, not on a multiple of %v since the epoch",
						ra, before.Add(ra).UTC(), after.Add(ra).UTC(), window)
				}
				return nil
			})
		}},
		{"exactly the limit under concurrency", func(t *testing.T, s domain.QuotaStore) {
			const limit, takers = 20, 60
			inOneWindow(t, time.Hour, func(key string) error {
				var granted atomic.Int64
				var wg sync.WaitGroup
				errs := make(chan error, takers)
				for range takers {
					wg.Go(func() {
						ok, _, err := s.Take(t.Context(), key, limit, time.Hour)
						if err != nil {
							errs <- err
						}
						if ok {
							granted.Add(1)
						}
					})
				}
				wg.Wait()
				close(errs)
				if err := <-errs; err != nil {
					return err
				}
				if n := granted.Load(); n != limit {
					return fmt.Errorf("%d of %d concurrent takes granted, want %d", n, takers, limit)
				}
				return nil
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}

// inOneWindow runs attempt with a fresh key until a run starts and ends in
// the same window (by the real clock), and fails t if that run failed: a
// run that crosses a window boundary proves nothing either way.
func inOneWindow(t *testing.T, window time.Duration, attempt func(key string) error) {
	t.Helper()
	for i := range 5 {
		start := time.Now().UnixNano() / int64(window)
		err := attempt(fmt.Sprintf("q%d", i))
		if time.Now().UnixNano()/int64(window) != start {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("every attempt crossed a window boundary")
}
