package nxcloudtest_test

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
)

type fieldView struct {
	FieldKey  string   `json:"field_key"`
	FieldName string   `json:"field_name"`
	FieldType string   `json:"field_type"`
	IsPreset  *int     `json:"is_preset"`
	Options   []string `json:"options"`
}

func (e *env) fields(q url.Values) answer {
	e.t.Helper()
	return e.send(call{method: http.MethodGet, path: pathFields, query: q})
}

func fieldsQuery(isPreset ...string) url.Values {
	q := url.Values{"tenant_id": {"123"}, "app_key": {nxcloudtest.DefaultAppKey}}
	if len(isPreset) > 0 {
		q.Set("is_preset", isPreset[0])
	}
	return q
}

var presetNames = []string{"first_name", "last_name", "full_name", "sms_phone", "whatsApp_phone", "viber_phone", "line",
	"messenger", "instagram", "email", "country", "address", "birthday", "gender", "remark", "time_zone"}

func TestFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	withFields(e)
	custom := []string{"customize_1_11", "customize_2_12", "customize_3_13", "customize_4_14", "customize_4_15"}
	keys := func(list []fieldView) []string {
		var out []string
		for _, f := range list {
			out = append(out, f.FieldKey)
		}
		return out
	}
	for _, c := range []struct {
		isPreset []string
		want     []string
	}{
		{nil, slices.Concat(presetNames, custom)},
		{[]string{""}, slices.Concat(presetNames, custom)},
		{[]string{"1"}, presetNames},
		{[]string{"true"}, presetNames},
		{[]string{"0"}, custom},
		{[]string{"false"}, custom},
	} {
		var list []fieldView
		e.fields(fieldsQuery(c.isPreset...)).ok(t, &list)
		if got := keys(list); !slices.Equal(got, c.want) {
			t.Errorf("is_preset %v: %v, want %v", c.isPreset, got, c.want)
		}
		for _, f := range list {
			preset := slices.Contains(presetNames, f.FieldKey)
			if f.IsPreset == nil || (*f.IsPreset == 1) != preset || f.FieldName == "" || f.FieldType == "" {
				t.Errorf("field %+v", f)
			}
		}
	}
	var list []fieldView
	data := e.fields(fieldsQuery("0")).ok(t, &list)
	if list[4].FieldType != nxcloudtest.FieldMultiSelect || !slices.Equal(list[4].Options, []string{"1", "2", "3"}) ||
		list[0].Options != nil || list[0].FieldName != "会员编号" || list[0].FieldType != nxcloudtest.FieldText {
		t.Errorf("custom fields %+v", list)
	}
	var raw []map[string]any
	decode(t, data, &raw)
	if got := slices.Sorted(maps.Keys(raw[0])); !slices.Equal(got, []string{"field_key", "field_name", "field_type", "is_preset", "options"}) {
		t.Errorf("members %v", got)
	}
	if _, ok := raw[0]["options"]; !ok || raw[0]["options"] != nil {
		t.Errorf("options of a text field: %v", raw[0]["options"])
	}
	// Fields() agrees.
	if got := e.sim.Fields(); len(got) != len(presetNames)+len(custom) || !got[0].Preset || got[len(got)-1].Name != "customize_4_15" {
		t.Errorf("Fields %+v", got)
	}
	// No custom field yet: an empty array, not null.
	if data := newEnv(t, nxcloudtest.Config{}).fields(fieldsQuery("0")).ok(t, nil); string(data) != "[]" {
		t.Errorf("no custom fields: %s", data)
	}
}

func TestFieldsParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	for _, q := range []url.Values{
		{"app_key": {nxcloudtest.DefaultAppKey}},
		{"tenant_id": {"123"}},
		{"tenant_id": {"abc"}, "app_key": {nxcloudtest.DefaultAppKey}},
		{"tenant_id": {"123.0"}, "app_key": {nxcloudtest.DefaultAppKey}},
		fieldsQuery("yes"),
		fieldsQuery("2"),
		fieldsQuery("TRUE"),
	} {
		e.fields(q).fails(t, nxcloudtest.CodeBadParameter)
	}
	e.fields(url.Values{"tenant_id": {"1"}, "app_key": {nxcloudtest.DefaultAppKey}}).fails(t, nxcloudtest.CodeNoPermission)
}

func TestAddFieldRefusesWhatCannotBe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nxcloudtest.Config{})
	withFields(e)
	for name, f := range map[string]nxcloudtest.Field{
		"custom not customize_N_M": {Name: "level", Type: nxcloudtest.FieldText},
		"customize without M":      {Name: "customize_4", Type: nxcloudtest.FieldText},
		"preset named as custom":   {Name: "customize_1_1", Type: nxcloudtest.FieldText, Preset: true},
		"taken name":               {Name: "customize_1_11", Type: nxcloudtest.FieldText},
		"taken preset name":        {Name: "email", Type: nxcloudtest.FieldEmail, Preset: true},
		"unknown custom type":      {Name: "customize_9_1", Type: nxcloudtest.FieldPhone},
		"select without options":   {Name: "customize_9_2", Type: nxcloudtest.FieldSelect},
		"text with options":        {Name: "customize_9_3", Type: nxcloudtest.FieldText, Options: []string{"a"}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("AddField(%+v) did not panic", f)
				}
			}()
			e.sim.AddField(f)
		})
	}
}
