package meihuatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Credentials and callback of the simulated app, used when Config leaves
// them empty.
const (
	DefaultClientID     = "meihua-test-client-id"     // the app_key
	DefaultClientSecret = "meihua-test-client-secret" // the app_secret
	DefaultRedirectURI  = "https://gateway.example.com/meihua/callback"
	// DefaultAccountID is the account the app stands for: the "id" of
	// /contact/setting and the "accountId" of contacts and groups.
	DefaultAccountID int64 = 7
)

const (
	defaultAccessTokenTTL = 24 * time.Hour
	defaultCodeTTL        = 10 * time.Minute
	maxBodyBytes          = 8 << 20
	maxContactsPerAdd     = 1000
	maxContactPageSize    = 50
	jsonContentType       = "application/json;charset=UTF-8"
)

// Plan is the account's edition, which sets its hourly API budget and its
// contact cap.
type Plan int

// The editions. The documentation publishes the budgets of gold (2000
// calls an hour) and diamond (4000) and the caps of free (5000), gold
// (100000) and the expired editions (5000); the rest is the simulator's
// choice, explained in the package documentation.
const (
	PlanGold           Plan = iota // 2000 calls an hour, 100000 contacts (E00003)
	PlanDiamond                    // 4000 calls an hour, no contact cap
	PlanFree                       // 1000 calls an hour, 5000 contacts (E00001)
	PlanGoldExpired                // 1000 calls an hour, 5000 contacts (E00002)
	PlanDiamondExpired             // 1000 calls an hour, 5000 contacts (E00004)
)

// String names the plan.
func (p Plan) String() string {
	switch p {
	case PlanGold:
		return "gold"
	case PlanDiamond:
		return "diamond"
	case PlanFree:
		return "free"
	case PlanGoldExpired:
		return "gold (expired)"
	case PlanDiamondExpired:
		return "diamond (expired)"
	}
	return "Plan(" + strconv.Itoa(int(p)) + ")"
}

// limits are what a plan allows; contactCap 0 is no cap.
type limits struct {
	callsPerHour int
	contactCap   int
	capCode      string
}

func (p Plan) limits() limits {
	switch p {
	case PlanDiamond:
		// No documented cap: the refusal, reachable only with
		// Config.ContactCap, borrows the code of the highest documented cap.
		return limits{4000, 0, CodeGoldCap}
	case PlanFree:
		return limits{1000, 5000, CodeFreeCap}
	case PlanGoldExpired:
		return limits{1000, 5000, CodeGoldExpiredCap}
	case PlanDiamondExpired:
		return limits{1000, 5000, CodeDiamondExpiredCap}
	}
	return limits{2000, 100000, CodeGoldCap}
}

// Config configures a [Server]. Zero fields take the defaults noted.
type Config struct {
	// ClientID and ClientSecret are the app's app_key and app_secret
	// (defaults DefaultClientID and DefaultClientSecret).
	ClientID, ClientSecret string
	// RedirectURI is the app's registered callback; /authorize and the code
	// exchange require exactly this value (default DefaultRedirectURI).
	RedirectURI string
	// AccountID is the account the app stands for (default DefaultAccountID).
	AccountID int64
	// Plan is the account's edition (default PlanGold).
	Plan Plan
	// CallsPerHour overrides the plan's hourly API budget when > 0.
	CallsPerHour int
	// ContactCap overrides the plan's contact cap when > 0.
	ContactCap int
	// AccessTokenTTL is the lifetime of access tokens (default 24h, as
	// documented).
	AccessTokenTTL time.Duration
	// KeepRefreshTokens makes a refresh answer the refresh token it was
	// given; by default every refresh answers a new refresh token and the
	// old one stops working.
	KeepRefreshTokens bool
	// CodeTTL is the lifetime of authorization codes, which are single use
	// (default 10 minutes).
	CodeTTL time.Duration
	// FirstID is the first id handed out (default 1). Contacts, groups,
	// tags, properties, sources and EDM tasks share one sequence.
	FirstID int64
	// Now is the clock of token and code expiry, timestamps and the hourly
	// window (default time.Now).
	Now func() time.Time
	// MaxRecordedRequests bounds the request log (default 10000, the most
	// recent kept; negative disables recording).
	MaxRecordedRequests int
}

