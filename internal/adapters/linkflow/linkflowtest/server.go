package linkflowtest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
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

// Default credentials used when Config leaves them empty.
const (
	DefaultAppKey    = "linkflow-test-app-key"
	DefaultAppSecret = "linkflow-test-app-secret"
)

const (
	defaultTokenTTL          = 2 * time.Hour
	defaultMaxGroups         = 1000
	defaultMaxMembersPerCall = 500
	defaultOrderPageSize     = 100
	maxBodyBytes             = 8 << 20
	jsonContentType          = "application/json;charset=UTF-8"
)

// Config configures a [Server]. Zero fields take the documented or sensible
// defaults noted on each field.
type Config struct {
	// AppKey and AppSecret are the credentials accepted by GET /token
	// (defaults DefaultAppKey and DefaultAppSecret).
	AppKey, AppSecret string
	// TokenTTL is the lifetime of issued tokens (default 2h; the vendor does
	// not publish it).
	TokenTTL time.Duration
	// ExpirationAsEpochMillis answers the token `expiration` as an epoch
	// milliseconds number instead of a "yyyy-MM-dd HH:mm:ss" CST string.
	ExpirationAsEpochMillis bool
	// MaxGroups is the group count limit answered with 412 B00157 (default 1000).
	MaxGroups int
	// Now is the clock (default time.Now).
	Now func() time.Time

	// SingleActiveToken makes each issued token revoke the earlier ones.
	SingleActiveToken bool
	// RejectUnknownEventIdentity makes POST /ude answer 404 B00008 when no
	// identity (channelType, channelId, externalId) exists, instead of
	// creating the contact.
	RejectUnknownEventIdentity bool
	// MaxMembersPerCall is the number of contact ids accepted by one add or
	// remove group members call, B00031 above it (default 500).
	MaxMembersPerCall int
	// OrderPageSize is the number of orders answered per page or cursor batch
	// (default 100).
	OrderPageSize int
	// MaxRecordedRequests bounds the request log kept for Requests (the most
	// recent are kept; default 10000, negative disables recording).
	MaxRecordedRequests int
}

// RecordedRequest is a request received by the simulator, as seen by the
// handler (after any base path was stripped).
type RecordedRequest = vendortest.RecordedRequest

// Fault is a canned answer given instead of normal handling; see
// [vendortest.Fault]. An empty PathPrefix matches every path, /token
// included.
type Fault = vendortest.Fault

type chanKey struct{ typ, id string }

type identKey struct {
	channel    int64
	externalID string
}

type member struct {
	ID          int64
	GroupID     int64
	ContactID   int64
	DateCreated time.Time
	LastUpdated time.Time
}

// Server is the simulator. Create it with [New].
type Server struct {
	cfg Config
	kit *vendortest.Sim

	mu          sync.Mutex
	lastID      int64
	tokens      map[string]time.Time
	contacts    map[int64]*Contact
	channels    map[int64]*Channel
	channelIdx  map[chanKey]int64
	identities  map[int64]*Identity
	identityIdx map[identKey]int64
	byContact   map[int64][]int64 // contact id -> identity ids
	properties  map[int64]*Property
	groups      map[int64]*Group
	members     map[int64]map[int64]*member // group id -> contact id -> member
	folders     map[int64]*Folder
	tags        map[int64]*Tag
	events      map[int64]*Event
	orders      map[int64]*Order
}

