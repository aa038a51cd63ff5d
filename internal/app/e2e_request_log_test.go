package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// requestLogs are the access log lines ("msg":"request") written so far.
func (e *env) requestLogs(t *testing.T) []map[string]any {
	t.Helper()
	lines, err := e.logs.JSONLines()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] == "request" {
			out = append(out, l)
		}
	}
	return out
}

// requestLog is the access log line of the answer r. The line is written
// once the handler returns, which the client may see the answer before.
func (e *env) requestLog(t *testing.T, r resp) map[string]any {
	t.Helper()
	id := r.Header.Get("X-Request-Id")
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		for _, l := range e.requestLogs(t) {
			if l["request_id"] == id {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no request log line for %s", id)
		}
	}
}

// TestRequestLogLine: the access log line names the caller's key (its
// configured name) once authenticated, also when it is then refused; the
// connection's remote address, never X-Forwarded-For; the user agent,
// clipped; and the duration in milliseconds as a number. Never the key,
// the Authorization header or the query string.
func TestRequestLogLine(t *testing.T) {
	e := newEnv(t)
	longAgent := "frontend/1.0 " + strings.Repeat("x", 5000)
	forwarded := map[string]string{"User-Agent": longAgent, "X-Forwarded-For": "203.0.113.9"}
	ok := e.do(req{method: http.MethodGet, path: "/v1/contacts?limit=2&email=ann%40example.com", key: keyAll, tenant: tenantLF, headers: forwarded})
	if ok.Status != http.StatusOK {
		t.Fatalf("%d %s", ok.Status, ok.Body)
	}
	refused := e.do(req{method: http.MethodGet, path: "/v1/contacts", key: keyReader, tenant: tenantSwitch, headers: map[string]string{"User-Agent": "curl/8.5.0"}})
	unauth := e.do(req{method: http.MethodGet, path: "/v1/contacts", key: "sk_not_a_key", tenant: tenantLF})
	unauth.problem(t, http.StatusUnauthorized, "UNAUTHENTICATED")

	cases := []struct {
		name   string
		r      resp
		caller string
		agent  string
	}{
		{"ok", ok, "sandbox-demo", ""},
		{"refused after authentication", refused, "reader", "curl/8.5.0"},
		{"not authenticated", unauth, "", ""},
	}
	for _, c := range cases {
		l := e.requestLog(t, c.r)
		if l["caller"] != c.caller {
			t.Errorf("%s: caller = %v, want %q", c.name, l["caller"], c.caller)
		}
		if addr, _ := l["remote_addr"].(string); !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("%s: remote_addr = %v, want the connection's", c.name, l["remote_addr"])
		}
		if ms, isNumber := l["duration_ms"].(float64); !isNumber || ms < 0 {
			t.Errorf("%s: duration_ms = %#v, want a number", c.name, l["duration_ms"])
		}
		if c.agent != "" && l["user_agent"] != c.agent {
			t.Errorf("%s: user_agent = %v", c.name, l["user_agent"])
		}
		if l["status"] != float64(c.r.Status) || l["path"] != "/v1/contacts" {
			t.Errorf("%s: %v", c.name, l)
		}
	}
	l := e.requestLog(t, ok)
	if ua, _ := l["user_agent"].(string); !strings.HasPrefix(ua, "frontend/1.0 xxx") || len(ua) > 300 {
		t.Errorf("user_agent not clipped: %d bytes", len(ua))
	}
	all := e.logs.String()
	for _, leak := range []string{keyAll, keyReader, "sk_not_a_key", "Bearer", "Authorization", "ann%40example.com", "ann@example.com", "limit=2", "203.0.113.9"} {
		if strings.Contains(all, leak) {
			t.Errorf("the logs hold %q", leak)
		}
	}
}
