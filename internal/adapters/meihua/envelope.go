package meihua

import (
	"bytes"
	"encoding/json"
)

// successList finds the list of a plain success answer: body a JSON
// object whose member success is true and whose member data is an object
// with an array as its member list (or another name, member), each named
// once, exactly so. It returns the array's bytes, which the caller must
// decode as one JSON value: the rest of body is checked here, except
// where list is the last member of data and data the last of body (the
// simulator's order), where the array is taken to end at the last ']' of
// body, so that the list is walked only once, by its decoding. A decoding that fails there, as one of
// `"list":[1],"x":[2]}}` does, leaves the answer to readRecords.
//
// readRecords decodes the envelope into maps, which take each name as
// written, unescaped, and its last value; plain means they read the same
// success and list as found here: names are read as written, and an
// answer with an escape in a name around its list, or a repeated
// success, data or list, is not plain.
func successList(body []byte, member string) ([]byte, bool) {
	s := scanner{b: body}
	var success bool
	var list []byte
	found := s.members(func(name string) bool {
		switch name {
		case "success":
			if success {
				return false
			}
			success = s.literal("true")
			return success
		case "data":
			if list != nil {
				return false
			}
			return s.members(func(name string) bool {
				if name != member {
					return s.skipValid()
				}
				if list != nil || s.at() != '[' {
					return false
				}
				start := s.i
				if end := s.closingTail(); end > start {
					list, s.i, s.done = body[start:end], len(body), true
					return true
				}
				s.skip()
				list = body[start:s.i]
				return true
			}) && list != nil
		}
		return s.skipValid()
	})
	s.ws()
	return list, found && success && list != nil && s.i == len(body)
}

// scanner walks JSON.
type scanner struct {
	b []byte
	i int
	// done is set by a value that ends the walk: the objects around it
	// end with it.
	done bool
}

// members reads the object at the scanner, calling value with the name of
// each member, as written, with the scanner at its value, which value
// must read. It reports false when value does, when a name holds an
// escape or a control character, or when the object is not well formed
// around its values. A value that sets done ends the object there.
func (s *scanner) members(value func(name string) bool) bool {
	if s.at() != '{' {
		return false
	}
	s.i++
	if s.at() == '}' {
		s.i++
		return true
	}
	for {
		name, ok := s.name()
		if !ok || s.at() != ':' {
			return false
		}
		s.i++
		s.ws()
		if !value(name) {
			return false
		}
		if s.done {
			return true
		}
		switch s.at() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// at skips white space and returns the byte at the scanner, 0 at the end.
func (s *scanner) at() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// name reads a member name at the scanner: a string without escapes
// (or control characters, which JSON does not allow).
func (s *scanner) name() (string, bool) {
	if s.at() != '"' {
		return "", false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			name := string(s.b[s.i+1 : j])
			s.i = j + 1
			return name, true
		case c < 0x20 || c == '\\':
			return "", false
		}
	}
	return "", false
}

// literal reads the value at the scanner, which must be lit.
func (s *scanner) literal(lit string) bool {
	start := s.i
	s.skip()
	return string(bytes.TrimSpace(s.b[start:s.i])) == lit
}

// skipValid skips the value at the scanner and reports whether it is
// one valid JSON value.
func (s *scanner) skipValid() bool {
	start := s.i
	s.skip()
	return json.Valid(s.b[start:s.i])
}

// closingTail returns the end of the array at the scanner when the
// array may close the object holding it and that object's own holder,
// body's last: that is, when body ends with ']', '}' and '}' (and white
// space); 0 otherwise.
func (s *scanner) closingTail() int {
	end := len(s.b)
	for _, c := range []byte("}}]") {
		for end > s.i && isSpace(s.b[end-1]) {
			end--
		}
		if end == s.i || s.b[end-1] != c {
			return 0
		}
		end--
	}
	return end + 1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// ws skips white space.
func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
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

// skip skips the value at the scanner, which must be valid JSON for the
// scanner to end after it.
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
