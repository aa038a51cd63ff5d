package vendorhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

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
	if err := resp.mustBeJSON(vendor); err != nil {
		return nil, err
	}
	out, err := Records(ctx, resp.Body, conv)
	if err != nil {
		return nil, BadResponse(vendor, resp.Status, fmt.Sprintf("%s answered %d with a list the gateway cannot read", vendor, resp.Status), err)
	}
	return out, nil
}

// Records decodes the JSON array list and converts each record with conv,
// as DecodeList does: in one pass, unless the caller asked for raw
// payloads.
func Records[W, D any](ctx context.Context, list []byte, conv func(W, json.RawMessage) D) ([]D, error) {
	if !domain.WantRaw(ctx) {
		var recs []W
		if err := Unmarshal(list, &recs); err != nil {
			return nil, err
		}
		out := make([]D, len(recs))
		for i, r := range recs {
			out[i] = conv(r, nil)
		}
		return out, nil
	}
	var raws []json.RawMessage
	if err := Unmarshal(list, &raws); err != nil {
		return nil, err
	}
	out := make([]D, len(raws))
	for i, raw := range raws {
		var rec W
		if err := Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		out[i] = conv(rec, raw)
	}
	return out, nil
}

// FastRecords is Records for a record type written once as a generic
// struct and instantiated twice: F with plain strings and integers, which
// go-json reads natively (no method call and no copy per member), and T
// with Text and Int, which also take what a vendor sometimes writes in
// their place (a number for a string, "12" or null for an integer, an
// object for a string). The list is read as []F; only a list that does not
// fit F is read again, as []T. go-json reads a string into a string
// exactly as Text reads it (TestFastRecordsReadAsTolerant), so both give
// the same records wherever F fits.
func FastRecords[F, T, D any](ctx context.Context, list []byte, fast func(F, json.RawMessage) D, tolerant func(T, json.RawMessage) D) ([]D, error) {
	if out, err := Records(ctx, list, fast); err == nil {
		return out, nil
	}
	return Records(ctx, list, tolerant)
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

// Int is an integer member of a vendor answer, read exactly: a JSON number
// or a string of digits (vendors write ids both ways); null, "" and the
// string "null" read as 0. Ids beyond 2^53 keep every digit.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*n = 0
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var err error
		if s, err = jsonString([]byte(s)); err != nil {
			return err
		}
		if s = strings.TrimSpace(s); s == "" || s == "null" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer")
	}
	*n = Int(v)
	return nil
}

func (n Int) String() string { return strconv.FormatInt(int64(n), 10) }

// Text is a text member of a vendor answer: a string; a number or a
// boolean where text is expected is kept as written; null, an object or an
// array read as "".
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null" || b[0] == '{' || b[0] == '[':
		*t = ""
	case b[0] == '"':
		s, err := jsonString(b)
		if err != nil {
			return err
		}
		*t = Text(s)
	default:
		*t = Text(b)
	}
	return nil
}

// jsonString decodes the JSON string b (quotes included). Most vendor
// strings hold no escape, control character or invalid UTF-8, and are
// taken as they are; the others go through encoding/json, which unescapes
// them and replaces invalid UTF-8 as it always does.
func jsonString(b []byte) (string, error) {
	if len(b) >= 2 && b[len(b)-1] == '"' {
		in := b[1 : len(b)-1]
		plain := true
		for _, c := range in {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(in) {
			return string(in), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}
