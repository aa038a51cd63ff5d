package meihua

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// answer is a 200 JSON answer with body.
func answer(body string) *vendorhttp.Response {
	return &vendorhttp.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

// page is a success answer of GET /contact/all with records as its list.
func page(records ...string) string {
	return `{"success":true,"data":{"total":` + fmt.Sprint(len(records)) + `,"list":[` + strings.Join(records, ",") + `]}}`
}

// A contact list that fits plain strings and integers reads the same
// with them as with text and num: blanks, escapes, invalid UTF-8 and ids
// past 2^53 included. The simulator's demo page is read by the fast
// reading.
func TestContactReadingsAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	recs := []string{
		`{"id":9007199254740993,"fullName":" ","gender":true,"gender_des":" ","birthday":0,"birthday_des":" ","email":"a@example.com","province":0,"province_zh":" ","province_des":"江苏","city":"杭州",` +
			`"createTime":9007199254740993,"updateTime":9007199254740993,"propertys":[{"propertyId":9007199254740993,"label":" "},{"propertyId":3,"label":"  金卡 "}],"groups":[],"tags":[]}`,
		`{"id":2,"fullName":"\u90ed\u5f3a","gender":false,"gender_des":"女","birthday":572371200000,"notes":"line\nbreak \"q\"","tags":[{"tagId":9007199254740993,"tagName":"\u9ad8"}]}`,
		"{\"id\":3,\"fullName\":\"bad \xff utf8\",\"companyName\":\"\\ud800x\",\"gender\":\"男\",\"weixin\":null,\"birthday\":null,\"tags\":null}",
		`{"id":4,"fullName":"Ann","gender":null,"groups":[{"groupId":9007199254740993,"groupName":"VIP"}],"tags":[{"id":5,"name":"x"}]}`,
	}
	// Every tag shape the plain reading takes: readTags' choices of id and
	// name (tagId before id, 0 and null as absent, a later null over an
	// earlier value, names in another case), and tags left unloaded.
	for i, tags := range []string{
		`[{"id":0,"tagId":223,"tagName":"Customer","contactId":0,"createTime":0}]`, `[{"tagId":0,"id":7,"name":" "}]`,
		`[{"tagId":null,"id":7,"tagName":null,"name":"n"}]`, `[{"tagId":5,"tagId":null,"id":6,"tagName":"a","tagName":null}]`,
		`[{"TAGID":5,"TagName":"c"},{"tagId":6,"tagName":"a","name":"b"}]`, `[{"tagId":9223372036854775807,"tagName":"\u9ad8"}]`,
		`[]`, `null`, ` [ ] `, `[null]`, `[{"tagName":"no id"}]`, `[{"tagId":0,"id":0}]`, `[{"tagId":1},{"tagId":0}]`,
		`[{"tagId":9223372036854775808}]`, `[{"tagId":18446744073709551615}]`,
	} {
		recs = append(recs, fmt.Sprintf(`{"id":%d,"tags":%s}`, 10+i, tags))
	}
	recs = append(recs, `{"id":30}`)
	lists := []string{"[" + strings.Join(recs, ",") + "]"}
	var demo struct {
		Data struct{ List json.RawMessage } `json:"data"`
	}
	if err := json.Unmarshal(demoPage(t).Body, &demo); err != nil {
		t.Fatal(err)
	}
	lists = append(lists, string(demo.Data.List))
	for i, list := range lists {
		fast, err := vendorhttp.Records(ctx, []byte(list), fastContact.domain)
		if err != nil {
			t.Fatalf("list %d: plain reading: %v", i, err)
		}
		tolerant, err := vendorhttp.Records(ctx, []byte(list), mhContact.domain)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, tolerant) {
			t.Errorf("list %d:\n plain    %+v\n tolerant %+v", i, fast, tolerant)
		}
		if i == 0 && (fast[0].ID != "9007199254740993" || fast[0].Name != "" || fast[0].CustomFields["3"] != "  金卡 " || fast[1].Name != "郭强") {
			t.Errorf("read %+v", fast[:2])
		}
		if i == 0 && !reflect.DeepEqual(fast[7].Tags, []domain.TagRef{{ID: "6", Name: ""}}) {
			t.Errorf("tags %+v, want the later null's", fast[7].Tags)
		}
	}
}

