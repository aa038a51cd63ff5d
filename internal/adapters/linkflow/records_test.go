package linkflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

// TestUpdateSendsOnlyTheChangedFields: an update sends Linkflow the fields
// the patch names (and the id its update requires), props with only the
// changed keys, and reads nothing first: what someone else changed
// meanwhile, and a birthday's time of day, stay as they are.
func TestUpdateSendsOnlyTheChangedFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1", Label: "Marital status"})
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr2", Label: "Salary", DataType: "number"})
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann", DateOfBirthday: "1990-01-02 08:30:00", Email: "ann@example.com",
		Company: "ACME", Props: map[string]any{"attr1": "单身", "attr2": json.Number("100")}})
	set := map[domain.ContactField]bool{domain.FieldJobTitle: true, domain.FieldNote: true}
	c, err := e.ad.UpdateContact(t.Context(), idStr(id), domain.ContactPatch{
		Values: domain.Contact{JobTitle: "CTO", Name: "not in Set"}, Set: set, CustomFields: map[string]any{"attr2": json.Number("9007199254740993")},
	})
	e.Must(err)
	bodies := e.sim.Updates(id)
	if len(bodies) != 1 {
		t.Fatalf("%d updates", len(bodies))
	}
	if got := slices.Sorted(maps.Keys(bodies[0])); !slices.Equal(got, []string{"comments", "id", "props", "title"}) {
		t.Errorf("update sent %v", got)
	}
	if props := bodies[0]["props"].(map[string]any); len(props) != 1 || props["attr2"] != json.Number("9007199254740993") {
		t.Errorf("update sent props %v", props)
	}
	after, _ := e.sim.Contact(id)
	if after.DateOfBirthday != "1990-01-02 08:30:00" || after.Email != "ann@example.com" || after.Company != "ACME" ||
		after.Title != "CTO" || fmt.Sprint(after.Props["attr1"]) != "单身" || fmt.Sprint(after.Props["attr2"]) != "9007199254740993" {
		t.Errorf("vendor contact %+v", after)
	}
	if c.JobTitle != "CTO" || c.Name != "Ann" || c.Version != "2" || !c.ExternalIDsLoaded {
		t.Errorf("answer %+v", c)
	}
	if n := len(e.hitsTo("/open/contacts_bulk")); n != 0 {
		t.Errorf("%d reads before an unconditional update", n)
	}
}

// TestUpdateContactIfVersion: a conditional update writes only while the
// contact's ver is the version asked, and answers the new ver.
func TestUpdateContactIfVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	name := func(n string) domain.ContactPatch {
		return domain.ContactPatch{Values: domain.Contact{Name: n}, Set: map[domain.ContactField]bool{domain.FieldName: true}}
	}
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Ann", Ver: 6})
	got, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	if got.Version != "6" {
		t.Fatalf("GetContact version %q, want 6", got.Version)
	}
	c, err := e.ad.UpdateContactIfVersion(t.Context(), idStr(id), "6", name("Bo"))
	e.Must(err)
	if c.Name != "Bo" || c.Version != "7" {
		t.Fatalf("answer %+v", c)
	}

	_, err = e.ad.UpdateContactIfVersion(t.Context(), idStr(id), "6", name("Cy"))
	e.record(err)
	var pe *domain.PreconditionError
	if !errors.As(err, &pe) || pe.Current != "7" || pe.Want != "6" || pe.Vendor != "linkflow" {
		t.Fatalf("stale version: %v", err)
	}
	if after, _ := e.sim.Contact(id); after.Name != "Bo" || len(e.sim.Updates(id)) != 1 {
		t.Fatalf("a refused update wrote: %+v", after)
	}

	legacy := e.sim.AddContact(linkflowtest.Contact{Name: "Old"})
	e.sim.ForgetVersion(legacy)
	if c, err := e.ad.GetContact(t.Context(), idStr(legacy)); err != nil || c.Version != "" {
		t.Fatalf("contact without version: %q, %v", c.Version, err)
	}
	_, err = e.ad.UpdateContactIfVersion(t.Context(), idStr(legacy), "1", name("x"))
	e.record(err)
	if !errors.As(err, &pe) || pe.Current != "" {
		t.Fatalf("version of a contact without one: %v", err)
	}

	_, err = e.ad.UpdateContactIfVersion(t.Context(), "999999", "1", name("x"))
	e.WantNotFound(err)
	before := len(e.Hits())
	_, err = e.ad.UpdateContactIfVersion(t.Context(), idStr(id), "7", domain.ContactPatch{Values: domain.Contact{WeChat: "wx"}, Set: map[domain.ContactField]bool{domain.FieldWeChat: true}})
	e.WantValidation(err, "body.wechat")
	if n := len(e.Hits()) - before; n != 0 {
		t.Errorf("%d vendor calls for a refused update", n)
	}
}

