package nxcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// passthroughPrefixes is the API family the NXCloud CDP docs publish:
// customers (query, batch_create, fields) and the rest of the CDP open
// API under the same path. NXCloud's other products (SMS, voice,
// WhatsApp …) are not the gateway's business.
var passthroughPrefixes = []string{"/saas/cdp/openapi"}

// PassthroughPrefixes implements domain.Passthrougher.
func (a *Adapter) PassthroughPrefixes() []string { return slices.Clone(passthroughPrefixes) }

// Passthrough implements domain.Passthrougher: the call is signed like
// every other, over the exact bytes sent. The connection's account is
// always the one called: tenant_id and app_key are set (replacing the
// caller's) in a JSON object body, and in the query of a call without a
// body. NXCloud's answer is returned as it is, status included; it must
// be JSON.
func (a *Adapter) Passthrough(ctx context.Context, req domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	if err := domain.CheckPassthroughPath(vendor, req.Path, passthroughPrefixes); err != nil {
		return domain.PassthroughResponse{}, err
	}
	c := call{method: req.Method, path: req.Path, query: url.Values{}, op: "passthrough"}
	for k, vs := range req.Query {
		c.query[k] = slices.Clone(vs)
	}
	body := bytes.TrimSpace(req.Body)
	switch {
	case len(body) == 0 || string(body) == "null":
		c.query.Set("tenant_id", strconv.FormatInt(a.tenant, 10))
		c.query.Set("app_key", a.appKey)
	case body[0] == '{':
		var members map[string]json.RawMessage
		if vendorhttp.Unmarshal(body, &members) != nil {
			return domain.PassthroughResponse{}, domain.Invalid("body.body", "is not valid JSON")
		}
		members["tenant_id"] = json.RawMessage(strconv.FormatInt(a.tenant, 10))
		appKey, err := json.Marshal(a.appKey)
		if err != nil {
			return domain.PassthroughResponse{}, err
		}
		members["app_key"] = appKey
		if c.body, err = json.Marshal(members); err != nil { // raw values: every number kept as written
			return domain.PassthroughResponse{}, domain.Invalid("body.body", "is not valid JSON")
		}
	default:
		c.body = body
	}
	if c.method == http.MethodGet && len(c.body) > 0 {
		return domain.PassthroughResponse{}, domain.Invalid("body.body", "is not allowed with GET")
	}
	resp, err := a.send(ctx, c)
	if err != nil {
		return domain.PassthroughResponse{}, err
	}
	return vendorhttp.PassthroughAnswer(vendor, resp)
}
