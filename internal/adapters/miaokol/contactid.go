package miaokol

import (
	"strings"
	"unicode/utf8"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Contact ids. Miaokol names a customer by two WeCom ids: rel_wxid, the
// account that added them, and contact_wxid, theirs. The gateway's id of
// a contact is both, each escaped, joined by "~" (see the package doc).

// idSeparator joins the two escaped parts of a contact id; escaping
// never writes it, so it can only be the separator.
const idSeparator = '~'

// ContactID is Miaokol's own contact id (the part after "mk_") of the
// customer contactWxid added by the WeCom account relWxid: both escaped,
// joined by "~". It is the one spelling ParseContactID accepts.
func ContactID(relWxid, contactWxid string) string {
	return escapeWxid(relWxid) + string(idSeparator) + escapeWxid(contactWxid)
}

// ParseContactID reads a contact id as ContactID writes it. Anything else
// (no "~" or more than one, an empty part, a character outside
// [A-Za-z0-9._-] that is not a %XX escape, lowercase hex, an escape of a
// character that needs none, an escaped part that is not UTF-8) is a
// ValidationError naming path.contact_id, so that every contact has one
// id.
func ParseContactID(id string) (relWxid, contactWxid string, err error) {
	rel, contact, ok := strings.Cut(id, string(idSeparator))
	if !ok || strings.ContainsRune(contact, idSeparator) {
		return "", "", invalidContactID("holds its two WeCom ids joined by exactly one ~")
	}
	if rel == "" || contact == "" {
		return "", "", invalidContactID("needs both WeCom ids, rel_wxid~contact_wxid, neither empty")
	}
	if relWxid, err = unescapeWxid(rel); err != nil {
		return "", "", err
	}
	if contactWxid, err = unescapeWxid(contact); err != nil {
		return "", "", err
	}
	return relWxid, contactWxid, nil
}

func invalidContactID(why string) *domain.ValidationError {
	return domain.Invalid("path.contact_id", "is not a miaokol contact id: it "+why+
		", e.g. mk_1688851873049028~7881302795046315")
}

// plain reports the bytes a contact id part holds as they are.
func plain(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

const upperHex = "0123456789ABCDEF"

// escapeWxid writes every byte of s outside [A-Za-z0-9._-] as %XX, in
// uppercase hex.
func escapeWxid(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !plain(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; plain(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b)
}

// unescapeWxid reads one part of a contact id: the inverse of escapeWxid,
// accepting only what escapeWxid writes.
func unescapeWxid(s string) (string, error) {
	if !strings.Contains(s, "%") {
		for i := 0; i < len(s); i++ {
			if !plain(s[i]) {
				return "", invalidContactID("holds a character that is neither a letter, digit, '.', '_', '-' nor a %XX escape")
			}
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case plain(c):
			b = append(b, c)
		case c == '%':
			if i+2 >= len(s) {
				return "", invalidContactID("has a % that is not followed by two hex digits")
			}
			hi, lo := strings.IndexByte(upperHex, s[i+1]), strings.IndexByte(upperHex, s[i+2])
			if hi < 0 || lo < 0 {
				return "", invalidContactID("has a % that is not followed by two uppercase hex digits")
			}
			d := byte(hi<<4 | lo)
			if plain(d) {
				return "", invalidContactID("escapes a character that is written as it is: " + string(rune(d)))
			}
			b = append(b, d)
			i += 2
		default:
			return "", invalidContactID("holds a character that is neither a letter, digit, '.', '_', '-' nor a %XX escape")
		}
	}
	if !utf8.Valid(b) {
		return "", invalidContactID("escapes bytes that are not UTF-8 text")
	}
	return string(b), nil
}
