package linkflow

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// The Linkflow API families its docs publish, by host: the CDP's
// (/open/*, tag metadata) and the open API guide's (contacts and their
// metadata, identify, custom channels and events, channel types, the v2
// contact and group API, WeChat user lookup). The token endpoint (/token)
// is not among them: the gateway never hands out its vendor token.
var (
	cdpPrefixes         = []string{"/open", "/v1/tags"}
	guidePrefixes       = []string{"/contacts", "/identifiers", "/udc", "/ude", "/channels", "/events", "/v2", "/v1/wx"}
	passthroughPrefixes = slices.Concat(cdpPrefixes, guidePrefixes)
)

// PassthroughPrefixes implements domain.Passthrougher: the paths Linkflow
// documents, and nothing else, may be called through passthrough.
func (a *Adapter) PassthroughPrefixes() []string { return slices.Clone(passthroughPrefixes) }

// Passthrough implements domain.Passthrougher. Paths of the CDP family
// (/open/…, /v1/tags…) go to the CDP host, the others PassthroughPrefixes
// allows to the open API host; any other path is refused, whatever its
// spelling. The vendor's status is returned as it is; its answer must be
// JSON.
func (a *Adapter) Passthrough(ctx context.Context, req domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	if err := domain.CheckPassthroughPath(vendor, req.Path, passthroughPrefixes); err != nil {
		return domain.PassthroughResponse{}, err
	}
	h := guide
	if domain.PassthroughAllowed(req.Path, cdpPrefixes) {
		h = cdpAPI
	}
	c := call{method: req.Method, host: h, path: req.Path, query: req.Query}
	if len(req.Body) > 0 {
		c.body = json.RawMessage(req.Body)
	}
	c.anyStatus = true
	c.op = "passthrough"
	resp, err := a.do(ctx, c)
	if err != nil {
		return domain.PassthroughResponse{}, err
	}
	return vendorhttp.PassthroughAnswer(vendor, resp)
}
