package linkflow

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// maxBulkIDs is the most ids /open/contacts_bulk takes; it silently drops
// any beyond.
const maxBulkIDs = 100

// ContactFilters implements domain.ContactLister: free-text search within a
// group, exact email and/or phone lookup, and changes since a time.
func (a *Adapter) ContactFilters() []string {
	return []string{"q", "group_id", "group_id+q", "email", "phone", "email+phone", "updated_since"}
}

// ListContacts implements domain.ContactLister.
//
// Vendor endpoints: GET /open/contacts (page, size, groupId, search),
// GET /v2/contacts (email, mobilePhone) for exact lookups, and
// GET /open/contacts_bulk/ids + GET /open/contacts_bulk for updated_since.
//
// None of them answers a contact's channel identities: lists leave external
// ids unloaded unless the caller asks for them (domain.WantExternalIDs),
// which costs one GET /contacts/{id}/identities per contact of the page.
func (a *Adapter) ListContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	page, err := a.listContacts(ctx, q, p)
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	return a.expand(ctx, page)
}

func (a *Adapter) listContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	switch {
	case q.Email != "" || q.Phone != "":
		return a.lookupContacts(ctx, q, p)
	case q.UpdatedSince != nil:
		return a.changedContacts(ctx, *q.UpdatedSince, p)
	}
	query := url.Values{}
	if q.Q != "" {
		query.Set("search", q.Q)
	}
	if q.GroupID != "" {
		if _, ok := vendorhttp.PositiveID(q.GroupID); !ok {
			return domain.Page[domain.Contact]{}, domain.Invalid("query.group_id", "is not a linkflow group id")
		}
		query.Set("groupId", q.GroupID)
	}
	return vendorhttp.WalkPages(pages, p, func(page, size int) ([]domain.Contact, error) {
		// Set replaces a key's values, so a shallow copy leaves query as
		// it is for the next page.
		qq := maps.Clone(query)
		qq.Set("page", strconv.Itoa(page))
		qq.Set("size", strconv.Itoa(size))
		return doList(ctx, a, call{method: http.MethodGet, host: cdpAPI, path: "/open/contacts", query: qq}, lfContact.domain)
	})
}

// lookupContacts finds contacts by exact email and/or mobile phone
// (GET /v2/contacts). Linkflow answers the whole match set at once; the
// gateway pages through it.
func (a *Adapter) lookupContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	query := url.Values{}
	if q.Email != "" {
		query.Set("email", q.Email)
	}
	if q.Phone != "" {
		query.Set("mobilePhone", q.Phone)
	}
	all, err := doList(ctx, a, call{method: http.MethodGet, host: guide, path: "/v2/contacts", query: query}, lfContact.domain)
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	return vendorhttp.SlicePage(all, p)
}

// changedContacts lists contacts updated at or after since. Linkflow
// filters ids by update date (a calendar day in China Standard Time), so
// the adapter asks from that day on and drops records updated earlier that
// day. A page can therefore hold fewer than the limit. Linkflow pages these
// ids only while page*size <= 10000: the list ends at the 10000th id,
// marked truncated.
func (a *Adapter) changedContacts(ctx context.Context, since time.Time, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	day := since.In(vendorhttp.CST).Format(time.DateOnly)
	idPage, err := vendorhttp.WalkPages(changedIDPages, p, func(page, size int) ([]int64, error) {
		var ids []int64
		err := a.doJSON(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/contacts_bulk/ids", query: url.Values{
			"page": {strconv.Itoa(page)}, "size": {strconv.Itoa(size)}, "minUpdateTime": {day},
		}}, &ids)
		return ids, err
	})
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	found, err := a.bulk(ctx, idPage.Items, false)
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	// Linkflow's lastUpdated has whole seconds: a contact updated within
	// since's second, after since, reads as that second's start. Keep the
	// whole second rather than lose it.
	floor := since.Truncate(time.Second)
	page := domain.Page[domain.Contact]{Next: idPage.Next, Truncated: idPage.Truncated}
	for _, id := range idPage.Items {
		c, ok := found[id]
		if ok && !c.UpdatedAt.Before(floor) {
			page.Items = append(page.Items, c)
		}
	}
	return page, nil
}

