package linkflowtest

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	maxTagsSize   = 200
	maxOrderPages = 100
)

// listFolders serves GET /open/folders.
func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	out := []Folder{}
	for _, id := range sortedKeys(s.folders) {
		out = append(out, *s.folders[id])
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// listTags serves GET /v1/tags. page and size are required; size is at
// most 200. Every parameter problem is the documented 500 B00010.
func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	bad := func(msg string) error { return &apiError{statusTagsInvalid, codeInvalid, msg} }
	parse := func(name string) (int64, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return 0, bad(name + " is required")
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, bad(name + " must be an integer")
		}
		return n, nil
	}
	page, err := parse("page")
	if err != nil {
		return err
	}
	size, err := parse("size")
	if err != nil {
		return err
	}
	if page < 0 {
		return bad("page must be 0 or more")
	}
	if size < 1 || size > maxTagsSize {
		return bad("size must be between 1 and 200")
	}
	s.mu.Lock()
	ids := sortedKeys(s.tags)
	lo, hi := pageSlice(len(ids), page, size)
	out := make([]Tag, 0, hi-lo)
	for _, id := range ids[lo:hi] {
		out = append(out, *s.tags[id])
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// calculateTag serves POST /v1/tags/tagkeys/{tagKey}/calculate.
func (s *Server) calculateTag(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("tagKey")
	s.mu.Lock()
	var found *Tag
	for _, t := range s.tags {
		if t.TagKey == key {
			found = t
			break
		}
	}
	if found == nil {
		s.mu.Unlock()
		return notFound("tag %q not found", key)
	}
	found.LastCalculateTime = s.now()
	s.mu.Unlock()
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// listOrders serves GET /open/orders in cursor mode (lastMaxId given) or
// page mode (page 1..100).
func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	lastMaxID, cursor, err := queryInt(q, "lastMaxId", 0)
	if err != nil {
		return err
	}
	if lastMaxID < 0 {
		return invalid("lastMaxId must be 0 or more")
	}
	page := int64(1)
	if !cursor {
		if page, _, err = queryInt(q, "page", 1); err != nil {
			return err
		}
		if page < 1 {
			return invalid("page starts at 1")
		}
		if page > maxOrderPages {
			return &apiError{statusPageLimit, codePageLimit, "page must not exceed 100"}
		}
	}
	start, hasStart, err := queryTime(q, "startTime")
	if err != nil {
		return err
	}
	end, hasEnd, err := queryTime(q, "endTime")
	if err != nil {
		return err
	}
	n := int64(s.cfg.OrderPageSize)
	s.mu.Lock()
	var matched []*Order
	for _, id := range sortedKeys(s.orders) {
		o := s.orders[id]
		if cursor && id <= lastMaxID {
			continue
		}
		if hasStart && o.LastUpdated.Before(start) {
			continue
		}
		if hasEnd && !o.LastUpdated.Before(end) {
			continue
		}
		matched = append(matched, o)
		if cursor && int64(len(matched)) == n {
			break
		}
	}
	lo, hi := 0, len(matched)
	if !cursor {
		lo, hi = pageSlice(len(matched), page-1, n)
	}
	out := make([]Order, 0, hi-lo)
	for _, o := range matched[lo:hi] {
		out = append(out, o.clone())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createShortURL serves POST /open/shorturl.
func (s *Server) createShortURL(w http.ResponseWriter, r *http.Request) error {
	m, err := decodeObject(r)
	if err != nil {
		return err
	}
	raw, err := reqString(m, "url")
	if err != nil {
		return err
	}
	u, perr := url.Parse(raw)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url must be an absolute http or https URL")
	}
	if _, err := parseUTM(m["utm"]); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"shorturl": "http://ln8w.cn/" + randomString(6)})
	return nil
}
