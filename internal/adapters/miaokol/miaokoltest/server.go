package miaokoltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials of the simulated app, used when Config leaves them empty.
const (
	DefaultAppID     = "miaokol-test-app-id"
	DefaultAppSecret = "miaokol-test-app-secret"
)

// DefaultTokenTTL is the lifetime of access tokens (expires_in 7200 s).
const DefaultTokenTTL = 7200 * time.Second

// The errcode values answered. CodeOK and CodeFailure are documented; the
// others follow the WeChat conventions Miaokol's platform uses (see the
// package documentation).
const (
	CodeOK               = 0     // success
	CodeFailure          = 1     // any failed call (the documented 异常), errmsg says why
	CodeInvalidToken     = 40001 // access_token missing, unknown or expired
	CodeInvalidGrantType = 40002 // /oauth/token without grant_type client_credential
	CodeInvalidAppID     = 40013 // app_id missing or not the app's
	CodeInvalidAppSecret = 40125 // /oauth/token with a wrong app_secret
)

// MsgInvalidToken is the errmsg of CodeInvalidToken.
const MsgInvalidToken = "invalid access_token"

const (
	jsonContentType = "application/json; charset=utf-8"
	maxBodyBytes    = 8 << 20
	// The account the app stands for, as the documented /smart-tag/add
	// answer shows it.
	accountUserID  = 2
	smartTagModule = 47
)

// Config configures a [Server]. Zero fields take the defaults noted.
type Config struct {
	// AppID and AppSecret are the app's credentials (defaults DefaultAppID
	// and DefaultAppSecret).
	AppID, AppSecret string
	// TokenTTL is the lifetime of access tokens (default DefaultTokenTTL,
	// 7200 s); /oauth/token answers it in whole seconds as expires_in.
	TokenTTL time.Duration
	// Now is the clock of token expiry and of ctime/utime (default
	// time.Now).
	Now func() time.Time
	// FirstID is the first id handed out (default 1). Groups and tags
	// share one sequence, as the documented examples do (group 1, tags 2
	// and 3).
	FirstID int64
	// MaxRecordedRequests bounds the request log (default 10000, the most
	// recent kept; negative disables recording).
	MaxRecordedRequests int
}

// RecordedRequest is a request as the simulator saw it, after the base path
// was stripped.
type RecordedRequest = vendortest.RecordedRequest

// Fault is a canned answer, delay or dropped connection; see
// [vendortest.Fault]. An empty PathPrefix matches /oauth/token too.
type Fault = vendortest.Fault

// Server is the simulator, an [http.Handler] serving /oauth/token and
// /smart-tag/* from one root. Create it with [New]; every method is safe
// for concurrent use.
type Server struct {
	cfg Config
	kit *vendortest.Sim

	mu       sync.Mutex
	tokens   map[string]time.Time // access token -> expiry
	lastID   int64
	groups   map[int64]*group
	tags     map[int64]*tag
	contacts map[contactKey][]int64 // tag ids, ascending
}

