package meihua

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// contactKey names a canonical contact field in Meihua's writes: its
// member in /contact/add, its column in /contact/edit, and the column's
// display name (as /contact/setting names the account's fields).
type contactKey struct {
	add, edit, name string
}

// contactKeys are the canonical fields a Meihua contact holds. The edit
// call names province and city without the _zh of add.
var contactKeys = map[domain.ContactField]contactKey{
	domain.FieldName:        {"fullName", "fullName", "姓名"},
	domain.FieldGender:      {"gender", "gender", "性别"},
	domain.FieldBirthday:    {"birthday", "birthday", "生日"},
	domain.FieldEmail:       {"email", "email", "邮箱"},
	domain.FieldMobilePhone: {"mobilePhone", "mobilePhone", "手机"},
	domain.FieldWorkPhone:   {"workPhone", "workPhone", "电话"},
	domain.FieldFax:         {"fax", "fax", "传真"},
	domain.FieldWeChat:      {"weixin", "weixin", "微信"},
	domain.FieldQQ:          {"qQ", "qQ", "QQ"},
	domain.FieldWeibo:       {"weibo", "weibo", "微博"},
	domain.FieldCompany:     {"companyName", "companyName", "公司"},
	domain.FieldJobTitle:    {"jobTitle", "jobTitle", "职位"},
	domain.FieldWebsite:     {"website", "website", "网站"},
	domain.FieldCountry:     {"country", "country", "国家"},
	domain.FieldProvince:    {"province_zh", "province", "省份"},
	domain.FieldCity:        {"city_zh", "city", "城市"},
	domain.FieldStreet:      {"address", "address", "地址"},
	domain.FieldPostalCode:  {"postCode", "postCode", "邮编"},
	domain.FieldNote:        {"notes", "notes", "备注"},
}

// storable is the set of canonical fields Meihua can store.
var storable = func() vendorhttp.FieldSet {
	s := vendorhttp.FieldSet{}
	for f := range contactKeys {
		s[f] = true
	}
	return s
}()

// Meihua's /contact/add conflict modes (opType): what it does with a
// contact whose email matches one it has.
const (
	opOverwrite = "1" // the given fields replace the contact's; the others become blank
	opMerge     = "2" // only the given non-blank fields are written
	opAddNew    = "3" // the contact is left as it is
)

// maxAdd is the most contacts one /contact/add call takes (E00005).
const maxAdd = 1000

// tempGroupPrefix starts the names of the groups the adapter creates for
// one write, to learn the ids of the contacts it added (see the package
// doc).
const tempGroupPrefix = "cdpgw-tmp-"

// cleanupTimeout bounds the deletion of a temporary group, which runs
// even when the caller has gone.
const cleanupTimeout = 15 * time.Second

// ContactFilters implements domain.ContactLister: Meihua lists contacts
// by group, nothing else.
func (a *Adapter) ContactFilters() []string { return []string{"group_id"} }

// ListContacts implements domain.ContactLister (GET /contact/all, pages
// of at most 50, groupIds for a group).
func (a *Adapter) ListContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	var group int64
	if q.GroupID != "" {
		var ok bool
		if group, ok = vendorhttp.PositiveID(q.GroupID); !ok {
			return domain.Page[domain.Contact]{}, domain.Invalid("query.group_id", "is not a meihua group id")
		}
	}
	return vendorhttp.WalkPages(pages, p, func(page, size int) ([]domain.Contact, error) {
		return a.contactPage(ctx, group, page, size)
	})
}

// GetContact implements domain.ContactGetter (GET /contact/detail).
func (a *Adapter) GetContact(ctx context.Context, id string) (domain.Contact, error) {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	c, _, err := a.detail(ctx, n)
	return c, err
}

