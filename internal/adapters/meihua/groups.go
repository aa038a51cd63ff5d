package meihua

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// ListGroups implements domain.GroupLister (GET /contact/group/all, its
// key search for the name filter).
func (a *Adapter) ListGroups(ctx context.Context, q domain.GroupQuery, p domain.PageRequest) (domain.Page[domain.Group], error) {
	return vendorhttp.WalkPages(pages, p, func(page, size int) ([]domain.Group, error) {
		return a.groupPage(ctx, q.Q, page, size)
	})
}

// GetGroup implements domain.GroupGetter. Meihua has no read of one
// group: the adapter lists the groups (GET /contact/group/all) until it
// finds it, a call per 50 groups.
func (a *Adapter) GetGroup(ctx context.Context, id string) (domain.Group, error) {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return domain.Group{}, vendorhttp.NotFound(vendor, "group")
	}
	return a.group(ctx, n)
}

// CreateGroup implements domain.GroupCreator (POST /contact/group/add).
// A group's name is how Meihua adds contacts to it (AddGroupMembers), so
// it must stay unique: a name Meihua already has (looked up with
// GET /contact/group/all, key search) answers VendorExists.
func (a *Adapter) CreateGroup(ctx context.Context, name string) (domain.Group, error) {
	same, err := a.groupsNamed(ctx, name)
	if err != nil {
		return domain.Group{}, err
	}
	if len(same) > 0 {
		return domain.Group{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorExists, Detail: "meihua already has a group with this name"}
	}
	g, raw, err := a.newGroup(ctx, name)
	if err != nil {
		return domain.Group{}, err
	}
	return g.domain(raw), nil
}

// newGroup makes a group (POST /contact/group/add) and returns Meihua's
// record of it, and its bytes when the caller asked for raw payloads.
func (a *Adapter) newGroup(ctx context.Context, name string) (mhGroup, json.RawMessage, error) {
	d, resp, err := a.data(ctx, call{method: http.MethodPost, path: "/contact/group/add", query: url.Values{"name": {name}}})
	if err != nil {
		return mhGroup{}, nil, err
	}
	var g mhGroup
	if err := vendorhttp.Unmarshal(d, &g); err != nil || g.ID <= 0 {
		return mhGroup{}, nil, vendorhttp.BadResponse(vendor, resp.Status, "meihua answered the new group without its id", err)
	}
	var raw json.RawMessage
	if domain.WantRaw(ctx) {
		raw = d
	}
	return g, raw, nil
}

// DeleteGroup implements domain.GroupDeleter: POST /contact/group/delete
// with flag false, which keeps the group's contacts. The group is looked
// up first (GET /contact/group/all), so that an id Meihua does not have
// answers 404.
func (a *Adapter) DeleteGroup(ctx context.Context, id string) error {
	return a.deleteGroup(ctx, id, false)
}

// DeleteGroupWithContacts implements domain.GroupContactsDeleter:
// POST /contact/group/delete with flag true, which deletes the group's
// contacts too.
func (a *Adapter) DeleteGroupWithContacts(ctx context.Context, id string) error {
	return a.deleteGroup(ctx, id, true)
}

func (a *Adapter) deleteGroup(ctx context.Context, id string, withContacts bool) error {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return vendorhttp.NotFound(vendor, "group")
	}
	if _, err := a.group(ctx, n); err != nil {
		return err
	}
	return a.deleteGroups(ctx, withContacts, n)
}

// ListGroupMembers implements domain.GroupMemberLister
// (GET /contact/all?groupIds=[id]). Meihua answers an empty list for a
// group it does not have; when the first page is empty, the adapter looks
// the group up (GET /contact/group/all) to answer 404 for a missing one.
func (a *Adapter) ListGroupMembers(ctx context.Context, groupID string, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	n, ok := vendorhttp.PositiveID(groupID)
	if !ok {
		return domain.Page[domain.Contact]{}, vendorhttp.NotFound(vendor, "group")
	}
	page, err := vendorhttp.WalkPages(pages, p, func(page, size int) ([]domain.Contact, error) {
		return a.contactPage(ctx, n, page, size)
	})
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	if p.State == "" && len(page.Items) == 0 {
		if _, err := a.group(ctx, n); err != nil {
			return domain.Page[domain.Contact]{}, err
		}
	}
	return page, nil
}

