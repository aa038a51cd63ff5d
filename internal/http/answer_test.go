package http

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

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
// answers it (fast) and as the generated code would (generated).
func BenchmarkAnswerEncoding(b *testing.B) {
	list := ContactList{Data: toContacts(sampleContacts(49))}
	for _, c := range []struct {
		name  string
		visit func(http.ResponseWriter) error
	}{
		{"fast", contactListAnswer{Body: list}.VisitListContactsResponse},
		{"generated", ListContacts200JSONResponse{Body: list}.VisitListContactsResponse},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.visit(httptest.NewRecorder()); err != nil {
					b.Fatal(err)
				}
			}
		})
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
