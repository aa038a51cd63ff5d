package vendorhttp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Exact decoding. Vendor ids and custom values exceed 2^53, so nothing
// here decodes a number into float64: records are read with Unmarshal
// (json.Number in interface values) and raw payloads are the vendor's own
// bytes, never re-encoded.

// DecodeList decodes a JSON array answer and converts each record with
// conv. When the caller asked for raw payloads (domain.WantRaw), conv also
// gets each record's bytes as the vendor sent them; otherwise nil, and the
// answer is decoded in one pass.
func DecodeList[W, D any](ctx context.Context, vendor domain.Vendor, resp *Response, conv func(W, json.RawMessage) D) ([]D, error) {
	if !domain.WantRaw(ctx) {
		var recs []W
		if err := resp.Decode(vendor, &recs); err != nil {
			return nil, err
		}
		out := make([]D, len(recs))
		for i, r := range recs {
			out[i] = conv(r, nil)
		}
		return out, nil
	}
	var raws []json.RawMessage
	if err := resp.Decode(vendor, &raws); err != nil {
		return nil, err
	}
	out := make([]D, len(raws))
	for i, raw := range raws {
		var rec W
		if err := Unmarshal(raw, &rec); err != nil {
			return nil, BadResponse(vendor, resp.Status, fmt.Sprintf("%s sent a record the gateway cannot read", vendor), err)
		}
		out[i] = conv(rec, raw)
	}
	return out, nil
}

// DecodeOne decodes a JSON answer holding one record. raw is the answer's
// bytes when the caller asked for raw payloads, otherwise nil.
func DecodeOne[W any](ctx context.Context, vendor domain.Vendor, resp *Response) (rec W, raw json.RawMessage, err error) {
	if err := resp.Decode(vendor, &rec); err != nil {
		return rec, nil, err
	}
	if domain.WantRaw(ctx) {
		raw = json.RawMessage(resp.Body)
	}
	return rec, raw, nil
}

// OtherMembers decodes the JSON object b and returns its members whose
// names are not in known, leaving out nulls: the vendor fields a record
// has no canonical place for (event properties, say). Numbers are
// json.Number. The map is empty, not nil, when no member is left.
func OtherMembers(b []byte, known map[string]bool) (map[string]any, error) {
	var all map[string]any
	if err := Unmarshal(b, &all); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(all))
	for k, v := range all {
		if !known[k] && v != nil {
			out[k] = v
		}
	}
	return out, nil
}