// ListContactGroups implements domain.ContactGroupLister: the groups of
// the contact's detail (GET /contact/detail).
func (a *Adapter) ListContactGroups(ctx context.Context, contactID string, p domain.PageRequest) (domain.Page[domain.Group], error) {
	n, ok := vendorhttp.PositiveID(contactID)
	if !ok {
		return domain.Page[domain.Group]{}, vendorhttp.NotFound(vendor, "contact")
	}
	_, groups, err := a.detail(ctx, n)
	if err != nil {
		return domain.Page[domain.Group]{}, err
	}
	all := make([]domain.Group, 0, len(groups))
	for _, g := range groups {
		if g.GroupID > 0 {
			all = append(all, domain.Group{ID: g.GroupID.String(), Name: string(g.GroupName), Type: domain.GroupStatic})
		}
	}
	return vendorhttp.SlicePage(all, p)
}

// addRecord is c as /contact/add takes it: the fields c sets, and its
// custom values as propertys. It refuses, by name (prefix + field), what
// Meihua cannot store. A canonical gender of unknown is not sent: Meihua
// has only male and female.
func addRecord(c domain.Contact, prefix string) (map[string]any, error) {
	var verr domain.ValidationError
	var unstorable *domain.ValidationError
	if errors.As(vendorhttp.Unstorable(vendor, prefix, vendorhttp.PresentFields(&c), storable), &unstorable) {
		verr.Fields = append(verr.Fields, unstorable.Fields...)
	}
	if len(c.ExternalIDs) > 0 {
		verr.Fields = append(verr.Fields, domain.FieldError{Field: prefix + "external_ids", Message: "cannot be stored on meihua: it keeps no external ids"})
	}
	props, ferrs := propertyValues(c.CustomFields, prefix+"custom_fields.", false)
	verr.Fields = append(verr.Fields, ferrs...)
	if len(verr.Fields) > 0 {
		return nil, &verr
	}
	rec := map[string]any{}
	for f, k := range contactKeys {
		switch f {
		case domain.FieldGender:
			switch c.Gender {
			case domain.GenderMale:
				rec[k.add] = true
			case domain.GenderFemale:
				rec[k.add] = false
			}
		case domain.FieldBirthday:
			if c.Birthday != nil {
				rec[k.add] = birthdayMillis(*c.Birthday)
			}
		default:
			if v := *c.StringField(f); strings.TrimSpace(v) != "" {
				rec[k.add] = v
			}
		}
	}
	if len(props) > 0 {
		rec["propertys"] = props
	}
	return rec, nil
}

// propertyValue is a contact's value of a custom property in writes.
type propertyValue struct {
	ID    int64
	Value string
}

// propertyValues reads custom field values (keyed by property id) in key
// order. A null or blank value is a clear: kept when clears is set (an
// edit writes it), left out otherwise (an add cannot clear).
func propertyValues(values map[string]any, prefix string, clears bool) ([]propertyValue, []domain.FieldError) {
	var out []propertyValue
	var errs []domain.FieldError
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		id, ok := vendorhttp.PositiveID(k)
		if !ok || strconv.FormatInt(id, 10) != k {
			errs = append(errs, domain.FieldError{Field: prefix + k, Message: "is not a meihua custom property id"})
			continue
		}
		v, ok := valueText(values[k])
		if !ok {
			errs = append(errs, domain.FieldError{Field: prefix + k, Message: "must be a text value"})
			continue
		}
		if strings.TrimSpace(v) == "" && !clears {
			continue
		}
		out = append(out, propertyValue{ID: id, Value: v})
	}
	return out, errs
}

// valueText is a custom value as the text Meihua keeps: strings as they
// are, numbers and booleans as written in JSON, null as "".
func valueText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		b, err := json.Marshal(x)
		return string(b), err == nil
	}
	return "", false
}

// MarshalJSON writes a value as the propertys member of an add takes it.
func (p propertyValue) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		PropertyID int64  `json:"propertyId"`
		Label      string `json:"label"`
	}{p.ID, p.Value})
}

// added is the outcome of one /contact/add through a temporary group.
type added struct {
	members []domain.Contact // the temporary group's members: the contacts the add named
	// since is when Meihua made the temporary group, just before the add
	// (epoch milliseconds by its clock, 0 when unknown): a member created
	// since then is new, one created earlier existed.
	since int64
	// written says that Meihua took the add; with an error, the contacts
	// are stored but their ids could not be read.
	written bool
}

