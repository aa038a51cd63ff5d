package http

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// sampleContacts are contacts with what an encoder can get wrong: text
// that encoding/json escapes (HTML characters, U+2028, invalid UTF-8,
// control characters), numbers beyond 2^53 in custom fields and raw
// records, dates, empty and absent members.
func sampleContacts(n int) []domain.Contact {
	bd := time.Date(1988, 2, 21, 0, 0, 0, 0, time.UTC)
	at := time.Date(2026, 11, 29, 9, 30, 15, 123456789, time.FixedZone("CST", 8*3600))
	cs := make([]domain.Contact, n)
	for i := range cs {
		cs[i] = domain.Contact{
			ID: "mh_9007199254740993", Name: "郭强 <b>&</b>", Gender: "female", Birthday: &bd,
			Email: "guo.0001@example.com", MobilePhone: "13528439058", Company: "华东\u2028商贸\u2029",
			JobTitle: "bad \xff utf8", Note: "tab\tnew\nline \x01 \"quoted\" \\", Address: domain.Address{Country: "中国", City: "南京"},
			CustomFields: map[string]any{
				"1": "银卡", "big": json.Number("9007199254740993"), "list": []any{json.Number("1.50"), "x", nil, true},
				"obj": map[string]any{"z": json.Number("-9007199254740993"), "a": "<tag>"},
			},
			Raw:       json.RawMessage(`{"id":9007199254740993,"name":"\u90ed"}`),
			CreatedAt: at, UpdatedAt: at, Version: "1790318306396",
			ExternalIDsLoaded: i%2 == 0, ExternalIDs: []domain.ExternalID{{Channel: "wechat", ID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}},
			TagsLoaded: true, Tags: []domain.TagRef{{ID: "1218", Name: "新客"}},
		}
	}
	cs = append(cs, domain.Contact{ID: "lf_1"}) // nothing but an id
	return cs
}

// The answers writeJSON encodes are byte for byte, header for header,
// what the generated code would answer.
func TestFastAnswersEncodeAsGenerated(t *testing.T) {
	t.Parallel()
	cc, nosniff, rid, v := "no-store", "nosniff", "req-1", Vendor("meihua")
	etag := `"v1"`
	cs := sampleContacts(3)
	list := ContactList{Data: toContacts(cs), NextCursor: nextCursor("c1")}
	listHeaders := ListContacts200ResponseHeaders{CacheControl: &cc, XContentTypeOptions: &nosniff, XRequestID: &rid, XVendor: &v}
	one := toContact(cs[0])
	oneHeaders := GetContact200ResponseHeaders{CacheControl: &cc, ETag: &etag, XContentTypeOptions: &nosniff, XRequestID: &rid, XVendor: &v}
	for _, c := range []struct {
		name      string
		fast, gen func(http.ResponseWriter) error
	}{
		{"list", contactListAnswer{Body: list, Headers: listHeaders}.VisitListContactsResponse,
			ListContacts200JSONResponse{Body: list, Headers: listHeaders}.VisitListContactsResponse},
		{"list without headers", contactListAnswer{Body: list}.VisitListContactsResponse,
			ListContacts200JSONResponse{Body: list}.VisitListContactsResponse},
		{"empty list", contactListAnswer{Body: ContactList{Data: []Contact{}}}.VisitListContactsResponse,
			ListContacts200JSONResponse{Body: ContactList{Data: []Contact{}}}.VisitListContactsResponse},
		{"contact", contactAnswer{Body: one, Headers: oneHeaders}.VisitGetContactResponse,
			GetContact200JSONResponse{Body: one, Headers: oneHeaders}.VisitGetContactResponse},
		{"bare contact", contactAnswer{Body: toContact(cs[len(cs)-1])}.VisitGetContactResponse,
			GetContact200JSONResponse{Body: toContact(cs[len(cs)-1])}.VisitGetContactResponse},
	} {
		fast, gen := httptest.NewRecorder(), httptest.NewRecorder()
		if err := c.fast(fast); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := c.gen(gen); err != nil {
			t.Fatalf("%s: generated: %v", c.name, err)
		}
		if fast.Code != gen.Code || fast.Body.String() != gen.Body.String() {
			t.Fatalf("%s: answered %d\n%s\nthe generated code answers %d\n%s", c.name, fast.Code, fast.Body, gen.Code, gen.Body)
		}
		// The one header the generated code does not set.
		if got := fast.Header().Get("Content-Length"); got != strconv.Itoa(fast.Body.Len()) {
			t.Fatalf("%s: Content-Length %q for a body of %d bytes", c.name, got, fast.Body.Len())
		}
		if len(fast.Header()) != len(gen.Header())+1 {
			t.Fatalf("%s: headers %v, generated %v", c.name, fast.Header(), gen.Header())
		}
		for k := range gen.Header() {
			if fast.Header().Get(k) != gen.Header().Get(k) {
				t.Fatalf("%s: %s: %q, generated %q", c.name, k, fast.Header().Get(k), gen.Header().Get(k))
			}
		}
	}
}

