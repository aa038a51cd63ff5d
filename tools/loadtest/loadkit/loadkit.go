// Package loadkit holds the pure parts of the load harness (tools/loadtest)
// and what its processes share: reading a process's CPU time and peak
// memory from /proc, medians, and the report lines.
package loadkit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// SimInfo is what a standalone simulator writes once it listens: how to
// connect a tenant to it.
type SimInfo struct {
	Vendor      string            `json:"vendor"`
	BaseURL     string            `json:"base_url"` // base path included
	URLs        map[string]string `json:"urls"`
	Credentials map[string]string `json:"credentials"`
	Options     map[string]string `json:"options,omitempty"`
}

// Call is one vendor call as a simulator received it, to be sent again
// straight to the simulator or through a reverse proxy.
type Call struct {
	Method string      `json:"method"`
	URI    string      `json:"uri"` // path and query, as received
	Header http.Header `json:"header"`
	Body   []byte      `json:"body,omitempty"`
}

// ProcStat is a process's CPU time so far: user plus system time of all
// its threads, those that ended included.
//
// /proc/<pid>/stat is read rather than /proc/<pid>/schedstat: schedstat is
// per thread (the main thread's alone for a pid), and the time of a Go
// runtime's exited threads would be lost, while stat's utime and stime
// are the whole thread group's. Their unit is the clock tick, read from
// the auxiliary vector (AT_CLKTCK), 100 per second on Linux.
func ProcStat(pid, ticksPerSecond int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseStat(b, ticksPerSecond)
}

// ParseStat reads utime plus stime (fields 14 and 15) from the contents
// of /proc/<pid>/stat. The command name (field 2) is in parentheses and
// may hold spaces and parentheses itself, so the fields are counted from
// its last closing parenthesis.
func ParseStat(b []byte, ticksPerSecond int) (time.Duration, error) {
	if ticksPerSecond <= 0 {
		return 0, errors.New("stat: clock ticks per second must be positive")
	}
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, errors.New("stat: no command name")
	}
	fields := bytes.Fields(b[end+1:])
	// fields[0] is field 3 (state), so utime (14) and stime (15) are
	// fields[11] and fields[12].
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(fields))
	}
	var ticks uint64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseUint(string(f), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / time.Duration(ticksPerSecond), nil
}

// PeakRSS is a process's peak resident set size (VmHWM), in bytes.
func PeakRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseVMHWM(b)
}

// ParseVMHWM reads VmHWM, in bytes, from the contents of /proc/<pid>/status.
func ParseVMHWM(b []byte) (uint64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("status: VmHWM line %q", bytes.TrimSpace(line))
		}
		kib, err := strconv.ParseUint(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("status: VmHWM: %w", err)
		}
		return kib * 1024, nil
	}
	return 0, errors.New("status: no VmHWM line")
}

// ResetPeakRSS sets a process's VmHWM back to its current resident size
// (writing 5 to /proc/<pid>/clear_refs, Linux ≥ 4.0), so that the next
// reading is the peak since now. It needs the right to write there: the
// process's own user.
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// ClockTicks is the unit of /proc/<pid>/stat's times, per second: the
// kernel's USER_HZ, read from this process's auxiliary vector.
func ClockTicks() (int, error) {
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 0, err
	}
	return ParseAuxvClockTicks(b)
}

// atClkTck is AT_CLKTCK, the auxiliary vector's entry for USER_HZ.
const atClkTck = 17

// ParseAuxvClockTicks finds AT_CLKTCK in a 64-bit little-endian auxiliary
// vector (pairs of key and value, ending with key 0).
func ParseAuxvClockTicks(b []byte) (int, error) {
	for i := 0; i+16 <= len(b); i += 16 {
		key, val := binary.LittleEndian.Uint64(b[i:]), binary.LittleEndian.Uint64(b[i+8:])
		if key == 0 {
			break
		}
		if key == atClkTck {
			if val == 0 || val > 1e6 {
				return 0, fmt.Errorf("auxv: AT_CLKTCK %d", val)
			}
			return int(val), nil
		}
	}
	return 0, errors.New("auxv: no AT_CLKTCK")
}

// Median is the middle of xs (the mean of the two middle values for an
// even count), NaN for none. xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// Ratio is one RATIO line's figures: a path of one vendor through the
// gateway, against a bare reverse proxy (CPU) and straight to the
// simulator (latency).
type Ratio struct {
	Vendor, Path string
	CPUVsProxy   float64 // gateway CPU per request / reverse proxy CPU per request
	AddedP50     time.Duration
	AddedP99     time.Duration
	PeakRSS      uint64 // bytes
}

// String is the RATIO line, for example
//
//	RATIO vendor=linkflow path=passthrough cpu_per_req_vs_reverseproxy=1.21 added_p50_ms=0.40 added_p99_ms=1.10 peak_rss_mib=38
func (r Ratio) String() string {
	return fmt.Sprintf("RATIO vendor=%s path=%s cpu_per_req_vs_reverseproxy=%.2f added_p50_ms=%.2f added_p99_ms=%.2f peak_rss_mib=%d",
		r.Vendor, r.Path, r.CPUVsProxy, Millis(r.AddedP50), Millis(r.AddedP99), MiB(r.PeakRSS))
}

// Millis is d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// MiB is b in mebibytes, rounded to the nearest.
func MiB(b uint64) uint64 { return (b + 1<<19) >> 20 }

// Serve serves srv on ln until SIGINT or SIGTERM, then shuts it down,
// giving running requests a second: how the harness's helper processes
// run.
func Serve(srv *http.Server, ln net.Listener) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// CPUPressure is the machine's CPU pressure stall time so far: how long,
// added up, at least one runnable task waited for a CPU (the "some" line
// of /proc/pressure/cpu). Over a run, its growth divided by the run's
// wall time is the share of the time a request could have been queued
// behind another process; latency percentiles then measure that queue.
func CPUPressure() (time.Duration, error) {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0, err
	}
	return ParsePressure(b)
}

// ParsePressure reads the "some" line's total (microseconds) from the
// contents of /proc/pressure/cpu.
func ParsePressure(b []byte) (time.Duration, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("some "))
		if !ok {
			continue
		}
		for f := range bytes.FieldsSeq(rest) {
			if v, ok := bytes.CutPrefix(f, []byte("total=")); ok {
				us, err := strconv.ParseUint(string(v), 10, 63)
				if err != nil {
					return 0, fmt.Errorf("pressure total %q: %w", v, err)
				}
				return time.Duration(us) * time.Microsecond, nil
			}
		}
	}
	return 0, errors.New("no some total in /proc/pressure/cpu")
}
