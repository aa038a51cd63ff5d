package domain

import (
	"encoding/base64"
	"testing"
	"time"
)

// Internal tests of the cursor codec for payloads a caller cannot produce
// (validly signed but not a cursor this version issues), which the
// Service tests cannot reach without the key.

func TestCursorsRefuseSignedNonsense(t *testing.T) {
	t.Parallel()
	c := NewCursors([]byte("0123456789abcdef"), nil)
	sc := cursorScope{tenant: "acme", vendor: Vendor("linkflow"), binding: 1, op: OpListContacts}
	exp := time.Now().Add(time.Hour).Unix()
	enc := base64.RawURLEncoding
	signed := func(payload string) string {
		return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(c.sign([]byte(payload)))
	}
	fh := filterHash("")
	tests := map[string]string{
		"not JSON":       "not json",
		"other version":  `{"v":2,"t":"acme","vd":"linkflow","b":1,"o":"listContacts","f":"` + fh + `","s":"2","x":` + itoa(int(exp)) + `}`,
		"empty state":    `{"v":1,"t":"acme","vd":"linkflow","b":1,"o":"listContacts","f":"` + fh + `","s":"","x":` + itoa(int(exp)) + `}`,
		"JSON array":     `[]`,
		"wrong type":     `{"v":"1"}`,
		"no expiry time": `{"v":1,"t":"acme","vd":"linkflow","b":1,"o":"listContacts","f":"` + fh + `","s":"2"}`,
	}
	for name, payload := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if state, err := c.decode(sc, signed(payload)); err == nil {
				t.Fatalf("decode accepted %s: state %q", payload, state)
			}
		})
	}
	// The control case: the same construction with a good payload passes,
	// so the refusals above are about content, not the signing helper.
	good := `{"v":1,"t":"acme","vd":"linkflow","b":1,"o":"listContacts","f":"` + fh + `","s":"2","x":` + itoa(int(exp)) + `}`
	if state, err := c.decode(sc, signed(good)); err != nil || state != "2" {
		t.Fatalf("good payload: %q, %v", state, err)
	}
}

func TestCursorsEncodeLastPage(t *testing.T) {
	t.Parallel()
	// No next state means no next cursor: the list ends.
	c := NewCursors([]byte("0123456789abcdef"), nil)
	if got := c.encode(cursorScope{tenant: "acme"}, ""); got != "" {
		t.Fatalf("encode of empty state = %q, want \"\"", got)
	}
}

func TestNewCursorsCopiesSecret(t *testing.T) {
	t.Parallel()
	// The config's buffer may be reused or zeroed after start-up.
	secret := []byte("0123456789abcdef")
	c := NewCursors(secret, nil)
	cur := c.encode(cursorScope{tenant: "acme"}, "2")
	for i := range secret {
		secret[i] = 0
	}
	if _, err := c.decode(cursorScope{tenant: "acme"}, cur); err != nil {
		t.Fatalf("cursor refused after the caller's secret buffer changed: %v", err)
	}
}
