package meihua

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// passthroughPrefixes are the API families the Meihua docs publish under
// the API base: contacts and their groups, tags and properties, and EDM.
// The OAuth2 endpoints live on another host and are never reachable.
var passthroughPrefixes = []string{"/contact", "/edm"}

// PassthroughPrefixes implements domain.Passthrougher.
func (a *Adapter) PassthroughPrefixes() []string { return slices.Clone(passthroughPrefixes) }

// Passthrough implements domain.Passthrougher. Meihua takes parameters,
// not JSON documents: the query is sent as it is, and a body must be a
// JSON object whose members are the parameters, sent as a form (a string
// member as it is, any other value as its JSON text, which is how Meihua
// takes contacts, ids and the like). The gateway sets the token; a token
// parameter of the caller's is dropped. Meihua's answer is returned as it
// is, status included; it must be JSON.
func (a *Adapter) Passthrough(ctx context.Context, req domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	if err := domain.CheckPassthroughPath(vendor, req.Path, passthroughPrefixes); err != nil {
		return domain.PassthroughResponse{}, err
	}
	c := call{method: req.Method, path: req.Path, query: url.Values{}, op: "passthrough"}
	for k, vs := range req.Query {
		if k != "token" {
			c.query[k] = slices.Clone(vs)
		}
	}
	if body := bytes.TrimSpace(req.Body); len(body) > 0 && string(body) != "null" {
		var members map[string]json.RawMessage
		if vendorhttp.Unmarshal(body, &members) != nil {
			return domain.PassthroughResponse{}, domain.Invalid("body.body", "meihua takes parameters: send a JSON object whose members are the parameters")
		}
		c.form = url.Values{}
		for k, v := range members {
			var s string
			switch {
			case k == "token" || string(v) == "null":
			case json.Unmarshal(v, &s) == nil:
				c.form.Set(k, s)
			default:
				var compact bytes.Buffer
				if err := json.Compact(&compact, v); err != nil {
					return domain.PassthroughResponse{}, domain.Invalid("body.body", "is not valid JSON")
				}
				c.form.Set(k, compact.String())
			}
		}
	}
	resp, err := a.send(ctx, c)
	if err != nil {
		return domain.PassthroughResponse{}, err
	}
	return vendorhttp.PassthroughAnswer(vendor, resp)
}
