package nxcloudtest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials and identity of the simulated account, used when Config
// leaves them empty.
const (
	DefaultAccessKey    = "nxcloud-test-access-key"
	DefaultAccessSecret = "nxcloud-test-access-secret"
	// DefaultTenantID is the tenant the access key belongs to (the docs'
	// example tenant).
	DefaultTenantID int64 = 123
	DefaultAppKey         = "nxcloud-test-app-key"
	// DefaultFirstID is the first customer id handed out: snowflake-like,
	// far above 2^53, as the vendor's ids are.
	DefaultFirstID int64 = 1021110718827683840
	// DefaultUserID is the account owner's user id, answered as user_id on
	// every tag.
	DefaultUserID int64 = 195
)

// The paths served, relative to the handler root (the vendor's host).
const (
	PathQuery       = "/saas/cdp/openapi/customers/query"
	PathBatchCreate = "/saas/cdp/openapi/customers/batch_create"
	PathFields      = "/saas/cdp/openapi/customers/fields"
)

const (
	maxBodyBytes = 8 << 20
	jsonType     = "application/json;charset=UTF-8"
	firstTagID   = 27001
)

// The answer codes: 0 and the published 1001–1005, and the HTTP statuses
// used as codes for requests that never reach an endpoint.
const (
	CodeOK              = 0
	CodeMissingHeader   = 1001 // a common header is missing or blank
	CodeBadParameter    = 1002 // bad bizType/action/algorithm/ts, Content-Type or body parameter
	CodeBadSignature    = 1003 // sign does not match
	CodeTimestamp       = 1004 // ts more than 60 s from the server's clock
	CodeNoPermission    = 1005 // unknown accessKey, or a tenant_id/app_key not its own
	CodeNotFound        = http.StatusNotFound
	CodeNotAllowed      = http.StatusMethodNotAllowed
	CodeTooLarge        = http.StatusRequestEntityTooLarge
	CodeInternalFailure = http.StatusInternalServerError
)

// Config configures a [Server]. Zero fields take the defaults noted.
type Config struct {
	// AccessKey and AccessSecret are the account's signing credentials
	// (defaults DefaultAccessKey and DefaultAccessSecret).
	AccessKey, AccessSecret string
	// TenantID is the tenant the access key belongs to (default
	// DefaultTenantID); AppKey the app_key it may use (default
	// DefaultAppKey).
	TenantID int64
	AppKey   string
	// Now is the clock of the ts window (±60 s) and of created_at and
	// updated_at (default time.Now).
	Now func() time.Time
	// FirstID is the first customer id handed out (default DefaultFirstID).
	FirstID int64
	// MaxRecordedRequests bounds the request log (default 10000, the most
	// recent kept; negative disables recording).
	MaxRecordedRequests int
}

// RecordedRequest is a request as the simulator saw it, after the base path
// was stripped.
type RecordedRequest = vendortest.RecordedRequest

// Fault is a canned answer, delay or dropped connection; see
// [vendortest.Fault].
type Fault = vendortest.Fault

// Server is the simulator, an [http.Handler] serving the CDP endpoints
// relative to its root. Create it with [New]; every method is safe for
// concurrent use.
type Server struct {
	cfg Config
	kit *vendortest.Sim

	mu        sync.Mutex
	badSigns  int
	lastID    int64
	customers map[int64]*Customer
	ids       []int64 // customer ids, ascending
	lastTagID int64
	tags      map[int64]*Tag
	tagOrder  []int64 // tag ids, ascending
	fields    []Field
}

