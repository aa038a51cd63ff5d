package vendortest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// LogBuffer collects log output written from several goroutines, such as a
// slog handler's under a running server. The zero LogBuffer is ready.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// JSONLines decodes each non-blank line written so far as a JSON object
// (numbers as float64), as slog's JSON handler writes them.
func (l *LogBuffer) JSONLines() ([]map[string]any, error) {
	var out []map[string]any
	for line := range bytes.Lines([]byte(l.String())) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			return out, fmt.Errorf("log line %q is not a JSON object: %w", line, err)
		}
		out = append(out, m)
	}
	return out, nil
}
