package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// The hot answers — a page of contacts, one contact — are encoded by hand
// (see appendContact), or where that cannot with github.com/goccy/go-json,
// rather than with the generated code's encoding/json: the same bytes
// (TestFastAnswersEncodeAsGenerated, FuzzHandEncoding) for less CPU
// (BenchmarkAnswerEncoding). Each type is its generated answer
// with the generated Visit method's work done by writeJSON.

// contactListAnswer is ListContacts200JSONResponse, encoded by writeJSON.
type contactListAnswer ListContacts200JSONResponse

// VisitListContactsResponse implements ListContactsResponseObject.
func (a contactListAnswer) VisitListContactsResponse(w http.ResponseWriter) error {
	h := a.Headers
	return writeJSON(w, http.StatusOK, a.Body, []header{
		{"Cache-Control", h.CacheControl}, {"X-Content-Type-Options", h.XContentTypeOptions},
		{"X-Request-Id", h.XRequestID}, {"X-Vendor", (*string)(h.XVendor)},
	})
}

// contactAnswer is GetContact200JSONResponse, encoded by writeJSON.
type contactAnswer GetContact200JSONResponse

// VisitGetContactResponse implements GetContactResponseObject.
func (a contactAnswer) VisitGetContactResponse(w http.ResponseWriter) error {
	h := a.Headers
	return writeJSON(w, http.StatusOK, a.Body, []header{
		{"Cache-Control", h.CacheControl}, {"ETag", h.ETag}, {"X-Content-Type-Options", h.XContentTypeOptions},
		{"X-Request-Id", h.XRequestID}, {"X-Vendor", (*string)(h.XVendor)},
	})
}

// header is one of an answer's optional headers, set when not nil.
type header struct {
	name  string
	value *string
}

