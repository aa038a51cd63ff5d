package meihua

import (
	"bytes"
	"strings"
)

// plainEnvelope reports whether body, a JSON object, names its members
// success and data, and data's member list, plainly: each once, spelled
// exactly so, and beside no other member whose name a decoder could take
// for one of them (in another case, or with an escape).
//
// A struct decoder matches member names without regard to case and
// merges a repeated object into the first one; readRecords decodes the
// envelope into maps, which take the exact name and the last value. On a
// plain envelope the two read the same; another one is left to
// readRecords. body must be valid JSON: the scan does not check it.
func plainEnvelope(body []byte, list string) bool {
	s := scanner{b: body}
	return s.members([]string{"success", "data"}, func(name string) bool {
		if name != "data" {
			s.skip()
			return true
		}
		return s.members([]string{list}, func(string) bool { s.skip(); return true })
	})
}

// scanner walks valid JSON.
type scanner struct {
	b []byte
	i int
}

// members walks the object at the scanner: for a member whose name is one
// of names it calls value, which must read the member's value, and skips
// the others. It reports false, and stops, when value does, when a name
// holds an escape, or when a name folds to one of names (as Unicode
// folds case: ſ is s) but is not exactly it, or is there twice.
func (s *scanner) members(names []string, value func(name string) bool) bool {
	seen := make([]bool, len(names))
	if s.ws(); s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] == '}' {
			s.i++
			return true
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		raw := s.str()
		s.ws()
		s.i++ // the colon
		s.ws()
		if bytes.IndexByte(raw, '\\') >= 0 {
			return false
		}
		known := -1
		for k, n := range names {
			if strings.EqualFold(string(raw), n) {
				if string(raw) != n || seen[k] {
					return false
				}
				seen[k], known = true, k
			}
		}
		if known < 0 {
			s.skip()
		} else if !value(names[known]) {
			return false
		}
	}
}

// ws skips white space.
func (s *scanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// str reads the string at the scanner and returns its bytes between the
// quotes, as written.
func (s *scanner) str() []byte {
	start := s.i + 1
	for j := start; ; {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			s.i = len(s.b)
			return nil
		}
		end := j + k
		escapes := 0
		for p := end - 1; p >= start && s.b[p] == '\\'; p-- {
			escapes++
		}
		if escapes%2 == 0 {
			s.i = end + 1
			return s.b[start:end]
		}
		j = end + 1
	}
}

// skip skips the value at the scanner.
func (s *scanner) skip() {
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.str()
			if depth == 0 {
				return
			}
		case c == '{' || c == '[':
			depth++
			s.i++
		case c == '}' || c == ']':
			if depth == 0 {
				return
			}
			depth--
			s.i++
			if depth == 0 {
				return
			}
		case c == ',' && depth == 0:
			return
		default:
			s.i++
		}
	}
}