// RecordedRequest is a request as the simulator saw it, after the base path
// was stripped.
type RecordedRequest = vendortest.RecordedRequest

// Fault is a canned answer, delay or dropped connection; see
// [vendortest.Fault]. An empty PathPrefix matches the OAuth endpoints too.
type Fault = vendortest.Fault

// Server is the simulator, an [http.Handler] serving the paths of both
// Meihua hosts. Create it with [New]; every method is safe for concurrent
// use.
type Server struct {
	cfg    Config
	limits limits
	kit    *vendortest.Sim

	mu sync.Mutex
	// OAuth
	codes         map[string]authCode
	access        map[string]time.Time // access token -> expiry
	refresh       map[string]bool      // live refresh tokens
	denial        *denial
	refreshCalls  int
	codeExchanges int
	// API admission
	window   int64 // start of the current hour, epoch seconds
	used     int   // calls counted in it
	denied   []string
	failNext []string
	apiCalls int
	// the account's data
	lastID    int64
	contacts  map[int64]*Contact
	byEmail   map[string][]int64 // normalised email -> contact ids, ascending
	opLogs    map[int64][]opLog
	groups    map[int64]*Group
	tags      map[int64]*Tag
	props     map[int64]*Property
	sources   map[string]int64 // source name -> source id
	edmTasks  map[int64]*EDMTask
	accountID string
}

// New returns a simulator with no data.
func New(cfg Config) *Server {
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = DefaultClientSecret
	}
	if cfg.RedirectURI == "" {
		cfg.RedirectURI = DefaultRedirectURI
	}
	if cfg.AccountID == 0 {
		cfg.AccountID = DefaultAccountID
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = defaultAccessTokenTTL
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = defaultCodeTTL
	}
	if cfg.FirstID <= 0 {
		cfg.FirstID = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	lim := cfg.Plan.limits()
	if cfg.CallsPerHour > 0 {
		lim.callsPerHour = cfg.CallsPerHour
	}
	if cfg.ContactCap > 0 {
		lim.contactCap = cfg.ContactCap
	}
	s := &Server{
		cfg:       cfg,
		limits:    lim,
		codes:     map[string]authCode{},
		access:    map[string]time.Time{},
		refresh:   map[string]bool{},
		lastID:    cfg.FirstID - 1,
		contacts:  map[int64]*Contact{},
		byEmail:   map[string][]int64{},
		opLogs:    map[int64][]opLog{},
		groups:    map[int64]*Group{},
		tags:      map[int64]*Tag{},
		props:     map[int64]*Property{},
		sources:   map[string]int64{},
		edmTasks:  map[int64]*EDMTask{},
		accountID: strconv.FormatInt(cfg.AccountID, 10),
	}
	s.kit = vendortest.New(vendortest.Options{
		Auth:         s.checkToken,
		WriteError:   writeError,
		Now:          cfg.Now,
		MaxRecorded:  cfg.MaxRecordedRequests,
		MaxBodyBytes: maxBodyBytes,
	})
	s.routes()
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// nowMillis is the clock in epoch milliseconds, the vendor's timestamps.
func (s *Server) nowMillis() int64 { return s.now().UnixMilli() }

// newID returns the next id of the shared sequence. Callers hold s.mu.
func (s *Server) newID() int64 {
	s.lastID++
	return s.lastID
}

// useID keeps a given id (moving the sequence past it) or hands out the
// next one. Callers hold s.mu.
func (s *Server) useID(id int64) int64 {
	if id <= 0 {
		return s.newID()
	}
	s.lastID = max(s.lastID, id)
	return id
}

// routes registers both hosts' endpoints with their documented methods.
func (s *Server) routes() {
	get, post := http.MethodGet, http.MethodPost
	s.kit.HandlePublic("/authorize", vendortest.Methods{get: s.authorize})
	s.kit.HandlePublic("/access_token", vendortest.Methods{post: s.accessToken})

	api := func(path, method string, h apiFunc) {
		s.kit.Handle(path, vendortest.Methods{method: s.api(h)})
	}
	api("/contact/setting", get, s.contactSetting)
	api("/contact/add", post, s.addContacts)
	api("/contact/delete", post, s.deleteContacts)
	api("/contact/edit", post, s.editContacts)
	api("/contact/detail", get, s.contactDetail)
	api("/contact/all", get, s.listContacts)
	api("/contact/group/add", post, s.addGroup)
	api("/contact/group/delete", post, s.deleteGroups)
	api("/contact/group/all", get, s.listGroups)
	api("/contact/tag/add", post, s.addTag)
	api("/contact/tag/all", get, s.listTags)
	api("/contact/property/add", post, s.addProperty)
	api("/contact/property/edit", post, s.editProperty)
	api("/contact/property/all", post, s.listProperties)
	api("/contact/property/delete", post, s.deleteProperty)
	api("/edm/tasks", get, s.listEDMTasks)
	api("/edm/task/detail", get, s.edmTaskDetail)
}

// ServeHTTP counts token grants, then the kit records the request,
// applies any fault and answers as the vendor would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if r.Method == http.MethodPost && r.URL.Path == "/access_token" {
		switch r.URL.Query().Get("grant_type") {
		case grantRefresh:
			s.refreshCalls++
		case grantCode:
			s.codeExchanges++
		}
	}
	s.mu.Unlock()
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
// every request, the OAuth endpoints included.
func (s *Server) Calls(pathPrefix string) int { return s.kit.CallsUnder(pathPrefix) }

