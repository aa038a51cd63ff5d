package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReadmeWalkthrough runs the README's sandbox walk-throughs, as
// written, against one sandbox gateway: the main one and each vendor's.
// Every command must answer JSON (an empty answer, a 204, counts as {}),
// and the commands annotated with an error code must answer that code.
func TestReadmeWalkthrough(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walk-through needs %s: %v", tool, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--sandbox", "--addr", "127.0.0.1:0"}, stdout, io.Discard) }()
	re := regexp.MustCompile(`sandbox on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatal("sandbox did not start")
		}
	}
	for _, heading := range []string{"## Sandbox walk-through", "### Meihua in the sandbox", "### NXCloud in the sandbox", "### Miaokol in the sandbox"} {
		t.Run(heading, func(t *testing.T) {
			_, after, ok := strings.Cut(string(readme), heading)
			_, block, ok2 := strings.Cut(after, "```sh\n")
			block, _, ok3 := strings.Cut(block, "```")
			if !ok || !ok2 || !ok3 {
				t.Fatalf("README has no %q block", heading)
			}
			runWalkthrough(t, block, base)
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// runWalkthrough runs one walk-through block against the gateway at base.
func runWalkthrough(t *testing.T, block, base string) {
	t.Helper()
	script := strings.Replace(block, "GW=http://127.0.0.1:8080", "GW="+base, 1)
	if script == block {
		t.Fatal("walk-through does not set GW=http://127.0.0.1:8080")
	}
	// One answer per line: curl -s prints no newline of its own, and an
	// empty answer (204) reads as {}.
	wrapped := "set -eu\ncurl() { out=$(command curl --fail-with-body -s \"$@\" || true); if [ -n \"$out\" ]; then printf '%s\\n' \"$out\"; else echo '{}'; fi; }\n" + script
	out, err := exec.Command("bash", "-c", wrapped).CombinedOutput()
	if err != nil {
		t.Fatalf("walk-through failed: %v\n%s", err, out)
	}
	var expected []string
	for _, line := range strings.Split(script, "\n") {
		if m := regexp.MustCompile(`# (\d{3}) ([A-Z_]+)`).FindStringSubmatch(line); m != nil {
			expected = append(expected, m[2])
		}
	}
	var codes []string
	answers := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("a command answered something that is not JSON: %q\n%s", line, out)
		}
		answers++
		if code, ok := v["code"].(string); ok {
			codes = append(codes, code)
		}
	}
	if strings.Join(codes, ",") != strings.Join(expected, ",") {
		t.Fatalf("error codes %v, the README promises %v\n%s", codes, expected, out)
	}
	// Commands whose output a variable captures (a cursor, an ETag, a URL)
	// answer nothing on their own.
	if want := strings.Count(script, "curl -s") - strings.Count(script, "$(curl -s"); answers != want {
		t.Fatalf("%d answers for %d commands\n%s", answers, want, out)
	}
}
