package nxcloud

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// demoPage is the demo simulator's answer to a query of the first limit
// customers, as the adapter receives it, with the adapter and the call
// that asked for it: the page the load test's list50 path reads.
func demoPage(tb testing.TB, limit int) (*Adapter, *vendorhttp.Response, call) {
	tb.Helper()
	d, err := demo(vendorhttp.DemoOptions{Contacts: 1200, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(d.Simulator)
	tb.Cleanup(srv.Close)
	a, err := New(Config{BaseURL: srv.URL, AccessKey: demoAccessKey, AccessSecret: demoAccessSecret, AppKey: demoAppKey, TenantID: demoTenantID})
	if err != nil {
		tb.Fatal(err)
	}
	b := a.queryBodyOf(domain.ContactQuery{}, 0)
	b.Limit = limit
	payload, err := jsonBody(b)
	if err != nil {
		tb.Fatal(err)
	}
	c := call{method: http.MethodPost, path: pathQuery, body: payload, idempotent: true}
	resp, err := a.send(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	return a, resp, c
}

// BenchmarkCustomerPage reads and converts a page of 50 demo customers as
// the simulator answers it: the adapter's share of GET
// /v1/contacts?limit=50.
func BenchmarkCustomerPage(b *testing.B) {
	a, resp, c := demoPage(b, maxQuery)
	ctx := context.Background()
	b.SetBytes(int64(len(resp.Body)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := a.readCustomers(ctx, resp, c)
		if err != nil || len(got) != maxQuery {
			b.Fatalf("%d contacts, %v", len(got), err)
		}
	}
}

// answer is an HTTP 200 JSON answer of the query holding customers.
func answer(customers ...string) *vendorhttp.Response {
	return jsonAnswer(http.StatusOK, `{"code":0,"message":"success","traceId":"t1","data":{"paging":{},"customer_list":[`+strings.Join(customers, ",")+`]}}`)
}

func jsonAnswer(status int, body string) *vendorhttp.Response {
	return &vendorhttp.Response{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body)}
}

// TestFastCustomersReadAsTolerant: an answer that fits nxCustomerFast is
// read in one pass into the very contacts nxCustomer gives (the demo page,
// escapes, invalid UTF-8, ids past 2^53, custom values of every kind); one
// that does not fit is read by nxCustomer alone.
func TestFastCustomersReadAsTolerant(t *testing.T) {
	t.Parallel()
	a, page, c := demoPage(t, maxQuery)
	same := func(t *testing.T, resp *vendorhttp.Response, wantFast bool) []domain.Contact {
		t.Helper()
		want, err := a.tolerantCustomers(resp, c)
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := fastCustomers(resp)
		if ok != wantFast {
			t.Fatalf("read in one pass: %v, want %v", ok, wantFast)
		}
		got, err := a.readCustomers(context.Background(), resp, c)
		if err != nil || !reflect.DeepEqual(got, want) || (ok && !reflect.DeepEqual(fast, want)) {
			t.Fatalf("read as\n%+v, %v\nwant\n%+v", got, err, want)
		}
		return got
	}
	t.Run("demo page", func(t *testing.T) {
		t.Parallel()
		got := same(t, page, true)
		var tags, custom bool
		for _, ct := range got {
			tags = tags || len(ct.Tags) > 0
			_, n := ct.CustomFields[nxcloudtest.DemoFieldPoints].(json.Number)
			custom = custom || n
		}
		if len(got) != maxQuery || !tags || !custom {
			t.Fatalf("%d contacts, some with tags %v, some with a number custom value %v", len(got), tags, custom)
		}
	})
	for _, tc := range []struct {
		name     string
		customer string
		fast     bool
	}{
		{"escapes", `{"id":9007199254740993,"full_name":"\u90ed\u5f3a","first_name":"line\nbreak","last_name":"quote\"d","remark":"\ud83d\ude00 \ud800x","email":"a\/b@example.com"}`, true},
		{"invalid utf-8", "{\"id\":1,\"full_name\":\"bad \xff utf8\",\"remark\":\"\xe9\xab\",\"tags\":[{\"id\":5,\"tag_name\":\"\xff\"}]}", true},
		{"nulls", `{"id":2,"first_name":null,"email":null,"gender":null,"tags":null,"customize_field":null,"created_at":null}`, true},
		{"absent members", `{"id":3}`, true},
		{"every member", `{"id":1021110718827683841,"first_name":"强","last_name":"郭","full_name":"郭强","sms_phone":"8613800000000","whatsApp_phone":"8613800000001","viber_phone":"v","line":"l","messenger":"m","instagram":"@i","email":"a@b.c","country":"CN","address":"1号","time_zone":"Asia/Shanghai","birthday":"1990-02-03","remark":"r","gender":1,"created_at":"2024-01-02T03:04:05","updated_at":"2024-01-02 03:04:05","tags":[{"id":7,"tag_name":"VIP","note":"n"}],"customize_field":"{\"customize_1_101\":\"M1\"}"}`, true},
		{"batch_create's whatsapp spelling", `{"id":4,"whats_app_phone":"65900"}`, true},
		{"custom values of every kind", `{"id":5,"customize_field":"{\"s\":\"\\u00e9\\n\",\"big\":9007199254740993,\"dec\":12.50,\"exp\":1e400,\"neg\":-0,\"t\":true,\"f\":false,\"none\":null,\"list\":[\"1\",2,null],\"obj\":{\"a\":9007199254740993}}"}`, true},
		{"custom values not an object", `{"id":6,"customize_field":"[1]"}`, true},
		{"custom values not json", `{"id":7,"customize_field":"{oops"}`, true},
		{"custom values blank", `{"id":8,"customize_field":"  "}`, true},
		{"custom values null", `{"id":9,"customize_field":"null"}`, true},
		{"genders", `{"id":10,"gender":0},{"id":11,"gender":1},{"id":12,"gender":2},{"id":13,"gender":-1},{"id":14,"gender":null},{"id":15}`, true},
		{"tags", `{"id":16,"tags":[]},{"id":17,"tags":[{"id":0,"tag_name":"x"}]},{"id":18,"tags":[null]},{"id":19,"tags":[{"id":5,"tag_name":"\u9ad8"},{"id":9007199254740993,"tag_name":null}]}`, true},
		{"times", `{"id":23,"created_at":"junk","updated_at":"2024-13-40T00:00:00"}`, true},
		{"a string id", `{"id":"9007199254740993","full_name":"a"}`, false},
		{"a number for text", `{"id":24,"first_name":12.50}`, false},
		{"a boolean for text", `{"id":25,"email":true}`, false},
		{"an object for text", `{"id":26,"remark":{"a":1}}`, false},
		{"genders not integers", `{"id":40,"gender":"1"},{"id":41,"gender":""},{"id":42,"gender":1.5},{"id":43,"gender":"null"},{"id":44,"gender":1.0},{"id":45,"gender":99999999999999999999},{"id":46,"gender":true}`, false},
		{"tags of another shape", `{"id":47,"tags":"junk"},{"id":48,"tags":{"id":1}},{"id":49,"tags":[{"id":"21","tag_name":22}]},{"id":50,"tags":[1]},{"id":51,"tags":[{"id":1.5}]}`, false},
		{"one record that does not fit", `{"id":27,"full_name":"a"},{"id":28,"birthday":["x"]}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			same(t, answer(tc.customer), tc.fast)
		})
	}
	t.Run("what only the tolerant reading takes", func(t *testing.T) {
		t.Parallel()
		got := same(t, answer(`{"id":"9007199254740993","first_name":12.50,"gender":"1","tags":[{"id":"21","tag_name":22}]}`), false)
		want := domain.Contact{ID: "9007199254740993", FirstName: "12.50", Gender: domain.GenderMale, Tags: []domain.TagRef{{ID: "21", Name: "22"}}, TagsLoaded: true}
		if c := got[0]; c.ID != want.ID || c.FirstName != want.FirstName || c.Gender != want.Gender || !reflect.DeepEqual(c.Tags, want.Tags) || !c.TagsLoaded {
			t.Fatalf("read as %+v", c)
		}
	})
	t.Run("exact values", func(t *testing.T) {
		t.Parallel()
		got := same(t, answer(`{"id":9007199254740993,"customize_field":"{\"big\":9007199254740993,\"dec\":12.50,\"list\":[9007199254740993]}"}`), true)
		want := map[string]any{"big": json.Number("9007199254740993"), "dec": json.Number("12.50"), "list": []any{json.Number("9007199254740993")}}
		if got[0].ID != "9007199254740993" || !reflect.DeepEqual(got[0].CustomFields, want) {
			t.Fatalf("id %s, custom values %#v", got[0].ID, got[0].CustomFields)
		}
	})
}

// TestOddAnswersKeepTheirErrors: an answer that is not a plain success is
// never read in one pass, and is refused as it always was.
func TestOddAnswersKeepTheirErrors(t *testing.T) {
	t.Parallel()
	a, _, c := demoPage(t, 1)
	for _, tc := range []struct {
		name string
		resp *vendorhttp.Response
		kind domain.VendorErrorKind
	}{
		{"error code", jsonAnswer(http.StatusOK, `{"code":1003,"message":"m","traceId":"t2","data":{"customer_list":[]}}`), domain.VendorAuth},
		{"unknown code", jsonAnswer(http.StatusOK, `{"code":"77","traceId":"t2","data":null}`), domain.VendorUnknown},
		{"no code", jsonAnswer(http.StatusOK, `{"traceId":"t2","data":{"customer_list":[{"id":1}]}}`), domain.VendorBadResponse},
		{"error status", jsonAnswer(http.StatusInternalServerError, `{"code":0,"data":{"customer_list":[{"id":1}]}}`), domain.VendorUnavailable},
		{"documented code under 500", jsonAnswer(http.StatusInternalServerError, `{"code":1002,"data":null}`), domain.VendorRejected},
		{"html", &vendorhttp.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(`{"code":0,"data":null}`)}, domain.VendorBadResponse},
		{"truncated json", jsonAnswer(http.StatusOK, `{"code":0,"traceId":"t3","data":{"customer_list":[{"id":1`), domain.VendorBadResponse},
		{"list of another shape", jsonAnswer(http.StatusOK, `{"code":0,"data":{"customer_list":{"id":1}}}`), domain.VendorBadResponse},
		{"customer without id", answer(`{"id":1},{"email":"a@b"}`), domain.VendorBadResponse},
		{"customer with id 0", answer(`{"id":0}`), domain.VendorBadResponse},
		{"unreadable id", answer(`{"id":"x"}`), domain.VendorBadResponse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, ok := fastCustomers(tc.resp); ok {
				t.Fatalf("read in one pass as %+v", got)
			}
			_, want := a.tolerantCustomers(tc.resp, c)
			_, err := a.readCustomers(context.Background(), tc.resp, c)
			var ve *domain.VendorError
			if !errors.As(err, &ve) || ve.Kind != tc.kind || err.Error() != want.Error() {
				t.Fatalf("error %v, want %v (%s)", err, want, tc.kind)
			}
		})
	}
}

// TestRawCustomersKeepTheirBytes: with include=raw each contact carries
// its own record as NXCloud wrote it, and is otherwise the contact read
// without.
func TestRawCustomersKeepTheirBytes(t *testing.T) {
	t.Parallel()
	a, page, c := demoPage(t, maxQuery)
	plain, err := a.readCustomers(context.Background(), page, c)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := a.readCustomers(domain.WithRaw(context.Background()), page, c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		if !strings.Contains(string(page.Body), string(raw[i].Raw)) || !strings.HasPrefix(string(raw[i].Raw), `{"id":`+raw[i].ID+",") {
			t.Fatalf("contact %s carries %s", raw[i].ID, raw[i].Raw)
		}
		raw[i].Raw = nil
	}
	if !reflect.DeepEqual(raw, plain) {
		t.Fatal("the contacts read with include=raw differ from those read without")
	}
}

// TestReadCustomFields: customize_field reads as a map that is never nil
// (a contact always answers its custom fields, if none), without nulls,
// with numbers exact.
func TestReadCustomFields(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]map[string]any{
		"":                             {},
		"  ":                           {},
		"null":                         {},
		"[1]":                          {},
		"{oops":                        {},
		`{"a":null}`:                   {},
		`{"a":null,"b":1,"c":"x"}`:     {"b": json.Number("1"), "c": "x"},
		`{"n":9007199254740993}`:       {"n": json.Number("9007199254740993")},
		`{"l":["1",null],"o":{"k":2}}`: {"l": []any{"1", nil}, "o": map[string]any{"k": json.Number("2")}},
	} {
		got := map[string]any{"left": "over"}
		readCustomFields(in, &got)
		if got == nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q read as %#v, want %#v", in, got, want)
		}
	}
}

// TestCustomFieldsReferToTheirString: the keys and the plain string
// values are not copies but parts of customize_field's string (an escaped
// one is unescaped into a string of its own), which is what makes a page
// of customers cheap.
func TestCustomFieldsReferToTheirString(t *testing.T) {
	t.Parallel()
	s := `{"customize_1_101":"M101199","customize_2_102":3318,"customize_4_104":["运动"],"esc\u0061ped":"\u00e9"}`
	var got map[string]any
	readCustomFields(s, &got)
	within := func(x string) bool {
		p, base := uintptr(unsafe.Pointer(unsafe.StringData(x))), uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return base <= p && p+uintptr(len(x)) <= base+uintptr(len(s))
	}
	for k, v := range got {
		if k != "escaped" && !within(k) {
			t.Errorf("key %q is a copy", k)
		}
		if v, ok := v.(string); ok && k != "escaped" && !within(v) {
			t.Errorf("value %q of %q is a copy", v, k)
		}
	}
	if got["escaped"] != "é" || got["customize_1_101"] != "M101199" || len(got) != 4 {
		t.Fatalf("read as %#v", got)
	}
}

// FuzzReadCustomFields: customize_field reads as encoding/json reads the
// object (numbers as json.Number), without its nulls; anything else as no
// values.
func FuzzReadCustomFields(f *testing.F) {
	for _, s := range []string{"", " ", "null", "[1]", "{oops", `{"a":null,"b":1,"c":"x"}`, `{"n":9007199254740993,"d":12.50,"e":-1e400}`,
		`{"l":["1",null],"o":{"k":2,"n":null}}`, `{"s":"\u00e9\n\ud800","k\"":true,"a":1,"a":2}`, "{\"bad\":\"\xff\"}", `{} `, `{}x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := map[string]any{}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) == nil && !dec.More() && m != nil {
			if _, err := dec.Token(); err == io.EOF {
				want = m
			}
		}
		maps.DeleteFunc(want, func(_ string, v any) bool { return v == nil })
		var got map[string]any
		readCustomFields(s, &got)
		if got == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q read as %#v, want %#v", s, got, want)
		}
	})
}
