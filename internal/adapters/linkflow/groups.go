package linkflow

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// maxGroupMembersPage is the documented largest size of a group member page.
const maxGroupMembersPage = 500

// groups sends c and reads an array of groups, in id order.
func (a *Adapter) groups(ctx context.Context, c call) ([]domain.Group, error) {
	resp, err := a.do(ctx, c)
	if err != nil {
		return nil, err
	}
	recs, raws, err := decodeList[lfGroup](ctx, resp)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Group, len(recs))
	for i, r := range recs {
		out[i] = r.domain(raws[i])
	}
	sort.SliceStable(out, func(i, j int) bool { return lessID(out[i].ID, out[j].ID) })
	return out, nil
}

func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// ListGroups implements domain.GroupLister (GET /open/groups, name filter).
// Linkflow answers at most 2000 groups for one query; the gateway pages
// through what it answers.
func (a *Adapter) ListGroups(ctx context.Context, q domain.GroupQuery, p domain.PageRequest) (domain.Page[domain.Group], error) {
	query := url.Values{}
	if q.Q != "" {
		query.Set("name", q.Q)
	}
	all, err := a.groups(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/groups", query: query})
	if err != nil {
		return domain.Page[domain.Group]{}, err
	}
	return slicePage(all, p.State, p.Limit)
}

// GetGroup implements domain.GroupGetter (GET /open/groups?id=…).
func (a *Adapter) GetGroup(ctx context.Context, id string) (domain.Group, error) {
	if _, ok := parseNativeID(id); !ok {
		return domain.Group{}, notFound("group")
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
	return domain.Group{}, notFound("group")
}

// CreateGroup implements domain.GroupCreator (POST /v2/groups, static).
func (a *Adapter) CreateGroup(ctx context.Context, name string) (domain.Group, error) {
	resp, err := a.do(ctx, call{method: http.MethodPost, host: guide, path: "/v2/groups", body: map[string]string{"name": name, "groupType": "static"}})
	if err != nil {
		return domain.Group{}, err
	}
	g, raw, err := decodeOne[lfGroup](ctx, resp)
	if err != nil {
		return domain.Group{}, err
	}
	return g.domain(raw), nil
}

// ListContactGroups implements domain.ContactGroupLister
// (GET /open/contacts/{contactId}/groups).
func (a *Adapter) ListContactGroups(ctx context.Context, contactID string, p domain.PageRequest) (domain.Page[domain.Group], error) {
	if _, ok := parseNativeID(contactID); !ok {
		return domain.Page[domain.Group]{}, notFound("contact")
	}
	all, err := a.groups(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/contacts/" + contactID + "/groups"})
	if err != nil {
		return domain.Page[domain.Group]{}, err
	}
	return slicePage(all, p.State, p.Limit)
}

// lfMember is one entry of a group's member list.
type lfMember struct {
	MemberID int64 `json:"memberId"`
	Contact  struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		MobilePhone string `json:"mobilePhone"`
		Email       string `json:"email"`
	} `json:"contact"`
}

// ListGroupMembers implements domain.GroupMemberLister
// (GET /open/groups/{groupId}/contacts with Linkflow's memberId cursor).
// One more member than asked is requested to know whether a next page
// exists.
func (a *Adapter) ListGroupMembers(ctx context.Context, groupID string, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	if _, ok := parseNativeID(groupID); !ok {
		return domain.Page[domain.Contact]{}, notFound("group")
	}
	after := "0"
	if p.State != "" {
		if !strings.HasPrefix(p.State, "m") {
			return domain.Page[domain.Contact]{}, &domain.CursorError{Reason: "the cursor does not belong to this list"}
		}
		after = p.State[1:]
		if _, err := strconv.ParseInt(after, 10, 64); err != nil {
			return domain.Page[domain.Contact]{}, &domain.CursorError{Reason: "the cursor does not belong to this list"}
		}
	}
	size := min(p.Limit+1, maxGroupMembersPage)
	resp, err := a.do(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/groups/" + groupID + "/contacts",
		query: url.Values{"memberId": {after}, "size": {strconv.Itoa(size)}}})
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	recs, raws, err := decodeList[lfMember](ctx, resp)
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	page := domain.Page[domain.Contact]{}
	n := min(len(recs), p.Limit)
	for i, m := range recs[:n] {
		page.Items = append(page.Items, domain.Contact{
			ID: strconv.FormatInt(m.Contact.ID, 10), Name: m.Contact.Name, MobilePhone: m.Contact.MobilePhone,
			Email: m.Contact.Email, CustomFields: map[string]any{}, Raw: raws[i],
		})
	}
	if len(recs) > p.Limit {
		page.Next = "m" + strconv.FormatInt(recs[n-1].MemberID, 10)
	}
	return page, nil
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
	if _, ok := parseNativeID(groupID); !ok {
		return domain.MemberChange{}, notFound("group")
	}
	var out domain.MemberChange
	ids := make([]int64, 0, len(contactIDs))
	for _, id := range contactIDs {
		n, ok := parseNativeID(id)
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