// TestListsLoadExternalIDsWhenAsked: no Linkflow list answers a contact's
// channel identities, so lists leave external ids unloaded unless asked,
// and then load exactly what GetContact answers (one identities call per
// contact).
func TestListsLoadExternalIDsWhenAsked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	since := e.clock.Now().Add(-10 * time.Minute)
	id := e.sim.AddContact(linkflowtest.Contact{Name: "Zed", Email: "zed@example.com", Company: "ACME"})
	e.sim.AddIdentity(id, "shop.example.com", "UDC", "zed-1")
	e.sim.AddWeChatIdentity(id, "wx5a39a02868a39999", "Official", "union-zed", "open-zed")
	bare := e.sim.AddContact(linkflowtest.Contact{Name: "Zoe"})
	gid := e.sim.AddGroup("G", "")
	e.sim.AddGroupMembers(gid, id, bare)
	want, err := e.ad.GetContact(t.Context(), idStr(id))
	e.Must(err)
	if len(want.ExternalIDs) != 3 || !want.ExternalIDsLoaded {
		t.Fatalf("GetContact external ids %v", want.ExternalIDs)
	}

	lists := map[string]func(expand bool) (domain.Page[domain.Contact], error){
		"list": func(x bool) (domain.Page[domain.Contact], error) {
			return e.ad.ListContacts(ctxFor(t, x), domain.ContactQuery{}, domain.PageRequest{Limit: 10})
		},
		"search": func(x bool) (domain.Page[domain.Contact], error) {
			return e.ad.ListContacts(ctxFor(t, x), domain.ContactQuery{Q: "z"}, domain.PageRequest{Limit: 10})
		},
		"lookup": func(x bool) (domain.Page[domain.Contact], error) {
			return e.ad.ListContacts(ctxFor(t, x), domain.ContactQuery{Email: "zed@example.com"}, domain.PageRequest{Limit: 10})
		},
		"updated_since": func(x bool) (domain.Page[domain.Contact], error) {
			return e.ad.ListContacts(ctxFor(t, x), domain.ContactQuery{UpdatedSince: &since}, domain.PageRequest{Limit: 10})
		},
		"group members": func(x bool) (domain.Page[domain.Contact], error) {
			return e.ad.ListGroupMembers(ctxFor(t, x), idStr(gid), domain.PageRequest{Limit: 10})
		},
	}
	// Sequential: the identities calls are counted.
	for name, list := range lists {
		before := identityCalls(e)
		p, err := list(false)
		e.Must(err)
		if n := identityCalls(e) - before; n != 0 {
			t.Errorf("%s: %d identities calls without expand", name, n)
		}
		for _, c := range p.Items {
			if c.ExternalIDsLoaded || c.TagsLoaded {
				t.Errorf("%s: contact %s says its external ids or tags are loaded", name, c.ID)
			}
		}
		before = identityCalls(e)
		p, err = list(true)
		e.Must(err)
		if n := identityCalls(e) - before; n != len(p.Items) {
			t.Errorf("%s: %d identities calls for %d contacts", name, n, len(p.Items))
		}
		found := false
		for _, c := range p.Items {
			if !c.ExternalIDsLoaded || c.ExternalIDs == nil {
				t.Errorf("%s: contact %s not loaded: %v", name, c.ID, c.ExternalIDs)
			}
			if c.ID == idStr(id) {
				found = true
				if !slices.Equal(c.ExternalIDs, want.ExternalIDs) || c.Company != "ACME" || c.Version != want.Version {
					t.Errorf("%s: %+v, GetContact answers %+v", name, c, want)
				}
			}
		}
		if !found {
			t.Errorf("%s: contact %d not listed", name, id)
		}
	}
}

