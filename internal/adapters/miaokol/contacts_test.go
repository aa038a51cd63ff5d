package miaokol_test

import (
	"slices"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/miaokol"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

func TestSetContactTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("api分组")
	del, add := e.sim.AddTag(g, "删"), e.sim.AddTag(g, "增")
	old := e.sim.AddTag(e.sim.AddGroup("旧"), "旧标签")
	const rel, contact = "1688851873049028", "7881302795046315"
	e.sim.AddContact(rel, contact, old)
	id := miaokol.ContactID(rel, contact)
	if id != rel+"~"+contact {
		t.Fatalf("ContactID = %q", id)
	}

	refs, err := e.ad.SetContactTags(t.Context(), id, []string{idStr(add), idStr(del), idStr(add)})
	e.Must(err)
	want := []domain.TagRef{{ID: idStr(add), Name: "增"}, {ID: idStr(del), Name: "删"}}
	if !slices.Equal(refs, want) {
		t.Errorf("refs %v, want %v", refs, want)
	}
	if c, _ := e.sim.Contact(rel, contact); !slices.Equal(c.TagIDs, []int64{del, add}) {
		t.Errorf("simulator contact tags %v", c.TagIDs)
	}
	w := e.requests("/smart-tag/updateContact")
	if len(w) != 1 {
		t.Fatalf("%d writes", len(w))
	}
	body := bodyOf(t, w[0])
	if body["rel_wxid"] != rel || body["contact_wxid"] != contact || body["app_id"] != appID || body["access_token"] == nil || len(body) != 5 {
		t.Errorf("write body %v", body)
	}
	if ids, _ := body["smart_tag_ids"].([]any); !slices.Equal(ids, []any{jsonNum(add), jsonNum(del)}) {
		t.Errorf("smart_tag_ids %v: want integers, once each", body["smart_tag_ids"])
	}

	// [] clears, without a lookup, and sends an empty array (not null).
	e.sim.ResetRequests()
	refs, err = e.ad.SetContactTags(t.Context(), id, nil)
	e.Must(err)
	if refs == nil || len(refs) != 0 {
		t.Errorf("refs %#v, want an empty list", refs)
	}
	if c, _ := e.sim.Contact(rel, contact); len(c.TagIDs) != 0 {
		t.Errorf("simulator contact tags %v", c.TagIDs)
	}
	if len(e.requests("/smart-tag/list")) != 0 {
		t.Error("clearing looked the tags up")
	}
	if ids, ok := bodyOf(t, e.requests("/smart-tag/updateContact")[0])["smart_tag_ids"].([]any); !ok || len(ids) != 0 {
		t.Errorf("smart_tag_ids %v, want []", ids)
	}
}

// WeCom ids with any characters reach Miaokol exactly, through the id's
// escapes.
func TestSetContactTagsEscapedIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := e.sim.AddTag(e.sim.AddGroup("g"), "t")
	for _, c := range []struct{ rel, contact string }{
		{"wm~rel", "~"},
		{"100%", "%7E"},
		{"a/b", "../c"},
		{"with space", " "},
		{"张三", "wmé李"},
	} {
		e.sim.AddContact(c.rel, c.contact)
		id := miaokol.ContactID(c.rel, c.contact)
		_, err := e.ad.SetContactTags(t.Context(), id, []string{idStr(tag)})
		e.Must(err)
		if got, ok := e.sim.Contact(c.rel, c.contact); !ok || !slices.Equal(got.TagIDs, []int64{tag}) {
			t.Errorf("%q/%q (id %q): simulator contact %+v, %v", c.rel, c.contact, id, got, ok)
		}
	}
}

// Malformed contact ids and tag ids are refused before any call.
func TestSetContactTagsRefusesInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, id := range []string{"1688851873049028", "a~b~c", "~b", "a~", "a%7e~b", "a%41~b", "a b~c", "a%2~b", "张~b", "a%C3~b"} {
		_, err := e.ad.SetContactTags(t.Context(), id, []string{"1"})
		e.WantValidation(err, "path.contact_id")
	}
	_, err := e.ad.SetContactTags(t.Context(), "r~c", []string{"1", "x", "01", "-2", "+3", "", "4"})
	e.WantValidation(err, "body.tag_ids[1]", "body.tag_ids[2]", "body.tag_ids[3]", "body.tag_ids[4]", "body.tag_ids[5]")
	if n, m := e.apiCalls(), e.sim.TokenCalls(); n != 0 || m != 0 {
		t.Errorf("%d smart-tag and %d token calls for refused input", n, m)
	}
}

// Every id must be a tag Miaokol lists: a group's id (same id space) or
// an unknown id is refused, naming the item, and nothing is written.
func TestSetContactTagsUnknownTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	g := e.sim.AddGroup("g")
	tag := e.sim.AddTag(g, "t")
	e.sim.AddContact("r", "c", tag)
	_, err := e.ad.SetContactTags(t.Context(), "r~c", []string{idStr(tag), idStr(g), idStr(tag + 100)})
	e.WantValidation(err, "body.tag_ids[1]", "body.tag_ids[2]")
	if n := len(e.requests("/smart-tag/updateContact")); n != 0 {
		t.Errorf("%d writes", n)
	}
	if c, _ := e.sim.Contact("r", "c"); !slices.Equal(c.TagIDs, []int64{tag}) {
		t.Errorf("contact tags %v", c.TagIDs)
	}
}

// A customer Miaokol does not know is its to refuse (errcode 1).
func TestSetContactTagsUnknownContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tag := e.sim.AddTag(e.sim.AddGroup("g"), "t")
	_, err := e.ad.SetContactTags(t.Context(), "nobody~none", []string{idStr(tag)})
	if ve := e.WantVendor(err, domain.VendorRejected); ve.Code != "1" {
		t.Errorf("code %q", ve.Code)
	}
	_, err = e.ad.SetContactTags(t.Context(), "nobody~none", []string{})
	e.WantVendor(err, domain.VendorRejected)
}
