package loadkit

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	// Fields 14 and 15 (utime 250, stime 50) after a command name holding
	// a space and parentheses, as /proc allows.
	line := "4242 (gate way) (x)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 9 0 123456 1000000 2500 18446744073709551615\n"
	for _, tc := range []struct {
		name  string
		in    string
		ticks int
		want  time.Duration
		fails bool
	}{
		{"100 Hz", line, 100, 3 * time.Second, false},
		{"250 Hz", line, 250, 1200 * time.Millisecond, false},
		{"no name", "4242 S 1 2 3", 100, 0, true},
		{"short", "4242 (gw) S 1 2 3 4 5 6 7 8 9 10", 100, 0, true},
		{"not a number", "4242 (gw) S 1 4242 4242 0 -1 4194560 1234 0 0 0 x 50 0", 100, 0, true},
		{"no ticks", line, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseStat([]byte(tc.in), tc.ticks)
			if (err != nil) != tc.fails || got != tc.want {
				t.Fatalf("ParseStat = %v, %v; want %v, fails %v", got, err, tc.want, tc.fails)
			}
		})
	}
}

func TestParseVMHWM(t *testing.T) {
	t.Parallel()
	status := "Name:\tgateway\nVmPeak:\t 1262436 kB\nVmHWM:\t   39216 kB\nVmRSS:\t   30000 kB\n"
	if got, err := ParseVMHWM([]byte(status)); err != nil || got != 39216*1024 {
		t.Fatalf("ParseVMHWM = %d, %v; want %d", got, err, 39216*1024)
	}
	for _, bad := range []string{"Name:\tgw\nVmRSS:\t 1 kB\n", "VmHWM:\t 12 MB\n", "VmHWM:\t x kB\n"} {
		if _, err := ParseVMHWM([]byte(bad)); err == nil {
			t.Errorf("ParseVMHWM(%q) took it", bad)
		}
	}
}

func TestParseAuxvClockTicks(t *testing.T) {
	t.Parallel()
	auxv := func(pairs ...uint64) []byte {
		b := make([]byte, 8*len(pairs))
		for i, v := range pairs {
			binary.LittleEndian.PutUint64(b[8*i:], v)
		}
		return b
	}
	if got, err := ParseAuxvClockTicks(auxv(33, 7, 6, 4096, 17, 100, 0, 0)); err != nil || got != 100 {
		t.Fatalf("ParseAuxvClockTicks = %d, %v; want 100", got, err)
	}
	// An AT_CLKTCK after the terminating pair is not read.
	if _, err := ParseAuxvClockTicks(auxv(6, 4096, 0, 0, 17, 100)); err == nil {
		t.Fatal("read past AT_NULL")
	}
	if _, err := ParseAuxvClockTicks(auxv(17, 0, 0, 0)); err == nil {
		t.Fatal("took a zero AT_CLKTCK")
	}
}

// The readers on this very process: it has spent CPU time and holds
// memory, and resetting its peak is allowed.
func TestOwnProcess(t *testing.T) {
	ticks, err := ClockTicks()
	if err != nil || ticks <= 0 {
		t.Fatalf("ClockTicks = %d, %v", ticks, err)
	}
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // some CPU time to read
	}
	cpu, err := ProcStat(os.Getpid(), ticks)
	if err != nil || cpu <= 0 {
		t.Fatalf("ProcStat = %v, %v", cpu, err)
	}
	peak, err := PeakRSS(os.Getpid())
	if err != nil || peak < uint64(len(buf)) {
		t.Fatalf("PeakRSS = %d, %v; want at least %d", peak, err, len(buf))
	}
	if err := ResetPeakRSS(os.Getpid()); err != nil {
		t.Fatalf("ResetPeakRSS: %v", err)
	}
	_ = buf[len(buf)-1]
}

func TestMedian(t *testing.T) {
	t.Parallel()
	xs := []float64{5, 1, 3}
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{xs, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
	} {
		if got := Median(tc.in); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if xs[0] != 5 {
		t.Error("Median sorted its argument")
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("Median(nil) is not NaN")
	}
}

func TestRatioLine(t *testing.T) {
	t.Parallel()
	r := Ratio{Vendor: "linkflow", Path: "passthrough", CPUVsProxy: 1.2149,
		AddedP50: 400 * time.Microsecond, AddedP99: 1104 * time.Microsecond, PeakRSS: 38<<20 + 300<<10}
	want := "RATIO vendor=linkflow path=passthrough cpu_per_req_vs_reverseproxy=1.21 added_p50_ms=0.40 added_p99_ms=1.10 peak_rss_mib=38"
	if got := r.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := MiB(38<<20 + 600<<10); got != 39 {
		t.Fatalf("MiB rounds %d, want 39", got)
	}
}

func TestParsePressure(t *testing.T) {
	t.Parallel()
	in := "some avg10=89.26 avg60=75.56 avg300=52.48 total=303195103\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"
	if got, err := ParsePressure([]byte(in)); err != nil || got != 303195103*time.Microsecond {
		t.Fatalf("ParsePressure = %v, %v", got, err)
	}
	for _, bad := range []string{"", "full avg10=0.00 total=7\n", "some avg10=1.00 total=x\n"} {
		if _, err := ParsePressure([]byte(bad)); err == nil {
			t.Errorf("ParsePressure(%q): no error", bad)
		}
	}
	if _, err := os.Stat("/proc/pressure/cpu"); err == nil {
		if _, err := CPUPressure(); err != nil {
			t.Errorf("CPUPressure: %v", err)
		}
	}
}
