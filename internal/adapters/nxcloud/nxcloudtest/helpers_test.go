package nxcloudtest_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

const prefix = "/nx-base"

const (
	pathQuery  = "/saas/cdp/openapi/customers/query"
	pathBatch  = "/saas/cdp/openapi/customers/batch_create"
	pathFields = "/saas/cdp/openapi/customers/fields"
)

// t0 is 2024-03-16 15:44:20 China Standard Time, 1710575060000 ms.
var t0 = time.Date(2024, 3, 16, 7, 44, 20, 0, time.UTC)

// refSign is the reference signer, written from the vendor's description
// and not from the simulator: the four headers other than sign and
// algorithm sorted by name as key=value joined with &, then &body= and the
// body when there is one, then &accessSecret= and the secret; the
// lowercase hex MD5 (default) or SHA-256 of that.
func refSign(algorithm string, headers map[string]string, body []byte, secret string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		parts = append(parts, k+"="+headers[k])
	}
	msg := strings.Join(parts, "&")
	if len(body) > 0 {
		msg += "&body=" + string(body)
	}
	msg += "&accessSecret=" + secret
	if algorithm == "sha256" {
		sum := sha256.Sum256([]byte(msg))
		return hex.EncodeToString(sum[:])
	}
	sum := md5.Sum([]byte(msg))
	return hex.EncodeToString(sum[:])
}

type env struct {
	t     *testing.T
	sim   *nxcloudtest.Server
	base  string
	clock *vendortest.Clock
}

// newEnv serves a simulator under prefix on a settable clock at t0 (unless
// cfg has a clock).
func newEnv(t *testing.T, cfg nxcloudtest.Config) *env {
	t.Helper()
	clock := vendortest.NewClock(t0)
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	sim := nxcloudtest.New(cfg)
	return &env{t: t, sim: sim, base: vendortest.Start(t, prefix, sim), clock: clock}
}