// New returns a simulator holding the preset fields and no customers,
// tags or custom fields.
func New(cfg Config) *Server {
	if cfg.AccessKey == "" {
		cfg.AccessKey = DefaultAccessKey
	}
	if cfg.AccessSecret == "" {
		cfg.AccessSecret = DefaultAccessSecret
	}
	if cfg.TenantID == 0 {
		cfg.TenantID = DefaultTenantID
	}
	if cfg.AppKey == "" {
		cfg.AppKey = DefaultAppKey
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FirstID <= 0 {
		cfg.FirstID = DefaultFirstID
	}
	s := &Server{
		cfg:       cfg,
		lastID:    cfg.FirstID - 1,
		customers: map[int64]*Customer{},
		lastTagID: firstTagID - 1,
		tags:      map[int64]*Tag{},
		fields:    presetFields(),
	}
	s.kit = vendortest.New(vendortest.Options{
		Auth:         s.authenticate,
		WriteError:   s.writeError,
		Now:          cfg.Now,
		MaxRecorded:  cfg.MaxRecordedRequests,
		MaxBodyBytes: maxBodyBytes,
	})
	s.kit.Handle(PathQuery, vendortest.Methods{http.MethodPost: s.endpoint(s.query)})
	s.kit.Handle(PathBatchCreate, vendortest.Methods{http.MethodPost: s.endpoint(s.batchCreate)})
	s.kit.Handle(PathFields, vendortest.Methods{http.MethodGet: s.endpoint(s.listFields)})
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// ServeHTTP counts the request, then records it, applies any fault and
// answers as the vendor would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.ServeHTTP(w, r)
}

// InjectFault queues f: the next f.Times matching requests get its answer,
// delay or dropped connection (after handling, with f.AfterHandler).
func (s *Server) InjectFault(f Fault) { s.kit.InjectFault(f) }

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() { s.kit.ClearFaults() }

// Requests returns a copy of the recorded requests, oldest first, including
// those refused or answered by a fault.
func (s *Server) Requests() []RecordedRequest { return s.kit.Requests() }

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() { s.kit.ResetRequests() }

// Calls is the number of requests received, with any method and outcome
// (refused, failed, faulted), whose path starts with pathPrefix; "" counts
// every request.
func (s *Server) Calls(pathPrefix string) int { return s.kit.CallsUnder(pathPrefix) }

// SignatureFailures is the number of requests refused with 1003 (a sign
// that does not match).
func (s *Server) SignatureFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.badSigns
}

// ---- answers ----

// Envelope is every answer of the simulator, success or failure; Message
// is null on success, as in the vendor's sample.
type Envelope struct {
	Code    int     `json:"code"`
	Message *string `json:"message"`
	TraceID string  `json:"traceId"`
	Data    any     `json:"data"`
}

// apiError is a refusal answered with HTTP 200 and a vendor code.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return strconv.Itoa(e.code) + " " + e.msg }

func refuse(code int, format string, args ...any) *apiError {
	return &apiError{code: code, msg: fmt.Sprintf(format, args...)}
}

// invalid is 1002, the code of every bad parameter.
func invalid(format string, args ...any) *apiError {
	return refuse(CodeBadParameter, "invalid parameter: "+format, args...)
}

// writeError answers every refusal: the kit's and the endpoints'.
func (s *Server) writeError(w http.ResponseWriter, _ *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		if ae.code == CodeBadSignature {
			s.mu.Lock()
			s.badSigns++
			s.mu.Unlock()
		}
		writeEnvelope(w, http.StatusOK, ae.code, ae.msg, nil)
	case errors.Is(err, vendortest.ErrNoRoute):
		writeEnvelope(w, http.StatusNotFound, CodeNotFound, "no such endpoint", nil)
	case errors.Is(err, vendortest.ErrMethodNotAllowed):
		writeEnvelope(w, http.StatusMethodNotAllowed, CodeNotAllowed, "request method not supported, use "+w.Header().Get("Allow"), nil)
	case errors.Is(err, vendortest.ErrBodyTooLarge):
		writeEnvelope(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "request body too large", nil)
	case errors.Is(err, vendortest.ErrBodyUnreadable):
		writeEnvelope(w, http.StatusOK, CodeBadParameter, "invalid parameter: unreadable request body", nil)
	default:
		writeEnvelope(w, http.StatusInternalServerError, CodeInternalFailure, "system error", nil)
	}
}

// endpointFunc serves one endpoint of an authenticated request and returns
// the answer's data.
type endpointFunc func(r *http.Request) (any, error)

func (s *Server) endpoint(h endpointFunc) vendortest.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		data, err := h(r)
		if err != nil {
			return err
		}
		writeEnvelope(w, http.StatusOK, CodeOK, "", data)
		return nil
	}
}

// writeEnvelope answers code with message (null when empty) and data,
// under a fresh trace id. int64 values are encoded exactly, as JSON
// integers.
func writeEnvelope(w http.ResponseWriter, status, code int, message string, data any) {
	env := Envelope{Code: code, TraceID: newTraceID(), Data: data}
	if message != "" {
		env.Message = &message
	}
	b, err := marshal(env)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = marshal(Envelope{Code: CodeInternalFailure, Message: ptr("system error"), TraceID: env.TraceID})
	}
	w.Header().Set("Content-Type", jsonType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshal encodes v without escaping <, > and & (text stays as stored).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// newTraceID is 32 lowercase hex digits, fresh for every answer.
func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func ptr[T any](v T) *T { return &v }
