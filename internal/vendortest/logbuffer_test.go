package vendortest_test

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Run with -race: a logger shared by goroutines, as under a server.
func TestLogBufferConcurrent(t *testing.T) {
	t.Parallel()
	var buf vendortest.LogBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	const n = 50
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			log.Info("hit", "i", i)
			_ = buf.String()
		})
	}
	wg.Wait()
	lines, err := buf.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]bool{}
	for _, l := range lines {
		if l["msg"] != "hit" {
			t.Errorf("line %v", l)
		}
		seen[l["i"].(float64)] = true
	}
	if len(lines) != n || len(seen) != n {
		t.Errorf("%d lines, %d distinct, want %d: writes interleaved", len(lines), len(seen), n)
	}
}

func TestLogBufferJSONLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		written   string
		wantLines int
		wantErr   string
	}{
		{"nothing", "", 0, ""},
		{"one line without newline", `{"a":1}`, 1, ""},
		{"blank lines skipped", "\n{\"a\":1}\n\n  \n{\"b\":2}\n", 2, ""},
		{"not JSON", "{\"a\":1}\nplain text\n", 1, `"plain text"`},
		{"not an object", "[1,2]\n", 0, `"[1,2]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf vendortest.LogBuffer
			if _, err := buf.Write([]byte(tt.written)); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.written {
				t.Errorf("String() = %q, want %q", buf.String(), tt.written)
			}
			lines, err := buf.JSONLines()
			if len(lines) != tt.wantLines {
				t.Errorf("%d lines, want %d", len(lines), tt.wantLines)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want one naming %s", err, tt.wantErr)
			}
		})
	}
}