// isNew reports whether the add created m, rather than matched it.
func (r added) isNew(m domain.Contact) bool {
	return r.since == 0 || m.CreatedAt.UnixMilli() >= r.since
}

// add sends recs with /contact/add and opType into a temporary group, to
// learn the contacts' ids, which the add does not answer: it makes the
// group (POST /contact/group/add, whose answer gives its id and Meihua's
// time), names it in the add (contacts join the group of that name),
// reads its members (GET /contact/all?groupIds=[id]) and deletes it,
// keeping its contacts (POST /contact/group/delete, flag false). When the
// add fails in a way that may come after the write (a lost or unreadable
// answer, a vendor failure), the members show whether it was done.
func (a *Adapter) add(ctx context.Context, recs []map[string]any, opType string) (added, error) {
	payload, err := json.Marshal(recs)
	if err != nil {
		return added{}, err
	}
	name := tempGroupName()
	g, _, err := a.newGroup(ctx, name)
	if err != nil {
		return added{}, err
	}
	gid := int64(g.ID)
	defer a.dropTempGroup(ctx, gid, name)
	res := added{since: int64(g.CreateTime)}
	// Sent once: a resend would add the contacts without email twice.
	// Whether an add that failed was done, its group tells.
	d, resp, err := a.data(ctx, call{method: http.MethodPost, path: "/contact/add", once: true,
		query: url.Values{"opType": {opType}, "groupName": {name}}, form: url.Values{"contacts": {string(payload)}}})
	if err != nil {
		if !mayHaveAdded(err) {
			return added{}, err
		}
		// The group's members tell whether the add was done.
		members, rerr := a.allContacts(ctx, gid)
		if rerr != nil || len(members) == 0 {
			return added{}, err
		}
		res.members, res.written = members, true
		return res, nil
	}
	res.written = true
	var body struct {
		GroupID num `json:"groupId"`
	}
	if vendorhttp.Unmarshal(d, &body) == nil && body.GroupID > 0 && int64(body.GroupID) != gid {
		return res, vendorhttp.BadResponse(vendor, resp.Status, "meihua stored the contacts in another group than the one the gateway made for them")
	}
	if res.members, err = a.allContacts(ctx, gid); err != nil {
		return res, err
	}
	return res, nil
}

// mayHaveAdded reports whether an add that failed with err may have been
// done all the same: its answer was lost, unreadable, or a failure of the
// vendor's, which may come after the write.
func mayHaveAdded(err error) bool {
	var ve *domain.VendorError
	if !errors.As(err, &ve) {
		return false // never sent, or the caller gone
	}
	switch ve.Kind {
	case domain.VendorTimeout, domain.VendorBadResponse, domain.VendorUnavailable:
		return true
	}
	return false
}

// dropTempGroup deletes a temporary group, keeping its contacts. It runs
// when the caller has gone too; a failure is logged with the group, for
// an operator to delete it.
func (a *Adapter) dropTempGroup(ctx context.Context, gid int64, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := a.deleteGroups(ctx, false, gid); err != nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "meihua temporary group not deleted; delete it (keeping its contacts)",
			slog.String("vendor", string(vendor)), slog.String("group_id", strconv.FormatInt(gid, 10)), slog.String("group", name), slog.String("error", err.Error()))
	}
}

// tempGroupName is a new temporary group name.
func tempGroupName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return tempGroupPrefix + hex.EncodeToString(b[:])
}

