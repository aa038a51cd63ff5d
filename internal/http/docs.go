package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// inlineScript matches the page's inline scripts (those without src).
var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// mountDocs serves a browsable API reference (Swagger UI, assets embedded
// in the binary: no CDN, works offline) at /docs, reading /openapi.yaml.
//
// The page may not be framed (X-Frame-Options and frame-ancestors, against
// clickjacking) and runs under a Content-Security-Policy that lets it load
// only its own assets and the spec: its inline scripts are allowed by
// their hashes, taken from the page itself when the handler is built (the
// page is the same for every request), so no other inline script runs.
// Inline styles are allowed: Swagger UI writes style attributes.
func mountDocs(r chi.Router) error {
	ui := v5emb.NewWithConfig(swgui.Config{
		Title:       "cdp-gateway API",
		SwaggerJSON: "/openapi.yaml",
		BasePath:    "/docs/",
		ShowTopBar:  false,
		SettingsUI:  map[string]string{"tryItOutEnabled": "false"},
	})("cdp-gateway API", "/openapi.yaml", "/docs/")
	csp, err := docsPolicy(ui)
	if err != nil {
		return err
	}
	protect := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			next.ServeHTTP(w, req)
		})
	}
	r.With(protect).Get("/docs", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/docs/", http.StatusMovedPermanently)
	})
	r.With(protect).Handle("/docs/*", ui)
	return nil
}

// docsPolicy renders the docs page once and returns the policy that lets
// exactly it run.
func docsPolicy(ui http.Handler) (string, error) {
	req, err := http.NewRequest(http.MethodGet, "/docs/", nil)
	if err != nil {
		return "", err
	}
	page := &pageWriter{header: http.Header{}}
	ui.ServeHTTP(page, req)
	if page.status != 0 && page.status != http.StatusOK {
		return "", errors.New("http: the docs page does not render")
	}
	scripts := []string{"'self'"}
	for _, m := range inlineScript.FindAllSubmatch(page.body.Bytes(), -1) {
		sum := sha256.Sum256(m[1])
		scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src " + strings.Join(scripts, " "),
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; "), nil
}

// pageWriter keeps a page rendered in process.
type pageWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *pageWriter) Header() http.Header         { return p.header }
func (p *pageWriter) WriteHeader(status int)      { p.status = status }
func (p *pageWriter) Write(b []byte) (int, error) { return p.body.Write(b) }
