package meihua_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestListFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	text := e.sim.AddProperty("注册来源", 1, "where from")
	drop := e.sim.AddProperty("会员等级", 2, "level", "金卡", "银卡")
	p, err := e.ad.ListFields(domain.WithRaw(t.Context()), domain.PageRequest{Limit: 1})
	e.Must(err)
	if len(p.Items) != 1 || p.Next == "" {
		t.Fatalf("first page %+v", p)
	}
	p2, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 10, State: p.Next})
	e.Must(err)
	all := append(p.Items, p2.Items...)
	if len(all) != 2 {
		t.Fatalf("%d fields", len(all))
	}
	byID := map[string]domain.FieldDef{}
	for _, d := range all {
		byID[d.ID] = d
	}
	if d := byID[idStr(text)]; d.Key != idStr(text) || d.Label != "注册来源" || d.Type != domain.FieldTypeText || d.Description != "where from" {
		t.Errorf("text field %+v", d)
	}
	if d := byID[idStr(drop)]; d.Key != idStr(drop) || d.Type != domain.FieldTypeSelect {
		t.Errorf("dropdown field %+v", d)
	}
	if len(p.Items[0].Raw) == 0 {
		t.Error("no raw with include=raw")
	}
	for _, r := range e.requests("/contact/property/all") {
		if r.Method != http.MethodPost {
			t.Errorf("property list sent as %s", r.Method)
		}
	}
}

func TestCreateField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty("等级", 1, "an older one with the same label")
	d, err := e.ad.CreateField(t.Context(), domain.FieldInput{Label: "等级", Type: domain.FieldTypeSelect, Description: "会员等级", Options: []string{"金卡", "银卡"}})
	e.Must(err)
	n, _ := vendorhttp.PositiveID(d.ID)
	var stored bool
	for _, p := range e.sim.Properties() {
		if p.ID == n {
			stored = p.Label == "等级" && p.FieldType == 2 && p.Description == "会员等级" && slices.Equal(p.Options, []string{"金卡", "银卡"})
		}
	}
	if !stored || d.Key != d.ID || d.Type != domain.FieldTypeSelect || d.Label != "等级" {
		t.Errorf("created %+v; stored %+v", d, e.sim.Properties())
	}
	add := e.requests("/contact/property/add")
	var subs []map[string]string
	if len(add) != 1 || param(add[0], "fieldType") != "2" || json.Unmarshal([]byte(param(add[0], "subpropertys")), &subs) != nil || len(subs) != 2 {
		t.Errorf("add %+v", add)
	}

	d, err = e.ad.CreateField(t.Context(), domain.FieldInput{Label: "备注2", Type: domain.FieldTypeText, Description: "d"})
	e.Must(err)
	if d.Type != domain.FieldTypeText {
		t.Errorf("text field %+v", d)
	}

	_, err = e.ad.CreateField(t.Context(), domain.FieldInput{Label: "x", Type: domain.FieldTypeNumber})
	e.WantValidation(err, "body.type", "body.description")
	if n := len(e.requests("/contact/property/add")); n != 2 {
		t.Errorf("%d property adds", n)
	}
}
