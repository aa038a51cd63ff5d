package vendorhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// 9007199254740993 is the first integer a float64 cannot hold;
// 12345678901234567890 does not fit an int64 either.
const (
	beyondFloat = "9007199254740993"
	beyondInt64 = "12345678901234567890"
)

// wireRecord is a vendor record with an id and free-form custom values.
type wireRecord struct {
	ID    int64          `json:"id"`
	Props map[string]any `json:"props"`
}

type record struct {
	id    int64
	props map[string]any
	raw   json.RawMessage
}

func toRecord(w wireRecord, raw json.RawMessage) record { return record{w.ID, w.Props, raw} }

func jsonResponse(body string) *vendorhttp.Response {
	return &vendorhttp.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, Body: []byte(body)}
}

// Each record is spelled with its own spacing, so that a re-encoded raw
// payload would differ from the vendor's bytes.
var (
	firstRecord  = `{"id": 1021110718827683841, "props": {"big": ` + beyondFloat + `, "bigger": ` + beyondInt64 + `, "list": [` + beyondFloat + `, "x"], "obj": {"n": ` + beyondInt64 + `}}}`
	secondRecord = `{"id":2,"props":null}`
	twoRecords   = "[\n  " + firstRecord + ",\n  " + secondRecord + "\n]"
)

func wantExact(t *testing.T, props map[string]any) {
	t.Helper()
	want := map[string]any{
		"big": json.Number(beyondFloat), "bigger": json.Number(beyondInt64),
		"list": []any{json.Number(beyondFloat), "x"}, "obj": map[string]any{"n": json.Number(beyondInt64)},
	}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("props %#v\nwant %#v", props, want)
	}
}

// withAndWithoutRaw runs test as two parallel subtests, one whose context
// asks for raw payloads.
func withAndWithoutRaw(t *testing.T, test func(t *testing.T, ctx context.Context, raw bool)) {
	t.Helper()
	for _, raw := range []bool{false, true} {
		t.Run(map[bool]string{false: "without raw", true: "with raw"}[raw], func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			if raw {
				ctx = domain.WithRaw(ctx)
			}
			test(t, ctx, raw)
		})
	}
}

func TestDecodeListKeepsNumbersExact(t *testing.T) {
	t.Parallel()
	withAndWithoutRaw(t, func(t *testing.T, ctx context.Context, raw bool) {
		recs, err := vendorhttp.DecodeList(ctx, domain.Vendor("nxcloud"), jsonResponse(twoRecords), toRecord)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[0].id != 1021110718827683841 || recs[1].id != 2 || recs[1].props != nil {
			t.Fatalf("records %+v", recs)
		}
		wantExact(t, recs[0].props)
		switch {
		case !raw && (recs[0].raw != nil || recs[1].raw != nil):
			t.Errorf("raw without asking: %s", recs[0].raw)
		case raw && (string(recs[0].raw) != firstRecord || string(recs[1].raw) != secondRecord):
			t.Errorf("raw payloads %s and %s are not the vendor's bytes", recs[0].raw, recs[1].raw)
		}
	})
}

func TestDecodeListEmpty(t *testing.T) {
	t.Parallel()
	withAndWithoutRaw(t, func(t *testing.T, ctx context.Context, _ bool) {
		for _, body := range []string{`[]`, `null`, ` [ ] `} {
			recs, err := vendorhttp.DecodeList(ctx, domain.Vendor("meihua"), jsonResponse(body), toRecord)
			if err != nil || len(recs) != 0 {
				t.Errorf("%s: %v, %v", body, recs, err)
			}
		}
	})
}