// BenchmarkAnswerEncoding encodes a page of 50 contacts as the gateway
// answers it (fast) and as the generated code would (generated), without
// and with their raw records (include=raw), into a writer that keeps
// nothing.
func BenchmarkAnswerEncoding(b *testing.B) {
	withRaw := toContacts(sampleContacts(49))
	plain := slices.Clone(withRaw)
	for i := range plain {
		plain[i].Raw = nil
	}
	for _, page := range []struct {
		name string
		list ContactList
	}{{"page", ContactList{Data: plain}}, {"page with raw", ContactList{Data: withRaw}}} {
		for _, c := range []struct {
			name  string
			visit func(http.ResponseWriter) error
		}{
			{"fast", contactListAnswer{Body: page.list}.VisitListContactsResponse},
			{"generated", ListContacts200JSONResponse{Body: page.list}.VisitListContactsResponse},
		} {
			b.Run(page.name+"/"+c.name, func(b *testing.B) {
				w := &discardWriter{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					if err := c.visit(w); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkToContacts converts a page of 50 contacts to the answer's types.
func BenchmarkToContacts(b *testing.B) {
	cs := sampleContacts(49)
	b.ReportAllocs()
	for b.Loop() {
		_ = toContacts(cs)
	}
}

// answerFiller sets the members of an answer by reflection, each pointer
// set or left nil as rnd decides (every one with all), strings and custom
// values taken from its lists. It fails on a type it does not know: a
// member the spec adds to Contact or ContactList is filled, and so
// encoded by the generated code, or fails the test, until
// appendContact writes it too.
type answerFiller struct {
	t      *testing.T
	rnd    *rand.Rand
	all    bool
	strs   []string
	values []any
	raws   []string
}

func (f *answerFiller) pick() bool { return f.all || f.rnd.IntN(3) > 0 }

func (f *answerFiller) str() string { return f.strs[f.rnd.IntN(len(f.strs))] }

func (f *answerFiller) custom(depth int) any {
	switch n := f.rnd.IntN(8); {
	case n < 5 || depth > 1:
		return f.values[f.rnd.IntN(len(f.values))]
	case n == 5:
		return []any{f.custom(depth + 1), f.str(), f.custom(depth + 1)}
	case n == 6:
		return []string{f.str(), f.str()}
	}
	return map[string]any{f.str(): f.custom(depth + 1), f.str(): f.custom(depth + 1)}
}

func (f *answerFiller) fill(v reflect.Value) {
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		at := time.Date(1990+f.rnd.IntN(60), time.Month(1+f.rnd.IntN(12)), 1+f.rnd.IntN(28), f.rnd.IntN(24), 0, f.rnd.IntN(60), f.rnd.IntN(3)*123456789, time.UTC)
		v.Set(reflect.ValueOf(at))
		return
	case reflect.TypeFor[openapi_types.Date]():
		v.Set(reflect.ValueOf(openapi_types.Date{Time: time.Date(1950+f.rnd.IntN(60), 2, 21, 0, 0, 0, 0, time.UTC)}))
		return
	case reflect.TypeFor[Raw]():
		v.Set(reflect.ValueOf(Raw(f.raws[f.rnd.IntN(len(f.raws))])))
		return
	case reflect.TypeFor[CustomFields]():
		m := CustomFields{}
		for range f.rnd.IntN(6) {
			m[f.str()] = f.custom(0)
		}
		v.Set(reflect.ValueOf(m))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Int:
		v.SetInt(int64(f.rnd.IntN(5000)))
	case reflect.Pointer:
		if f.pick() {
			v.Set(reflect.New(v.Type().Elem()))
			f.fill(v.Elem())
		}
	case reflect.Slice:
		if !f.all && f.rnd.IntN(5) == 0 {
			return // nil, which encodes as null
		}
		n := f.rnd.IntN(4)
		if f.all {
			n = 2
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			f.fill(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f.fill(v.Field(i))
		}
	default:
		f.t.Fatalf("answerFiller does not know %s (a new member in the spec?): teach it and appendContact", v.Type())
	}
}

// sameAsGenerated checks that encodeAnswer encodes body as the generated
// code's encoding/json does, or fails when it does.
func sameAsGenerated(t *testing.T, body any) {
	t.Helper()
	var want bytes.Buffer
	wantErr := json.NewEncoder(&want).Encode(body)
	got, err := encodeAnswer(nil, body)
	if (err != nil) != (wantErr != nil) || (err == nil && !bytes.Equal(got, want.Bytes())) {
		t.Fatalf("encoded as\n%s (%v)\nencoding/json encodes\n%s (%v)", got, err, want.Bytes(), wantErr)
	}
}

var (
	answerStrings = []string{"", "a", "郭强", "<b>&amp;</b>", "line\nbreak\ttab\r\b\f\x00\x1f\x7f", `"quoted" \ back\slash`,
		"\u2028\u2029", "bad \xff utf8 \xe2\x80", "\xe2\x80\xa8x\xed\xa0\x80", "emoji 😀", "9007199254740993", "mk_1688851873049028~7881302795046315"}
	answerValues = []any{nil, "银卡", "<tag>", true, false, json.Number("9007199254740993"), json.Number("-9007199254740993"),
		json.Number("12.50"), json.Number("1e400"), json.Number("-0"), json.Number("0.5E-3"), json.Number("")}
	answerRaws = []string{`{"id":9007199254740993,"name":"\u90ed"}`, "{ \"a\" : [ 1 , \"<&>\u2028\" ] ,\n \"b\": {} }", `{}`}
)

// TestHandEncodingFollowsTheSpec: a contact with every member the
// generated types have, filled by reflection, is encoded by hand (not
// handed to go-json) into what encoding/json encodes; with unwritten
// fields, which only write answers carry, and a truncated list, go-json
// encodes them instead.
func TestHandEncodingFollowsTheSpec(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		f := &answerFiller{t: t, rnd: rand.New(rand.NewPCG(seed, 1)), all: true, strs: answerStrings, values: answerValues, raws: answerRaws}
		var list ContactList
		f.fill(reflect.ValueOf(&list).Elem())
		sameAsGenerated(t, list)
		if _, ok := appendContactList(nil, &list); ok {
			t.Fatal("a truncated list encoded by hand")
		}
		for i := range list.Data {
			sameAsGenerated(t, list.Data[i])
			if _, ok := appendContact(nil, &list.Data[i]); ok {
				t.Fatal("a contact with unwritten fields encoded by hand")
			}
			list.Data[i].Unwritten = nil
			sameAsGenerated(t, list.Data[i])
			if _, ok := appendContact(nil, &list.Data[i]); !ok {
				t.Fatalf("contact %+v not encoded by hand", list.Data[i])
			}
		}
		list.Truncated = nil
		sameAsGenerated(t, list)
		if _, ok := appendContactList(nil, &list); !ok {
			t.Fatal("a page not encoded by hand")
		}
	}
}

// FuzzHandEncoding: pages of contacts, their members set or not, with
// any text, are encoded as encoding/json encodes them.
func FuzzHandEncoding(f *testing.F) {
	f.Add(uint64(1), "郭强 <b>&</b>", "bad \xff", "{\"x\": [1, 2] }")
	f.Add(uint64(2), "\u2028", "\x00\x1f\"\\", "not json")
	f.Add(uint64(3), "", "9007199254740993", "[1]")
	f.Fuzz(func(t *testing.T, seed uint64, s1, s2, raw string) {
		fl := &answerFiller{t: t, rnd: rand.New(rand.NewPCG(seed, 2)), strs: append([]string{s1, s2, s1 + s2}, answerStrings...),
			values: append([]any{s1, json.Number(s2)}, answerValues...), raws: append([]string{raw}, answerRaws...)}
		var list ContactList
		fl.fill(reflect.ValueOf(&list).Elem())
		for i := range list.Data {
			if fl.rnd.IntN(2) == 0 {
				list.Data[i].Unwritten = nil
			}
			sameAsGenerated(t, list.Data[i])
		}
		if fl.rnd.IntN(2) == 0 {
			list.Truncated = nil
		}
		sameAsGenerated(t, list)
	})
}

// TestHandEncodingOfOddValues: what encoding/json refuses (an invalid
// json.Number, a time past year 9999, a raw record that is not JSON) is
// refused, and what the hand encoding leaves to go-json (a time not in
// UTC, a custom value of another type) encoded as encoding/json does.
func TestHandEncodingOfOddValues(t *testing.T) {
	t.Parallel()
	late, early := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	zoned := time.Date(2026, 11, 29, 9, 30, 15, 0, time.FixedZone("CST", 8*3600))
	bad := Raw(`{"a":`)
	contacts := []Contact{
		{ID: "a", CreatedAt: &late}, {ID: "b", UpdatedAt: &early}, {ID: "c", CreatedAt: &zoned}, {ID: "d", Raw: &bad},
		{ID: "e", CustomFields: CustomFields{"f": 1.5, "i": 7, "o": CustomFields{"<": "&"}, "s": []int{1}, "n": map[string]string{"b": "a", "a": "b"}}},
	}
	for _, n := range []string{"1.", "01", "+1", "1e", "1e+", "x", "--1", ".5", "-", "1.5e3", "0", "-0.0e-0", "1E+2"} {
		contacts = append(contacts, Contact{ID: n, CustomFields: CustomFields{"n": json.Number(n), "l": []any{json.Number(n)}}})
	}
	for _, c := range contacts {
		sameAsGenerated(t, c)
		sameAsGenerated(t, ContactList{Data: []Contact{{ID: "x"}, c}})
	}
}
