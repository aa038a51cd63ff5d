package linkflow

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

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
func (a *Adapter) ListContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
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
// day. A page can therefore hold fewer than the limit.
func (a *Adapter) changedContacts(ctx context.Context, since time.Time, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	day := since.In(vendorhttp.CST).Format(time.DateOnly)
	idPage, err := vendorhttp.WalkPages(pages, p, func(page, size int) ([]int64, error) {
		if page*size > maxIDWindow {
			return nil, &domain.VendorError{Vendor: vendor, Kind: domain.VendorResultWindow,
				Detail: "linkflow lists at most about 10000 changed contacts per query; use a later updated_since"}
		}
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
	page := domain.Page[domain.Contact]{Next: idPage.Next}
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
// GET /contacts/{id}/identities for the contact's external ids.
func (a *Adapter) GetContact(ctx context.Context, id string) (domain.Contact, error) {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	found, err := a.bulk(ctx, []int64{n}, true)
	if err != nil {
		return domain.Contact{}, err
	}
	c, ok := found[n]
	if !ok {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	if err := a.addExternalIDs(ctx, &c); err != nil {
		return domain.Contact{}, err
	}
	return c, nil
}

// lfIdentity is a contact's account in one channel.
type lfIdentity struct {
	ExternalID string `json:"externalId"`
	Channel    struct {
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

func mergeExternalIDs(have []domain.ExternalID, idents []lfIdentity) []domain.ExternalID {
	seen := make(map[domain.ExternalID]bool, len(have)+len(idents))
	var out []domain.ExternalID
	for _, e := range have {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, i := range idents {
		e := domain.ExternalID{Channel: i.Channel.ChannelID, ID: i.ExternalID, Type: i.Channel.ChannelType}
		if e.ID != "" && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// Fields each Linkflow write endpoint takes. Identify (create) takes fewer
// than update; what identify cannot take on create is written with an
// update right after.
var (
	identifyFields = vendorhttp.Fields(domain.FieldName, domain.FieldBirthday, domain.FieldMobilePhone, domain.FieldEmail,
		domain.FieldCountry, domain.FieldProvince, domain.FieldCity, domain.FieldStreet, domain.FieldPostalCode,
		domain.FieldJobTitle, domain.FieldCompany, domain.FieldIndustry, domain.FieldDepartment, domain.FieldWebsite,
		domain.FieldIDCardNumber)
	updateFields = vendorhttp.Fields(domain.FieldName, domain.FieldNickname, domain.FieldGender, domain.FieldBirthday,
		domain.FieldAvatarURL, domain.FieldMobilePhone, domain.FieldHomePhone, domain.FieldEmail,
		domain.FieldCountry, domain.FieldProvince, domain.FieldCity, domain.FieldStreet, domain.FieldPostalCode,
		domain.FieldNote, domain.FieldJobTitle, domain.FieldWebsite, domain.FieldCompany, domain.FieldIndustry,
		domain.FieldDepartment)
)

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
// note, avatar, home phone) are then written with PUT /v2/contacts/{id}.
// The answer carries the contact's channel identities
// (GET /contacts/{id}/identities).
func (a *Adapter) CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error) {
	c, _, err := a.createContact(ctx, in)
	return c, err
}

// createContact also reports whether anything was written, which a
// failure after the identify call leaves true.
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
	// The contact is written from here on, even if its answer is unusable.
	rec, raw, err := vendorhttp.DecodeOne[lfContact](ctx, vendor, resp)
	if err != nil {
		return domain.Contact{}, true, err
	}
	out := rec.domain(raw)
	rest := domain.ContactPatch{Values: c, Set: map[domain.ContactField]bool{}}
	for f := range set {
		if !identifyFields[f] {
			rest.Set[f] = true
		}
	}
	if !rest.Empty() {
		if out, err = a.put(ctx, rec, rest); err != nil {
			return domain.Contact{}, true, err
		}
	}
	if err := a.addExternalIDs(ctx, &out); err != nil {
		return domain.Contact{}, true, err
	}
	return out, true, nil
}

// addExternalIDs adds the contact's channel identities to c.
func (a *Adapter) addExternalIDs(ctx context.Context, c *domain.Contact) error {
	n, _ := strconv.ParseInt(c.ID, 10, 64)
	idents, err := a.identities(ctx, n)
	if err != nil {
		return err
	}
	c.ExternalIDs = mergeExternalIDs(c.ExternalIDs, idents)
	return nil
}

// lfUpdate is the body of PUT /v2/contacts/{id}: the contact's values after
// the change. Fields the patch clears are sent as empty strings.
type lfUpdate map[string]any

// UpdateContact implements domain.ContactUpdater: it reads the contact
// (GET /open/contacts_bulk), applies the patch and writes the result with
// PUT /v2/contacts/{id}, so fields the patch does not name keep their
// values whether Linkflow treats the PUT as partial or whole. The answer
// carries the contact's identities, as GetContact's does.
func (a *Adapter) UpdateContact(ctx context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	if err := vendorhttp.Unstorable(vendor, "body.", p.Set, updateFields); err != nil {
		return domain.Contact{}, err
	}
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	var current []lfContact
	if err := a.doJSON(ctx, call{method: http.MethodGet, host: cdpAPI, path: "/open/contacts_bulk", query: url.Values{"ids": {id}}}, &current); err != nil {
		return domain.Contact{}, err
	}
	if len(current) == 0 || current[0].ID != n {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	out, err := a.put(ctx, current[0], p)
	if err != nil {
		return domain.Contact{}, err
	}
	if err := a.addExternalIDs(ctx, &out); err != nil {
		return domain.Contact{}, err
	}
	return out, nil
}

// put writes cur with p applied (PUT /v2/contacts/{id}).
func (a *Adapter) put(ctx context.Context, cur lfContact, p domain.ContactPatch) (domain.Contact, error) {
	merged := cur.domain(nil)
	p.Apply(&merged)
	body := lfUpdate{"id": cur.ID}
	put := func(key string, f domain.ContactField, v string) {
		if v != "" || p.Set[f] {
			body[key] = v
		}
	}
	put("name", domain.FieldName, merged.Name)
	put("nickname", domain.FieldNickname, merged.Nickname)
	put("gender", domain.FieldGender, string(merged.Gender))
	put("dateOfBirthday", domain.FieldBirthday, formatBirthday(merged.Birthday))
	put("avatar", domain.FieldAvatarURL, merged.AvatarURL)
	put("mobilePhone", domain.FieldMobilePhone, merged.MobilePhone)
	put("homePhone", domain.FieldHomePhone, merged.HomePhone)
	put("email", domain.FieldEmail, merged.Email)
	put("country", domain.FieldCountry, merged.Address.Country)
	put("state", domain.FieldProvince, merged.Address.Province)
	put("city", domain.FieldCity, merged.Address.City)
	put("street", domain.FieldStreet, merged.Address.Street)
	put("postalCode", domain.FieldPostalCode, merged.Address.PostalCode)
	put("comments", domain.FieldNote, merged.Note)
	put("title", domain.FieldJobTitle, merged.JobTitle)
	put("website", domain.FieldWebsite, merged.Website)
	put("company", domain.FieldCompany, merged.Company)
	put("industry", domain.FieldIndustry, merged.Industry)
	put("department", domain.FieldDepartment, merged.Department)
	if len(merged.CustomFields) > 0 {
		body["props"] = merged.CustomFields
	}
	rec, raw, err := doOne[lfContact](ctx, a, call{method: http.MethodPut, host: guide, path: "/v2/contacts/" + strconv.FormatInt(cur.ID, 10), body: body})
	if err != nil {
		return domain.Contact{}, err
	}
	return rec.domain(raw), nil
}

// batchSize is how many identify calls one batch chunk holds, and
// batchConcurrency how many run at once.
const (
	batchSize        = 100
	batchConcurrency = 4
)

// BatchSize implements domain.ContactBatchUpserter.
func (a *Adapter) BatchSize() int { return batchSize }

// BatchUpsertContacts implements domain.ContactBatchUpserter. Linkflow has
// no batch endpoint: each item is identified on its own (POST /identifiers,
// a few at a time). Identify merges into an existing contact, so merge is
// the only mode.
func (a *Adapter) BatchUpsertContacts(ctx context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	if mode != domain.OnConflictMerge {
		return nil, domain.Invalid("body.on_conflict", "linkflow only merges into existing contacts (identify); use merge")
	}
	results := make([]domain.BatchItemResult, len(items))
	written := make([]bool, len(items))
	sem := make(chan struct{}, batchConcurrency)
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
			results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchUpserted, ID: c.ID}
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
	_ domain.ContactLister        = (*Adapter)(nil)
	_ domain.ContactGetter        = (*Adapter)(nil)
	_ domain.ContactCreator       = (*Adapter)(nil)
	_ domain.ContactUpdater       = (*Adapter)(nil)
	_ domain.ContactBatchUpserter = (*Adapter)(nil)
	_ domain.ContactGroupLister   = (*Adapter)(nil)
	_ domain.ContactEventLister   = (*Adapter)(nil)
	_ domain.EventRecorder        = (*Adapter)(nil)
	_ domain.TagLister            = (*Adapter)(nil)
	_ domain.TagGroupLister       = (*Adapter)(nil)
	_ domain.GroupLister          = (*Adapter)(nil)
	_ domain.GroupGetter          = (*Adapter)(nil)
	_ domain.GroupCreator         = (*Adapter)(nil)
	_ domain.GroupMemberLister    = (*Adapter)(nil)
	_ domain.GroupMemberAdder     = (*Adapter)(nil)
	_ domain.GroupMemberRemover   = (*Adapter)(nil)
	_ domain.FieldLister          = (*Adapter)(nil)
	_ domain.Passthrougher        = (*Adapter)(nil)
)
