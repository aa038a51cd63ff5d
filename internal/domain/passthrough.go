package domain

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path"
	"strings"
)

// Passthrough sends a raw request to the vendor after checking that its
// path stays relative to the vendor's API base.
func (s *Service) Passthrough(ctx context.Context, t Target, req PassthroughRequest) (PassthroughResponse, error) {
	p, err := port[Passthrougher](t.conn, OpPassthrough)
	if err != nil {
		return PassthroughResponse{}, err
	}
	clean, err := CleanRelativePath(req.Path)
	if err != nil {
		return PassthroughResponse{}, Invalid("body.path", err.Error())
	}
	req.Path = clean
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

// CleanRelativePath checks that p is a plain absolute path on the vendor's
// host ("/open/orders"): no scheme or host, no "..", no "//", no escapes
// that decode to any of those. It returns the decoded path.
func CleanRelativePath(p string) (string, error) {
	dec, err := url.PathUnescape(p)
	if err != nil {
		return "", errors.New("is not a valid URL path")
	}
	switch {
	case !strings.HasPrefix(dec, "/") || strings.HasPrefix(dec, "//"):
		return "", errors.New("must be a path starting with a single /")
	case strings.ContainsAny(dec, "\\?#%") || strings.Contains(dec, "://"):
		return "", errors.New("must be a plain path without scheme, host, query, fragment or double escapes")
	case strings.IndexFunc(dec, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return "", errors.New("must not contain control characters")
	}
	for _, seg := range strings.Split(dec, "/") {
		if seg == ".." || seg == "." {
			return "", errors.New("must not contain . or .. segments")
		}
	}
	if path.Clean(dec) != strings.TrimSuffix(dec, "/") && dec != "/" {
		return "", errors.New("must be a clean path")
	}
	return dec, nil
}