// APICalls is the number of calls counted against the hourly budget since
// the simulator started: calls with a valid token to a documented endpoint
// with its documented method, whatever they answered.
func (s *Server) APICalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiCalls
}

// CallsThisHour is the number of calls counted in the current hourly
// window (see [Server.APICalls]).
func (s *Server) CallsThisHour() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.window != hourStart(s.now()) {
		return 0
	}
	return s.used
}

// DenyAPI makes calls to pathPrefix ("" for every endpoint) answer E10102,
// as for an app without permission to that API, until [Server.AllowAPI].
func (s *Server) DenyAPI(pathPrefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = append(s.denied, pathPrefix)
}

// AllowAPI lifts every DenyAPI.
func (s *Server) AllowAPI() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = nil
}

// FailNext makes the next API call that passes the token, budget and
// permission checks answer code (such as E10001, a server error) with its
// documented message, doing nothing. Calls queue up: n calls fail the next
// n API calls in order.
func (s *Server) FailNext(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, code)
}

// ---- error answers ----

// The documented error codes.
const (
	CodeServerError       = "E10001" // server error
	CodeInvalidToken      = "E10101" // missing, unknown or expired token
	CodeNoPermission      = "E10102" // no permission to the API
	CodeMissingParameter  = "E10103" // a parameter is missing (or invalid)
	CodeRateLimited       = "E10104" // hourly API budget used up
	CodeFreeCap           = "E00001" // free edition, at most 5000 contacts
	CodeGoldExpiredCap    = "E00002" // expired gold edition, at most 5000
	CodeGoldCap           = "E00003" // gold edition, at most 100000
	CodeDiamondExpiredCap = "E00004" // expired diamond edition, at most 5000
	CodeTooManyContacts   = "E00005" // more than 1000 contacts in one add
)

var messages = map[string]string{
	CodeServerError:       "服务器异常",
	CodeInvalidToken:      "无效的Token",
	CodeNoPermission:      "无权限访问API",
	CodeMissingParameter:  "参数缺失",
	CodeRateLimited:       "API调用频繁,已超过每小时限额",
	CodeFreeCap:           "当前版本为免费版,联系人总数量不能超过5000",
	CodeGoldExpiredCap:    "您的金装版已过期,联系人总数量不能超过5000",
	CodeGoldCap:           "您当前为金装版,联系人总数量不能超过100000",
	CodeDiamondExpiredCap: "您的钻石版已过期,联系人总数量不能超过5000",
	CodeTooManyContacts:   "每次提交导入联系人总数量不能超过1000条",
}

// Message is the vendor's message for a documented code ("" for another).
func Message(code string) string { return messages[code] }

// ErrorBody is the answer to a refused API call, sent with HTTP 200 (with
// 404 or 405 for an unknown path or method).
type ErrorBody struct {
	Success bool   `json:"success"`
	Code    string `json:"code"`
	Msg     string `json:"msg"`
}

