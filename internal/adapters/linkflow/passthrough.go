package linkflow

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Passthrough implements domain.Passthrougher. Paths of the CDP family
// (/open/…, /v1/tags…) go to the CDP host, all others to the open API host.
// The token endpoint is refused: the gateway never hands out tokens. The
// vendor's status is returned as it is; its answer must be JSON.
func (a *Adapter) Passthrough(ctx context.Context, req domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	if req.Path == "/token" || strings.HasPrefix(req.Path, "/token/") {
		return domain.PassthroughResponse{}, domain.Invalid("body.path", "the vendor's token endpoint is not available through passthrough")
	}
	h := guide
	if strings.HasPrefix(req.Path, "/open/") || req.Path == "/v1/tags" || strings.HasPrefix(req.Path, "/v1/tags/") {
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
	status, body := resp.Status, resp.Body
	out := domain.PassthroughResponse{Status: status}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return out, nil
	}
	if !json.Valid(trimmed) {
		return domain.PassthroughResponse{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorBadResponse, Status: status,
			Detail: "linkflow answered the passthrough call with something other than JSON"}
	}
	out.Body = json.RawMessage(trimmed)
	return out, nil
}