// A list with a member only text and num take (a string id, a number
// for a name, "12" for a time) is read by the tolerant reading, also
// through the answer's single decoding.
func TestContactsTolerantWhenPlainDoesNotFit(t *testing.T) {
	t.Parallel()
	a := testAdapter(t)
	for _, rec := range []string{
		`{"id":"9007199254740993","fullName":"a"}`, `{"id":1,"fullName":12.50}`, `{"id":1,"email":{"a":1}}`,
		`{"id":1,"createTime":"12"}`, `{"id":1,"propertys":[{"propertyId":"3","label":4}]}`, `{"id":1,"gender_des":true}`,
		// Tags readTags reads but the plain reading does not take: ids
		// written as strings, -0 (readTags' id, so no tag), names that
		// are not strings, and tags that are not a list of objects.
		`{"id":1,"tags":[{"tagId":"5","tagName":"a"}]}`, `{"id":1,"tags":[{"tagId":-0,"id":5}]}`, `{"id":1,"tags":[{"tagId":-5}]}`,
		`{"id":1,"tags":[{"tagId":5,"tagName":0,"name":"x"}]}`, `{"id":1,"tags":[{"tagId":5,"tagName":7}]}`,
		`{"id":1,"tags":[{"tagId":5,"tagName":{"a":1}}]}`, `{"id":1,"tags":[{"tagId":1.0}]}`, `{"id":1,"tags":[{"tagId":18446744073709551616}]}`,
		`{"id":1,"tags":{}}`, `{"id":1,"tags":"x"}`, `{"id":1,"tags":1}`, `{"id":1,"tags":[1]}`,
	} {
		list := "[" + rec + "]"
		if _, err := vendorhttp.Records(context.Background(), []byte(list), fastContact.domain); err == nil {
			t.Fatalf("%s fits the plain reading", rec)
		}
		want, err := vendorhttp.Records(context.Background(), []byte(list), mhContact.domain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.contacts(t.Context(), answer(page(rec)), "GET /contact/all")
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v; want %+v", rec, got, err, want)
		}
	}
}