// MemberBatchSize implements domain.GroupMemberAdder: one /contact/add
// call takes at most 1000 contacts.
func (a *Adapter) MemberBatchSize() int { return maxAdd }

// AddGroupMembers implements domain.GroupMemberAdder. Meihua has no
// member call: contacts join a group when an add names it. The adapter
// looks the group up (GET /contact/group/all: its name, which must be
// unique), reads each contact's email (GET /contact/detail, a call per
// contact, a few at a time) and sends the emails alone with /contact/add
// in merge mode (opType 2) and the group's name: Meihua matches each
// email to its contact, writes nothing else (merge writes only the fields
// given) and puts it in the group. A contact without an email cannot be
// added that way and fails alone, as does an id Meihua does not have.
func (a *Adapter) AddGroupMembers(ctx context.Context, groupID string, contactIDs []string) (domain.MemberChange, error) {
	gid, ok := vendorhttp.PositiveID(groupID)
	if !ok {
		return domain.MemberChange{}, vendorhttp.NotFound(vendor, "group")
	}
	// One walk of every group finds the group and any namesake.
	var all []domain.Group
	if err := a.eachGroup(ctx, "", func(g domain.Group) bool { all = append(all, g); return true }); err != nil {
		return domain.MemberChange{}, err
	}
	var target *domain.Group
	for i := range all {
		if all[i].ID == groupID {
			target = &all[i]
		}
	}
	if target == nil {
		return domain.MemberChange{}, vendorhttp.NotFound(vendor, "group")
	}
	namesakes := 0
	for _, g := range all {
		if g.Name == target.Name {
			namesakes++
		}
	}
	if namesakes > 1 {
		return domain.MemberChange{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorRejected,
			Detail: fmt.Sprintf("meihua adds contacts to a group by its name, and %d groups are named like this one; rename it first", namesakes)}
	}

	emails := make([]string, len(contactIDs))
	reasons := make([]string, len(contactIDs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.client.Concurrency()) // contact details read at once
	for i, id := range contactIDs {
		n, ok := vendorhttp.PositiveID(id)
		if !ok {
			reasons[i] = "not a meihua contact id"
			continue
		}
		g.Go(func() error {
			c, _, err := a.detail(gctx, n)
			switch {
			case errors.Is(err, domain.ErrNotFound):
				reasons[i] = "meihua has no such contact"
			case err != nil:
				return err
			case c.Email == "":
				reasons[i] = "meihua adds contacts to groups by email, and this contact has none"
			default:
				emails[i] = c.Email
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return domain.MemberChange{}, err
	}
	out := domain.MemberChange{}
	var recs []map[string]any
	sent := map[string]bool{}
	for i, id := range contactIDs {
		if emails[i] == "" {
			out.Failed = append(out.Failed, domain.MemberFailure{ID: id, Reason: reasons[i]})
			continue
		}
		out.Succeeded = append(out.Succeeded, id)
		if k := strings.ToLower(emails[i]); !sent[k] {
			sent[k] = true
			recs = append(recs, map[string]any{"email": emails[i]})
		}
	}
	if len(recs) == 0 {
		return out, nil
	}
	// The gateway passes at most MemberBatchSize ids; more emails are sent
	// in adds of 1000 all the same.
	for start := 0; start < len(recs); start += maxAdd {
		if err := a.addToGroup(ctx, gid, target.Name, recs[start:min(start+maxAdd, len(recs))]); err != nil {
			return domain.MemberChange{}, err
		}
	}
	return out, nil
}

// addToGroup sends contacts given by email alone to /contact/add in merge
// mode naming the group, and checks that the group Meihua answers is the
// one meant.
func (a *Adapter) addToGroup(ctx context.Context, gid int64, name string, recs []map[string]any) error {
	payload, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	d, resp, err := a.data(ctx, call{method: http.MethodPost, path: "/contact/add", idempotent: true,
		query: url.Values{"opType": {opMerge}, "groupName": {name}}, form: url.Values{"contacts": {string(payload)}}})
	if err != nil {
		return err
	}
	var body struct {
		GroupID num `json:"groupId"`
	}
	if vendorhttp.Unmarshal(d, &body) == nil && body.GroupID > 0 && int64(body.GroupID) != gid {
		return vendorhttp.BadResponse(vendor, resp.Status, fmt.Sprintf(
			"meihua put the contacts in another group (%s) than the one named %q (%s)", body.GroupID, name, strconv.FormatInt(gid, 10)))
	}
	return nil
}