func wantBadResponse(t *testing.T, err error, vendor domain.Vendor) {
	t.Helper()
	var ve *domain.VendorError
	if !errors.As(err, &ve) || ve.Kind != domain.VendorBadResponse || ve.Vendor != vendor || !strings.HasPrefix(ve.Detail, vendor.String()+" ") {
		t.Fatalf("error %v (%T), want a %s VendorBadResponse", err, err, vendor)
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	html := &vendorhttp.Response{Status: 200, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(`<html>[]</html>`)}
	tests := []struct {
		name string
		resp *vendorhttp.Response
	}{
		{"not JSON", html},
		{"object instead of array", jsonResponse(`{"id":1}`)},
		{"record of another shape", jsonResponse(`[{"id":"one"}]`)},
		{"id beyond int64", jsonResponse(`[{"id":` + beyondInt64 + `}]`)},
		{"truncated", jsonResponse(`[{"id":1},`)},
		{"trailing data", jsonResponse(`[{"id":1}] []`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			withAndWithoutRaw(t, func(t *testing.T, ctx context.Context, _ bool) {
				recs, err := vendorhttp.DecodeList(ctx, domain.Vendor("miaokol"), tt.resp, toRecord)
				if recs != nil {
					t.Errorf("records %v with an error", recs)
				}
				wantBadResponse(t, err, domain.Vendor("miaokol"))
			})
		})
	}
	t.Run("one record", func(t *testing.T) {
		t.Parallel()
		for _, resp := range []*vendorhttp.Response{html, jsonResponse(`[1]`), jsonResponse(`{"id":"x"}`), jsonResponse(`{"id":1} {}`)} {
			_, raw, err := vendorhttp.DecodeOne[wireRecord](domain.WithRaw(t.Context()), domain.Vendor("linkflow"), resp)
			if raw != nil {
				t.Errorf("raw %s with an error", raw)
			}
			wantBadResponse(t, err, domain.Vendor("linkflow"))
		}
	})
}

func TestDecodeOneKeepsNumbersExact(t *testing.T) {
	t.Parallel()
	withAndWithoutRaw(t, func(t *testing.T, ctx context.Context, raw bool) {
		rec, got, err := vendorhttp.DecodeOne[wireRecord](ctx, domain.Vendor("nxcloud"), jsonResponse(firstRecord))
		if err != nil {
			t.Fatal(err)
		}
		if rec.ID != 1021110718827683841 {
			t.Errorf("id %d", rec.ID)
		}
		wantExact(t, rec.Props)
		if want := map[bool]string{false: "", true: firstRecord}[raw]; string(got) != want || (got == nil) == raw {
			t.Errorf("raw %q, want %q", got, want)
		}
	})
}

func TestOtherMembers(t *testing.T) {
	t.Parallel()
	known := map[string]bool{"id": true, "event": true}
	tests := []struct {
		name string
		body string
		want map[string]any
	}{
		{"numbers stay exact", `{"id":1,"event":"x","attr1":` + beyondFloat + `,"attr2":` + beyondInt64 + `,"nested":{"n":` + beyondFloat + `}}`,
			map[string]any{"attr1": json.Number(beyondFloat), "attr2": json.Number(beyondInt64), "nested": map[string]any{"n": json.Number(beyondFloat)}}},
		{"nulls are left out", `{"id":1,"attr1":null,"attr2":"a","attr3":false}`, map[string]any{"attr2": "a", "attr3": false}},
		{"only known members", `{"id":1,"event":"x"}`, map[string]any{}},
		{"empty object", `{}`, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := vendorhttp.OtherMembers([]byte(tt.body), known)
			if err != nil || got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("OtherMembers = %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":`, `{"a":1} {}`} {
		t.Run("refuses "+bad, func(t *testing.T) {
			t.Parallel()
			if got, err := vendorhttp.OtherMembers([]byte(bad), known); err == nil {
				t.Fatalf("OtherMembers(%s) = %v without an error", bad, got)
			}
		})
	}
}

func TestIntAndText(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C, D vendorhttp.Int
		E, F, G, H vendorhttp.Text
	}
	in := `{"A":9007199254740993,"B":"1021110718827683841","C":null,"D":"null","E":"x","F":12.50,"G":null,"H":{"a":1}}`
	if err := vendorhttp.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "9007199254740993" || v.B != 1021110718827683841 || v.C != 0 || v.D != 0 || v.E != "x" || v.F != "12.50" || v.G != "" || v.H != "" {
		t.Fatalf("%+v", v)
	}
	var n vendorhttp.Int
	if err := n.UnmarshalJSON([]byte(`"12x"`)); err == nil {
		t.Fatal("12x read as an integer")
	}
	if err := n.UnmarshalJSON([]byte(`" 42 "`)); err != nil || n != 42 {
		t.Fatalf(`" 42 " read as %d, %v`, n, err)
	}
}

// Text takes a plain string as it is and leaves every other string to
// encoding/json, so that escapes and invalid UTF-8 read as they always did.
func TestTextReadsEveryStringAsEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`""`, `"郭强"`, `"a b"`, `"\u90ed\u5f3a"`, `"line\nbreak"`, `"quote\"d"`, `"back\\slash"`,
		`"\ud83d\ude00"`, "\"bad \xff utf8\"", "\"\xe9\xab\"", `"tab\tx"`, `"/\/"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var got vendorhttp.Text
		if err := got.UnmarshalJSON([]byte(in)); err != nil || string(got) != want {
			t.Fatalf("%q read as %q (%v), want %q", in, got, err, want)
		}
	}
	var got vendorhttp.Text
	if err := got.UnmarshalJSON([]byte("\"raw\ncontrol\"")); err == nil {
		t.Fatalf("a string with a raw control character read as %q", got)
	}
}

// BenchmarkUnmarshal decodes a page of 50 vendor records (Chinese text,
// ids as numbers and as strings, nested lists) into a typed struct the way
// the adapters do (Unmarshal), and with encoding/json's Decoder and
// UseNumber, which Unmarshal replaced.
func BenchmarkUnmarshal(b *testing.B) {
	type rec struct {
		ID       vendorhttp.Int  `json:"id"`
		Name     vendorhttp.Text `json:"fullName"`
		Company  vendorhttp.Text `json:"companyName"`
		Email    vendorhttp.Text `json:"email"`
		Phone    vendorhttp.Text `json:"mobilePhone"`
		City     vendorhttp.Text `json:"city"`
		Created  vendorhttp.Int  `json:"createTime"`
		Accounts vendorhttp.Int  `json:"accountId"`
		Props    []struct {
			ID    vendorhttp.Int  `json:"propertyId"`
			Label vendorhttp.Text `json:"label"`
		} `json:"propertys"`
		Extra map[string]any `json:"extra"`
	}
	var page struct {
		Data struct {
			List []rec `json:"list"`
		} `json:"data"`
	}
	var sb strings.Builder
	sb.WriteString(`{"success":true,"data":{"total":1200,"list":[`)
	for i := range 50 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%d,"fullName":"郭强%d","gender":false,"companyName":"华东商贸有限公司","jobTitle":"市场总监",`+
			`"email":"guo.%04d@example.com","mobilePhone":"1352843%04d","city":"南京","notes":" ","createTime":1763833106396,`+
			`"accountId":"9007199254740993","propertys":[{"propertyId":1,"label":"银卡"},{"propertyId":3,"label":"C100000"}],`+
			`"extra":{"score":9007199254740993,"tags":["新客","母婴"]}}`, 9007199254740000+i, i, i, i)
	}
	sb.WriteString(`]}}`)
	data := []byte(sb.String())
	b.Run("go-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := vendorhttp.Unmarshal(data, &page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&page); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// recordOf is a vendor record as the adapters write theirs for
// FastRecords: one struct, read with plain types first.
type recordOf[S ~string, N ~int64] struct {
	ID    N `json:"id"`
	Name  S `json:"name"`
	Props []struct {
		ID    N `json:"propertyId"`
		Label S `json:"label"`
	} `json:"props"`
}

type readRecord struct {
	id, name, props string
	fast            bool
}

func readRecordOf[S ~string, N ~int64](fast bool) func(recordOf[S, N], json.RawMessage) readRecord {
	return func(r recordOf[S, N], raw json.RawMessage) readRecord {
		out := readRecord{id: strconv.FormatInt(int64(r.ID), 10), name: string(r.Name), fast: fast}
		for _, p := range r.Props {
			out.props += strconv.FormatInt(int64(p.ID), 10) + "=" + string(p.Label) + ";"
		}
		return out
	}
}

// TestFastRecordsReadAsTolerant: a list that fits plain strings and
// integers is read by the fast pass, with the very values Text and Int
// would give, escapes, invalid UTF-8 and numbers past 2^53 included; a
// list that does not fit is read again by the tolerant pass; a list that
// is not JSON is refused by both.
func TestFastRecordsReadAsTolerant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fast, tolerant := readRecordOf[string, int64](true), readRecordOf[vendorhttp.Text, vendorhttp.Int](false)
	read := func(list string) ([]readRecord, error) {
		return vendorhttp.FastRecords(ctx, []byte(list), fast, tolerant)
	}
	for _, name := range []string{
		`""`, `"郭强"`, `"\u90ed\u5f3a"`, `"line\nbreak"`, `"quote\"d"`, `"\ud83d\ude00"`, "\"bad \xff utf8\"", "\"\xe9\xab\"", `"\ud800x"`, `null`,
	} {
		list := `[{"id":9007199254740993,"name":` + name + `,"props":[{"propertyId":1,"label":` + name + `}]}]`
		got, err := read(list)
		if err != nil || len(got) != 1 || !got[0].fast {
			t.Fatalf("%s: %+v, %v; want one record read by the fast pass", list, got, err)
		}
		want, err := vendorhttp.Records(ctx, []byte(list), tolerant)
		if err != nil {
			t.Fatal(err)
		}
		got[0].fast = false
		if got[0] != want[0] || got[0].id != "9007199254740993" {
			t.Fatalf("%s: fast pass read %+v, Text and Int read %+v", list, got[0], want[0])
		}
	}
	for _, list := range []string{
		`[{"id":"9007199254740993","name":"a"}]`, `[{"id":1,"name":12.50}]`, `[{"id":null,"name":{"a":1}}]`,
		`[{"id":1,"name":"a"},{"id":2,"props":[{"propertyId":"3","label":4}]}]`,
	} {
		got, err := read(list)
		if err != nil || len(got) == 0 || got[0].fast {
			t.Fatalf("%s: %+v, %v; want the tolerant pass", list, got, err)
		}
		if want, _ := vendorhttp.Records(ctx, []byte(list), tolerant); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %+v, want %+v", list, got, want)
		}
	}
	for _, list := range []string{`[{"id":1,"name":"a"}`, `<html>`, `[{"id":1.5}]`, `[{"id":"x"}]`} {
		if got, err := read(list); err == nil {
			t.Fatalf("%s read as %+v", list, got)
		}
	}
}