// New returns a simulator with empty state. Zero Config fields take
// documented or sensible defaults.
func New(cfg Config) *Server {
	if cfg.AppKey == "" {
		cfg.AppKey = DefaultAppKey
	}
	if cfg.AppSecret == "" {
		cfg.AppSecret = DefaultAppSecret
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = defaultTokenTTL
	}
	if cfg.MaxGroups <= 0 {
		cfg.MaxGroups = defaultMaxGroups
	}
	if cfg.MaxMembersPerCall <= 0 {
		cfg.MaxMembersPerCall = defaultMaxMembersPerCall
	}
	if cfg.OrderPageSize <= 0 {
		cfg.OrderPageSize = defaultOrderPageSize
	}
	s := &Server{
		cfg:         cfg,
		tokens:      map[string]time.Time{},
		contacts:    map[int64]*Contact{},
		channels:    map[int64]*Channel{},
		channelIdx:  map[chanKey]int64{},
		identities:  map[int64]*Identity{},
		identityIdx: map[identKey]int64{},
		byContact:   map[int64][]int64{},
		properties:  map[int64]*Property{},
		groups:      map[int64]*Group{},
		members:     map[int64]map[int64]*member{},
		folders:     map[int64]*Folder{},
		tags:        map[int64]*Tag{},
		events:      map[int64]*Event{},
		orders:      map[int64]*Order{},
	}
	s.kit = vendortest.New(vendortest.Options{
		Auth:         s.authorize,
		WriteError:   writeKitError,
		Now:          cfg.Now,
		MaxRecorded:  cfg.MaxRecordedRequests,
		MaxBodyBytes: maxBodyBytes,
	})
	s.routes()
	return s
}

func (s *Server) now() time.Time { return s.kit.Now() }

// newID returns the next id of the shared sequence. Callers hold s.mu.
func (s *Server) newID() int64 {
	s.lastID++
	return s.lastID
}

// useID returns id when it is set (advancing the sequence past it) or a new
// id otherwise. Callers hold s.mu.
func (s *Server) useID(id int64) int64 {
	if id <= 0 {
		return s.newID()
	}
	if id > s.lastID {
		s.lastID = id
	}
	return id
}

// ServeHTTP records the request, applies any matching fault and otherwise
// answers as the vendor would.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.kit.ServeHTTP(w, r) }

// InjectFault makes the next f.Times requests matching f get the fault's
// answer instead of normal handling.
func (s *Server) InjectFault(f Fault) { s.kit.InjectFault(f) }

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() { s.kit.ClearFaults() }

// ExpireTokens makes every token issued so far stop working.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// TokenCalls is the number of GET /token calls received, successful or not
// (including calls answered by a fault).
func (s *Server) TokenCalls() int { return s.kit.Calls(http.MethodGet, "/token") }

// Requests returns a copy of every request received (bounded by
// Config.MaxRecordedRequests), oldest first.
func (s *Server) Requests() []RecordedRequest { return s.kit.Requests() }

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() { s.kit.ResetRequests() }

// Updates returns the bodies of the updates (PUT /v2/contacts/{id}) of a
// contact among the recorded requests, oldest first, with numbers as
// [encoding/json.Number]; a body that is not a JSON object is nil.
func (s *Server) Updates(contactID int64) []map[string]any {
	path := "/v2/contacts/" + strconv.FormatInt(contactID, 10)
	var out []map[string]any
	for _, r := range s.Requests() {
		if r.Method != http.MethodPut || r.Path != path {
			continue
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		if dec.Decode(&m) != nil {
			m = nil
		}
		out = append(out, m)
	}
	return out
}

// ---- errors and responses ----

const (
	codeGroupExists   = "B00001"
	codeNotFound      = "B00008"
	codeInvalid       = "B00010"
	codeQueryLimit    = "B00030"
	codeTooMany       = "B00031"
	codePageLimit     = "B00093"
	codeGroupLimit    = "B00157"
	codeUnauthorized  = "UNAUTHORIZED"
	codeNoRoute       = "NOT_FOUND"
	codeBadMethod     = "METHOD_NOT_ALLOWED"
	codeBadMediaType  = "UNSUPPORTED_MEDIA_TYPE"
	statusQueryLimit  = http.StatusInternalServerError // B00030
	statusPageLimit   = http.StatusInternalServerError // B00093
	statusTagsInvalid = http.StatusInternalServerError // B00010 on /v1/tags
)

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// apiError is an error answer produced by a handler step.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func invalid(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalid, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, codeNotFound, fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Status: status, Code: code, Message: msg})
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.code, ae.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, "INTERNAL_ERROR", err.Error())
}

