// Package api holds the canonical contract, api/openapi.yaml, embedded so
// the gateway can serve it and validate requests against it.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml as written.
//
//go:embed openapi.yaml
var OpenAPI []byte