// bulk reads contacts by id, at most 100 per call (GET /open/contacts_bulk).
func (a *Adapter) bulk(ctx context.Context, ids []int64, openIDs bool) (map[int64]domain.Contact, error) {
	out := make(map[int64]domain.Contact, len(ids))
	for start := 0; start < len(ids); start += maxBulkIDs {
		chunk := ids[start:min(start+maxBulkIDs, len(ids))]
		parts := make([]string, len(chunk))
		for i, id := range chunk {
			parts[i] = strconv.FormatInt(id, 10)
		}
		q := url.Values{"ids": {strings.Join(parts, ",")}}
		if openIDs {
			q.Set("needOpenId", "1")
		}
		cs, err := doList(ctx, a, call{method: http.MethodGet, host: cdpAPI, path: "/open/contacts_bulk", query: q}, lfContact.domain)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			n, _ := strconv.ParseInt(c.ID, 10, 64)
			out[n] = c
		}
	}
	return out, nil
}

// GetContact implements domain.ContactGetter.
//
// Vendor endpoints: GET /open/contacts_bulk?ids=…&needOpenId=1 and
// GET /contacts/{id}/identities for the contact's external ids, both at
// once (neither needs the other's answer), so a read takes one vendor
// round trip. The contact's ver is its version (ETag).
func (a *Adapter) GetContact(ctx context.Context, id string) (domain.Contact, error) {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	var found map[int64]domain.Contact
	var idents []lfIdentity
	var identsErr error
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		found, err = a.bulk(gctx, []int64{n}, true)
		return err
	})
	g.Go(func() error {
		// Its failure counts only if the contact exists: a missing
		// contact is answered 404 whatever its identities read says.
		idents, identsErr = a.identities(gctx, n)
		return nil
	})
	if err := g.Wait(); err != nil {
		return domain.Contact{}, err
	}
	c, ok := found[n]
	switch {
	case !ok:
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	case errors.Is(identsErr, domain.ErrNotFound):
		// Removed between the two reads: its identities are unknown.
	case identsErr != nil:
		return domain.Contact{}, identsErr
	default:
		c.ExternalIDs = mergeExternalIDs(c.ExternalIDs, idents)
		c.ExternalIDsLoaded = true
	}
	return c, nil
}

// lfIdentity is a contact's account in one channel. A WeChat account's
// externalId is the user's unionId and its anonymousId the openId.
type lfIdentity struct {
	ExternalID  string `json:"externalId"`
	AnonymousID string `json:"anonymousId"`
	Channel     struct {
		ChannelID   string `json:"channelId"`
		ChannelType string `json:"channelType"`
	} `json:"channel"`
}

// identities lists a contact's channel accounts (GET /contacts/{id}/identities).
func (a *Adapter) identities(ctx context.Context, id int64) ([]lfIdentity, error) {
	var out []lfIdentity
	err := a.doJSON(ctx, call{method: http.MethodGet, host: guide, path: "/contacts/" + strconv.FormatInt(id, 10) + "/identities"}, &out)
	return out, err
}