// Every answer reads through the single decoding as readRecords reads it:
// the same contacts, or the same error. Answers that are not a plain
// success (errors, envelopes with members in another case, repeated or
// escaped, lists that do not fit) are left to readRecords.
func TestContactsReadAsReadRecords(t *testing.T) {
	t.Parallel()
	a := testAdapter(t)
	rec := `{"id":9007199254740993,"fullName":"郭强"}`
	html := &vendorhttp.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>" + page(rec) + "</html>")}
	status := answer(`{"success":false,"code":"E10001"}`)
	status.Status = http.StatusBadGateway
	failed := answer(page(rec)) // a success body with an error status
	failed.Status = http.StatusInternalServerError
	text := answer(page(rec)) // a success body, not labelled JSON
	text.Header.Set("Content-Type", "text/plain")
	for _, resp := range []*vendorhttp.Response{
		answer(page(rec)), answer(page()), answer(`{"success":true,"data":{"list":[]}}`), html, status, failed, text,
		answer(`{"success":false,"code":"E10103","msg":"missing"}`), answer(`{"success":false,"msg":"E00005 too many"}`),
		answer(`{"data":{"list":[` + rec + `]}}`), answer(`{"success":"true","data":{"list":[` + rec + `]}}`),
		answer(`{"success":true,"data":null}`), answer(`{"success":true}`), answer(`{"success":true,"data":{"list":null}}`),
		answer(`{"success":true,"data":[` + rec + `]}`), answer(`{"success":true,"data":{"list":{}}}`),
		answer(page(rec)[:40]), answer(page(rec) + "x"), answer(`<html>`),
		answer(`{"SUCCESS":true,"data":{"list":[` + rec + `]}}`), answer(`{"Success":true,"success":false,"data":{"list":[` + rec + `]}}`),
		answer(`{"success":true,"Data":{"list":[` + rec + `]}}`), answer(`{"success":true,"data":{"LIST":[` + rec + `]}}`),
		answer(`{"success":true,"data":{"list":[` + rec + `]},"data":null}`),
		answer(`{"success":true,"data":{"list":[` + rec + `]},"data":{"total":1}}`),
		answer(`{"success":true,"data":{"list":[` + rec + `],"list":[]}}`),
		answer(`{"success":true,"data":{"list":[` + rec + `]},"d\u0061ta":null}`),
		answer("{\"success\":true,\"data\":{\"list\":[" + rec + "]},\"\u017fuccess\":false}"),
		answer(`{"success":true,"data":{"total":1,"list":[` + rec + `],"x":"}\"{"},"msg":"ok"}`),
		answer(`{"success":true,"data":{"list":[` + rec + `]},"x":"\\","data":null}`),
		answer(`{"success":true,"data":{"list":[{"id":1.5}]}}`), answer(`{"success":true,"data":{"list":[{"id":"x"}]}}`),
		// Orders, white space and shapes successList reads or leaves.
		answer(`{"success":true,"data":{"list":[` + rec + `],"total":1}}`), answer(`{"data":{"list":[` + rec + `]},"success":true}`),
		answer(`{"code":"","data":{"list":[` + rec + `],"total":1},"msg":"ok","success":true}`),
		answer(" {\n\t\"success\" : true ,\r\n\"data\" : { \"total\" : 1 , \"list\" : [ " + rec + " ] } } \n"),
		answer(`{"success":true,"data":{"list":[` + rec + `],"x":[1]}}`), answer(`{"success":true,"data":{"list":[` + rec + `]},"x":[1]}`),
		answer(`{"success":true,"data":{"list":[` + rec + `]}`), answer(`{"success":true,"data":{"list":[` + rec + `]`),
		answer(`{"success":true,"data":{"list":[` + rec + `]}}}`), answer(`{"success":true,"data":{"list":[` + rec + `]}},{}`),
		answer(`{"success":true,"data":{"list":[` + rec + `],"total":1}} x`), answer(`{"success":true,"data":{"list":[` + rec + `],"total":1}`),
		answer(`{"success":true,"data":{"total":tru,"list":[` + rec + `]}}`), answer(`{"success":true,"data":{"total":1 2,"list":[` + rec + `]}}`),
		answer(`{"success":true,"success":true,"data":{"list":[` + rec + `]}}`), answer(`{"success":true,"data":{"list":[],"list":[` + rec + `]}}`),
		answer(`{"success":true,"data":{"list":[` + rec + `]},"data":{"list":[` + rec + `]}}`), answer(`{"success":true,"data":{"list":[` + rec + `]}"data":{}}`),
		answer(`{"success":true,"data":{"list":[` + rec + `] "total":1}}`), answer(`{"success":true "data":{"list":[` + rec + `]}}`),
		answer(`{"success":truex,"data":{"list":[` + rec + `]}}`), answer(`{"success":true,"data":{"list":[` + rec + `]]}}`),
		answer(`{"success":true,"data":{"list":[` + rec + `],}}`), answer(`{"success":true,"data":{"list":[` + rec + `],"total":1},}`),
		answer(`{"success":true,"m\u0073g":1,"data":{"list":[` + rec + `]}}`), answer(`{"success":true,"名":1,"data":{"list":[` + rec + `]}}`),
		answer("{\"success\":true,\"a\tb\":1,\"data\":{\"list\":[" + rec + "]}}"), answer(`{"success":true,"data":{"list":[` + rec + `]` + "\x00}}"),
		answer(`{"success":true,"data":{"list":[` + rec + `,]}}`), answer(`{"success":true,"data":{"list":[` + rec + `],"total":1,"list":[]}}`),
		answer(`{"success":true,"data":{"list":[{"id":1,"x":"]}}"}]}}`), answer(`{"success":true,"data":{"list":[{"id":1,"x":"]}}"}],"total":"]}}"}}`),
	} {
		got, gerr := a.contacts(t.Context(), resp, "GET /contact/all")
		want, werr := readRecords(t.Context(), a, resp, "GET /contact/all", "list", fastContact.domain, mhContact.domain)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) || !sameVendorError(gerr, werr) {
			t.Errorf("%d %s:\n got %+v, %v\nwant %+v, %v", resp.Status, resp.Body, got, gerr, want, werr)
		}
	}
	if _, err := a.contacts(t.Context(), answer(`{"success":false,"code":"E10103"}`), "GET /contact/all"); !isCode(err, "E10103") {
		t.Errorf("E10103 answered %v", err)
	}
	if _, err := a.contacts(t.Context(), html, "GET /contact/all"); !isKind(err, domain.VendorBadResponse) {
		t.Errorf("HTML answered %v", err)
	}
	if _, err := a.contacts(t.Context(), answer(page(rec)[:40]), "GET /contact/all"); !isKind(err, domain.VendorBadResponse) {
		t.Errorf("truncated JSON answered %v", err)
	}
}

