package http

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

var assetRef = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

// TestDocsPageIsProtected: /docs may not be framed (X-Frame-Options: DENY
// and frame-ancestors 'none') and runs under a Content-Security-Policy
// that still lets the page work: every inline script it has is allowed by
// its hash (and no other inline script), every asset it names is served
// from the gateway itself with its own type, and it may fetch the spec.
func TestDocsPageIsProtected(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	for _, path := range []string{"/docs", "/docs/"} {
		rec := get(path)
		if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, rec.Header())
		}
	}
	page := get("/docs/")
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("docs page: %d %v", page.Code, page.Header())
	}
	policy := map[string][]string{}
	for _, d := range strings.Split(page.Header().Get("Content-Security-Policy"), ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			policy[f[0]] = f[1:]
		}
	}
	has := func(directive, source string) bool {
		for _, s := range policy[directive] {
			if s == source {
				return true
			}
		}
		return false
	}
	if !has("frame-ancestors", "'none'") || !has("default-src", "'none'") || !has("connect-src", "'self'") {
		t.Fatalf("policy %v", policy)
	}
	if has("script-src", "'unsafe-inline'") || has("script-src", "'unsafe-eval'") || has("script-src", "*") {
		t.Fatalf("script-src %v lets any script run", policy["script-src"])
	}
	body := page.Body.String()
	scripts := inlineScript.FindAllStringSubmatch(body, -1)
	if len(scripts) == 0 {
		t.Fatal("the page has no inline script: the test no longer checks hashes")
	}
	for _, m := range scripts {
		sum := sha256.Sum256([]byte(m[1]))
		if !has("script-src", "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
			t.Errorf("inline script %.60q… is not allowed by script-src", m[1])
		}
	}
	wantType := map[string]string{".js": "javascript", ".css": "text/css", ".png": "image/png"}
	refs := assetRef.FindAllStringSubmatch(body, -1)
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/docs/") {
			t.Errorf("the page loads %s, which is not the gateway's own", ref)
			continue
		}
		rec := get(ref)
		ext := ref[strings.LastIndex(ref, "."):]
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), wantType[ext]) || wantType[ext] == "" {
			t.Errorf("%s: %d %q", ref, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if len(refs) < 3 {
		t.Fatalf("only %d assets found on the page", len(refs))
	}
}
