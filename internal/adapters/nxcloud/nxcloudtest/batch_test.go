package nxcloudtest_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
)

// withFields adds a text, a number, a date, a select and a multi_select
// custom field.
func withFields(e *env) {
	for _, f := range []nxcloudtest.Field{
		{Name: "customize_1_11", Label: "会员编号", Type: nxcloudtest.FieldText},
		{Name: "customize_2_12", Label: "积分", Type: nxcloudtest.FieldNumber},
		{Name: "customize_3_13", Label: "首购日期", Type: nxcloudtest.FieldDate},
		{Name: "customize_4_14", Label: "等级", Type: nxcloudtest.FieldSelect, Options: []string{"金卡", "银卡"}},
		{Name: "customize_4_15", Label: "兴趣", Type: nxcloudtest.FieldMultiSelect, Options: []string{"1", "2", "3"}},
	} {
		e.sim.AddField(f)
	}
}

func customJSON(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBatchCreates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	withFields(e)
	vip := e.sim.AddTag("VIP")
	e.clock.Advance(90 * time.Second)
	full := body{
		"first_name": "Simon", "last_name": "Kang", "full_name": "Simon Kang", "sms_phone": "8618593271111",
		"whats_app_phone": "861360301975912", "viber_phone": "8618593271111", "email": "simon@example.com",
		"country": "CN", "address": "上海市 1号", "birthday": "1990-08-01", "tagStr": "VIP,新客", "remark": "备注 <b>&",
		"time_zone": "Asia/Shanghai", "gender": 1,
		"customize_field": customJSON(t, map[string]any{"customize_1_11": "M001", "customize_2_12": 12.5,
			"customize_3_13": "2024-01-31", "customize_4_14": []string{"金卡"}, "customize_4_15": []string{"1", "3"}}),
	}
	out := e.batch(nxcloudtest.BatchMerge, full, body{"email": "only@example.com", "gender": 0})
	if out.Total != 2 || out.Created != 2 || out.Updated != 0 || out.Skipped != 0 || len(out.CustomerIDs) != 2 {
		t.Fatalf("answer %+v", out)
	}
	first, second := mustID(t, out.CustomerIDs[0]), mustID(t, out.CustomerIDs[1])
	if first != nxcloudtest.DefaultFirstID || second != first+1 {
		t.Errorf("ids %d %d, want %d and the next", first, second, nxcloudtest.DefaultFirstID)
	}
	xin := e.sim.Tags()[1]
	if xin.Name != "新客" || xin.GroupID != 0 || len(e.sim.Tags()) != 2 {
		t.Errorf("tags %+v", e.sim.Tags())
	}
	c, _ := e.sim.Customer(first)
	now := t0.Add(90 * time.Second)
	want := nxcloudtest.Customer{
		ID: first, FirstName: "Simon", LastName: "Kang", FullName: "Simon Kang", SMSPhone: "8618593271111",
		WhatsAppPhone: "861360301975912", ViberPhone: "8618593271111", Email: "simon@example.com", Country: "CN",
		Address: "上海市 1号", Birthday: "1990-08-01", Remark: "备注 <b>&", TimeZone: "Asia/Shanghai", Gender: ptr(1),
		SourceType: nxcloudtest.SourceAPI, Status: 1, WhatsAppSubscribe: "1", SMSSubscribe: "1",
		Custom: map[string]any{"customize_1_11": "M001", "customize_2_12": json.Number("12.5"),
			"customize_3_13": "2024-01-31", "customize_4_14": []any{"金卡"}, "customize_4_15": []any{"1", "3"}},
		TagIDs: []int64{vip, xin.ID}, CreatedAt: now, UpdatedAt: now,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("stored\n%+v\nwant\n%+v", c, want)
	}
	// The query answers it under the read spellings.
	p := e.query(body{"whatsApp_phone": "861360301975912"})
	got := p.CustomerList[0]
	if got["whatsApp_phone"] != "861360301975912" || got["gender"] != json.Number("1") || got["birthday"] != "1990-08-01" ||
		got["source_type"] != json.Number("6") || got["remark"] != "备注 <b>&" || got["created_at"] != "2024-03-16T15:45:50" {
		t.Errorf("answered %v", got)
	}
	var custom map[string]any
	decode(t, []byte(got["customize_field"].(string)), &custom)
	if !reflect.DeepEqual(custom, want.Custom) {
		t.Errorf("customize_field %v", got["customize_field"])
	}
	if c, _ := e.sim.Customer(second); c.Gender == nil || *c.Gender != 0 || c.FullName != "" || c.Custom != nil || c.TagIDs != nil {
		t.Errorf("second %+v", c)
	}
}

func ptr[T any](v T) *T { return &v }