// writeJSON answers status with body (a ContactList or a Contact) as
// JSON and the headers set, as the generated Visit methods do, plus its
// Content-Length: encoded whole before anything is written, so that an
// encoding error still gets its problem answer, and sent in one write
// rather than in chunks. The buffer is reused (answerBuffers).
func writeJSON(w http.ResponseWriter, status int, body any, headers []header) error {
	buf := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(buf)
	b, err := encodeAnswer((*buf)[:0], body)
	*buf = b
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	for _, x := range headers {
		if x.value != nil {
			h.Set(x.name, *x.value)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// encodeAnswer appends body and a newline, as json.Encoder's Encode
// writes it: by hand, or by go-json where the hand encoding cannot.
func encodeAnswer(b []byte, body any) ([]byte, error) {
	var ok bool
	switch body := body.(type) {
	case ContactList:
		b, ok = appendContactList(b, &body)
	case Contact:
		b, ok = appendContact(b, &body)
	}
	if ok {
		return append(b, '\n'), nil
	}
	buf := bytes.NewBuffer(b[:0])
	err := gojson.NewEncoder(buf).Encode(body)
	return buf.Bytes(), err
}

// answerBuffers hold the encoded answers: a page of contacts is tens of
// kilobytes, which a new buffer would reach by doubling, a copy at each
// step. A buffer grown past maxPooledAnswer (a rare page of large
// records) is left to the collector rather than kept.
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledAnswer = 1 << 20

func putAnswerBuffer(b *[]byte) {
	if cap(*b) > maxPooledAnswer {
		return
	}
	*b = (*b)[:0]
	answerBuffers.Put(b)
}

// The contact answers are encoded by hand (appendContactList,
// appendContact): the generated types' members in their order, omitted
// as encoding/json omits them, strings escaped as it escapes them (HTML
// characters, U+2028 and U+2029, invalid UTF-8 as \ufffd), custom field
// maps with their keys sorted, numbers as written, a raw record as
// encoding/json writes it. A page of 50 contacts costs a third less CPU
// than with go-json, and 4 allocations instead of 151
// (BenchmarkAnswerEncoding). What they do not know or cannot encode
// exactly as encoding/json would (unwritten fields, a truncation, a
// custom value of another type, an invalid json.Number, a time out of
// RFC 3339's range or not in UTC) makes them report false, and the
// answer is encoded whole by go-json instead, which also gives
// encoding/json's errors. TestHandEncodingFollowsTheSpec fails when the
// generated types get a member these do not write.

// appendContactList appends l as encoding/json encodes it; false if it
// cannot.
func appendContactList(b []byte, l *ContactList) ([]byte, bool) {
	if l.Truncated != nil {
		return b, false
	}
	b = append(b, `{"data":`...)
	if l.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range l.Data {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendContact(b, &l.Data[i]); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	if l.NextCursor == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *l.NextCursor)
	}
	return append(b, '}'), true
}

// appendContact appends c as encoding/json encodes it; false if it
// cannot.
func appendContact(b []byte, c *Contact) ([]byte, bool) {
	if c.Unwritten != nil {
		return b, false
	}
	start := len(b)
	b = append(b, '{')
	if a := c.Address; a != nil {
		b = appendKey(b, start, `,"address":`)
		s := len(b)
		b = append(b, '{')
		b = appendStringMember(b, s, `,"city":`, a.City)
		b = appendStringMember(b, s, `,"country":`, a.Country)
		b = appendStringMember(b, s, `,"postal_code":`, a.PostalCode)
		b = appendStringMember(b, s, `,"province":`, a.Province)
		b = appendStringMember(b, s, `,"street":`, a.Street)
		b = append(b, '}')
	}
	b = appendStringMember(b, start, `,"avatar_url":`, c.AvatarURL)
	if c.Birthday != nil {
		b = appendKey(b, start, `,"birthday":`)
		b = append(c.Birthday.AppendFormat(append(b, '"'), openapi_types.DateFormat), '"')
	}
	b = appendStringMember(b, start, `,"company":`, c.Company)
	var ok bool
	if b, ok = appendTimeMember(b, start, `,"created_at":`, c.CreatedAt); !ok {
		return b, false
	}
	b = appendKey(b, start, `,"custom_fields":`)
	if b, ok = appendObject(b, c.CustomFields); !ok {
		return b, false
	}
	b = appendStringMember(b, start, `,"department":`, c.Department)
	b = appendStringMember(b, start, `,"email":`, c.Email)
	if ids := c.ExternalIds; ids != nil {
		b = appendKey(b, start, `,"external_ids":`)
		b = appendArray(b, *ids, func(b []byte, id *ExternalID) []byte {
			b = appendJSONString(append(b, `{"channel":`...), id.Channel)
			b = appendJSONString(append(b, `,"id":`...), id.ID)
			if id.Type != nil {
				b = appendJSONString(append(b, `,"type":`...), *id.Type)
			}
			return append(b, '}')
		})
	}
	b = appendStringMember(b, start, `,"fax":`, c.Fax)
	b = appendStringMember(b, start, `,"first_name":`, c.FirstName)
	b = appendStringMember(b, start, `,"gender":`, (*string)(c.Gender))
	b = appendStringMember(b, start, `,"home_phone":`, c.HomePhone)
	b = appendStringMember(b, start, `,"id":`, &c.ID)
	b = appendStringMember(b, start, `,"id_card_number":`, c.IDCardNumber)
	b = appendStringMember(b, start, `,"industry":`, c.Industry)
	b = appendStringMember(b, start, `,"instagram":`, c.Instagram)
	b = appendStringMember(b, start, `,"job_title":`, c.JobTitle)
	b = appendStringMember(b, start, `,"last_name":`, c.LastName)
	b = appendStringMember(b, start, `,"line":`, c.Line)
	b = appendStringMember(b, start, `,"messenger":`, c.Messenger)
	b = appendStringMember(b, start, `,"mobile_phone":`, c.MobilePhone)
	b = appendStringMember(b, start, `,"name":`, c.Name)
	b = appendStringMember(b, start, `,"nickname":`, c.Nickname)
	b = appendStringMember(b, start, `,"note":`, c.Note)
	b = appendStringMember(b, start, `,"qq":`, c.Qq)
	if c.Raw != nil {
		// Rare (include=raw), and checked, compacted and escaped as only
		// encoding/json does it.
		raw, err := json.Marshal(*c.Raw)
		if err != nil {
			return b, false
		}
		b = append(appendKey(b, start, `,"raw":`), raw...)
	}
	if tags := c.Tags; tags != nil {
		b = appendKey(b, start, `,"tags":`)
		b = appendArray(b, *tags, func(b []byte, t *TagRef) []byte {
			b = appendJSONString(append(b, `{"id":`...), t.ID)
			return append(appendJSONString(append(b, `,"name":`...), t.Name), '}')
		})
	}
	b = appendStringMember(b, start, `,"time_zone":`, c.TimeZone)
	if b, ok = appendTimeMember(b, start, `,"updated_at":`, c.UpdatedAt); !ok {
		return b, false
	}
	b = appendStringMember(b, start, `,"viber_phone":`, c.ViberPhone)
	b = appendStringMember(b, start, `,"website":`, c.Website)
	b = appendStringMember(b, start, `,"wechat":`, c.Wechat)
	b = appendStringMember(b, start, `,"weibo":`, c.Weibo)
	b = appendStringMember(b, start, `,"whatsapp_phone":`, c.WhatsappPhone)
	b = appendStringMember(b, start, `,"work_phone":`, c.WorkPhone)
	return append(b, '}'), true
}

// appendKey appends key, `,"name":`, without its comma when it is the
// first member of the object begun at start.
func appendKey(b []byte, start int, key string) []byte {
	if len(b) == start+1 {
		return append(b, key[1:]...)
	}
	return append(b, key...)
}

// appendStringMember appends the member key of the object begun at start
// with *s, or nothing when s is nil.
func appendStringMember(b []byte, start int, key string, s *string) []byte {
	if s == nil {
		return b
	}
	return appendJSONString(appendKey(b, start, key), *s)
}

// appendTimeMember appends the member key with *t as time.Time's
// MarshalJSON writes it; false for what it would refuse or a time not in
// UTC, which the contact's times always are.
func appendTimeMember(b []byte, start int, key string, t *time.Time) ([]byte, bool) {
	if t == nil {
		return b, true
	}
	if y := t.Year(); y < 0 || y > 9999 || t.Location() != time.UTC {
		return b, false
	}
	b = append(appendKey(b, start, key), '"')
	return append(t.AppendFormat(b, time.RFC3339Nano), '"'), true
}

// appendArray appends the JSON array of list, each element by one;
// a nil slice is null.
func appendArray[T any](b []byte, list []T, one func([]byte, *T) []byte) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = one(b, &list[i])
	}
	return append(b, ']')
}

