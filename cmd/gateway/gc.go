package main

import (
	"runtime/debug"
	"strconv"
	"strings"
)

// The garbage collector's settings when the environment leaves them
// unset (README: Performance). A gateway's heap is mostly short-lived
// answers, so collecting less often saves CPU (GOGC 100 to 300: about a
// fifth less per list of 50 contacts), and a soft memory limit keeps a
// busy replica's memory bounded, collecting more often only near it: 90%
// of the container's memory limit (cgroup v2 memory.max, or v1's
// limit_in_bytes), else 40 MiB: with the binary's mapped pages (about
// 28 MiB under load) an overloaded replica stays near 64 MiB, for about 5%
// more CPU per list of 50 under load than 48 MiB (README: Performance).
// GOGC and GOMEMLIMIT, when set, are the Go runtime's own and win.
const (
	defaultGCPercent   = 300
	defaultMemoryLimit = 40 << 20
)

// cgroupLimitFiles hold the container's memory limit, cgroup v2 first.
var cgroupLimitFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// tuneGC applies the defaults of the settings getenv leaves unset.
func tuneGC(getenv func(string) string, readFile func(string) ([]byte, error)) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit(readFile))
	}
}

// memoryLimit is the soft memory limit for the container's limit.
func memoryLimit(readFile func(string) ([]byte, error)) int64 {
	for _, f := range cgroupLimitFiles {
		b, err := readFile(f)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) is no limit.
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && n > 0 && n < 1<<50 {
			return n / 10 * 9
		}
		return defaultMemoryLimit
	}
	return defaultMemoryLimit
}
