package vendortest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestRequestsRecorded(t *testing.T) {
	t.Parallel()
	clock := vendortest.NewClock(t0)
	f := newFixture(t, vendortest.Options{Now: clock.Now})
	f.sim.InjectFault(vendortest.Fault{PathPrefix: "/items/1", Status: 500})
	f.do("POST", "/items?x=1&x=2&y=%C3%A9", `{"name":"g"}`, map[string]string{"X-Extra": "e"})
	clock.Advance(time.Second)
	f.do("GET", "/items", "", map[string]string{"X-Token": ""}) // refused
	f.do("GET", "/items/1", "", nil)                            // faulted
	f.do("GET", "/nope", "", nil)                               // unknown
	got := f.sim.Requests()
	if len(got) != 4 {
		t.Fatalf("%d requests recorded, want 4", len(got))
	}
	r := got[0]
	if r.Method != "POST" || r.Path != "/items" || r.RawQuery != "x=1&x=2&y=%C3%A9" ||
		fmt.Sprint(r.Query["x"]) != "[1 2]" || r.Query.Get("y") != "é" || string(r.Body) != `{"name":"g"}` ||
		r.Header.Get("X-Extra") != "e" || r.Header.Get("X-Token") != testToken || !r.Time.Equal(t0) {
		t.Errorf("recorded %+v", r)
	}
	for i, want := range []string{"/items", "/items/1", "/nope"} {
		if r := got[i+1]; r.Path != want || r.Method != "GET" || !r.Time.Equal(t0.Add(time.Second)) {
			t.Errorf("request %d: %s %s at %v, want GET %s", i+1, r.Method, r.Path, r.Time, want)
		}
	}
}

func TestRequestsAreCopies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{})
	f.do("POST", "/items?q=a", "body", nil)
	first := f.sim.Requests()[0]
	first.Body[0] = 'X'
	first.Query.Set("q", "changed")
	first.Header.Set("X-Token", "changed")
	again := f.sim.Requests()[0]
	if string(again.Body) != "body" || again.Query.Get("q") != "a" || again.Header.Get("X-Token") != testToken {
		t.Errorf("a change to a copy reached the log: %+v", again)
	}
}

func TestRequestLogBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		maxRecorded int
		send        int
		wantPages   []string
	}{
		{"default keeps all of a few", 0, 5, []string{"0", "1", "2", "3", "4"}},
		{"bounded keeps the most recent", 3, 5, []string{"2", "3", "4"}},
		{"exactly full", 5, 5, []string{"0", "1", "2", "3", "4"}},
		{"disabled", -1, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, vendortest.Options{MaxRecorded: tt.maxRecorded})
			for i := range tt.send {
				f.do("GET", fmt.Sprintf("/items?page=%d", i), "", nil)
			}
			var pages []string
			for _, r := range f.sim.Requests() {
				pages = append(pages, r.Query.Get("page"))
			}
			if fmt.Sprint(pages) != fmt.Sprint(tt.wantPages) {
				t.Errorf("kept pages %v, want %v", pages, tt.wantPages)
			}
		})
	}
}

func TestResetRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{})
	f.do("GET", "/items?n=1", "", nil)
	f.sim.ResetRequests()
	if n := len(f.sim.Requests()); n != 0 {
		t.Fatalf("%d requests after ResetRequests", n)
	}
	f.do("GET", "/items?n=2", "", nil)
	if got := f.sim.Requests(); len(got) != 1 || got[0].Query.Get("n") != "2" {
		t.Errorf("after reset: %+v", got)
	}
}

// Run with -race: recording, reading, resetting and faults from many
// goroutines at once.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, vendortest.Options{MaxRecorded: 50})
	const workers = 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Go(func() {
			f.sim.InjectFault(vendortest.Fault{PathPrefix: "/items/", Status: 503})
			a, err := f.try(http.DefaultClient, "GET", fmt.Sprintf("/items/%d", i), "", nil)
			// Each request comes after its own fault, and takes one: so
			// every request finds one queued.
			if err != nil || a.status != 503 {
				errs <- fmt.Errorf("request %d: %v %d", i, err, a.status)
			}
			_ = f.sim.Requests()
			if i%10 == 0 {
				f.sim.ResetRequests()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	calls := 0
	for i := range workers {
		calls += f.sim.Calls("GET", fmt.Sprintf("/items/%d", i))
	}
	if calls != workers {
		t.Errorf("Calls add up to %d, want %d", calls, workers)
	}
	if a := f.do("GET", "/items/x", "", nil); a.status != 200 {
		t.Errorf("a fault is left over: %d", a.status)
	}
}
