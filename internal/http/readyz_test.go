package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// TestReadinessLogsChangesOnly: a failing check is logged when it starts
// failing and when it recovers, not on every probe (probes come every few
// seconds).
func TestReadinessLogsChangesOnly(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	logs := &vendortest.LogBuffer{}
	h := newTestHandler(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, nil))
		c.Readiness = []ReadinessCheck{{Name: "redis_persistence", Check: func(context.Context) error {
			if failing.Load() {
				return &CheckState{State: "off", Err: errors.New("appendonly is off")}
			}
			return nil
		}}}
	})
	probe := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("readyz = %d", rec.Code)
		}
	}
	count := func(msg string) int { return strings.Count(logs.String(), `"msg":"`+msg+`"`) }

	probe()
	probe()
	if n := count("readiness check failed") + count("readiness check ok"); n != 0 {
		t.Fatalf("%d readiness lines while nothing changed", n)
	}
	failing.Store(true)
	for range 5 {
		probe()
	}
	if n := count("readiness check failed"); n != 1 {
		t.Fatalf("%d warnings for one failure over five probes, want 1", n)
	}
	failing.Store(false)
	probe()
	probe()
	if n := count("readiness check ok"); n != 1 {
		t.Fatalf("%d lines for one recovery, want 1", n)
	}
}