// CreateContact implements domain.ContactCreator with /contact/add in
// add-new mode (opType 3) through a temporary group, and answers the
// contact as GET /contact/detail reads it. Meihua matches contacts by
// email: a contact whose email it already has is left as it is, and the
// create answers VendorExists rather than overwrite or merge into it.
func (a *Adapter) CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error) {
	rec, err := addRecord(in.Contact, "body.")
	if err != nil {
		return domain.Contact{}, err
	}
	res, err := a.add(ctx, []map[string]any{rec}, opAddNew)
	if err != nil {
		if res.written {
			return domain.Contact{}, storedUnread(err)
		}
		return domain.Contact{}, err
	}
	email := strings.TrimSpace(in.Email)
	var created *domain.Contact
	for i, m := range res.members {
		if email != "" && strings.EqualFold(m.Email, email) || email == "" && m.Email == "" && res.isNew(m) {
			created = &res.members[i]
			break
		}
	}
	switch {
	case email != "" && (created == nil || !res.isNew(*created)):
		return domain.Contact{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorExists,
			Detail: "meihua already has a contact with this email; it was left as it was (update it, or upsert it in a batch)"}
	case created == nil:
		return domain.Contact{}, storedUnread(vendorhttp.BadResponse(vendor, 0, "meihua did not list the contact it added"))
	}
	n, _ := vendorhttp.PositiveID(created.ID)
	if c, _, err := a.detail(ctx, n); err == nil {
		return c, nil
	}
	return *created, nil // written; the list's record answers it
}

// storedUnread is the error of a create whose contact Meihua stored but
// whose id the gateway could not read back.
func storedUnread(cause error) error {
	e := &domain.VendorError{Vendor: vendor, Kind: domain.VendorBadResponse, Err: cause,
		Detail: "meihua stored the contact but the gateway could not read its id back; look it up before creating it again"}
	var ve *domain.VendorError
	if errors.As(cause, &ve) {
		e.Kind, e.Status, e.Code, e.RetryAfter = ve.Kind, ve.Status, ve.Code, ve.RetryAfter
	}
	return e
}

// BatchSize implements domain.ContactBatchUpserter: one /contact/add call
// takes at most 1000 contacts.
func (a *Adapter) BatchSize() int { return maxAdd }

// conflictOpTypes maps the canonical conflict modes to Meihua's opType.
var conflictOpTypes = map[domain.OnConflict]string{
	domain.OnConflictMerge:   opMerge,
	domain.OnConflictReplace: opOverwrite,
	domain.OnConflictSkip:    opAddNew,
}

// BatchUpsertContacts implements domain.ContactBatchUpserter with one
// /contact/add call (the mode's opType) through a temporary group, whose
// members give the contacts' ids: a contact with an email is the member
// with that email (compared without case, as Meihua matches), the
// contacts without one (which Meihua always adds) are the members without
// one, matched by their fields and then in order. A member created since
// the group was made is new (created); an older one was matched: updated
// by merge and replace, left as it was by skip (skipped, with its id).
//
// Items Meihua cannot store fail alone and are not sent. When the add
// was done but the ids cannot be read, every item it sent answers
// upserted without an id.
func (a *Adapter) BatchUpsertContacts(ctx context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	opType, ok := conflictOpTypes[mode]
	if !ok {
		return nil, domain.Invalid("body.on_conflict", "must be merge, replace or skip")
	}
	results, recs, sent := vendorhttp.BatchRecords(items, addRecord)
	// The gateway passes at most BatchSize items; more are sent in adds of
	// 1000 all the same.
	var stop error // a failure of every call, after something was written
	for start := 0; start < len(recs); start += maxAdd {
		end := min(start+maxAdd, len(recs))
		chunk := sent[start:end]
		if stop != nil {
			vendorhttp.FailItems(results, chunk, stop)
			continue
		}
		res, err := a.add(ctx, recs[start:end], opType)
		switch {
		case err != nil && res.written:
			a.log.LogAttrs(ctx, slog.LevelWarn, "meihua stored a batch but its ids could not be read",
				slog.String("vendor", string(vendor)), slog.String("error", err.Error()))
			for _, i := range chunk {
				results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchUpserted}
			}
		case err != nil && domain.FailsEveryCall(err):
			if start == 0 && len(sent) == len(items) {
				return nil, err // nothing written, and every item would fail alike
			}
			vendorhttp.FailItems(results, chunk, err)
			stop = err
		case err != nil:
			vendorhttp.FailItems(results, chunk, err)
		default:
			matchBatch(items, chunk, res, mode, results)
		}
	}
	return results, nil
}

