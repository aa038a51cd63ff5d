package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/tools/loadtest/loadkit"
)

// The wrapper delays each vendor call by the latency set, and records
// calls, bodies included, only while recording is on and only as many as
// asked.
func TestWrap(t *testing.T) {
	t.Parallel()
	s := &server{}
	vendor := s.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b) // the body still reaches the simulator
	}))
	send := func(h http.HandlerFunc, method, target, body string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
		return rec
	}
	call := func(body string) {
		t.Helper()
		if rec := send(vendor.ServeHTTP, http.MethodPost, "/linkflow/open/x?a=1", body); rec.Body.String() != body {
			t.Fatalf("the simulator got %q, want %q", rec.Body.String(), body)
		}
	}
	recorded := func() []loadkit.Call {
		t.Helper()
		var calls []loadkit.Call
		if err := json.Unmarshal(send(s.recorded, http.MethodGet, "/_loadtest/record", "").Body.Bytes(), &calls); err != nil {
			t.Fatal(err)
		}
		return calls
	}

	call("before")
	if got := recorded(); len(got) != 0 {
		t.Fatalf("recorded %d calls before recording", len(got))
	}
	if rec := send(s.startRecording, http.MethodPost, "/_loadtest/record?n=2", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("record: %d", rec.Code)
	}
	call("one")
	call("two")
	call("three")
	got := recorded()
	if len(got) != 2 || string(got[0].Body) != "one" || string(got[1].Body) != "two" || got[0].URI != "/linkflow/open/x?a=1" || got[0].Method != http.MethodPost {
		t.Fatalf("recorded %+v", got)
	}

	if rec := send(s.setLatency, http.MethodPut, "/_loadtest/latency?d=30ms", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("latency: %d", rec.Code)
	}
	began := time.Now()
	call("slow")
	if d := time.Since(began); d < 30*time.Millisecond {
		t.Fatalf("a call took %v with 30ms injected", d)
	}
	for _, bad := range []string{"/_loadtest/latency?d=-1s", "/_loadtest/latency?d=soon"} {
		if rec := send(s.setLatency, http.MethodPut, bad, ""); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, rec.Code)
		}
	}
}