// mergeExternalIDs lists a contact's external ids: its identities in
// Linkflow's order (a WeChat one followed by its openId), then those of
// have (openIds of a bulk read) the identities did not give, each once. A
// contact read alone and one of a list thus answer the same list.
func mergeExternalIDs(have []domain.ExternalID, idents []lfIdentity) []domain.ExternalID {
	seen := make(map[domain.ExternalID]bool, len(have)+2*len(idents))
	out := []domain.ExternalID{}
	add := func(e domain.ExternalID) {
		if e.ID != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, i := range idents {
		add(domain.ExternalID{Channel: i.Channel.ChannelID, ID: i.ExternalID, Type: i.Channel.ChannelType})
		if i.Channel.ChannelType == channelTypeWeChat {
			add(domain.ExternalID{Channel: i.Channel.ChannelID, ID: i.AnonymousID, Type: channelTypeWeChat})
		}
	}
	for _, e := range have {
		add(e)
	}
	return out
}

// loadExternalIDs reads each contact's channel identities
// (GET /contacts/{id}/identities, one call per contact, as many at a time
// as the connection's concurrency setting lets)
// and marks its external ids loaded. A contact Linkflow no longer has
// (removed since the page was read) is left unloaded.
func (a *Adapter) loadExternalIDs(ctx context.Context, cs []domain.Contact) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.client.Concurrency())
	for i := range cs {
		g.Go(func() error {
			n, _ := strconv.ParseInt(cs[i].ID, 10, 64)
			idents, err := a.identities(gctx, n)
			switch {
			case errors.Is(err, domain.ErrNotFound):
				return nil
			case err != nil:
				return err
			}
			cs[i].ExternalIDs = mergeExternalIDs(cs[i].ExternalIDs, idents)
			cs[i].ExternalIDsLoaded = true
			return nil
		})
	}
	return g.Wait()
}

// expand loads the external ids of a list page when the caller asked for
// them (domain.WantExternalIDs).
func (a *Adapter) expand(ctx context.Context, p domain.Page[domain.Contact]) (domain.Page[domain.Contact], error) {
	if !domain.WantExternalIDs(ctx) {
		return p, nil
	}
	if err := a.loadExternalIDs(ctx, p.Items); err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	return p, nil
}

// answerExternalIDs loads the external ids of a contact a write answers.
// The write is done: when the read fails the answer leaves them unloaded
// rather than hide the written contact behind an error.
func (a *Adapter) answerExternalIDs(ctx context.Context, c *domain.Contact) {
	cs := []domain.Contact{*c}
	if a.loadExternalIDs(ctx, cs) == nil {
		*c = cs[0]
	}
}

// Fields each Linkflow write endpoint takes. Identify (create) takes fewer
// than update; what identify cannot take on create is written with an
// update right after.
var (
	identifyFields = vendorhttp.Fields(domain.FieldName, domain.FieldBirthday, domain.FieldMobilePhone, domain.FieldEmail,
		domain.FieldCountry, domain.FieldProvince, domain.FieldCity, domain.FieldStreet, domain.FieldPostalCode,
		domain.FieldJobTitle, domain.FieldCompany, domain.FieldIndustry, domain.FieldDepartment, domain.FieldWebsite,
		domain.FieldIDCardNumber)
	updateFields = vendorhttp.Fields(slices.Collect(maps.Keys(updateKeys))...)
)

// updateKeys names the members of PUT /v2/contacts/{id} for the fields it
// takes: those of its documented parameter table, and homePhone, street and
// postalCode, which its documented sample body sends.
var updateKeys = map[domain.ContactField]string{
	domain.FieldName: "name", domain.FieldNickname: "nickname", domain.FieldGender: "gender",
	domain.FieldBirthday: "dateOfBirthday", domain.FieldAvatarURL: "avatar", domain.FieldMobilePhone: "mobilePhone",
	domain.FieldHomePhone: "homePhone", domain.FieldEmail: "email", domain.FieldCountry: "country",
	domain.FieldProvince: "state", domain.FieldCity: "city", domain.FieldStreet: "street",
	domain.FieldPostalCode: "postalCode", domain.FieldNote: "comments", domain.FieldJobTitle: "title",
	domain.FieldWebsite: "website", domain.FieldCompany: "company", domain.FieldIndustry: "industry",
	domain.FieldDepartment: "department",
}

