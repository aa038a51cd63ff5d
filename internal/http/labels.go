package http

import "net/http"

// methodLabel is a request method as a metric label: the methods the API
// has, and "other" for anything else, so that a caller inventing methods
// cannot grow the label set without bound.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
