package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// Not parallel: the collector's settings are the process's.
func TestTuneGCSetsWhatTheEnvironmentLeavesUnset(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })

	tuneGC(func(string) string { return "" }, noCgroup)
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Fatalf("GC percent %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != defaultMemoryLimit {
		t.Fatalf("memory limit %d, want %d", got, defaultMemoryLimit)
	}

	env := map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}
	tuneGC(func(k string) string { return env[k] }, noCgroup)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC set, yet the GC percent was changed to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("GOMEMLIMIT set, yet the memory limit was changed to %d", got)
	}
}

func noCgroup(string) ([]byte, error) { return nil, os.ErrNotExist }

func TestMemoryLimitFollowsTheContainers(t *testing.T) {
	t.Parallel()
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if v, ok := m[name]; ok {
				return []byte(v), nil
			}
			return nil, os.ErrNotExist
		}
	}
	for _, c := range []struct {
		files map[string]string
		want  int64
	}{
		{nil, defaultMemoryLimit},
		{map[string]string{"/sys/fs/cgroup/memory.max": "536870912\n"}, 483183819},
		{map[string]string{"/sys/fs/cgroup/memory.max": "max\n"}, defaultMemoryLimit},
		{map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n"}, 241591905},
		{map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, defaultMemoryLimit},
	} {
		if got := memoryLimit(files(c.files)); got != c.want {
			t.Fatalf("%v: soft limit %d, want %d", c.files, got, c.want)
		}
	}
}