// seedMatch stores the customer the type tests update.
func seedMatch(e *env) int64 {
	e.t.Helper()
	withFields(e)
	old, kept := e.sim.AddTag("old"), e.sim.AddTag("kept")
	return e.sim.AddCustomer(nxcloudtest.Customer{
		FirstName: "Old", LastName: "Name", WhatsAppPhone: "8613800000001", SMSPhone: "8613800000001",
		Email: "old@example.com", Country: "SG", Birthday: "1980-01-01", Gender: ptr(0), Remark: "r",
		Line: "line-id", SourceType: 3, SourceChannelKey: "ch", Status: 1, WhatsAppSubscribe: "0", Weight: 4,
		Custom: map[string]any{"customize_1_11": "A1", "customize_2_12": 7}, TagIDs: []int64{old, kept},
		CreatedAt: t0.Add(-time.Hour),
	})
}

func TestBatchTypes(t *testing.T) {
	t.Parallel()
	incoming := body{"whats_app_phone": "8613800000001", "first_name": "New", "country": "", "tagStr": "kept,fresh",
		"customize_field": `{"customize_2_12": 9, "customize_3_13": "2024-02-29"}`}
	for _, c := range []struct {
		typ  int
		want func(old nxcloudtest.Customer, tags map[string]int64) nxcloudtest.Customer
	}{
		{nxcloudtest.BatchReplace, func(old nxcloudtest.Customer, tags map[string]int64) nxcloudtest.Customer {
			return nxcloudtest.Customer{ID: old.ID, FirstName: "New", WhatsAppPhone: "8613800000001",
				Line: "line-id", SourceType: 3, SourceChannelKey: "ch", Status: 1, WhatsAppSubscribe: "0", Weight: 4,
				Custom:    map[string]any{"customize_2_12": json.Number("9"), "customize_3_13": "2024-02-29"},
				TagIDs:    []int64{tags["kept"], tags["fresh"]},
				HisTagIDs: []int64{tags["old"]},
				CreatedAt: old.CreatedAt, UpdatedAt: t0}
		}},
		{nxcloudtest.BatchMerge, func(old nxcloudtest.Customer, tags map[string]int64) nxcloudtest.Customer {
			old.FirstName = "New"
			old.Custom["customize_2_12"] = json.Number("9")
			old.Custom["customize_3_13"] = "2024-02-29"
			old.TagIDs = []int64{tags["old"], tags["kept"], tags["fresh"]}
			old.UpdatedAt = t0
			return old
		}},
		{nxcloudtest.BatchKeep, func(old nxcloudtest.Customer, _ map[string]int64) nxcloudtest.Customer { return old }},
	} {
		t.Run(fmt.Sprint("type ", c.typ), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nxcloudtest.Config{})
			id := seedMatch(e)
			old, _ := e.sim.Customer(id)
			out := e.batch(c.typ, incoming)
			if len(out.CustomerIDs) != 1 || mustID(t, out.CustomerIDs[0]) != id || out.Created != 0 {
				t.Fatalf("answer %+v, want the match %d", out, id)
			}
			if (c.typ == nxcloudtest.BatchKeep) != (out.Skipped == 1) || (c.typ != nxcloudtest.BatchKeep) != (out.Updated == 1) {
				t.Errorf("answer %+v", out)
			}
			tags := map[string]int64{}
			for _, tag := range e.sim.Tags() {
				tags[tag.Name] = tag.ID
			}
			if c.typ == nxcloudtest.BatchKeep && len(tags) != 2 {
				t.Errorf("a kept match created tags %v", tags)
			}
			got, _ := e.sim.Customer(id)
			if want := c.want(old, tags); !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, want)
			}
			if n := len(e.sim.Customers()); n != 1 {
				t.Errorf("%d customers", n)
			}
		})
	}
}

// A replace that drops a tag puts it in the history his_tags finds; a tag
// regained leaves the history.
func TestBatchTagHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	id := seedMatch(e)
	old := e.sim.Tags()[0].ID
	e.batch(nxcloudtest.BatchReplace, body{"email": "old@example.com"})
	his := body{"his_tags": []any{body{"id": old}}}
	if got := e.query(his).ids(); !slices.Equal(got, idStrings(id)) {
		t.Errorf("his_tags %v", got)
	}
	if got := e.query(body{"tags": []any{body{"id": old}}}).ids(); len(got) != 0 {
		t.Errorf("tags %v", got)
	}
	e.batch(nxcloudtest.BatchMerge, body{"email": "old@example.com", "tagStr": "old"})
	if c, _ := e.sim.Customer(id); !slices.Equal(c.TagIDs, []int64{old}) || len(c.HisTagIDs) != 1 {
		t.Errorf("tags %v history %v", c.TagIDs, c.HisTagIDs)
	}
}