// writeKitError answers the kit's own refusals with Linkflow's error body;
// a refused token and a handler's error are already *apiError.
func writeKitError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, vendortest.ErrNoRoute):
		writeError(w, http.StatusNotFound, codeNoRoute, "no such endpoint: "+r.Method+" "+r.URL.Path)
	case errors.Is(err, vendortest.ErrMethodNotAllowed):
		writeError(w, http.StatusMethodNotAllowed, codeBadMethod, r.Method+" is not supported on "+r.URL.Path)
	case errors.Is(err, vendortest.ErrBodyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "request body exceeds 8 MiB")
	case errors.Is(err, vendortest.ErrBodyUnreadable):
		writeError(w, http.StatusBadRequest, codeInvalid, "could not read request body")
	default:
		writeAPIError(w, err)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		w.Header().Set("Content-Type", jsonContentType)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, `{"status":500,"code":"INTERNAL_ERROR","message":%q}`+"\n", err.Error())
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ---- routing ----

// routes registers every endpoint; all but /token need a valid token, which
// the kit checks before the method.
func (s *Server) routes() {
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete

	s.kit.HandlePublic("/token", vendortest.Methods{get: s.getToken})

	// Contacts (older guide and CDP variants).
	s.kit.Handle("/contacts", vendortest.Methods{get: s.listContacts})
	s.kit.Handle("/open/contacts", vendortest.Methods{get: s.listContacts})
	s.kit.Handle("/identifiers", vendortest.Methods{get: s.lookupIdentifier, post: s.identify})
	s.kit.Handle("/contacts/meta/userfields", vendortest.Methods{get: s.listUserFields})
	s.kit.Handle("/v2/contacts/meta/properties", vendortest.Methods{get: s.listProperties})
	s.kit.Handle("/v2/contacts", vendortest.Methods{get: s.lookupContacts})
	s.kit.Handle("/v2/contacts_bulk", vendortest.Methods{get: s.bulkContacts})
	s.kit.Handle("/open/contacts_bulk", vendortest.Methods{get: s.bulkContacts})
	s.kit.Handle("/v2/contacts_bulk/ids", vendortest.Methods{get: s.contactIDsByUpdateTime})
	s.kit.Handle("/open/contacts_bulk/ids", vendortest.Methods{get: s.contactIDsByUpdateTime})
	s.kit.Handle("/v2/contacts/{id}", vendortest.Methods{put: s.updateContact})
	s.kit.Handle("/v1/wx/{appId}/user", vendortest.Methods{get: s.wechatUser})
	s.kit.Handle("/contacts/{id}/identities", vendortest.Methods{get: s.listIdentities})

	// Channels.
	s.kit.Handle("/udc", vendortest.Methods{post: s.createUDC})
	s.kit.Handle("/channels/meta/types", vendortest.Methods{get: s.listChannelTypes})

	// Events.
	s.kit.Handle("/ude", vendortest.Methods{post: s.recordEvent})
	s.kit.Handle("/contacts/{id}/events", vendortest.Methods{get: s.listContactEvents})
	s.kit.Handle("/events/lite", vendortest.Methods{get: s.listEventsLite})

	// Groups.
	for _, p := range []string{"/v2", "/open"} {
		s.kit.Handle(p+"/groups", vendortest.Methods{get: s.queryGroups(p == "/open"), post: s.createGroup})
		s.kit.Handle(p+"/contacts/{id}/groups", vendortest.Methods{get: s.contactGroups})
		s.kit.Handle(p+"/groups/{id}/contacts", vendortest.Methods{get: s.listMembers, post: s.addMembers, del: s.removeMembers})
	}

	// CDP extras.
	s.kit.Handle("/open/folders", vendortest.Methods{get: s.listFolders})
	s.kit.Handle("/v1/tags", vendortest.Methods{get: s.listTags})
	s.kit.Handle("/v1/tags/tagkeys/{tagKey}/calculate", vendortest.Methods{post: s.calculateTag})
	s.kit.Handle("/open/orders", vendortest.Methods{get: s.listOrders})
	s.kit.Handle("/open/shorturl", vendortest.Methods{post: s.createShortURL})
}

// ---- tokens ----

