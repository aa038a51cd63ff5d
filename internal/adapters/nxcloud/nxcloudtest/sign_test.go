package nxcloudtest_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
)

// Signing vectors computed outside Go (printf '%s' … | md5sum, sha256sum)
// for the default credentials at t0.
const (
	vectorTS = "1710575060000"
	// vectorBody has Chinese text; it is 168 bytes of UTF-8.
	vectorBody        = `{"tenant_id":123,"app_key":"nxcloud-test-app-key","type":1,"customers":[{"first_name":"伟","last_name":"王","whats_app_phone":"8613800000000","tagStr":"新客,VIP"}]}`
	vectorMD5Empty    = "7968aefbfa8421e73196dd9915aa762b"
	vectorSHA256Empty = "84986b1d447d2c9a80db5efd6991de68d42864c2e7449d6566ef294eb96b77b9"
	vectorMD5Body     = "e716b6fafa9619134ae3617e74aceba6"
	vectorSHA256Body  = "41d9350fb7f4987f7188f6ec58bfc24268d09d0ac5502715aeb6453ccc3e1169"
)

func vectorHeaders() map[string]string {
	return map[string]string{"accessKey": nxcloudtest.DefaultAccessKey, "ts": vectorTS, "bizType": "2", "action": "mt"}
}

func TestReferenceSignerVectors(t *testing.T) {
	t.Parallel()
	if n := len(vectorBody); n != 168 {
		t.Fatalf("vector body is %d bytes, want 168", n)
	}
	for _, v := range []struct {
		algorithm string
		body      string
		want      string
	}{
		{"", "", vectorMD5Empty},
		{"md5", "", vectorMD5Empty},
		{"sha256", "", vectorSHA256Empty},
		{"", vectorBody, vectorMD5Body},
		{"sha256", vectorBody, vectorSHA256Body},
	} {
		if got := refSign(v.algorithm, vectorHeaders(), []byte(v.body), nxcloudtest.DefaultAccessSecret); got != v.want {
			t.Errorf("refSign(%q, body %d bytes) = %s, want %s", v.algorithm, len(v.body), got, v.want)
		}
	}
}

// The simulator accepts exactly the vectors: a body with Chinese text and
// the empty-body GET, with MD5 (by default and by name) and SHA-256.
func TestSimulatorAcceptsVectors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	fieldsQuery := url.Values{"tenant_id": {"123"}, "app_key": {nxcloudtest.DefaultAppKey}}
	for _, c := range []call{
		{method: http.MethodGet, path: pathFields, query: fieldsQuery, sign: vectorMD5Empty},
		{method: http.MethodGet, path: pathFields, query: fieldsQuery, sign: vectorMD5Empty, algorithm: "md5"},
		{method: http.MethodGet, path: pathFields, query: fieldsQuery, sign: vectorSHA256Empty, algorithm: "sha256"},
		{method: http.MethodPost, path: pathBatch, body: []byte(vectorBody), sign: vectorMD5Body},
		{method: http.MethodPost, path: pathBatch, body: []byte(vectorBody), sign: vectorSHA256Body, algorithm: "sha256"},
	} {
		c.ts = vectorTS
		e.send(c).ok(t, nil)
	}
	cs := e.sim.Customers()
	if len(cs) != 1 || cs[0].FirstName != "伟" || cs[0].LastName != "王" || len(e.sim.Tags()) != 2 {
		t.Errorf("customers %+v, tags %+v", cs, e.sim.Tags())
	}
	if n := e.sim.SignatureFailures(); n != 0 {
		t.Errorf("SignatureFailures %d", n)
	}
}

// The body is signed as received: odd spacing, member order and escapes
// are not normalised away.
func TestRawBodyIsSigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	odd := "{ \"limit\" : 5,\n\t\"app_key\":\"nxcloud-test-app-key\" , \"name\": \"\\u4f1f\", \"tenant_id\" : 123 }\n"
	e.post(pathQuery, odd).ok(t, nil)
	e.send(call{method: http.MethodPost, path: pathQuery, body: []byte(odd), algorithm: "sha256"}).ok(t, nil)
}

