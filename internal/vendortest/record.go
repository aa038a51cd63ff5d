package vendortest

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// RecordedRequest is a request as the simulator saw it, after any base path
// was stripped.
type RecordedRequest struct {
	Method   string
	Path     string
	RawQuery string
	Query    url.Values
	Body     []byte
	Header   http.Header
	Time     time.Time
}

// record keeps r for Requests and counts it for Calls.
func (s *Sim) record(r *http.Request, body []byte) {
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.Method+" "+r.URL.Path]++
	if s.opts.MaxRecorded < 0 {
		return
	}
	s.requests = append(s.requests, RecordedRequest{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Query:    r.URL.Query(),
		Body:     slices.Clone(body),
		Header:   r.Header.Clone(),
		Time:     now,
	})
	if over := len(s.requests) - s.opts.MaxRecorded; over > 0 {
		s.requests = slices.Delete(s.requests, 0, over)
	}
}

// Requests returns a copy of the recorded requests, oldest first: every
// request received, including those refused, failed or answered by a fault.
func (s *Sim) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.requests))
	for i, r := range s.requests {
		r.Query = cloneValues(r.Query)
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Sim) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func cloneValues(v url.Values) url.Values {
	out := maps.Clone(v)
	for k, vs := range out {
		out[k] = slices.Clone(vs)
	}
	return out
}