// lfIdentify is the body of POST /identifiers.
type lfIdentify struct {
	ExternalID     string         `json:"externalId"`
	Channel        lfChannelRef   `json:"channel"`
	Name           string         `json:"name,omitempty"`
	DateOfBirthday string         `json:"dateOfBirthday,omitempty"`
	MobilePhone    string         `json:"mobilePhone,omitempty"`
	Email          string         `json:"email,omitempty"`
	Country        string         `json:"country,omitempty"`
	State          string         `json:"state,omitempty"`
	City           string         `json:"city,omitempty"`
	Street         string         `json:"street,omitempty"`
	PostalCode     string         `json:"postalCode,omitempty"`
	Title          string         `json:"title,omitempty"`
	Company        string         `json:"company,omitempty"`
	Industry       string         `json:"industry,omitempty"`
	Department     string         `json:"department,omitempty"`
	Website        string         `json:"website,omitempty"`
	IDCard         string         `json:"idCard,omitempty"`
	Props          map[string]any `json:"props,omitempty"`
}

type lfChannelRef struct {
	ChannelID string `json:"channelId"`
}

// CreateContact implements domain.ContactCreator. Linkflow creates
// contacts by identifying them in a custom (UDC) channel: POST /identifiers
// with the external id, which creates the contact or updates the one that
// already has that id. Fields identify does not take (gender, nickname,
// note, avatar, home phone) are then written with PUT /v2/contacts/{id},
// retried within the caller's deadline as any idempotent call; if it still
// fails, the contact exists and the answer says which fields it lacks
// (Contact.Unwritten) rather than fail. The answer carries the contact's
// channel identities (GET /contacts/{id}/identities).
func (a *Adapter) CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error) {
	c, _, err := a.createContact(ctx, in)
	if err != nil {
		return domain.Contact{}, err
	}
	a.answerExternalIDs(ctx, &c)
	return c, nil
}

// createContact also reports whether anything may have been written,
// which a failure after the identify call leaves true.
func (a *Adapter) createContact(ctx context.Context, in domain.ContactInput) (domain.Contact, bool, error) {
	c := in.Contact
	switch {
	case len(c.ExternalIDs) == 0:
		return domain.Contact{}, false, domain.Invalid("body.external_ids", "linkflow needs an external id and channel to create a contact: give external_ids [{channel, id}]")
	case len(c.ExternalIDs) > 1:
		return domain.Contact{}, false, domain.Invalid("body.external_ids", "linkflow creates a contact from one external id; send exactly one")
	case c.ExternalIDs[0].Type != "" && c.ExternalIDs[0].Type != channelTypeUDC:
		return domain.Contact{}, false, domain.Invalid("body.external_ids[0].type", "linkflow creates contacts through custom (UDC) channels only")
	}
	set := vendorhttp.PresentFields(&c)
	if err := vendorhttp.Unstorable(vendor, "body.", set, identifyFields, updateFields); err != nil {
		return domain.Contact{}, false, err
	}
	ext := c.ExternalIDs[0]
	body := lfIdentify{
		ExternalID: ext.ID, Channel: lfChannelRef{ChannelID: ext.Channel},
		Name: c.Name, DateOfBirthday: formatBirthday(c.Birthday), MobilePhone: c.MobilePhone, Email: c.Email,
		Country: c.Address.Country, State: c.Address.Province, City: c.Address.City, Street: c.Address.Street,
		PostalCode: c.Address.PostalCode, Title: c.JobTitle, Company: c.Company, Industry: c.Industry,
		Department: c.Department, Website: c.Website, IDCard: c.IDCardNumber, Props: c.CustomFields,
	}
	resp, err := a.do(ctx, call{method: http.MethodPost, host: guide, path: "/identifiers", body: body})
	if err != nil {
		return domain.Contact{}, false, err
	}
	rec, raw, err := vendorhttp.DecodeOne[lfContact](ctx, vendor, resp)
	if err != nil {
		// Linkflow accepted the identify, so the contact is written; its
		// answer is unusable, but the external id finds it.
		var lerr error
		if rec, raw, lerr = a.identified(ctx, ext); lerr != nil {
			return domain.Contact{}, !errors.Is(lerr, domain.ErrNotFound), err
		}
	}
	out := rec.domain(raw)
	rest := domain.ContactPatch{Values: c, Set: map[domain.ContactField]bool{}}
	for f := range set {
		if !identifyFields[f] {
			rest.Set[f] = true
		}
	}
	if rest.Empty() {
		return out, true, nil
	}
	updated, err := a.update(ctx, rec.ID, rest, true)
	if err != nil {
		out.Unwritten = &domain.Unwritten{Fields: fieldNames(rest.Set), Err: err}
		return out, true, nil
	}
	return updated, true, nil
}