func TestBatchMatching(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	wa := e.sim.AddCustomer(nxcloudtest.Customer{WhatsAppPhone: "8613800000001", Email: "wa@example.com"})
	mail := e.sim.AddCustomer(nxcloudtest.Customer{Email: "Mail@Example.com"})
	sms1 := e.sim.AddCustomer(nxcloudtest.Customer{SMSPhone: "6590000001"})
	e.sim.AddCustomer(nxcloudtest.Customer{SMSPhone: "6590000001"}) // newer: not the match
	viber := e.sim.AddCustomer(nxcloudtest.Customer{ViberPhone: "6590000002", SMSPhone: "6590000003"})
	for _, c := range []struct {
		name string
		in   body
		want int64 // 0: a new customer
	}{
		{"whatsapp first", body{"whats_app_phone": "8613800000001", "email": "mail@example.com"}, wa},
		{"email ignoring case", body{"email": "MAIL@example.com"}, mail},
		{"sms before email", body{"sms_phone": "6590000001", "email": "mail@example.com"}, sms1},
		{"the oldest match", body{"sms_phone": "6590000001"}, sms1},
		{"viber", body{"viber_phone": "6590000002"}, viber},
		{"a later key when the first matches nothing", body{"whats_app_phone": "8613899999999", "email": "wa@example.com"}, wa},
		{"same value in another field is no match", body{"whats_app_phone": "6590000003"}, 0},
		{"spaces trimmed", body{"email": " mail@example.com "}, mail},
	} {
		out := e.batch(nxcloudtest.BatchKeep, c.in)
		got := mustID(t, out.CustomerIDs[0])
		if c.want == 0 && out.Created != 1 || c.want != 0 && got != c.want {
			t.Errorf("%s: %+v, want %d", c.name, out, c.want)
		}
	}
	// Items apply in order: the second matches the first, made in this call.
	out := e.batch(nxcloudtest.BatchMerge, body{"email": "same@example.com", "first_name": "A"}, body{"email": "same@example.com", "last_name": "B"})
	if out.Created != 1 || out.Updated != 1 || out.CustomerIDs[0] != out.CustomerIDs[1] {
		t.Fatalf("answer %+v", out)
	}
	if c, _ := e.sim.Customer(mustID(t, out.CustomerIDs[0])); c.FirstName != "A" || c.LastName != "B" {
		t.Errorf("merged %+v", c)
	}
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	many := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = body{"sms_phone": fmt.Sprintf("8613%09d", i)}
		}
		return out
	}
	e.post(pathBatch, tenant(body{"type": 0, "customers": many(101)})).fails(t, nxcloudtest.CodeBadParameter)
	for _, bad := range []body{
		{"type": 0, "customers": []any{}},
		{"type": 0},
		{"type": 0, "customers": nil},
		{"type": 0, "customers": body{"sms_phone": "8613800000000"}},
		{"type": 0, "customers": []any{"8613800000000"}},
		{"customers": many(1)},
		{"type": 3, "customers": many(1)},
		{"type": -1, "customers": many(1)},
		{"type": "1", "customers": many(1)},
	} {
		e.post(pathBatch, tenant(bad)).fails(t, nxcloudtest.CodeBadParameter)
	}
	if n := len(e.sim.Customers()); n != 0 {
		t.Fatalf("%d customers after refusals", n)
	}
	out := e.batch(nxcloudtest.BatchReplace, func() []body {
		var b []body
		for _, c := range many(100) {
			b = append(b, c.(body))
		}
		return b
	}()...)
	if out.Created != 100 || len(e.sim.Customers()) != 100 {
		t.Errorf("answer %+v", out)
	}
}