func (s *Server) authorize(r *http.Request) error {
	tok := r.Header.Get("X-OpenApi-Token")
	if tok == "" {
		return &apiError{http.StatusUnauthorized, codeUnauthorized, "missing X-OpenApi-Token header"}
	}
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	now := s.now()
	s.mu.Unlock()
	if !ok {
		return &apiError{http.StatusUnauthorized, codeUnauthorized, "unknown or revoked access token"}
	}
	if !now.Before(exp) {
		return &apiError{http.StatusUnauthorized, codeUnauthorized, "access token expired"}
	}
	return nil
}

type tokenResponse struct {
	Expiration any    `json:"expiration"`
	Token      string `json:"token"`
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) error {
	key, secret := r.Header.Get("X-OpenApi-Key"), r.Header.Get("X-OpenApi-Secret")
	if key == "" || secret == "" {
		return &apiError{http.StatusUnauthorized, codeUnauthorized, "X-OpenApi-Key and X-OpenApi-Secret headers are required"}
	}
	keyOK := subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.AppKey)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.AppSecret)) == 1
	if !keyOK || !secretOK {
		return &apiError{http.StatusUnauthorized, codeUnauthorized, "invalid app key or app secret"}
	}
	tok := newToken()
	s.mu.Lock()
	now := s.now()
	exp := now.Add(s.cfg.TokenTTL)
	if s.cfg.SingleActiveToken {
		clear(s.tokens)
	}
	for t, e := range s.tokens {
		if !now.Before(e) {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = exp
	s.mu.Unlock()
	resp := tokenResponse{Token: tok}
	if s.cfg.ExpirationAsEpochMillis {
		resp.Expiration = exp.UnixMilli()
	} else {
		resp.Expiration = FormatTime(exp)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// newToken mimics the vendor's tokens: base64 of "<tenant>-<uuid>".
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	uuid := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	return base64.StdEncoding.EncodeToString([]byte("1-" + uuid))
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// ---- request parsing helpers ----

// decodeBody decodes a JSON request body into v. The Content-Type, when
// present, must be JSON.
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &apiError{http.StatusUnsupportedMediaType, codeBadMediaType, "Content-Type " + ct + " is not supported, send application/json"}
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return invalid("could not read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid("request body is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return invalid("malformed JSON body: %v", err)
	}
	if dec.More() {
		return invalid("malformed JSON body: trailing data after the JSON value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("malformed JSON body: trailing data after the JSON value")
	}
	return nil
}

// decodeObject decodes a JSON object body into its top-level members.
func decodeObject(r *http.Request) (map[string]json.RawMessage, error) {
	var raw json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, invalid("request body must be a JSON object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, invalid("malformed JSON body: %v", err)
	}
	return m, nil
}

func isNull(raw json.RawMessage) bool {
	return raw == nil || string(bytes.TrimSpace(raw)) == "null"
}

// optString reads an optional string member: present reports whether it was
// given and not null.
func optString(m map[string]json.RawMessage, key string) (val string, present bool, err error) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &val); err != nil {
		return "", false, invalid("%s must be a string", key)
	}
	return val, true, nil
}

func reqString(m map[string]json.RawMessage, key string) (string, error) {
	v, ok, err := optString(m, key)
	if err != nil {
		return "", err
	}
	if !ok || strings.TrimSpace(v) == "" {
		return "", invalid("%s is required", key)
	}
	return v, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, invalid("path parameter %s must be an integer, got %q", name, v)
	}
	return id, nil
}

// queryInt reads an integer query parameter; def is used when it is absent
// or empty, and present reports whether it was given.
func queryInt(q url.Values, name string, def int64) (v int64, present bool, err error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, false, nil
	}
	v, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, invalid("query parameter %s must be an integer, got %q", name, s)
	}
	return v, true, nil
}

func queryTime(q url.Values, name string) (time.Time, bool, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return time.Time{}, false, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, false, invalid("query parameter %s: %v", name, err)
	}
	return t, true, nil
}

// pageSlice returns the [page*size, page*size+size) window of n items.
func pageSlice(n int, page, size int64) (lo, hi int) {
	start := page * size
	if start >= int64(n) || start < 0 {
		return n, n
	}
	end := start + size
	if end > int64(n) {
		end = int64(n)
	}
	return int(start), int(end)
}

func sortedKeys[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// locked runs fn with s.mu held.
func locked[T any](s *Server, fn func() (T, error)) (T, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}
