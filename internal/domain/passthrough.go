package domain

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"strings"
)

// Passthrough sends a raw request to the vendor after checking that its
// path is written in its one normal form and lies under a prefix the
// vendor's adapter allows.
func (s *Service) Passthrough(ctx context.Context, t Target, req PassthroughRequest) (PassthroughResponse, error) {
	p, err := port[Passthrougher](t.conn, OpPassthrough)
	if err != nil {
		return PassthroughResponse{}, err
	}
	if err := CheckPassthroughPath(t.Vendor, req.Path, p.PassthroughPrefixes()); err != nil {
		return PassthroughResponse{}, err
	}
	switch req.Method {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
	default:
		return PassthroughResponse{}, Invalid("body.method", "must be GET, POST, PUT, PATCH or DELETE")
	}
	if len(req.Body) > 0 && !json.Valid(req.Body) {
		return PassthroughResponse{}, Invalid("body.body", "is not valid JSON")
	}
	if req.Method == "GET" && len(req.Body) > 0 && string(req.Body) != "null" {
		return PassthroughResponse{}, Invalid("body.body", "is not allowed with GET")
	}
	return p.Passthrough(ctx, req)
}

// CheckPassthroughPath refuses, as a ValidationError naming body.path, a
// path that CleanRelativePath refuses or that no prefix of v's allow-list
// covers. Adapters call it too, so that they never send what the Service
// would refuse.
func CheckPassthroughPath(v Vendor, p string, prefixes []string) error {
	if _, err := CleanRelativePath(p); err != nil {
		return Invalid("body.path", err.Error())
	}
	if !PassthroughAllowed(p, prefixes) {
		if len(prefixes) == 0 {
			return Invalid("body.path", "is not allowed: "+string(v)+" allows no passthrough paths")
		}
		return Invalid("body.path", "is not allowed: "+string(v)+" passthrough paths start with "+strings.Join(prefixes, ", "))
	}
	return nil
}

// PassthroughAllowed reports whether the clean path p is one of prefixes
// or lies below one of them, segment by segment: "/open" allows "/open"
// and "/open/orders", not "/opener". The comparison is exact (case
// included): a path in another spelling than the prefix is not allowed.
func PassthroughAllowed(p string, prefixes []string) bool {
	for _, pre := range prefixes {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// CleanRelativePath checks that p is a path on the vendor's host in its
// one normal form and returns it unchanged. Vendors' servers read some
// spellings as another path (/token;x and /token%3Bx as /token, /open//x
// as /open/x, a trailing slash dropped), so rather than rewrite them the
// gateway refuses every path but the normal one: it starts with a single
// "/", its segments are non-empty, are not "." or "..", and hold only
// ASCII letters, digits and -._~!$&'()*+,=:@ (RFC 3986 path characters
// without ";" and without percent-encoding), and it has no trailing
// slash. "/" alone is accepted (no vendor allows it through).
func CleanRelativePath(p string) (string, error) {
	switch {
	case !strings.HasPrefix(p, "/"):
		return "", errors.New("must be a path starting with /")
	case p == "/":
		return p, nil
	case strings.HasSuffix(p, "/"):
		return "", errors.New("must not end with /")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch seg {
		case "":
			return "", errors.New("must not contain empty segments (//)")
		case ".", "..":
			return "", errors.New("must not contain . or .. segments")
		}
		if i := strings.IndexFunc(seg, notPathChar); i >= 0 {
			switch c := seg[i]; c {
			case ';':
				return "", errors.New("must not contain ; (matrix parameters)")
			case '%':
				return "", errors.New("must not contain percent-encoding: write the path decoded")
			default:
				return "", errors.New("may hold only ASCII letters, digits and -._~!$&'()*+,=:@ between slashes")
			}
		}
	}
	if path.Clean(p) != p {
		return "", errors.New("must be a clean path")
	}
	return p, nil
}

// notPathChar reports the characters a normal path segment may not hold.
func notPathChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("-._~!$&'()*+,=:@", r)
}
