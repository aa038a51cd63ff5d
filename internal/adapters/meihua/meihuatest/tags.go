package meihuatest

// addTag serves POST /contact/tag/add. A name that is taken creates
// nothing and still answers success.
func (s *Server) addTag(p params) (any, error) {
	name, err := p.required("name")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tags {
		if t.Name == name {
			return "success", nil
		}
	}
	s.addTagLocked(name)
	return "success", nil
}

type tagSummary struct {
	TagName     string `json:"tagName"`
	ID          int64  `json:"id"`
	ContactSize int    `json:"contactSize"`
}

type tagPage struct {
	Total int          `json:"total"`
	Tags  []tagSummary `json:"tags"`
}

// listTags serves GET /contact/tag/all.
func (s *Server) listTags(p params) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[int64]string{}
	for id, t := range s.tags {
		names[id] = t.Name
	}
	total, tags, err := summaries(s, p, names, tagsOf, func(x summary) tagSummary {
		return tagSummary{TagName: x.name, ID: x.id, ContactSize: x.size}
	})
	return tagPage{Total: total, Tags: tags}, err
}
