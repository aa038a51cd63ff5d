package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Cursors signs and checks list cursors. A cursor carries the adapter's
// page state plus what it was issued for: tenant, vendor, binding version,
// operation and a hash of the filters. It is base64url JSON followed by a
// truncated HMAC-SHA256, so a caller can neither forge nor alter one, and a
// cursor used for anything else than the list it came from is refused.
type Cursors struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// CursorTTL is how long a cursor stays valid.
const CursorTTL = 24 * time.Hour

// NewCursors returns a cursor codec keyed with secret. Every replica of a
// deployment must use the same secret.
func NewCursors(secret []byte, now func() time.Time) *Cursors {
	if now == nil {
		now = time.Now
	}
	return &Cursors{key: append([]byte(nil), secret...), ttl: CursorTTL, now: now}
}

// cursorScope is what a cursor is valid for.
type cursorScope struct {
	tenant  string
	vendor  Vendor
	binding int64
	op      Operation
	filter  string // resource ids and filter values, hashed into the cursor
}

type cursorPayload struct {
	V       int       `json:"v"`
	Tenant  string    `json:"t"`
	Vendor  Vendor    `json:"vd"`
	Binding int64     `json:"b"`
	Op      Operation `json:"o"`
	Filter  string    `json:"f"`
	State   string    `json:"s"`
	Expires int64     `json:"x"`
}

func filterHash(filter string) string {
	sum := sha256.Sum256([]byte(filter))
	return hex.EncodeToString(sum[:8])
}

func (c *Cursors) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(payload)
	return m.Sum(nil)[:16]
}

func (c *Cursors) encode(sc cursorScope, state string) string {
	if state == "" {
		return ""
	}
	payload, _ := json.Marshal(cursorPayload{
		V: 1, Tenant: sc.tenant, Vendor: sc.vendor, Binding: sc.binding, Op: sc.op,
		Filter: filterHash(sc.filter), State: state, Expires: c.now().Add(c.ttl).Unix(),
	})
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(c.sign(payload))
}

// decode returns the page state of cursor if it was issued for sc.
func (c *Cursors) decode(sc cursorScope, cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	enc := base64.RawURLEncoding
	p64, s64, ok := strings.Cut(cursor, ".")
	payload, err1 := enc.DecodeString(p64)
	sig, err2 := enc.DecodeString(s64)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(sig, c.sign(payload)) {
		return "", &CursorError{Reason: "the cursor is malformed or was altered"}
	}
	var p cursorPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.V != 1 || p.State == "" {
		return "", &CursorError{Reason: "the cursor is malformed or was altered"}
	}
	switch {
	case p.Tenant != sc.tenant:
		return "", &CursorError{Reason: "the cursor belongs to another tenant"}
	case p.Op != sc.op || p.Filter != filterHash(sc.filter):
		return "", &CursorError{Reason: "the cursor belongs to another list or filter set; start the list again without a cursor"}
	case p.Vendor != sc.vendor || p.Binding != sc.binding:
		return "", &CursorError{Reason: "the cursor was issued before the tenant's vendor binding changed; start the list again"}
	case c.now().Unix() > p.Expires:
		return "", &CursorError{Reason: "the cursor has expired; start the list again"}
	}
	return p.State, nil
}