// Any bad customer refuses the call: the good one before it is not
// written either.
func TestBatchValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	withFields(e)
	e.sim.AddCustomer(nxcloudtest.Customer{Email: "keep@example.com", FirstName: "Keep"})
	good := body{"email": "keep@example.com", "first_name": "Changed", "tagStr": "would-be-created"}
	for name, bad := range map[string]body{
		"no identifier":               {"first_name": "x"},
		"read spelling only":          {"whatsApp_phone": "8613800000000"},
		"phone with +":                {"whats_app_phone": "+8613800000000"},
		"phone with space":            {"sms_phone": "86 13800000000"},
		"phone too short":             {"viber_phone": "1234"},
		"phone as number":             {"sms_phone": 8613800000000},
		"email without @":             {"email": "example.com"},
		"birthday not a date":         {"email": "a@example.com", "birthday": "1990-02-30"},
		"birthday other format":       {"email": "a@example.com", "birthday": "1990/01/01"},
		"gender 2":                    {"email": "a@example.com", "gender": 2},
		"gender string":               {"email": "a@example.com", "gender": "1"},
		"text as number":              {"email": "a@example.com", "first_name": 5},
		"tagStr as array":             {"email": "a@example.com", "tagStr": []any{"a"}},
		"customize_field object":      {"email": "a@example.com", "customize_field": body{"customize_1_11": "x"}},
		"customize_field not JSON":    {"email": "a@example.com", "customize_field": "{customize_1_11: x}"},
		"customize_field array":       {"email": "a@example.com", "customize_field": `["x"]`},
		"unknown custom field":        {"email": "a@example.com", "customize_field": `{"customize_9_99": "x"}`},
		"preset in customize_field":   {"email": "a@example.com", "customize_field": `{"first_name": "x"}`},
		"text value a number":         {"email": "a@example.com", "customize_field": `{"customize_1_11": 5}`},
		"number value a string":       {"email": "a@example.com", "customize_field": `{"customize_2_12": "5"}`},
		"date value bad":              {"email": "a@example.com", "customize_field": `{"customize_3_13": "2024-13-01"}`},
		"select two options":          {"email": "a@example.com", "customize_field": `{"customize_4_14": ["金卡", "银卡"]}`},
		"select a string":             {"email": "a@example.com", "customize_field": `{"customize_4_14": "金卡"}`},
		"select not an option":        {"email": "a@example.com", "customize_field": `{"customize_4_14": ["铜卡"]}`},
		"multi_select not an option":  {"email": "a@example.com", "customize_field": `{"customize_4_15": ["1", "4"]}`},
		"multi_select numbers":        {"email": "a@example.com", "customize_field": `{"customize_4_15": [1]}`},
		"customize_field with extras": {"email": "a@example.com", "customize_field": `{"customize_1_11": "x"} {}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e.post(pathBatch, tenant(body{"type": 1, "customers": []any{good, bad}})).fails(t, nxcloudtest.CodeBadParameter)
		})
	}
	t.Cleanup(func() {
		cs := e.sim.Customers()
		if len(cs) != 1 || cs[0].FirstName != "Keep" || len(e.sim.Tags()) != 0 {
			t.Errorf("a refused call wrote: %+v, tags %+v", cs, e.sim.Tags())
		}
	})
}

func TestBatchTagStr(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	vip := e.sim.AddTagInGroup("VIP", 7, "价值")
	out := e.batch(nxcloudtest.BatchReplace, body{"email": "a@example.com", "tagStr": " VIP, b,,b , 新客，老客 ,"})
	var names []string
	for _, tag := range e.sim.Tags() {
		names = append(names, tag.Name)
	}
	if !slices.Equal(names, []string{"VIP", "b", "新客，老客"}) {
		t.Errorf("tags %q", names)
	}
	c, _ := e.sim.Customer(mustID(t, out.CustomerIDs[0]))
	if len(c.TagIDs) != 3 || c.TagIDs[0] != vip {
		t.Errorf("customer tags %v", c.TagIDs)
	}
	tags := e.query(body{"email": "a@example.com"}).CustomerList[0]["tags"].([]any)
	first := tags[0].(map[string]any)
	if first["tag_name"] != "VIP" || first["group_id"] != json.Number("7") || first["group_name"] != "价值" {
		t.Errorf("tag %v", first)
	}
	if second := tags[1].(map[string]any); second["group_id"] != json.Number("0") || second["group_name"] != nil {
		t.Errorf("tag %v", second)
	}
	// Reused by name, not created again.
	e.batch(nxcloudtest.BatchMerge, body{"email": "b@example.com", "tagStr": "b"})
	if n := len(e.sim.Tags()); n != 3 {
		t.Errorf("%d tags", n)
	}
}

// No value ("", null, []) clears under replace and keeps under merge.
func TestBatchEmptyValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typ    int
		remark string
		custom map[string]any
	}{
		{nxcloudtest.BatchReplace, "", nil},
		{nxcloudtest.BatchMerge, "r", map[string]any{"customize_1_11": "A1", "customize_2_12": json.Number("7")}},
	} {
		e := newEnv(t, nxcloudtest.Config{})
		id := seedMatch(e)
		e.batch(c.typ, body{"email": "old@example.com", "remark": "  ", "gender": nil, "first_name": nil,
			"customize_field": `{"customize_1_11": "", "customize_2_12": null, "customize_4_15": []}`})
		got, _ := e.sim.Customer(id)
		if got.Remark != c.remark || !reflect.DeepEqual(got.Custom, c.custom) {
			t.Errorf("type %d: remark %q custom %v", c.typ, got.Remark, got.Custom)
		}
		if (c.typ == nxcloudtest.BatchReplace) != (got.Gender == nil) {
			t.Errorf("type %d: gender %v", c.typ, got.Gender)
		}
	}
}
