package http

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"
)

// mountDocs serves a browsable API reference (Swagger UI, assets embedded
// in the binary: no CDN, works offline) at /docs, reading /openapi.yaml.
func mountDocs(r chi.Router) {
	ui := v5emb.NewWithConfig(swgui.Config{
		Title:       "cdp-gateway API",
		SwaggerJSON: "/openapi.yaml",
		BasePath:    "/docs/",
		ShowTopBar:  false,
		SettingsUI:  map[string]string{"tryItOutEnabled": "false"},
	})("cdp-gateway API", "/openapi.yaml", "/docs/")
	r.Get("/docs", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/docs/", http.StatusMovedPermanently)
	})
	r.Handle("/docs/*", ui)
}
