package vendortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	defaultMaxRecorded  = 10000
	defaultMaxBodyBytes = 8 << 20
)

// Errors the kit hands to [Options.WriteError]. The simulator decides how its
// vendor answers each one; use [errors.Is] to tell them apart.
var (
	// ErrUnauthorized wraps the error returned by [Options.Auth], so the
	// vendor's own error stays reachable with [errors.As].
	ErrUnauthorized = errors.New("vendortest: unauthorized")
	// ErrNoRoute is given for a path no pattern matches.
	ErrNoRoute = errors.New("vendortest: no such endpoint")
	// ErrMethodNotAllowed is given for a method a route has no handler for;
	// the Allow header is already set when WriteError runs.
	ErrMethodNotAllowed = errors.New("vendortest: method not allowed")
	// ErrBodyTooLarge is given for a body over [Options.MaxBodyBytes].
	ErrBodyTooLarge = errors.New("vendortest: request body too large")
	// ErrBodyUnreadable wraps the error met while reading the request body.
	ErrBodyUnreadable = errors.New("vendortest: request body unreadable")
)

// Options configures a [Sim]. Every field is optional.
type Options struct {
	// Auth checks requests to routes registered with [Sim.Handle] and to
	// unknown paths, before the method is looked at. It may read r.Body or
	// parse r.Form: the handler gets the body afresh. Nil lets every request
	// through.
	Auth func(r *http.Request) error
	// WriteError writes every error answer: the kit's (ErrUnauthorized,
	// ErrNoRoute, ErrMethodNotAllowed, ErrBodyTooLarge, ErrBodyUnreadable)
	// and whatever a handler returns. Nil writes plain text with a status
	// that fits the kit's errors and 500 for any other.
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// Now is the clock of recorded requests and of the simulator, and the
	// Date of every answer (default time.Now).
	Now func() time.Time
	// MaxRecorded bounds the request log: the most recent are kept (default
	// 10000; negative disables recording).
	MaxRecorded int
	// MaxBodyBytes is the largest request body handled (default 8 MiB).
	MaxBodyBytes int64
}

// HandlerFunc handles one method of a route. An error it returns is written
// with [Options.WriteError]; it must not have written anything then.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Methods maps HTTP methods to their handlers.
type Methods map[string]HandlerFunc

// Sim is the common part of a vendor simulator: an [http.Handler] that reads
// the body, records the request, applies faults and routes. Create it with
// [New]; it is safe for concurrent use.
type Sim struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	requests []RecordedRequest
	faults   []*Fault
	calls    map[string]int // method + " " + path
}

// New returns a Sim with no routes; requests to paths no route matches go
// through Auth and are answered with ErrNoRoute.
func New(opts Options) *Sim {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriteError == nil {
		opts.WriteError = writePlainError
	}
	if opts.MaxRecorded == 0 {
		opts.MaxRecorded = defaultMaxRecorded
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBodyBytes
	}
	s := &Sim{opts: opts, mux: http.NewServeMux(), calls: map[string]int{}}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.authorized(w, r) {
			s.opts.WriteError(w, r, ErrNoRoute)
		}
	})
	return s
}

// Now reads the simulator's clock.
func (s *Sim) Now() time.Time { return s.opts.Now() }

// Handle registers pattern (a [http.ServeMux] pattern without a method, such
// as "/contacts/{id}") with one handler per method, behind [Options.Auth].
func (s *Sim) Handle(pattern string, m Methods) { s.handle(pattern, m, false) }

// HandlePublic registers pattern like [Sim.Handle] but without the Auth check,
// for the endpoints that hand out credentials.
func (s *Sim) HandlePublic(pattern string, m Methods) { s.handle(pattern, m, true) }

func (s *Sim) handle(pattern string, m Methods, public bool) {
	allow := strings.Join(slices.Sorted(maps.Keys(m)), ", ")
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !public && !s.authorized(w, r) {
			return
		}
		h, ok := m[r.Method]
		if !ok {
			w.Header().Set("Allow", allow)
			s.opts.WriteError(w, r, ErrMethodNotAllowed)
			return
		}
		rewind(r)
		if err := h(w, r); err != nil {
			s.opts.WriteError(w, r, err)
		}
	})
}

// authorized runs Auth and writes its refusal.
func (s *Sim) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.Auth == nil {
		return true
	}
	if err := s.opts.Auth(r); err != nil {
		s.opts.WriteError(w, r, fmt.Errorf("%w: %w", ErrUnauthorized, err))
		return false
	}
	return true
}

type bodyKey struct{}

// rewind gives r a fresh reader over the body read by ServeHTTP, so the
// handler can read it after Auth has.
func rewind(r *http.Request) {
	body, _ := r.Context().Value(bodyKey{}).([]byte)
	r.Body = io.NopCloser(bytes.NewReader(body))
}

// ServeHTTP reads the body, records the request, applies the first matching
// fault and otherwise routes the request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.opts.MaxBodyBytes+1))
		if err != nil {
			s.opts.WriteError(w, r, fmt.Errorf("%w: %w", ErrBodyUnreadable, err))
			return
		}
		body = b
	}
	s.record(r, body)
	// The answer's Date is the simulated vendor's clock, as a real
	// vendor's is its own: clients that measure their offset from it see
	// the skew a test sets. (A fault's own Date header wins.)
	w.Header().Set("Date", s.opts.Now().UTC().Format(http.TimeFormat))
	f, faulted := s.takeFault(r)
	if sf, ok := SwitchFaults[r.Header.Get(FaultHeader)]; ok {
		f, faulted = sf, true // the sandbox fault switch
	}
	if faulted && f.AfterHandler {
		held := newHeldAnswer()
		s.route(held, r, body)
		serveAfter(w, r, f, held)
		return
	}
	if faulted && serveFault(w, r, f) {
		return
	}
	s.route(w, r, body)
}

// route refuses a body over the limit and otherwise hands the request to
// its route.
func (s *Sim) route(w http.ResponseWriter, r *http.Request, body []byte) {
	if int64(len(body)) > s.opts.MaxBodyBytes {
		s.opts.WriteError(w, r, ErrBodyTooLarge)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, body))
	rewind(r)
	s.mux.ServeHTTP(w, r)
}

// Calls is the number of requests received with this method and path (as
// the simulator sees it, after the base path), counting those refused, failed
// or answered by a fault, such as the token fetches of an adapter. Unlike
// [Sim.Requests] it is neither bounded nor reset; it keeps one counter per
// distinct path, which tests and the sandbox can afford.
func (s *Sim) Calls(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method+" "+path]
}

// CallsUnder is the number of requests received, with any method, whose
// path (as the simulator sees it) starts with pathPrefix, counted like
// [Sim.Calls]; "" counts every request.
func (s *Sim) CallsUnder(pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for key, c := range s.calls {
		_, path, _ := strings.Cut(key, " ")
		if strings.HasPrefix(path, pathPrefix) {
			n += c
		}
	}
	return n
}

func writePlainError(w http.ResponseWriter, _ *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnauthorized):
		status = http.StatusUnauthorized
	case errors.Is(err, ErrNoRoute):
		status = http.StatusNotFound
	case errors.Is(err, ErrMethodNotAllowed):
		status = http.StatusMethodNotAllowed
	case errors.Is(err, ErrBodyTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBodyUnreadable):
		status = http.StatusBadRequest
	}
	http.Error(w, err.Error(), status)
}