// identified reads the contact that has an external id in a custom (UDC)
// channel (GET /identifiers).
func (a *Adapter) identified(ctx context.Context, ext domain.ExternalID) (lfContact, json.RawMessage, error) {
	return doOne[lfContact](ctx, a, call{method: http.MethodGet, host: guide, path: "/identifiers", query: url.Values{
		"externalId": {ext.ID}, "channelId": {ext.Channel}, "channelType": {channelTypeUDC},
	}})
}

// fieldNames lists the fields of set by their canonical names, in the
// order of domain.ContactFields.
func fieldNames(set map[domain.ContactField]bool) []string {
	var out []string
	for _, f := range domain.ContactFields {
		if set[f] {
			out = append(out, string(f))
		}
	}
	return out
}

// UpdateContact implements domain.ContactUpdater with PUT /v2/contacts/{id}
// carrying only the fields the patch changes: Linkflow leaves the others
// as they are, so a change made meanwhile by someone else stands. The
// answer carries the contact's identities, as GetContact's does.
func (a *Adapter) UpdateContact(ctx context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	n, err := updatable(id, p)
	if err != nil {
		return domain.Contact{}, err
	}
	out, err := a.update(ctx, n, p, false)
	if err != nil {
		return domain.Contact{}, err
	}
	a.answerExternalIDs(ctx, &out)
	return out, nil
}

// UpdateContactIfVersion implements domain.ContactConditionalUpdater.
// Linkflow's update takes no version, so the adapter reads the contact's
// ver first (GET /open/contacts_bulk) and writes only when it is version:
// a change landing between that read and the write is not detected.
func (a *Adapter) UpdateContactIfVersion(ctx context.Context, id, version string, p domain.ContactPatch) (domain.Contact, error) {
	n, err := updatable(id, p)
	if err != nil {
		return domain.Contact{}, err
	}
	found, err := a.bulk(ctx, []int64{n}, false)
	if err != nil {
		return domain.Contact{}, err
	}
	cur, ok := found[n]
	switch {
	case !ok:
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	case cur.Version != version:
		return domain.Contact{}, &domain.PreconditionError{Vendor: vendor, Want: version, Current: cur.Version}
	}
	return a.UpdateContact(ctx, id, p)
}

// updatable checks that Linkflow can store every field p sets and returns
// the contact's id.
func updatable(id string, p domain.ContactPatch) (int64, error) {
	if err := vendorhttp.Unstorable(vendor, "body.", p.Set, updateFields); err != nil {
		return 0, err
	}
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return 0, vendorhttp.NotFound(vendor, "contact")
	}
	return n, nil
}