// matchBatch fills the results of the items sent from the members of the
// add's temporary group.
func matchBatch(items []domain.ContactInput, sent []int, res added, mode domain.OnConflict, results []domain.BatchItemResult) {
	byEmail := map[string]domain.Contact{}
	var noEmail []domain.Contact
	for _, m := range res.members {
		if m.Email == "" {
			if res.isNew(m) {
				noEmail = append(noEmail, m)
			}
			continue
		}
		k := strings.ToLower(m.Email)
		if had, ok := byEmail[k]; !ok || vendorhttp.LessID(m.ID, had.ID) {
			byEmail[k] = m // Meihua matches the oldest contact with an email
		}
	}
	seen := map[string]bool{}
	var pending []int // items without email
	for _, i := range sent {
		email := strings.ToLower(strings.TrimSpace(items[i].Email))
		if email == "" {
			pending = append(pending, i)
			continue
		}
		m, found := byEmail[email]
		again := seen[email] // an earlier item of the call had the email
		seen[email] = true
		r := domain.BatchItemResult{Index: i, ID: m.ID}
		switch {
		case !found && mode == domain.OnConflictSkip:
			r.Status = domain.BatchSkipped
		case !found:
			r.Status = domain.BatchUpserted // Meihua took it, but did not list it
		case !again && res.isNew(m):
			r.Status = domain.BatchCreated
		case mode == domain.OnConflictSkip:
			r.Status = domain.BatchSkipped
		default:
			r.Status = domain.BatchUpdated
		}
		results[i] = r
	}
	// Contacts without email: by their fields first, then in id order
	// (Meihua adds a call's contacts in order).
	slices.SortStableFunc(noEmail, func(x, y domain.Contact) int {
		switch {
		case vendorhttp.LessID(x.ID, y.ID):
			return -1
		case vendorhttp.LessID(y.ID, x.ID):
			return 1
		}
		return 0
	})
	used := make([]bool, len(noEmail))
	sigs := make([]string, len(noEmail))
	for k, m := range noEmail {
		sigs[k] = signature(m)
	}
	var unmatched []int
	for _, i := range pending {
		want := signature(items[i].Contact)
		j := -1
		for k := range noEmail {
			if !used[k] && sigs[k] == want {
				j = k
				break
			}
		}
		if j < 0 {
			unmatched = append(unmatched, i)
			continue
		}
		used[j] = true
		results[i] = domain.BatchItemResult{Index: i, Status: domain.BatchCreated, ID: noEmail[j].ID}
	}
	j := 0
	for _, i := range unmatched {
		for j < len(noEmail) && used[j] {
			j++
		}
		r := domain.BatchItemResult{Index: i, Status: domain.BatchCreated}
		if j < len(noEmail) {
			used[j] = true
			r.ID = noEmail[j].ID
		}
		results[i] = r
	}
}

// signature is what a contact without email is recognised by among the
// contacts of one add: its stored fields as Meihua reads them back.
func signature(c domain.Contact) string {
	var b strings.Builder
	for _, f := range domain.ContactFields {
		if !storable[f] {
			continue
		}
		switch f {
		case domain.FieldGender:
			if c.Gender == domain.GenderMale || c.Gender == domain.GenderFemale {
				b.WriteString(string(c.Gender))
			}
		case domain.FieldBirthday:
			if c.Birthday != nil {
				b.WriteString(c.Birthday.Format(time.DateOnly))
			}
		default:
			b.WriteString(strings.TrimSpace(*c.StringField(f)))
		}
		b.WriteByte(0)
	}
	keys := make([]string, 0, len(c.CustomFields))
	for k, v := range c.CustomFields {
		if s, ok := valueText(v); ok && strings.TrimSpace(s) != "" {
			keys = append(keys, k+"="+s)
		}
	}
	slices.Sort(keys)
	b.WriteString(strings.Join(keys, "\x00"))
	return b.String()
}

// UpdateContact implements domain.ContactUpdater with /contact/edit,
// after reading the contact (GET /contact/detail: its email, and 404 for
// an id Meihua does not have), and answers the contact as read again. See
// the package doc for why edit, and what it cannot do.
func (a *Adapter) UpdateContact(ctx context.Context, id string, p domain.ContactPatch) (domain.Contact, error) {
	return a.update(ctx, id, nil, p)
}