// New returns a simulator with no data.
func New(cfg Config) *Server {
	if cfg.AppID == "" {
		cfg.AppID = DefaultAppID
	}
	if cfg.AppSecret == "" {
		cfg.AppSecret = DefaultAppSecret
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FirstID <= 0 {
		cfg.FirstID = 1
	}
	s := &Server{
		cfg:      cfg,
		tokens:   map[string]time.Time{},
		lastID:   cfg.FirstID - 1,
		groups:   map[int64]*group{},
		tags:     map[int64]*tag{},
		contacts: map[contactKey][]int64{},
	}
	s.kit = vendortest.New(vendortest.Options{
		Auth:         s.authenticate,
		WriteError:   writeError,
		Now:          cfg.Now,
		MaxRecorded:  cfg.MaxRecordedRequests,
		MaxBodyBytes: maxBodyBytes,
	})
	s.routes()
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// newID returns the next id of the sequence groups and tags share.
// Callers hold s.mu.
func (s *Server) newID() int64 {
	s.lastID++
	return s.lastID
}

// routes registers the documented endpoints with their documented methods.
func (s *Server) routes() {
	s.kit.HandlePublic("/oauth/token", vendortest.Methods{http.MethodPost: s.issueToken})
	s.kit.Handle("/smart-tag/list", vendortest.Methods{http.MethodGet: s.query(s.list)})
	s.kit.Handle("/smart-tag/add", vendortest.Methods{http.MethodPost: s.body(s.add)})
	s.kit.Handle("/smart-tag/delete", vendortest.Methods{http.MethodPost: s.body(s.delete)})
	s.kit.Handle("/smart-tag/batchAddTag", vendortest.Methods{http.MethodPost: s.body(s.batchAddTag)})
	s.kit.Handle("/smart-tag/updateContact", vendortest.Methods{http.MethodPost: s.body(s.updateContact)})
}

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
// every request, /oauth/token included.
func (s *Server) Calls(pathPrefix string) int { return s.kit.CallsUnder(pathPrefix) }

// ---- answers ----

// answer is the envelope of every successful call but /smart-tag/list:
// data first, then errcode, as in the documented examples.
type answer struct {
	Data    any `json:"data"`
	Errcode int `json:"errcode"`
}

// ErrorBody is the answer to a refused call: HTTP 200 (404, 405, 413 or
// 400 for an unknown path, a wrong method, a body over 8 MiB or one that
// could not be read).
type ErrorBody struct {
	Data    any    `json:"data"` // always null
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// ErrorJSON is the body the simulator answers a refusal with, for faults
// that imitate one (such as a CodeFailure the simulator would not give).
func ErrorJSON(errcode int, errmsg string) string {
	b, _ := marshal(ErrorBody{Errcode: errcode, Errmsg: errmsg})
	return string(b)
}

// apiError is a refused call.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return "errcode " + strconv.Itoa(e.code) + ": " + e.msg }

// failure is a CodeFailure refusal with a Chinese errmsg.
func failure(format string, args ...any) *apiError {
	return &apiError{code: CodeFailure, msg: fmt.Sprintf(format, args...)}
}

var errInvalidToken = &apiError{code: CodeInvalidToken, msg: MsgInvalidToken}

// writeError answers every refusal: the kit's own and the handlers'.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	status, body := http.StatusOK, ErrorBody{Errcode: CodeFailure, Errmsg: "系统繁忙,请稍后再试"}
	switch {
	case errors.As(err, &ae):
		body = ErrorBody{Errcode: ae.code, Errmsg: ae.msg}
	case errors.Is(err, vendortest.ErrNoRoute):
		status, body.Errmsg = http.StatusNotFound, "接口不存在: "+r.URL.Path
	case errors.Is(err, vendortest.ErrMethodNotAllowed):
		status, body.Errmsg = http.StatusMethodNotAllowed, "不支持的请求方式"+r.Method+",请使用"+w.Header().Get("Allow")
	case errors.Is(err, vendortest.ErrBodyTooLarge):
		status, body.Errmsg = http.StatusRequestEntityTooLarge, "请求体过大"
	case errors.Is(err, vendortest.ErrBodyUnreadable):
		status, body.Errmsg = http.StatusBadRequest, "请求体读取失败"
	}
	writeJSON(w, status, body)
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status = http.StatusOK
		b, _ = marshal(ErrorBody{Errcode: CodeFailure, Errmsg: "系统繁忙,请稍后再试"})
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ---- admission ----

// authenticate is the kit's Auth for /smart-tag/* (and unknown paths): a
// POST carries app_id and access_token in its JSON body, any other method
// in the URL query. The token is checked before the app_id.
func (s *Server) authenticate(r *http.Request) error {
	var appID, token string
	if r.Method == http.MethodPost {
		b, err := readBody(r)
		if err != nil {
			return err
		}
		if token, err = b.optionalString("access_token"); err != nil {
			return err
		}
		if appID, err = b.optionalString("app_id"); err != nil {
			return err
		}
	} else {
		q := r.URL.Query()
		token, appID = q.Get("access_token"), q.Get("app_id")
	}
	if !s.validToken(token) {
		return errInvalidToken
	}
	if appID != s.cfg.AppID {
		return &apiError{code: CodeInvalidAppID, msg: "invalid appid"}
	}
	return nil
}

// query serves a GET endpoint; its parameters are the URL query's.
func (s *Server) query(h func(q queryParams) (any, error)) vendortest.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := h(queryParams(r.URL.Query()))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// body serves a POST endpoint; its parameters are the JSON body's and its
// answer is {"data": …, "errcode": 0}.
func (s *Server) body(h func(b jsonBody) (any, error)) vendortest.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		b, err := readBody(r)
		if err != nil {
			return err
		}
		data, err := h(b)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, answer{Data: data})
		return nil
	}
}
