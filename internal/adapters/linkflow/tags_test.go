package linkflow_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func tagID(t domain.Tag) string { return t.ID }

func TestListTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f1 := e.sim.AddFolder(linkflowtest.Folder{Name: "Activity"})
	f2 := e.sim.AddFolder(linkflowtest.Folder{Name: "Value"})
	var all, inF1, inF2 []int64
	for i := range 23 {
		var folder int64
		switch i % 3 {
		case 1:
			folder = f1
		case 2:
			folder = f2
		}
		id := e.sim.AddTag(linkflowtest.Tag{TagName: fmt.Sprintf("Tag %02d", i), FolderID: folder, TagType: "RULE_LAYER"})
		all = append(all, id)
		switch folder {
		case f1:
			inF1 = append(inF1, id)
		case f2:
			inF2 = append(inF2, id)
		}
	}

	tests := []struct {
		name   string
		q      domain.TagQuery
		limits []int
		want   []int64
	}{
		{"limit 1", domain.TagQuery{}, []int{1}, all},
		{"limit 5", domain.TagQuery{}, []int{5}, all},
		{"limit 23", domain.TagQuery{}, []int{23}, all},
		{"limit 200", domain.TagQuery{}, []int{200}, all},
		{"changing limits", domain.TagQuery{}, []int{4, 7, 3, 10}, all},
		{"folder", domain.TagQuery{GroupID: idStr(f1)}, []int{3}, inF1},
		{"folder, changing limits", domain.TagQuery{GroupID: idStr(f2)}, []int{2, 9, 4}, inF2},
		{"unknown folder", domain.TagQuery{GroupID: "999999"}, []int{10}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, tt.limits, tagID, func(p domain.PageRequest) (domain.Page[domain.Tag], error) {
				return e.ad.ListTags(t.Context(), tt.q, p)
			})
			if !slices.Equal(got, ids(tt.want)) {
				t.Errorf("ids %v, want %v", got, ids(tt.want))
			}
		})
	}

	t.Run("mapping", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 2})
		e.Must(err)
		tag := p.Items[1]
		stored, _ := e.sim.Tag(fmt.Sprint("tag_", all[1]))
		if tag.ID != idStr(all[1]) || tag.Name != "Tag 01" || tag.Key != stored.TagKey || tag.Type != "RULE_LAYER" ||
			tag.GroupID != idStr(f1) || !tag.CreatedAt.Equal(stored.DateCreated.Truncate(time.Second)) || tag.Raw != nil {
			t.Errorf("tag %+v (stored %+v)", tag, stored)
		}
		if p.Items[0].GroupID != "" {
			t.Errorf("a tag outside folders has group %q", p.Items[0].GroupID)
		}
		p, err = e.ad.ListTags(domain.WithRaw(t.Context()), domain.TagQuery{}, domain.PageRequest{Limit: 1})
		e.Must(err)
		if !strings.Contains(string(p.Items[0].Raw), `"tagKey"`) {
			t.Errorf("raw %s", p.Items[0].Raw)
		}
	})

	t.Run("vendor page size", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: domain.MaxLimit})
		e.Must(err)
		for _, h := range e.hitsTo("/v1/tags") {
			var page, size int
			for _, kv := range strings.Split(h.rawQuery, "&") {
				fmt.Sscanf(kv, "page=%d", &page)
				fmt.Sscanf(kv, "size=%d", &size)
			}
			if size < 1 || size > 200 || page < 0 {
				t.Errorf("tags query %q", h.rawQuery)
			}
		}
	})

	t.Run("bad state", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListTags(t.Context(), domain.TagQuery{}, domain.PageRequest{Limit: 5, State: "x12"})
		e.wantCursor(err)
	})
}

func TestListTagGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.sim.AddFolder(linkflowtest.Folder{Name: "Root"})
	var want []int64
	want = append(want, root)
	e.sim.AddFolder(linkflowtest.Folder{Name: "Reports", Domain: "REPORT"})
	for i := range 8 {
		want = append(want, e.sim.AddFolder(linkflowtest.Folder{Name: fmt.Sprint("Child ", i), ParentID: root}))
		if i%3 == 0 {
			e.sim.AddFolder(linkflowtest.Folder{Name: fmt.Sprint("Campaigns ", i), Domain: "CAMPAIGN"})
		}
	}

	for _, limits := range [][]int{{1}, {3}, {2, 5}, {200}} {
		t.Run(fmt.Sprint("limits ", limits), func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, limits, func(g domain.TagGroup) string { return g.ID },
				func(p domain.PageRequest) (domain.Page[domain.TagGroup], error) {
					return e.ad.ListTagGroups(t.Context(), p)
				})
			if !slices.Equal(got, ids(want)) {
				t.Errorf("ids %v, want %v (non-TAG folders must be left out)", got, ids(want))
			}
		})
	}
	t.Run("mapping", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 2})
		e.Must(err)
		if p.Items[0].Name != "Root" || p.Items[0].ParentID != "" || p.Items[1].ParentID != idStr(root) || p.Items[1].Name != "Child 0" {
			t.Errorf("tag groups %+v", p.Items)
		}
		if p.Items[0].CreatedAt.IsZero() || p.Items[0].Raw != nil {
			t.Errorf("tag group %+v", p.Items[0])
		}
	})
	t.Run("bad state", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListTagGroups(t.Context(), domain.PageRequest{Limit: 5, State: "x12"})
		e.wantCursor(err)
	})
}

func TestListFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	types := []struct {
		dataType string
		want     domain.FieldType
	}{
		{"text", domain.FieldTypeText}, {"number", domain.FieldTypeNumber}, {"integer", domain.FieldTypeNumber},
		{"boolean", domain.FieldTypeBoolean}, {"date", domain.FieldTypeDate}, {"datetime", domain.FieldTypeDateTime},
		{"list", domain.FieldTypeMultiSelect},
	}
	var want []domain.FieldDef
	for i, tt := range types {
		alias := fmt.Sprint("attr", i+1)
		id := e.sim.AddProperty(linkflowtest.Property{Alias: alias, Label: "Label " + alias, DataType: tt.dataType})
		want = append(want, domain.FieldDef{ID: idStr(id), Key: alias, Label: "Label " + alias, Type: tt.want})
	}

	t.Run("mapping", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 200})
		e.Must(err)
		if p.Next != "" || len(p.Items) != len(want) {
			t.Fatalf("page %+v", p)
		}
		for i, f := range p.Items {
			if f.ID != want[i].ID || f.Key != want[i].Key || f.Label != want[i].Label || f.Type != want[i].Type || f.Raw != nil {
				t.Errorf("field %d: %+v, want %+v", i, f, want[i])
			}
		}
	})
	t.Run("raw", func(t *testing.T) {
		t.Parallel()
		p, err := e.ad.ListFields(domain.WithRaw(t.Context()), domain.PageRequest{Limit: 1})
		e.Must(err)
		if !strings.Contains(string(p.Items[0].Raw), `"alias":"attr1"`) {
			t.Errorf("raw %s", p.Items[0].Raw)
		}
	})
	for _, limits := range [][]int{{1}, {2}, {3, 1, 5}} {
		t.Run(fmt.Sprint("limits ", limits), func(t *testing.T) {
			t.Parallel()
			got := vendortest.CollectPages(t, e.watch, limits, func(f domain.FieldDef) string { return f.Key },
				func(p domain.PageRequest) (domain.Page[domain.FieldDef], error) {
					return e.ad.ListFields(t.Context(), p)
				})
			if len(got) != len(want) || got[0] != "attr1" || got[len(got)-1] != want[len(want)-1].Key {
				t.Errorf("keys %v", got)
			}
		})
	}
	t.Run("bad state", func(t *testing.T) {
		t.Parallel()
		_, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5, State: "x12"})
		e.wantCursor(err)
	})
	t.Run("none defined", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		p, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 5})
		e.Must(err)
		if len(p.Items) != 0 || p.Next != "" {
			t.Errorf("page %+v", p)
		}
	})
}