// UpdateContactIfVersion implements domain.ContactConditionalUpdater. A
// contact's version is its updateTime; Meihua's edit takes no version, so
// the adapter compares it on the detail it reads before the edit: a change
// landing between that read and the edit is not detected.
func (a *Adapter) UpdateContactIfVersion(ctx context.Context, id, version string, p domain.ContactPatch) (domain.Contact, error) {
	return a.update(ctx, id, &version, p)
}

// update reads the contact, checks its version when one is given, and
// edits it.
func (a *Adapter) update(ctx context.Context, id string, version *string, p domain.ContactPatch) (domain.Contact, error) {
	n, err := updatable(id, p)
	if err != nil {
		return domain.Contact{}, err
	}
	cur, _, err := a.detail(ctx, n)
	if err != nil {
		return domain.Contact{}, err
	}
	if version != nil && cur.Version != *version {
		return domain.Contact{}, &domain.PreconditionError{Vendor: vendor, Want: *version, Current: cur.Version}
	}
	return a.edit(ctx, n, cur, p)
}

// updatable checks that Meihua can store every field p sets and returns
// the contact's id.
func updatable(id string, p domain.ContactPatch) (int64, error) {
	if err := vendorhttp.Unstorable(vendor, "body.", p.Set, storable); err != nil {
		return 0, err
	}
	if _, errs := propertyValues(p.CustomFields, "body.custom_fields.", true); len(errs) > 0 {
		return 0, &domain.ValidationError{Fields: errs}
	}
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return 0, vendorhttp.NotFound(vendor, "contact")
	}
	return n, nil
}

// editField is a column of a /contact/edit call.
type editField struct {
	Field    string `json:"field"`
	Name     string `json:"name"`
	IsOrigin bool   `json:"isOrigin"`
	Type     int64  `json:"type"`
	IsUniq   bool   `json:"isUniq,omitempty"`
}

// edit writes the fields p changes with /contact/edit: the email column
// marked unique (Meihua finds the contact by it) followed by one column
// per changed field ("" clears it); custom values are columns named by
// property id, with the property's name and type
// (POST /contact/property/all, only when p changes some).
func (a *Adapter) edit(ctx context.Context, id int64, cur domain.Contact, p domain.ContactPatch) (domain.Contact, error) {
	if cur.Email == "" {
		return domain.Contact{}, &domain.VendorError{Vendor: vendor, Kind: domain.VendorRejected,
			Detail: "meihua finds the contact to update by its email, and this contact has none"}
	}
	email := cur.Email
	if p.Set[domain.FieldEmail] {
		if !strings.EqualFold(strings.TrimSpace(p.Values.Email), cur.Email) {
			return domain.Contact{}, domain.Invalid("body.email", "cannot be changed on meihua: it finds the contact to update by its email")
		}
		email = strings.TrimSpace(p.Values.Email)
	}
	key := contactKeys[domain.FieldEmail]
	fields := []editField{{Field: key.edit, Name: key.name, IsOrigin: true, Type: 1, IsUniq: true}}
	row := []string{email}
	for _, f := range domain.ContactFields {
		if !p.Set[f] || f == domain.FieldEmail {
			continue
		}
		k := contactKeys[f]
		fields = append(fields, editField{Field: k.edit, Name: k.name, IsOrigin: true, Type: 1})
		switch f {
		case domain.FieldGender:
			row = append(row, map[domain.Gender]string{domain.GenderMale: genderMale, domain.GenderFemale: genderFemale}[p.Values.Gender])
		case domain.FieldBirthday:
			v := ""
			if p.Values.Birthday != nil {
				v = birthdayText(*p.Values.Birthday)
			}
			row = append(row, v)
		default:
			row = append(row, *p.Values.StringField(f))
		}
	}
	if len(p.CustomFields) > 0 {
		props, err := a.properties(ctx)
		if err != nil {
			return domain.Contact{}, err
		}
		byID := make(map[string]domain.FieldDef, len(props))
		for _, d := range props {
			byID[d.ID] = d
		}
		values, _ := propertyValues(p.CustomFields, "body.custom_fields.", true)
		var verr domain.ValidationError
		for _, v := range values {
			d, ok := byID[strconv.FormatInt(v.ID, 10)]
			if !ok {
				verr.Fields = append(verr.Fields, domain.FieldError{Field: "body.custom_fields." + strconv.FormatInt(v.ID, 10), Message: "is not a custom field of this tenant's meihua account"})
				continue
			}
			fields = append(fields, editField{Field: d.ID, Name: d.Label, Type: propertyType(d.Type)})
			row = append(row, v.Value)
		}
		if len(verr.Fields) > 0 {
			return domain.Contact{}, &verr
		}
	}
	contacts, err := json.Marshal([][]string{row})
	if err != nil {
		return domain.Contact{}, err
	}
	columns, err := json.Marshal(fields)
	if err != nil {
		return domain.Contact{}, err
	}
	if _, _, err := a.data(ctx, call{method: http.MethodPost, path: "/contact/edit", idempotent: true,
		form: url.Values{"contacts": {string(contacts)}, "fields": {string(columns)}}}); err != nil {
		return domain.Contact{}, err
	}
	if c, _, err := a.detail(ctx, id); err == nil {
		return c, nil
	}
	// The edit is done; the read after it failed: answer what was written.
	p.Apply(&cur)
	cur.Version, cur.Raw = "", nil
	return cur, nil
}