// OAuthError is the answer to a refused OAuth request.
type OAuthError struct {
	ErrorDescription string `json:"error_description"`
	Error            string `json:"error"`
}

// apiError is a refused API call; reason is for Go-side messages only, the
// answer carries the documented message.
type apiError struct {
	code, reason string
}

func (e *apiError) Error() string { return e.code + " " + messages[e.code] + ": " + e.reason }

func vendorError(code, format string, args ...any) *apiError {
	return &apiError{code: code, reason: fmt.Sprintf(format, args...)}
}

// invalid is E10103, the only code the vendor documents for a bad
// parameter.
func invalid(format string, args ...any) *apiError {
	return vendorError(CodeMissingParameter, format, args...)
}

type oauthError struct {
	status      int
	code, descr string
}

func (e *oauthError) Error() string { return e.code + ": " + e.descr }

func oauthRefusal(status int, code, format string, args ...any) *oauthError {
	return &oauthError{status: status, code: code, descr: fmt.Sprintf(format, args...)}
}

func isOAuthPath(p string) bool { return p == "/authorize" || p == "/access_token" }

// writeError answers every refusal: the kit's own and the handlers'.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var oe *oauthError
	switch {
	case errors.As(err, &oe):
		writeJSON(w, oe.status, OAuthError{Error: oe.code, ErrorDescription: oe.descr})
	case errors.As(err, &ae):
		writeJSON(w, http.StatusOK, ErrorBody{Code: ae.code, Msg: messages[ae.code]})
	case errors.Is(err, vendortest.ErrMethodNotAllowed) && isOAuthPath(r.URL.Path):
		writeJSON(w, http.StatusMethodNotAllowed, OAuthError{Error: "invalid_request",
			ErrorDescription: "method " + r.Method + " is not allowed, use " + w.Header().Get("Allow")})
	case errors.Is(err, vendortest.ErrMethodNotAllowed):
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Code: "METHOD_NOT_ALLOWED", Msg: "请求方式不支持: " + r.Method})
	case errors.Is(err, vendortest.ErrNoRoute):
		writeJSON(w, http.StatusNotFound, ErrorBody{Code: "NOT_FOUND", Msg: "接口不存在: " + r.URL.Path})
	case errors.Is(err, vendortest.ErrBodyTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, ErrorBody{Code: "PAYLOAD_TOO_LARGE", Msg: "请求体过大"})
	default:
		writeJSON(w, http.StatusOK, ErrorBody{Code: CodeServerError, Msg: messages[CodeServerError]})
	}
}