// A request for raw payloads gets each contact's own bytes.
func TestContactsKeepRaw(t *testing.T) {
	t.Parallel()
	a := testAdapter(t)
	recs := []string{`{"id":1,"fullName":"a"}`, `{"id":2, "fullName":"\u90ed"}`}
	got, err := a.contacts(domain.WithRaw(t.Context()), answer(page(recs...)), "GET /contact/all")
	if err != nil || len(got) != 2 {
		t.Fatalf("%+v, %v", got, err)
	}
	for i, c := range got {
		if string(c.Raw) != recs[i] {
			t.Errorf("contact %d raw %s, want %s", i, c.Raw, recs[i])
		}
	}
}

func sameVendorError(a, b error) bool {
	var x, y *domain.VendorError
	if errors.As(a, &x) != errors.As(b, &y) {
		return false
	}
	return x == nil || (x.Kind == y.Kind && x.Code == y.Code && x.Status == y.Status && x.Detail == y.Detail)
}

func isCode(err error, code string) bool {
	var ve *domain.VendorError
	return errors.As(err, &ve) && ve.Code == code
}

func isKind(err error, kind domain.VendorErrorKind) bool {
	var ve *domain.VendorError
	return errors.As(err, &ve) && ve.Kind == kind
}

// successList finds the list of a plain success answer, read in one pass
// or after a walk of the envelope, and leaves any other answer.
func TestSuccessList(t *testing.T) {
	t.Parallel()
	const list = `[{"id":1,"x":"]}}\""},{"id":2}]`
	for _, body := range []string{
		`{"success":true,"data":{"total":2,"list":` + list + `}}`, ` { "success" : true , "data" : { "list" : ` + list + ` } } ` + "\n",
		`{"code":"","data":{"list":` + list + `,"total":2},"msg":"ok","success":true}`, `{"data":{"list":` + list + `},"success":true}`,
		`{"success":true,"SUCCESS":false,"ſuccess":false,"data":{"LIST":[],"list":` + list + `},"Data":null}`,
	} {
		if got, ok := successList([]byte(body), "list"); !ok || string(got) != list {
			t.Errorf("%s: %s, %v", body, got, ok)
		}
	}
	for _, body := range []string{
		`{"success":false,"data":{"list":` + list + `}}`, `{"success":"true","data":{"list":` + list + `}}`, `{"data":{"list":` + list + `}}`,
		`{"success":true,"data":{"list":null}}`, `{"success":true,"data":{"list":{}}}`, `{"success":true,"data":null}`, `{"success":true}`,
		`{"success":true,"data":{"list":` + list + `},"success":true}`, `{"success":true,"data":{"list":` + list + `,"list":[]}}`,
		`{"success":true,"data":{"list":` + list + `,"total":1}`, `{"success":true,"data":{"list":` + list + `,"total":1}}}`,
		`{"success":true,"data":{"list":` + list + `,"total":1}} {}`, `{"s\u0075ccess":true,"data":{"list":` + list + `}}`,
		`{"success":true,"data":{"list":[],"list":` + list + `,"total":2}}`, "{\"success\":true,\"\x01\":1,\"data\":{\"list\":" + list + "}}",
		`{"success":true,"x":nul,"data":{"list":` + list + `}}`, `[{"success":true,"data":{"list":` + list + `}}]`, ``, `{}`,
		// A list at the end is taken up to the last ']' of the answer
		// unchecked: its decoding finds it is not one array.
		`{"success":true,"data":{"list":[1],"x":[2]}}`, `{"success":true,"data":{"list":[1]},"x":[2]}}`,
	} {
		if got, ok := successList([]byte(body), "list"); ok && json.Valid(got) {
			t.Errorf("%s: read %s", body, got)
		}
	}
}

