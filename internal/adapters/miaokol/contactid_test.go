package miaokol_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// Contact ids round-trip whatever the WeCom ids hold, in one spelling.
func TestContactIDRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rel, contact, want string
	}{
		{"digits", "1688851873049028", "7881302795046315", "1688851873049028~7881302795046315"},
		{"plain characters", "wm.A_b-9", "Zz.-_0", "wm.A_b-9~Zz.-_0"},
		{"tilde", "a~b", "~", "a%7Eb~%7E"},
		{"percent", "100%", "%25", "100%25~%2525"},
		{"slash", "a/b", "/", "a%2Fb~%2F"},
		{"spaces", "a b", " ", "a%20b~%20"},
		{"non-ASCII", "张三", "wmé", "%E5%BC%A0%E4%B8%89~wm%C3%A9"},
		{"query and path characters", "a?b#c&d=e", "+;:@", "a%3Fb%23c%26d%3De~%2B%3B%3A%40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := miaokol.ContactID(tt.rel, tt.contact); got != tt.want {
				t.Fatalf("ContactID(%q, %q) = %q, want %q", tt.rel, tt.contact, got, tt.want)
			}
			rel, contact, err := miaokol.ParseContactID(tt.want)
			if err != nil || rel != tt.rel || contact != tt.contact {
				t.Fatalf("ParseContactID(%q) = %q, %q, %v; want %q, %q", tt.want, rel, contact, err, tt.rel, tt.contact)
			}
		})
	}
}

// Every spelling but the one ContactID writes is refused, naming the
// path parameter.
func TestContactIDMalformed(t *testing.T) {
	t.Parallel()
	for _, id := range []string{
		"",
		"1688851873049028",  // no separator
		"~7881302795046315", // empty rel_wxid
		"1688851873049028~", // empty contact_wxid
		"~",                 // both empty
		"a~b~c",             // two separators
		"a%7eb~c",           // lowercase hex
		"a%7Eb~c%2f",        // lowercase hex in the second part
		"a%41~b",            // 'A' needs no escape
		"a%2D~b",            // '-' needs no escape
		"a%2E~b",            // '.' needs no escape
		"a~%5F",             // '_' needs no escape
		"a%2~b",             // short escape
		"a~b%",              // bare percent at the end
		"a%~b",              // bare percent
		"a%G1~b",            // not hex
		"a b~c",             // raw space
		"a/b~c",             // raw slash
		"a+b~c",             // raw plus
		"张三~c",              // raw non-ASCII
		"a%FF~b",            // not UTF-8
		"a%E5%BC~b",         // cut UTF-8 sequence
		"a\x00~b",           // control character
	} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			rel, contact, err := miaokol.ParseContactID(id)
			if err == nil {
				t.Fatalf("ParseContactID(%q) = %q, %q; want an error", id, rel, contact)
			}
			vendortest.WantValidation(t, err, "path.contact_id")
		})
	}
}

// idChars are the characters a contact id is written with.
const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-%~"

// Any pair of non-empty UTF-8 WeCom ids makes an id that reads back as
// the pair, and that only ContactID's characters spell.
func FuzzContactID(f *testing.F) {
	f.Add("1688851873049028", "7881302795046315")
	f.Add("a~b", "%2F")
	f.Add("张三 ", "~~")
	f.Fuzz(func(t *testing.T, rel, contact string) {
		if rel == "" || contact == "" || !utf8.ValidString(rel) || !utf8.ValidString(contact) {
			return
		}
		id := miaokol.ContactID(rel, contact)
		if i := strings.IndexFunc(id, func(r rune) bool { return !strings.ContainsRune(idChars, r) }); i >= 0 {
			t.Fatalf("ContactID(%q, %q) = %q holds %q", rel, contact, id, id[i])
		}
		r, c, err := miaokol.ParseContactID(id)
		if err != nil || r != rel || c != contact {
			t.Fatalf("ParseContactID(ContactID(%q, %q)) = %q, %q, %v", rel, contact, r, c, err)
		}
	})
}