// success is the envelope of every successful API answer.
type success struct {
	Success bool `json:"success"`
	Data    any  `json:"data"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusOK
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(ErrorBody{Code: CodeServerError, Msg: messages[CodeServerError]})
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ---- API admission ----

// checkToken is the kit's Auth: the token comes from the URL query only.
func (s *Server) checkToken(r *http.Request) error {
	tok := r.URL.Query().Get("token")
	if tok == "" {
		return vendorError(CodeInvalidToken, "no token in the URL query")
	}
	s.mu.Lock()
	exp, ok := s.access[tok]
	now := s.now()
	s.mu.Unlock()
	switch {
	case !ok:
		return vendorError(CodeInvalidToken, "unknown token")
	case !now.Before(exp):
		return vendorError(CodeInvalidToken, "token expired")
	}
	return nil
}

// apiFunc serves one endpoint and returns the answer's data.
type apiFunc func(p params) (any, error)

// api wraps an endpoint with the admission checks, after the token: the
// hourly budget, the permission, a queued failure; then the parameters.
func (s *Server) api(h apiFunc) vendortest.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.admit(r.URL.Path); err != nil {
			return err
		}
		p, err := readParams(r)
		if err != nil {
			return err
		}
		data, err := h(p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, success{Success: true, Data: data})
		return nil
	}
}

var cst = time.FixedZone("CST", 8*60*60)

// hourStart is the start of t's clock hour in China Standard Time.
func hourStart(t time.Time) int64 {
	t = t.In(cst)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, cst).Unix()
}

func (s *Server) admit(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiCalls++
	if w := hourStart(s.now()); w != s.window {
		s.window, s.used = w, 0
	}
	s.used++
	if s.used > s.limits.callsPerHour {
		return vendorError(CodeRateLimited, "call %d this hour, the budget is %d", s.used, s.limits.callsPerHour)
	}
	if slices.ContainsFunc(s.denied, func(p string) bool { return strings.HasPrefix(path, p) }) {
		return vendorError(CodeNoPermission, "%s is denied", path)
	}
	if len(s.failNext) > 0 {
		code := s.failNext[0]
		s.failNext = s.failNext[1:]
		return vendorError(code, "FailNext")
	}
	return nil
}

// ---- parameters ----

// params are a call's parameters: the URL query, and on a POST with a
// form-encoded body the body's fields. The query wins when a name is in
// both, as a Java servlet's getParameter does.
type params struct {
	query, form url.Values
}

func readParams(r *http.Request) (params, error) {
	p := params{query: r.URL.Query()}
	if r.Method != http.MethodPost {
		return p, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return p, nil // like a servlet, other bodies are not parameters
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return p, invalid("unreadable body: %v", err)
	}
	if p.form, err = url.ParseQuery(string(body)); err != nil {
		return p, invalid("malformed form body: %v", err)
	}
	return p, nil
}

// get reads a parameter, reporting whether it was sent at all.
func (p params) get(name string) (string, bool) {
	if vs, ok := p.query[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	if vs, ok := p.form[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// optional reads a parameter, trimmed; blank is absent.
func (p params) optional(name string) string {
	v, _ := p.get(name)
	return strings.TrimSpace(v)
}

// required reads a parameter that must not be missing or blank.
func (p params) required(name string) (string, error) {
	v := p.optional(name)
	if v == "" {
		return "", invalid("%s is required", name)
	}
	return v, nil
}

func (p params) requiredInt(name string) (int64, error) {
	v, err := p.required(name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, invalid("%s must be an integer, got %q", name, v)
	}
	return n, nil
}

// page reads the 1-based page and the limit, which must be at least 1 and,
// when maxLimit > 0, at most maxLimit.
func (p params) page(maxLimit int64) (page, limit int64, err error) {
	if page, err = p.requiredInt("page"); err != nil {
		return 0, 0, err
	}
	if limit, err = p.requiredInt("limit"); err != nil {
		return 0, 0, err
	}
	if page < 1 {
		return 0, 0, invalid("page starts at 1, got %d", page)
	}
	if limit < 1 || (maxLimit > 0 && limit > maxLimit) {
		return 0, 0, invalid("limit must be between 1 and %d, got %d", maxLimit, limit)
	}
	return page, limit, nil
}

// pageBounds is the [lo, hi) slice of n items that a 1-based page covers.
func pageBounds(n int, page, limit int64) (lo, hi int) {
	start := (page - 1) * limit
	if start >= int64(n) {
		return n, n
	}
	return int(start), int(min(start+limit, int64(n)))
}

// jsonParam decodes a parameter that carries a JSON document; numbers are
// kept as [json.Number]. A missing, blank or malformed document is E10103.
func (p params) jsonParam(name string, v any) error {
	raw, err := p.required(name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return invalid("%s is not valid JSON: %v", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("%s has data after its JSON value", name)
	}
	return nil
}

// requiredIDs is [params.idList] where an empty array counts as missing.
func (p params) requiredIDs(name string) ([]int64, error) {
	ids, err := p.idList(name)
	if err == nil && len(ids) == 0 {
		err = invalid("%s is an empty array", name)
	}
	return ids, err
}

// idList decodes a parameter holding a JSON array of integer ids, such as
// "[1,2]"; ids given as strings are refused.
func (p params) idList(name string) ([]int64, error) {
	var raw []any
	if err := p.jsonParam(name, &raw); err != nil {
		return nil, err
	}
	ids := make([]int64, len(raw))
	for i, v := range raw {
		id, ok := integer(v)
		if !ok {
			return nil, invalid("%s[%d] is not an integer id: %v", name, i, v)
		}
		ids[i] = id
	}
	return ids, nil
}

// integer reads a JSON number decoded with UseNumber that is an int64;
// strings, fractions and other types are not.
func integer(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(n.String(), 10, 64)
	return i, err == nil
}