// update writes the fields p changes (PUT /v2/contacts/{id}): the id the
// update requires, the changed fields ("" clears one) and, in props, only
// the changed custom values, which Linkflow merges key by key. idempotent
// lets the client retry it without an Idempotency-Key: it sets values, so
// repeating it changes nothing more.
func (a *Adapter) update(ctx context.Context, id int64, p domain.ContactPatch, idempotent bool) (domain.Contact, error) {
	body := map[string]any{"id": id}
	for f, key := range updateKeys {
		if !p.Set[f] {
			continue
		}
		switch f {
		case domain.FieldGender:
			body[key] = string(p.Values.Gender)
		case domain.FieldBirthday:
			body[key] = formatBirthday(p.Values.Birthday)
		default:
			body[key] = *p.Values.StringField(f)
		}
	}
	if len(p.CustomFields) > 0 {
		body["props"] = p.CustomFields
	}
	rec, raw, err := doOne[lfContact](ctx, a, call{method: http.MethodPut, host: guide, path: "/v2/contacts/" + strconv.FormatInt(id, 10), body: body, idempotent: idempotent})
	if err != nil {
		return domain.Contact{}, err
	}
	return rec.domain(raw), nil
}

// batchSize is how many identify calls one batch chunk holds; the
// connection's concurrency setting says how many run at once.
const batchSize = 100

// BatchSize implements domain.ContactBatchUpserter.
func (a *Adapter) BatchSize() int { return batchSize }

// BatchUpsertContacts implements domain.ContactBatchUpserter. Linkflow has
// no batch endpoint: each item is created as CreateContact creates it
// (POST /identifiers, and PUT /v2/contacts/{id} for fields identify does
// not take), as many at a time as the connection's concurrency setting
// lets (vendorhttp.Settings.Concurrency), without reading identities: results carry
// ids only. Identify merges into an existing contact, so merge is the only
// mode.
func (a *Adapter) BatchUpsertContacts(ctx context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	if mode != domain.OnConflictMerge {
		return nil, domain.Invalid("body.on_conflict", "linkflow only merges into existing contacts (identify); use merge")
	}
	results := make([]domain.BatchItemResult, len(items))
	written := make([]bool, len(items))
	sem := make(chan struct{}, a.client.Concurrency())
	var wg sync.WaitGroup
	for i := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			c, wrote, err := a.createContact(ctx, items[i])
			if err != nil {
				results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchFailed, Err: err}
				written[i] = wrote
				return
			}
			written[i] = true
			results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchUpserted, ID: c.ID, Unwritten: c.Unwritten}
		}()
	}
	wg.Wait()
	// When nothing was written (a failure after identify still wrote the
	// contact) and the failure is one that hits every item
	// (credentials, an unreachable vendor, cancellation), report it for the
	// whole call rather than as a thousand identical item errors.
	var whole error
	for i, r := range results {
		if written[i] {
			return results, nil
		}
		if whole == nil && domain.FailsEveryCall(r.Err) {
			whole = r.Err
		}
	}
	if whole != nil {
		return nil, whole
	}
	return results, nil
}

// The ports this adapter serves; the compiler checks them.
var (
	_ domain.ContactLister             = (*Adapter)(nil)
	_ domain.ContactGetter             = (*Adapter)(nil)
	_ domain.ContactCreator            = (*Adapter)(nil)
	_ domain.ContactUpdater            = (*Adapter)(nil)
	_ domain.ContactConditionalUpdater = (*Adapter)(nil)
	_ domain.ContactBatchUpserter      = (*Adapter)(nil)
	_ domain.ContactGroupLister        = (*Adapter)(nil)
	_ domain.ContactEventLister        = (*Adapter)(nil)
	_ domain.EventRecorder             = (*Adapter)(nil)
	_ domain.TagLister                 = (*Adapter)(nil)
	_ domain.TagGroupLister            = (*Adapter)(nil)
	_ domain.GroupLister               = (*Adapter)(nil)
	_ domain.GroupGetter               = (*Adapter)(nil)
	_ domain.GroupCreator              = (*Adapter)(nil)
	_ domain.GroupMemberLister         = (*Adapter)(nil)
	_ domain.GroupMemberAdder          = (*Adapter)(nil)
	_ domain.GroupMemberRemover        = (*Adapter)(nil)
	_ domain.FieldLister               = (*Adapter)(nil)
	_ domain.Passthrougher             = (*Adapter)(nil)
)