func TestEveryEndpointAcceptsBothAlgorithms(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	for _, algorithm := range []string{"", "md5", "sha256"} {
		e.send(call{method: http.MethodPost, path: pathQuery, body: raw(t, tenant(body{"limit": 1})), algorithm: algorithm}).ok(t, nil)
		e.send(call{method: http.MethodPost, path: pathBatch, algorithm: algorithm,
			body: raw(t, tenant(body{"type": 2, "customers": []any{body{"email": "a@example.com"}}}))}).ok(t, nil)
		e.send(call{method: http.MethodGet, path: pathFields, algorithm: algorithm,
			query: url.Values{"tenant_id": {"123"}, "app_key": {nxcloudtest.DefaultAppKey}}}).ok(t, nil)
	}
}

func TestMissingHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	for _, h := range []string{"accessKey", "ts", "bizType", "action", "sign"} {
		for _, v := range []string{"", " "} {
			t.Run(h+"="+strconv.Quote(v), func(t *testing.T) {
				e.send(call{method: http.MethodPost, path: pathQuery, body: raw(t, tenant(nil)), header: map[string]string{h: v}}).
					fails(t, nxcloudtest.CodeMissingHeader)
			})
		}
	}
	// On every endpoint, and on a GET.
	e.send(call{method: http.MethodGet, path: pathFields, header: map[string]string{"sign": ""}}).fails(t, nxcloudtest.CodeMissingHeader)
	e.send(call{method: http.MethodPost, path: pathBatch, header: map[string]string{"accessKey": ""}}).fails(t, nxcloudtest.CodeMissingHeader)
	if n := len(e.sim.Customers()); n != 0 {
		t.Errorf("%d customers after refused calls", n)
	}
}

// Bad header values are 1002 even when correctly signed.
func TestBadHeaderValue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	now := strconv.FormatInt(t0.UnixMilli(), 10)
	for name, c := range map[string]call{
		"bizType 1":        {bizType: "1"},
		"action mo":        {action: "mo"},
		"action MT":        {action: "MT"},
		"algorithm MD5":    {algorithm: "MD5"},
		"algorithm sha1":   {algorithm: "sha1"},
		"algorithm SHA256": {algorithm: "SHA256"},
		"ts letters":       {ts: "abc"},
		"ts negative":      {ts: "-" + now},
		"ts fraction":      {ts: now + ".5"},
		"ts exponent":      {ts: "1.710575060e12"},
	} {
		t.Run(name, func(t *testing.T) {
			c.method, c.path, c.body = http.MethodPost, pathQuery, raw(t, tenant(nil))
			e.send(c).fails(t, nxcloudtest.CodeBadParameter)
		})
	}
	if n := e.sim.SignatureFailures(); n != 0 {
		t.Errorf("SignatureFailures %d, want 0: the values were refused first", n)
	}
}

func TestTimestampWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	now := t0.Add(123 * time.Millisecond)
	e.clock.Set(now)
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	for _, c := range []struct {
		ts   string
		code int
	}{
		{ms(0), 0},
		{ms(-60 * time.Second), 0},
		{ms(60 * time.Second), 0},
		{ms(-60*time.Second - time.Millisecond), nxcloudtest.CodeTimestamp},
		{ms(60*time.Second + time.Millisecond), nxcloudtest.CodeTimestamp},
		{ms(-time.Hour), nxcloudtest.CodeTimestamp},
		{strconv.FormatInt(now.Unix(), 10), nxcloudtest.CodeTimestamp}, // seconds, not milliseconds
		{"0", nxcloudtest.CodeTimestamp},
	} {
		a := e.send(call{method: http.MethodPost, path: pathQuery, body: raw(t, tenant(nil)), ts: c.ts})
		if c.code == 0 {
			a.ok(t, nil)
		} else {
			a.fails(t, c.code)
		}
	}
	// The window follows the clock.
	stale := ms(0)
	e.clock.Advance(61 * time.Second)
	e.send(call{method: http.MethodGet, path: pathFields, ts: stale}).fails(t, nxcloudtest.CodeTimestamp)
}

