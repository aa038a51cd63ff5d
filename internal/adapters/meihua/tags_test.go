package meihua_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/meihua/meihuatest"
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestListTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var want []string
	for i := range 55 {
		want = append(want, idStr(e.sim.AddTag(fmt.Sprintf("标签%02d", i))))
	}
	c := e.sim.AddContact(meihuatest.Contact{Email: "t@example.com"})
	tagged, _ := vendorhttp.PositiveID(want[0])
	e.sim.TagContact(tagged, c)
	got := vendortest.CollectPages(t, e.watch, []int{20, 200}, func(t domain.Tag) string { return t.ID }, func(p domain.PageRequest) (domain.Page[domain.Tag], error) {
		return e.ad.ListTags(t.Context(), domain.TagQuery{}, p)
	})
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%d tags, want %d", len(got), len(want))
	}
	p, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 200})
	e.Must(err)
	for _, tag := range p.Items {
		if tag.ContactCount == nil || (tag.ID == want[0]) != (*tag.ContactCount == 1) || !strings.HasPrefix(tag.Name, "标签") {
			t.Errorf("tag %+v", tag)
		}
	}
	_, err = e.ad.ListTags(t.Context(), domain.TagQuery{GroupID: "1"}, domain.PageRequest{Limit: 5})
	e.WantValidation(err, "query.group_id")
}

func TestCreateTag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddTag("高价值客户 旧")
	tag, err := e.ad.CreateTag(t.Context(), "高价值客户", "")
	e.Must(err)
	n, _ := vendorhttp.PositiveID(tag.ID)
	var found bool
	for _, st := range e.sim.Tags() {
		if st.ID == n && st.Name == "高价值客户" {
			found = true
		}
	}
	if !found || tag.Name != "高价值客户" {
		t.Errorf("created %+v; stored %+v", tag, e.sim.Tags())
	}
	// Meihua keeps one tag per name: a second add answers success and adds
	// nothing, which the gateway answers ALREADY_EXISTS.
	_, err = e.ad.CreateTag(t.Context(), "高价值客户", "")
	e.WantVendor(err, domain.VendorExists)
	_, err = e.ad.CreateTag(t.Context(), "x", "5")
	e.WantValidation(err, "body.group_id")
	if n := len(e.requests("/contact/tag/add")); n != 2 {
		t.Errorf("%d tag adds", n)
	}
}