// appendObject appends m with its keys sorted, as encoding/json does;
// false for a value it does not know.
func appendObject(b []byte, m map[string]any) ([]byte, bool) {
	if m == nil {
		return append(b, "null"...), true
	}
	var room [16]string
	keys := room[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		var ok bool
		if b, ok = appendValue(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendValue appends a custom field value; false for a type it does not
// know or a json.Number encoding/json would refuse.
func appendValue(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), true
	case string:
		return appendJSONString(b, v), true
	case json.Number:
		if v == "" {
			return append(b, '0'), true
		}
		if !validNumber(string(v)) {
			return b, false
		}
		return append(b, v...), true
	case bool:
		return strconv.AppendBool(b, v), true
	case []any:
		if v == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendValue(b, e); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	case []string:
		return appendArray(b, v, func(b []byte, s *string) []byte { return appendJSONString(b, *s) }), true
	case map[string]any:
		return appendObject(b, v)
	}
	return b, false
}

// validNumber reports whether s is a JSON number, as encoding/json checks
// a json.Number before it writes it.
func validNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits := func() int {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n
	}
	switch {
	case s == "":
		return false
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		digits()
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[1:]
		digits()
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return s == ""
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it with HTML escaping (its default): ", \ and control characters
// escaped (\b \f \n \r \t short), <, > and & as \u003c \u003e \u0026,
// U+2028 and U+2029 as \u2028 \u2029, each byte of invalid UTF-8 as
// \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