// DeleteContact implements domain.ContactDeleter with
// POST /contact/delete, after reading the contact (GET /contact/detail)
// so that an id Meihua does not have answers 404.
func (a *Adapter) DeleteContact(ctx context.Context, id string) error {
	return a.deleteContact(ctx, id, nil)
}

// DeleteContactIfVersion implements domain.ContactConditionalDeleter, as
// UpdateContactIfVersion compares versions.
func (a *Adapter) DeleteContactIfVersion(ctx context.Context, id, version string) error {
	return a.deleteContact(ctx, id, &version)
}

func (a *Adapter) deleteContact(ctx context.Context, id string, version *string) error {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return vendorhttp.NotFound(vendor, "contact")
	}
	cur, _, err := a.detail(ctx, n)
	if err != nil {
		return err
	}
	if version != nil && cur.Version != *version {
		return &domain.PreconditionError{Vendor: vendor, Want: *version, Current: cur.Version}
	}
	_, _, err = a.data(ctx, call{method: http.MethodPost, path: "/contact/delete", idempotent: true,
		form: url.Values{"ids": {idList(n)}}})
	return err
}

// The ports this adapter serves; the compiler checks them.
var (
	_ domain.ContactLister             = (*Adapter)(nil)
	_ domain.ContactGetter             = (*Adapter)(nil)
	_ domain.ContactCreator            = (*Adapter)(nil)
	_ domain.ContactUpdater            = (*Adapter)(nil)
	_ domain.ContactConditionalUpdater = (*Adapter)(nil)
	_ domain.ContactDeleter            = (*Adapter)(nil)
	_ domain.ContactConditionalDeleter = (*Adapter)(nil)
	_ domain.ContactBatchUpserter      = (*Adapter)(nil)
	_ domain.ContactGroupLister        = (*Adapter)(nil)
	_ domain.GroupLister               = (*Adapter)(nil)
	_ domain.GroupGetter               = (*Adapter)(nil)
	_ domain.GroupCreator              = (*Adapter)(nil)
	_ domain.GroupDeleter              = (*Adapter)(nil)
	_ domain.GroupContactsDeleter      = (*Adapter)(nil)
	_ domain.GroupMemberLister         = (*Adapter)(nil)
	_ domain.GroupMemberAdder          = (*Adapter)(nil)
	_ domain.TagLister                 = (*Adapter)(nil)
	_ domain.TagCreator                = (*Adapter)(nil)
	_ domain.FieldLister               = (*Adapter)(nil)
	_ domain.FieldCreator              = (*Adapter)(nil)
	_ domain.Passthrougher             = (*Adapter)(nil)
	_ domain.Authorizer                = (*Adapter)(nil)
	_ domain.StatusReporter            = (*Adapter)(nil)
)