func TestBadSignature(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	good := raw(t, tenant(body{"name": "王伟", "limit": 10}))
	tampered := bytes.Clone(good)
	tampered[bytes.IndexByte(tampered, '1')] = '2' // limit 10 -> 20, one byte
	noBody := map[string]string{"accessKey": nxcloudtest.DefaultAccessKey, "ts": strconv.FormatInt(t0.UnixMilli(), 10), "bizType": "2", "action": "mt"}
	cases := map[string]call{
		"wrong secret":         {secret: "another-secret"},
		"uppercase hex":        {sign: strings.ToUpper(refSign("", noBody, good, nxcloudtest.DefaultAccessSecret))},
		"tampered body":        {sent: tampered},
		"body re-serialised":   {sent: append([]byte(" "), good...)},
		"sha256 sent as md5":   {sign: refSign("sha256", noBody, good, nxcloudtest.DefaultAccessSecret)},
		"md5 sent as sha256":   {sign: refSign("", noBody, good, nxcloudtest.DefaultAccessSecret), algorithm: "sha256"},
		"body left out":        {sign: refSign("", noBody, nil, nxcloudtest.DefaultAccessSecret)},
		"signed other headers": {sign: refSign("", map[string]string{"accessKey": nxcloudtest.DefaultAccessKey, "ts": noBody["ts"]}, good, nxcloudtest.DefaultAccessSecret)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.method, c.path, c.body = http.MethodPost, pathQuery, good
			e.send(c).fails(t, nxcloudtest.CodeBadSignature)
		})
	}
	// A GET has no body part: signing one with "&body=" fails.
	e.send(call{method: http.MethodGet, path: pathFields, query: url.Values{"tenant_id": {"123"}, "app_key": {nxcloudtest.DefaultAppKey}},
		sign: refSign("", noBody, []byte("{}"), nxcloudtest.DefaultAccessSecret)}).fails(t, nxcloudtest.CodeBadSignature)
	if got, want := e.sim.SignatureFailures(), len(cases)+1; got != want {
		t.Errorf("SignatureFailures %d, want %d", got, want)
	}
	// A tampered batch writes nothing.
	batch := raw(t, tenant(body{"type": 0, "customers": []any{body{"email": "x@example.com"}}}))
	e.send(call{method: http.MethodPost, path: pathBatch, body: batch, sent: bytes.Replace(batch, []byte("x@"), []byte("y@"), 1)}).
		fails(t, nxcloudtest.CodeBadSignature)
	if n := len(e.sim.Customers()); n != 0 {
		t.Errorf("%d customers after a refused batch", n)
	}
}

