package linkflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// groups sends c and reads an array of groups, in id order.
func (a *Adapter) groups(ctx context.Context, c call) ([]domain.Group, error) {
	out, err := doList(ctx, a, c, lfGroup.domain)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return vendorhttp.LessID(out[i].ID, out[j].ID) })
	return out, nil
}

// ListGroups implements domain.GroupLister (GET /open/groups, name filter).
// Linkflow answers at most 2000 groups for one query; the gateway pages
// through what it answers, and when that is 2000 the last page says the
// list may have been cut there.
func (a *Adapter) ListGroups(ctx context.Context, q domain.GroupQuery, p domain.PageRequest) (domain.Page[domain.Group], error) {
	query := url.Values{}
	if q.Q != "" {
		query.Set("name", q.Q)
	}
	all, err := a.groups(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/groups", query: query})
	if err != nil {
		return domain.Page[domain.Group]{}, err
	}
	return vendorhttp.SliceCapped(all, p, groupCap)
}

// GetGroup implements domain.GroupGetter (GET /open/groups?id=…).
func (a *Adapter) GetGroup(ctx context.Context, id string) (domain.Group, error) {
	if _, ok := vendorhttp.PositiveID(id); !ok {
		return domain.Group{}, vendorhttp.NotFound(vendor, "group")
	}
	all, err := a.groups(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/groups", query: url.Values{"id": {id}}})
	if err != nil {
		return domain.Group{}, err
	}
	for _, g := range all {
		if g.ID == id {
			return g, nil
		}
	}
	return domain.Group{}, vendorhttp.NotFound(vendor, "group")
}

// CreateGroup implements domain.GroupCreator (POST /v2/groups, static).
func (a *Adapter) CreateGroup(ctx context.Context, name string) (domain.Group, error) {
	g, raw, err := doOne[lfGroup](ctx, a, call{method: http.MethodPost, host: guide, path: "/v2/groups", body: map[string]string{"name": name, "groupType": "static"}})
	if err != nil {
		return domain.Group{}, err
	}
	return g.domain(raw), nil
}

// ListContactGroups implements domain.ContactGroupLister
// (GET /open/contacts/{contactId}/groups).
func (a *Adapter) ListContactGroups(ctx context.Context, contactID string, p domain.PageRequest) (domain.Page[domain.Group], error) {
	if _, ok := vendorhttp.PositiveID(contactID); !ok {
		return domain.Page[domain.Group]{}, vendorhttp.NotFound(vendor, "contact")
	}
	all, err := a.groups(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/contacts/" + contactID + "/groups"})
	if err != nil {
		return domain.Page[domain.Group]{}, err
	}
	return vendorhttp.SlicePage(all, p)
}

// lfMember is one entry of a group's member list: the membership and a
// few fields of the contact.
type lfMember struct {
	MemberID int64 `json:"memberId"`
	Contact  struct {
		ID int64 `json:"id"`
	} `json:"contact"`
}

// member is a group member as the gateway pages it: the contact, and the
// memberId that asks for the members after it.
type member struct {
	contactID int64
	memberID  string
}

func (m lfMember) member(json.RawMessage) member {
	return member{contactID: m.Contact.ID, memberID: strconv.FormatInt(m.MemberID, 10)}
}

// ListGroupMembers implements domain.GroupMemberLister
// (GET /open/groups/{groupId}/contacts with Linkflow's memberId cursor).
// A member entry holds only a contact's name, phone and email, so the
// members are read whole with GET /open/contacts_bulk (one call per 100):
// members are as complete as a contact list, external ids as
// ListContacts loads them. A member whose contact Linkflow no longer has
// is left out.
func (a *Adapter) ListGroupMembers(ctx context.Context, groupID string, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	if _, ok := vendorhttp.PositiveID(groupID); !ok {
		return domain.Page[domain.Contact]{}, vendorhttp.NotFound(vendor, "group")
	}
	members, err := vendorhttp.WalkCursor(memberPages, p, func(m member) string { return m.memberID }, func(after string, size int) ([]member, error) {
		return doList(ctx, a, call{method: http.MethodGet, host: cdpAPI, path: "/open/groups/" + groupID + "/contacts",
			query: url.Values{"memberId": {after}, "size": {strconv.Itoa(size)}}}, lfMember.member)
	})
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	ids := make([]int64, len(members.Items))
	for i, m := range members.Items {
		ids[i] = m.contactID
	}
	found, err := a.bulk(ctx, ids, false)
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	page := domain.Page[domain.Contact]{Next: members.Next}
	for _, m := range members.Items {
		if c, ok := found[m.contactID]; ok {
			page.Items = append(page.Items, c)
		}
	}
	return a.expand(ctx, page)
}

// MemberBatchSize implements domain.GroupMemberAdder and
// domain.GroupMemberRemover. Linkflow documents no size for member
// changes, only that too many are refused (B00031); 500 is its member page
// size and the gateway's chunk.
func (a *Adapter) MemberBatchSize() int { return maxGroupMembersPage }

// AddGroupMembers implements domain.GroupMemberAdder
// (POST /v2/groups/{groupId}/contacts).
func (a *Adapter) AddGroupMembers(ctx context.Context, groupID string, contactIDs []string) (domain.MemberChange, error) {
	return a.changeMembers(ctx, http.MethodPost, groupID, contactIDs)
}

// RemoveGroupMembers implements domain.GroupMemberRemover
// (DELETE /v2/groups/{groupId}/contacts).
func (a *Adapter) RemoveGroupMembers(ctx context.Context, groupID string, contactIDs []string) (domain.MemberChange, error) {
	return a.changeMembers(ctx, http.MethodDelete, groupID, contactIDs)
}

func (a *Adapter) changeMembers(ctx context.Context, method, groupID string, contactIDs []string) (domain.MemberChange, error) {
	if _, ok := vendorhttp.PositiveID(groupID); !ok {
		return domain.MemberChange{}, vendorhttp.NotFound(vendor, "group")
	}
	var out domain.MemberChange
	ids := make([]int64, 0, len(contactIDs))
	for _, id := range contactIDs {
		n, ok := vendorhttp.PositiveID(id)
		if !ok {
			out.Failed = append(out.Failed, domain.MemberFailure{ID: id, Reason: "not a linkflow contact id"})
			continue
		}
		ids = append(ids, n)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var res struct {
		Success []int64 `json:"success"`
		Failure []int64 `json:"failure"`
	}
	if err := a.doJSON(ctx, call{method: method, host: guide, path: "/v2/groups/" + groupID + "/contacts", body: ids}, &res); err != nil {
		return domain.MemberChange{}, err
	}
	done := make(map[int64]bool, len(res.Success))
	for _, id := range res.Success {
		done[id] = true
		out.Succeeded = append(out.Succeeded, strconv.FormatInt(id, 10))
	}
	for _, id := range res.Failure {
		out.Failed = append(out.Failed, domain.MemberFailure{ID: strconv.FormatInt(id, 10), Reason: "linkflow did not change this contact"})
	}
	// An id Linkflow names in neither list is reported, not assumed done.
	failed := make(map[int64]bool, len(res.Failure))
	for _, id := range res.Failure {
		failed[id] = true
	}
	for _, id := range ids {
		if !done[id] && !failed[id] {
			out.Failed = append(out.Failed, domain.MemberFailure{ID: strconv.FormatInt(id, 10), Reason: "linkflow did not report this contact"})
		}
	}
	return out, nil
}