func ctxFor(t *testing.T, expand bool) context.Context {
	if expand {
		return domain.WithExternalIDs(t.Context())
	}
	return t.Context()
}

func identityCalls(e *env) int {
	n := 0
	for _, h := range e.Hits() {
		if strings.HasSuffix(h.path, "/identities") {
			n++
		}
	}
	return n
}

// TestGroupMembersAreWholeContacts: a member list answers the contacts as
// a contact list does (Linkflow's member entries hold only a few fields),
// read in bulk, at most 100 per call.
func TestGroupMembersAreWholeContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Alias: "attr1", Label: "Tier"})
	gid := e.sim.AddGroup("Whole", "")
	var members []int64
	for i := range 150 {
		members = append(members, e.sim.AddContact(linkflowtest.Contact{Name: fmt.Sprint("W", i), Company: "ACME", Gender: "female",
			Props: map[string]any{"attr1": "gold"}}))
	}
	e.sim.AddGroupMembers(gid, members...)
	p, err := e.ad.ListGroupMembers(t.Context(), idStr(gid), domain.PageRequest{Limit: 150})
	e.Must(err)
	if len(p.Items) != 150 {
		t.Fatalf("%d members", len(p.Items))
	}
	for i, c := range p.Items {
		if c.ID != idStr(members[i]) || c.Company != "ACME" || c.Gender != domain.GenderFemale || c.CustomFields["attr1"] != "gold" || c.Version != "1" {
			t.Fatalf("member %d: %+v", i, c)
		}
	}
	bulk := e.hitsTo("/open/contacts_bulk")
	if len(bulk) != 2 {
		t.Errorf("%d bulk reads for 150 members, want 2", len(bulk))
	}
}

// TestListGroupsSaysWhenTheVendorCutIt: GET /open/groups answers at most
// 2000 groups; a list that got that many says on its last page that it
// may have been cut there, one that got fewer does not.
func TestListGroupsSaysWhenTheVendorCutIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := range 1999 {
		e.sim.AddGroup(fmt.Sprintf("G%04d", i), "")
	}
	last := func() domain.Page[domain.Group] {
		t.Helper()
		var p domain.Page[domain.Group]
		got := vendortest.CollectPages(t, e.watch, []int{200}, groupID, func(r domain.PageRequest) (domain.Page[domain.Group], error) {
			page, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{}, r)
			if page.Truncated != nil && page.Next != "" {
				t.Errorf("a page with a next state is truncated")
			}
			p = page
			return page, err
		})
		if len(got) > 2000 {
			t.Fatalf("%d groups", len(got))
		}
		return p
	}
	if p := last(); p.Truncated != nil {
		t.Fatalf("1999 groups: truncated %+v", p.Truncated)
	}
	e.sim.AddGroup("G2000", "")
	e.sim.AddGroup("G2001", "")
	if tr := last().Truncated; tr == nil || tr.Limit != 2000 || !strings.Contains(tr.Detail, "2000") {
		t.Fatalf("2001 groups: truncated %+v", tr)
	}
	// A name filter that matches fewer is complete.
	p, err := e.ad.ListGroups(t.Context(), domain.GroupQuery{Q: "G2001"}, domain.PageRequest{Limit: 10})
	e.Must(err)
	if len(p.Items) != 1 || p.Truncated != nil {
		t.Fatalf("filtered page %+v", p)
	}
}
