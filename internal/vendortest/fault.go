package vendortest

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fault is a canned answer given to the next Times requests whose path starts
// with PathPrefix (empty matches every path) and whose method is Method
// (empty matches every method). Faults are matched in the order injected;
// the request is recorded either way.
//
// By default the fault takes the place of the request's handling. With
// AfterHandler the request is handled first, so it takes effect, and only
// its answer is replaced: a vendor that did the work but whose answer was
// lost or late.
type Fault struct {
	PathPrefix string
	Method     string
	// Times is how many requests get this answer (values below 1 mean 1).
	Times int
	// Status is the HTTP status answered. With 0 (and no Drop) the request is
	// handled normally after Delay, with Header added: a latency or header
	// fault.
	Status int
	// ContentType is the Content-Type of the answer; when it is empty and
	// Header has none, the answer has no Content-Type at all (not a sniffed
	// one), as some gateways in front of vendors answer.
	ContentType string
	// Header is added to the answer, e.g. Retry-After.
	Header http.Header
	// Body is the answer body, written as is.
	Body string
	// Delay is slept first; if the request's context ends during it, nothing
	// is written.
	Delay time.Duration
	// Drop closes the connection without answering (after Delay), so the
	// client sees a transport error such as EOF or a reset. Go's
	// http.Transport sends a replayable request (a GET, or one with an
	// Idempotency-Key) once more when a reused connection closes unanswered:
	// make Times at least 2 for such a client to see the error.
	Drop bool
	// AfterHandler runs the route's handling (auth, routing, the handler)
	// before the fault, with its answer held back: then Delay is slept and
	// the connection dropped (Drop) or the held answer replaced by Status,
	// ContentType, Header and Body. With Status 0 and no Drop the held
	// answer is sent after Delay with Header added. The request takes
	// effect even when the caller gives up during Delay.
	AfterHandler bool
}

// InjectFault queues f.
func (s *Sim) InjectFault(f Fault) {
	f.Times = max(f.Times, 1)
	f.Header = f.Header.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops every queued fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Sim) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !strings.HasPrefix(r.URL.Path, f.PathPrefix) || (f.Method != "" && f.Method != r.Method) {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return *f, true
	}
	return Fault{}, false
}

// serveFault applies f and reports whether it answered (or abandoned) the
// request; false means the request is to be handled normally.
func serveFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 && sleep(r.Context(), f.Delay) != nil {
		return true
	}
	if f.Drop {
		drop(w)
		return true
	}
	h := w.Header()
	for k, vs := range f.Header {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if f.Status == 0 {
		return false
	}
	if f.ContentType != "" {
		h.Set("Content-Type", f.ContentType)
	} else if h.Get("Content-Type") == "" {
		h["Content-Type"] = nil // stops net/http from sniffing one
	}
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
	return true
}

// drop closes the connection under w without a byte of answer.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2, or a wrapper that hides the connection: the server resets
		// the stream or closes the connection for this panic, and does not
		// log it.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// serveAfter applies an AfterHandler fault to the answer held in held.
func serveAfter(w http.ResponseWriter, r *http.Request, f Fault, held *heldAnswer) {
	if f.Status == 0 && !f.Drop {
		maps.Copy(w.Header(), held.header)
	}
	if serveFault(w, r, f) {
		return
	}
	w.WriteHeader(cmp.Or(held.status, http.StatusOK))
	_, _ = w.Write(held.body.Bytes())
}

// heldAnswer is an [http.ResponseWriter] that keeps the answer instead of
// sending it.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newHeldAnswer() *heldAnswer { return &heldAnswer{header: http.Header{}} }

func (a *heldAnswer) Header() http.Header { return a.header }

func (a *heldAnswer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *heldAnswer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}
