package miaokol

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

var _ domain.Passthrougher = (*Adapter)(nil)

// passthroughPrefixes are the API families the Miaokol docs publish:
// the smart tags. The token endpoint (/oauth/token) is not among them:
// the gateway never hands out its vendor token.
var passthroughPrefixes = []string{"/smart-tag"}

// PassthroughPrefixes implements domain.Passthrougher.
func (a *Adapter) PassthroughPrefixes() []string { return slices.Clone(passthroughPrefixes) }

// Passthrough implements domain.Passthrougher. The gateway adds app_id
// and access_token where Miaokol takes them, replacing any the caller
// sent: in the query of a GET, as members of the JSON body otherwise (a
// body must then be a JSON object, or empty). Miaokol's answer is
// returned as it is, status and errcode included; it must be JSON.
func (a *Adapter) Passthrough(ctx context.Context, req domain.PassthroughRequest) (domain.PassthroughResponse, error) {
	if err := domain.CheckPassthroughPath(vendor, req.Path, passthroughPrefixes); err != nil {
		return domain.PassthroughResponse{}, err
	}
	c := call{method: req.Method, path: req.Path, query: url.Values{}, op: "passthrough"}
	for k, vs := range req.Query {
		if k != "app_id" && k != "access_token" {
			c.query[k] = slices.Clone(vs)
		}
	}
	if req.Method != http.MethodGet {
		members := map[string]json.RawMessage{}
		if body := bytes.TrimSpace(req.Body); len(body) > 0 && string(body) != "null" {
			if vendorhttp.Unmarshal(body, &members) != nil || members == nil {
				return domain.PassthroughResponse{}, domain.Invalid("body.body", "miaokol takes a JSON object: send one whose members are the parameters")
			}
		}
		delete(members, "app_id")
		delete(members, "access_token")
		c.params = members
	}
	resp, err := a.send(ctx, c)
	if err != nil {
		return domain.PassthroughResponse{}, err
	}
	return vendorhttp.PassthroughAnswer(vendor, resp)
}