// A page's records are decoded into the records of earlier pages, cleared:
// nothing of an earlier page shows in a later one.
func TestContactsKeepNothingOfEarlierPages(t *testing.T) {
	a := testAdapter(t)
	full := `{"id":1,"fullName":"a","gender_des":"男","birthday":572371200000,"propertys":[{"propertyId":3,"label":"x"}],"groups":[{"groupId":2,"groupName":"g"}],"tags":[{"tagId":5,"tagName":"t"}]}`
	for range 20 {
		if _, err := a.contacts(t.Context(), answer(page(full, full)), "GET /contact/all"); err != nil {
			t.Fatal(err)
		}
		got, err := a.contacts(t.Context(), answer(page(`{"id":2}`)), "GET /contact/all")
		want, _ := vendorhttp.Records(t.Context(), []byte(`[{"id":2}]`), mhContact.domain)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%+v, %v; want %+v", got, err, want)
		}
	}
}

// blank finds white space as strings.TrimSpace does.
func TestBlank(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", " ", "\t\n\v\f\r ", "\u0085", "\u00a0", "\u3000", "\u3000x", " x", "x ", "x", "郭", "\xff", "\x00", "\x1f", "\u2028 ", "\u200b"} {
		if got, want := blank(s), strings.TrimSpace(s) == ""; got != want {
			t.Errorf("blank(%q) = %v, want %v", s, got, want)
		}
	}
}

// A contact's gender member without gender_des, read by both readings.
func TestGenderMember(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		member string
		want   domain.Gender
	}{
		{`"gender":true`, domain.GenderMale}, {`"gender":false`, domain.GenderFemale}, {`"gender":"男"`, domain.GenderMale},
		{`"gender":" F "`, domain.GenderFemale}, {`"gender":" "`, ""}, {`"gender":"x"`, domain.GenderUnknown},
		{`"gender":"\u5973"`, domain.GenderFemale}, {"\"gender\":\"\xff\"", domain.GenderUnknown}, {`"gender":1`, ""},
		{`"gender":9007199254740993`, ""}, {`"gender":null`, ""}, {`"gender":{"a":true}`, ""}, {`"gender":[true]`, ""},
		{`"x":1`, ""}, {`"gender":"男","gender":false`, domain.GenderFemale}, {`"gender":true,"gender":null`, ""},
		{`"gender":true,"gender_des":"女"`, domain.GenderFemale},
	} {
		list := []byte(`[{"id":1,` + c.member + `}]`)
		for _, got := range [][]domain.Contact{
			must(vendorhttp.Records(t.Context(), list, fastContact.domain)),
			must(vendorhttp.Records(t.Context(), list, mhContact.domain)),
		} {
			if got[0].Gender != c.want {
				t.Errorf("%s: %q, want %q", c.member, got[0].Gender, c.want)
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