func TestNoPermission(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	// An unknown access key, signed with its own secret.
	e.send(call{method: http.MethodPost, path: pathQuery, body: raw(t, tenant(nil)), accessKey: "someone-else", secret: "their-secret"}).
		fails(t, nxcloudtest.CodeNoPermission)
	for name, kv := range map[string]body{
		"tenant":  {"tenant_id": 124},
		"app_key": {"app_key": "8eos"},
	} {
		t.Run(name, func(t *testing.T) {
			e.post(pathQuery, tenant(kv)).fails(t, nxcloudtest.CodeNoPermission)
			kv["type"], kv["customers"] = 0, []any{body{"email": "a@example.com"}}
			e.post(pathBatch, tenant(kv)).fails(t, nxcloudtest.CodeNoPermission)
		})
	}
	for _, q := range []url.Values{
		{"tenant_id": {"124"}, "app_key": {nxcloudtest.DefaultAppKey}},
		{"tenant_id": {"123"}, "app_key": {"8eos"}},
	} {
		e.send(call{method: http.MethodGet, path: pathFields, query: q}).fails(t, nxcloudtest.CodeNoPermission)
	}
	if n := len(e.sim.Customers()); n != 0 {
		t.Errorf("%d customers after refused batches", n)
	}
	// Another configuration owns other credentials.
	o := newEnv(t, nxcloudtest.Config{AccessKey: "k2", AccessSecret: "s2", TenantID: 9, AppKey: "a2"})
	o.send(call{method: http.MethodPost, path: pathQuery, accessKey: "k2", secret: "s2", body: raw(t, body{"tenant_id": 9, "app_key": "a2"})}).ok(t, nil)
	o.send(call{method: http.MethodPost, path: pathQuery, body: raw(t, tenant(nil))}).fails(t, nxcloudtest.CodeNoPermission)
}

// The checks run in the documented order: each case fails two checks and
// gets the earlier one's code.
func TestCheckOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	stale := strconv.FormatInt(t0.Add(-2*time.Minute).UnixMilli(), 10)
	q := raw(t, tenant(nil))
	for name, c := range map[string]struct {
		c    call
		code int
	}{
		"missing header before bizType":  {call{header: map[string]string{"ts": ""}, bizType: "9"}, nxcloudtest.CodeMissingHeader},
		"bizType before access key":      {call{bizType: "9", accessKey: "nobody"}, nxcloudtest.CodeBadParameter},
		"ts form before access key":      {call{ts: "soon", accessKey: "nobody"}, nxcloudtest.CodeBadParameter},
		"access key before ts window":    {call{accessKey: "nobody", ts: stale}, nxcloudtest.CodeNoPermission},
		"ts window before signature":     {call{ts: stale, secret: "wrong"}, nxcloudtest.CodeTimestamp},
		"signature before Content-Type":  {call{secret: "wrong", header: map[string]string{"Content-Type": "text/plain"}}, nxcloudtest.CodeBadSignature},
		"signature before body":          {call{secret: "wrong", body: []byte("not json")}, nxcloudtest.CodeBadSignature},
		"tenant before other parameters": {call{body: raw(t, tenant(body{"tenant_id": 7, "limit": 0}))}, nxcloudtest.CodeNoPermission},
		"app_key required before tenant": {call{body: raw(t, body{"tenant_id": 7})}, nxcloudtest.CodeBadParameter},
	} {
		t.Run(name, func(t *testing.T) {
			c.c.method, c.c.path = http.MethodPost, pathQuery
			if c.c.body == nil {
				c.c.body = q
			}
			e.send(c.c).fails(t, c.code)
		})
	}
}

func TestContentTypeAndBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	q := raw(t, tenant(nil))
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", " "} {
		e.send(call{method: http.MethodPost, path: pathQuery, body: q, header: map[string]string{"Content-Type": ct}}).
			fails(t, nxcloudtest.CodeBadParameter)
	}
	e.send(call{method: http.MethodPost, path: pathQuery, body: q, header: map[string]string{"Content-Type": "application/json; charset=UTF-8"}}).ok(t, nil)
	for _, b := range []string{"", "not json", "[]", "null", `"x"`, string(q) + "{}", `{"tenant_id":123,"app_key":"nxcloud-test-app-key"`} {
		e.post(pathQuery, b).fails(t, nxcloudtest.CodeBadParameter)
		e.post(pathBatch, b).fails(t, nxcloudtest.CodeBadParameter)
	}
	// Required and typed tenant members.
	for _, b := range []body{
		{"app_key": nxcloudtest.DefaultAppKey},
		{"tenant_id": 123},
		{"tenant_id": "123", "app_key": nxcloudtest.DefaultAppKey},
		{"tenant_id": 123, "app_key": 5},
		{"tenant_id": 123, "app_key": ""},
	} {
		e.post(pathQuery, b).fails(t, nxcloudtest.CodeBadParameter)
	}
	// 123.0 marshals as 123 in Go: send the fraction by hand.
	e.post(pathQuery, `{"tenant_id":123.0,"app_key":"nxcloud-test-app-key"}`).fails(t, nxcloudtest.CodeBadParameter)
	e.post(pathQuery, `{"tenant_id":1.23e2,"app_key":"nxcloud-test-app-key"}`).fails(t, nxcloudtest.CodeBadParameter)
}

func TestUnknownPathAndMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	a := e.send(call{method: http.MethodGet, path: "/saas/cdp/openapi/customers/nothing"})
	a.failsWith(t, http.StatusNotFound, http.StatusNotFound)
	a = e.send(call{method: http.MethodPost, path: "/customers/query", body: raw(t, tenant(nil))})
	a.failsWith(t, http.StatusNotFound, http.StatusNotFound)
	a = e.send(call{method: http.MethodGet, path: pathQuery})
	a.failsWith(t, http.StatusMethodNotAllowed, http.StatusMethodNotAllowed)
	if got := a.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow %q", got)
	}
	a = e.send(call{method: http.MethodPost, path: pathFields, body: raw(t, tenant(nil))})
	a.failsWith(t, http.StatusMethodNotAllowed, http.StatusMethodNotAllowed)
	if got := a.header.Get("Allow"); got != "GET" {
		t.Errorf("Allow %q", got)
	}
	// Authentication comes first.
	e.send(call{method: http.MethodGet, path: "/nothing", secret: "wrong"}).fails(t, nxcloudtest.CodeBadSignature)
	e.send(call{method: http.MethodGet, path: pathQuery, header: map[string]string{"sign": ""}}).fails(t, nxcloudtest.CodeMissingHeader)
	big := bytes.Repeat([]byte("x"), 8<<20+1)
	e.send(call{method: http.MethodPost, path: pathQuery, body: big}).failsWith(t, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge)
}

func TestTraceIDsAreFresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	seen := map[string]bool{}
	for range 5 {
		for _, a := range []answer{e.post(pathQuery, tenant(nil)), e.post(pathQuery, "x")} {
			id := a.envelope(t).TraceID
			if seen[id] {
				t.Fatalf("traceId %s repeated", id)
			}
			seen[id] = true
		}
	}
}

func TestObserversAndFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	e.sim.InjectFault(nxcloudtest.Fault{PathPrefix: pathBatch, AfterHandler: true, Status: http.StatusBadGateway, Body: "bad gateway"})
	a := e.post(pathBatch, tenant(body{"type": 0, "customers": []any{body{"email": "a@example.com"}}}))
	if a.status != http.StatusBadGateway {
		t.Errorf("status %d", a.status)
	}
	if n := len(e.sim.Customers()); n != 1 {
		t.Errorf("%d customers: the call took effect before its answer was lost", n)
	}
	e.post(pathQuery, tenant(nil)).ok(t, nil)
	e.send(call{method: http.MethodGet, path: pathFields, secret: "x"}).fails(t, nxcloudtest.CodeBadSignature)
	if e.sim.Calls("/saas/cdp/openapi/customers/") != 3 || e.sim.Calls(pathQuery) != 1 || e.sim.Calls("") != 3 {
		t.Errorf("Calls %d %d", e.sim.Calls(""), e.sim.Calls(pathQuery))
	}
	reqs := e.sim.Requests()
	if len(reqs) != 3 || reqs[0].Path != pathBatch || reqs[2].Method != http.MethodGet || reqs[0].Header.Get("sign") == "" {
		t.Errorf("requests %+v", reqs)
	}
	if e.sim.SignatureFailures() != 1 {
		t.Errorf("SignatureFailures %d", e.sim.SignatureFailures())
	}
}