// call is one request before it is sent: signed by send unless sign is
// set, with its headers adjustable.
type call struct {
	method, path string
	query        url.Values
	body         []byte
	// The signing inputs; empty ones take the defaults.
	accessKey, secret, ts, algorithm string
	bizType, action                  string
	// header is set after signing: a value "" removes the header.
	header map[string]string
	// sign, when not empty, replaces the computed signature.
	sign string
	// sent, when not nil, replaces the body after signing.
	sent []byte
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) send(c call) answer {
	e.t.Helper()
	ts := c.ts
	if ts == "" {
		ts = strconv.FormatInt(e.clock.Now().UnixMilli(), 10)
	}
	headers := map[string]string{
		"accessKey": or(c.accessKey, nxcloudtest.DefaultAccessKey),
		"ts":        ts,
		"bizType":   or(c.bizType, "2"),
		"action":    or(c.action, "mt"),
	}
	sign := c.sign
	if sign == "" {
		sign = refSign(c.algorithm, headers, c.body, or(c.secret, nxcloudtest.DefaultAccessSecret))
	}
	target := e.base + c.path
	if len(c.query) > 0 {
		target += "?" + c.query.Encode()
	}
	sent := c.body
	if c.sent != nil {
		sent = c.sent
	}
	var body io.Reader
	if len(sent) > 0 {
		body = bytes.NewReader(sent)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), c.method, target, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("sign", sign)
	if c.algorithm != "" {
		req.Header.Set("algorithm", c.algorithm)
	}
	if c.method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", c.method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// post sends a signed POST of body: bytes and strings as they are, any
// other value as JSON.
func (e *env) post(path string, body any) answer {
	e.t.Helper()
	return e.send(call{method: http.MethodPost, path: path, body: raw(e.t, body)})
}

func raw(t *testing.T, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case []byte:
		return b
	case string:
		return []byte(b)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope is every answer; Code and the ids in Data keep their digits.
type envelope struct {
	Code    json.Number     `json:"code"`
	Message *string         `json:"message"`
	TraceID string          `json:"traceId"`
	Data    json.RawMessage `json:"data"`
}

// envelope decodes the answer, checking it has exactly the four members.
func (a answer) envelope(t *testing.T) envelope {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type %q", ct)
	}
	var members map[string]json.RawMessage
	decode(t, a.body, &members)
	if got := slices.Sorted(maps.Keys(members)); !slices.Equal(got, []string{"code", "data", "message", "traceId"}) {
		t.Errorf("envelope members %v: %s", got, a.body)
	}
	var env envelope
	decode(t, a.body, &env)
	if len(env.TraceID) != 32 || strings.Trim(env.TraceID, "0123456789abcdef") != "" {
		t.Errorf("traceId %q is not 32 lowercase hex digits", env.TraceID)
	}
	return env
}

// ok checks a success and decodes its data into out (when not nil).
func (a answer) ok(t *testing.T, out any) json.RawMessage {
	t.Helper()
	env := a.envelope(t)
	if a.status != http.StatusOK || env.Code != "0" || env.Message != nil {
		t.Fatalf("got %d %s, want 200 code 0 message null", a.status, a.body)
	}
	if out != nil {
		decode(t, env.Data, out)
	}
	return env.Data
}

// fails checks a refusal: HTTP 200, code, a message and data null.
func (a answer) fails(t *testing.T, code int) {
	t.Helper()
	a.failsWith(t, http.StatusOK, code)
}

func (a answer) failsWith(t *testing.T, status, code int) {
	t.Helper()
	env := a.envelope(t)
	if a.status != status || env.Code.String() != strconv.Itoa(code) || env.Message == nil || *env.Message == "" || string(env.Data) != "null" {
		t.Fatalf("got %d %s, want %d code %d with a message and data null", a.status, a.body, status, code)
	}
}

func decode(t *testing.T, b []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// page is customers/query's data with customers as generic objects.
type page struct {
	Paging struct {
		After    *json.Number `json:"after"`
		Before   *json.Number `json:"before"`
		Previous *json.Number `json:"previous"`
		Next     *json.Number `json:"next"`
	} `json:"paging"`
	CustomerList []map[string]any `json:"customer_list"`
}

// body is a request body under construction; tenant adds the default
// tenant_id and app_key.
type body map[string]any

func tenant(kv body) body {
	out := body{"tenant_id": nxcloudtest.DefaultTenantID, "app_key": nxcloudtest.DefaultAppKey}
	maps.Copy(out, kv)
	return out
}

func (e *env) query(kv body) page {
	e.t.Helper()
	var p page
	e.post(pathQuery, tenant(kv)).ok(e.t, &p)
	return p
}

// ids lists the ids of a page's customers, as their JSON digits.
func (p page) ids() []string {
	out := make([]string, len(p.CustomerList))
	for i, c := range p.CustomerList {
		out[i] = c["id"].(json.Number).String()
	}
	return out
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func idStrings(ids ...int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = idString(id)
	}
	return out
}

// numOrNull is a paging member as text: its digits or "null".
func numOrNull(n *json.Number) string {
	if n == nil {
		return "null"
	}
	return n.String()
}

func (e *env) batch(typ int, customers ...body) (out struct {
	Total       int           `json:"total"`
	Created     int           `json:"created"`
	Updated     int           `json:"updated"`
	Skipped     int           `json:"skipped"`
	CustomerIDs []json.Number `json:"customer_ids"`
},
) {
	e.t.Helper()
	list := make([]any, len(customers))
	for i, c := range customers {
		list[i] = c
	}
	e.post(pathBatch, tenant(body{"type": typ, "customers": list})).ok(e.t, &out)
	return out
}

// mustID reads a json.Number id.
func mustID(t *testing.T, n json.Number) int64 {
	t.Helper()
	id, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", n, err)
	}
	return id
}
