package http

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Conversions between the generated API types and the domain. Empty domain
// strings become absent JSON fields.

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// raw passes the vendor's record on as its bytes: decoding and encoding
// it again would round its numbers.
func raw(b json.RawMessage) *Raw {
	if len(b) == 0 {
		return nil
	}
	if b = bytes.TrimSpace(b); len(b) == 0 || b[0] != '{' {
		// A vendor record that is not an object (never expected) is wrapped.
		b = append(append([]byte(`{"value":`), b...), '}')
	}
	return &b
}

func toContact(c domain.Contact) Contact {
	var b answerBlocks
	return b.contact(c)
}

// answerBlocks hands out the pointers an answer's optional members need
// from a few blocks rather than one allocation each: a page of 50
// contacts has some 700 of them (BenchmarkToContacts). A pointer keeps
// its value when the block is replaced by the next one.
type answerBlocks struct {
	strs  []string
	times []time.Time
}

// str is str(s) from the blocks.
func (b *answerBlocks) str(s string) *string {
	if s == "" {
		return nil
	}
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, 64)
	}
	b.strs = append(b.strs, s)
	return &b.strs[len(b.strs)-1]
}

// ts is ts(t) from the blocks.
func (b *answerBlocks) ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	if len(b.times) == cap(b.times) {
		b.times = make([]time.Time, 0, 32)
	}
	b.times = append(b.times, t.UTC())
	return &b.times[len(b.times)-1]
}

func (b *answerBlocks) contact(c domain.Contact) Contact {
	out := Contact{
		ID:            c.ID,
		Name:          b.str(c.Name),
		FirstName:     b.str(c.FirstName),
		LastName:      b.str(c.LastName),
		Nickname:      b.str(c.Nickname),
		Email:         b.str(c.Email),
		MobilePhone:   b.str(c.MobilePhone),
		HomePhone:     b.str(c.HomePhone),
		WorkPhone:     b.str(c.WorkPhone),
		Fax:           b.str(c.Fax),
		WhatsappPhone: b.str(c.WhatsAppPhone),
		ViberPhone:    b.str(c.ViberPhone),
		Wechat:        b.str(c.WeChat),
		Qq:            b.str(c.QQ),
		Weibo:         b.str(c.Weibo),
		Line:          b.str(c.Line),
		Messenger:     b.str(c.Messenger),
		Instagram:     b.str(c.Instagram),
		Company:       b.str(c.Company),
		JobTitle:      b.str(c.JobTitle),
		Department:    b.str(c.Department),
		Industry:      b.str(c.Industry),
		Website:       b.str(c.Website),
		AvatarURL:     b.str(c.AvatarURL),
		IDCardNumber:  b.str(c.IDCardNumber),
		TimeZone:      b.str(c.TimeZone),
		Note:          b.str(c.Note),
		CreatedAt:     b.ts(c.CreatedAt),
		UpdatedAt:     b.ts(c.UpdatedAt),
		CustomFields:  CustomFields(c.CustomFields),
		Raw:           raw(c.Raw),
		Unwritten:     toUnwritten(c.Unwritten),
	}
	if c.Gender != "" {
		g := Gender(c.Gender)
		out.Gender = &g
	}
	if c.Birthday != nil {
		out.Birthday = &openapi_types.Date{Time: *c.Birthday}
	}
	if c.Address != (domain.Address{}) {
		out.Address = &Address{
			Country: b.str(c.Address.Country), Province: b.str(c.Address.Province), City: b.str(c.Address.City),
			Street: b.str(c.Address.Street), PostalCode: b.str(c.Address.PostalCode),
		}
	}
	if out.CustomFields == nil {
		out.CustomFields = CustomFields{}
	}
	// What was not read is left out, never answered as none.
	if c.ExternalIDsLoaded {
		ids := mapSlice(c.ExternalIDs, toExternalID)
		out.ExternalIds = &ids
	}
	if c.TagsLoaded {
		tags := mapSlice(c.Tags, func(t domain.TagRef) TagRef { return TagRef{ID: t.ID, Name: t.Name} })
		out.Tags = &tags
	}
	return out
}

// toUnwritten describes the part of a write the vendor did not store.
func toUnwritten(u *domain.Unwritten) *Unwritten {
	if u == nil {
		return nil
	}
	p := problemFor(u.Err)
	return &Unwritten{Fields: u.Fields, Code: p.Code, Detail: itemDetail(p), VendorCode: str(p.VendorCode)}
}

// toTruncation says where a vendor limit ended a list.
func toTruncation(t *domain.Truncation) *Truncation {
	if t == nil {
		return nil
	}
	return &Truncation{Reason: TruncationReasonVendorLimit, Limit: t.Limit, Detail: t.Detail}
}

// etag is the ETag of a record's vendor version; nil when it has none.
func etag(version string) *string {
	if version == "" {
		return nil
	}
	t := `"` + version + `"`
	return &t
}

// precondition reads an If-Match the validator let through (one strong
// ETag or "*"): "*" and none make no condition.
func precondition(ifMatch *IfMatch) domain.Precondition {
	if ifMatch == nil || *ifMatch == "*" {
		return domain.Precondition{}
	}
	return domain.Precondition{Version: strings.Trim(*ifMatch, `"`)}
}

// withExpand marks ctx with the parts of listed records the caller asked
// to read.
func withExpand(ctx context.Context, expand Expand) context.Context {
	if slices.Contains(expand, "external_ids") {
		return domain.WithExternalIDs(ctx)
	}
	return ctx
}

func toContacts(cs []domain.Contact) []Contact {
	var b answerBlocks
	out := make([]Contact, len(cs))
	for i, c := range cs {
		out[i] = b.contact(c)
	}
	return out
}

// contactFields lists the canonical string fields with their place in the
// generated ContactFields type, so input conversion is one loop.
func contactStringFields(f *ContactFields) []struct {
	name domain.ContactField
	v    *string
} {
	addr := f.Address
	if addr == nil {
		addr = &Address{}
	}
	return []struct {
		name domain.ContactField
		v    *string
	}{
		{domain.FieldName, f.Name}, {domain.FieldFirstName, f.FirstName}, {domain.FieldLastName, f.LastName},
		{domain.FieldNickname, f.Nickname}, {domain.FieldEmail, f.Email}, {domain.FieldMobilePhone, f.MobilePhone},
		{domain.FieldHomePhone, f.HomePhone}, {domain.FieldWorkPhone, f.WorkPhone}, {domain.FieldFax, f.Fax},
		{domain.FieldWhatsAppPhone, f.WhatsappPhone}, {domain.FieldViberPhone, f.ViberPhone},
		{domain.FieldWeChat, f.Wechat}, {domain.FieldQQ, f.Qq}, {domain.FieldWeibo, f.Weibo},
		{domain.FieldLine, f.Line}, {domain.FieldMessenger, f.Messenger}, {domain.FieldInstagram, f.Instagram},
		{domain.FieldCompany, f.Company}, {domain.FieldJobTitle, f.JobTitle}, {domain.FieldDepartment, f.Department},
		{domain.FieldIndustry, f.Industry}, {domain.FieldWebsite, f.Website}, {domain.FieldAvatarURL, f.AvatarURL},
		{domain.FieldIDCardNumber, f.IDCardNumber}, {domain.FieldTimeZone, f.TimeZone}, {domain.FieldNote, f.Note},
		{domain.FieldCountry, addr.Country}, {domain.FieldProvince, addr.Province}, {domain.FieldCity, addr.City},
		{domain.FieldStreet, addr.Street}, {domain.FieldPostalCode, addr.PostalCode},
	}
}

// fromContactFields reads the fields present in f into a patch.
func fromContactFields(f ContactFields) domain.ContactPatch {
	p := domain.ContactPatch{Set: map[domain.ContactField]bool{}}
	for _, sf := range contactStringFields(&f) {
		if sf.v != nil {
			*p.Values.StringField(sf.name) = *sf.v
			p.Set[sf.name] = true
		}
	}
	if f.Gender != nil {
		p.Values.Gender = domain.Gender(*f.Gender)
		p.Set[domain.FieldGender] = true
	}
	if f.Birthday != nil {
		d := time.Date(f.Birthday.Year(), f.Birthday.Month(), f.Birthday.Day(), 0, 0, 0, 0, time.UTC)
		p.Values.Birthday = &d
		p.Set[domain.FieldBirthday] = true
	}
	if f.CustomFields != nil && len(*f.CustomFields) > 0 {
		p.CustomFields = *f.CustomFields
	}
	return p
}

func fromContactInput(in ContactInput) domain.ContactInput {
	p := fromContactFields(ContactFields{
		Address: in.Address, AvatarURL: in.AvatarURL, Birthday: in.Birthday, Company: in.Company,
		CustomFields: in.CustomFields, Department: in.Department, Email: in.Email, Fax: in.Fax,
		FirstName: in.FirstName, Gender: in.Gender, HomePhone: in.HomePhone, IDCardNumber: in.IDCardNumber,
		Industry: in.Industry, Instagram: in.Instagram, JobTitle: in.JobTitle, LastName: in.LastName,
		Line: in.Line, Messenger: in.Messenger, MobilePhone: in.MobilePhone, Name: in.Name,
		Nickname: in.Nickname, Note: in.Note, Qq: in.Qq, TimeZone: in.TimeZone, ViberPhone: in.ViberPhone,
		Website: in.Website, Wechat: in.Wechat, Weibo: in.Weibo, WhatsappPhone: in.WhatsappPhone,
		WorkPhone: in.WorkPhone,
	})
	c := p.Values
	c.CustomFields = p.CustomFields
	for _, e := range in.ExternalIds {
		c.ExternalIDs = append(c.ExternalIDs, fromExternalID(e))
	}
	return domain.ContactInput{Contact: c}
}

func toTag(t domain.Tag) Tag {
	return Tag{
		ID: t.ID, Name: t.Name, GroupID: str(t.GroupID), Key: str(t.Key), Type: str(t.Type),
		ContactCount: t.ContactCount, CreatedAt: ts(t.CreatedAt), UpdatedAt: ts(t.UpdatedAt), Raw: raw(t.Raw),
	}
}

func toTagGroup(g domain.TagGroup) TagGroup {
	return TagGroup{ID: g.ID, Name: g.Name, ParentID: str(g.ParentID), CreatedAt: ts(g.CreatedAt), UpdatedAt: ts(g.UpdatedAt), Raw: raw(g.Raw)}
}

func toGroup(g domain.Group) Group {
	typ := GroupType(g.Type)
	if typ == "" {
		typ = GroupTypeStatic
	}
	return Group{ID: g.ID, Name: g.Name, Type: typ, MemberCount: g.MemberCount, CreatedAt: ts(g.CreatedAt), UpdatedAt: ts(g.UpdatedAt), Raw: raw(g.Raw)}
}

func toField(f domain.FieldDef) FieldDef {
	return FieldDef{ID: f.ID, Key: f.Key, Label: f.Label, Type: FieldDefType(f.Type), Description: str(f.Description), Options: f.Options, Raw: raw(f.Raw)}
}

func toUTM(u domain.UTM) *UTM {
	if u.IsZero() {
		return nil
	}
	return &UTM{Source: str(u.Source), Campaign: str(u.Campaign), Medium: str(u.Medium), Content: str(u.Content), Term: str(u.Term)}
}

func fromUTM(u *UTM) domain.UTM {
	if u == nil {
		return domain.UTM{}
	}
	v := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return domain.UTM{Source: v(u.Source), Campaign: v(u.Campaign), Medium: v(u.Medium), Content: v(u.Content), Term: v(u.Term)}
}

func toEvent(e domain.Event) Event {
	out := Event{
		ID: e.ID, ContactID: str(e.ContactID), Event: e.Event, OccurredAt: ts(e.OccurredAt),
		Properties: e.Properties, UTM: toUTM(e.UTM), CreatedAt: ts(e.CreatedAt), Raw: raw(e.Raw),
	}
	if out.Properties == nil {
		out.Properties = map[string]any{}
	}
	if e.ExternalID != nil {
		x := toExternalID(*e.ExternalID)
		out.ExternalID = &x
	}
	if e.Channel != nil {
		out.Channel = &Channel{ID: e.Channel.ID, Name: str(e.Channel.Name), Type: str(e.Channel.Type)}
	}
	return out
}

func toTenant(t domain.TenantInfo) Tenant {
	out := Tenant{ID: t.Tenant, Vendor: Vendor(t.Vendor), BindingVersion: t.Version, UpdatedAt: ts(t.UpdatedAt), Connections: []Connection{}}
	for _, v := range t.Vendors {
		c := Connection{Vendor: Vendor(v), Active: v == t.Vendor}
		if st, ok := t.Status[v]; ok {
			c.Breaker = &BreakerStatus{State: BreakerStatusState(st.Breaker)}
			if st.BreakerRetryAfter > 0 {
				secs := int((st.BreakerRetryAfter + time.Second - 1) / time.Second)
				c.Breaker.RetryAfterSeconds = &secs
			}
			if st.Token != "" {
				c.Token = &TokenStatus{Status: TokenStatusStatus(st.Token), ExpiresAt: ts(st.TokenExpires)}
			}
		}
		if a, ok := t.Authorization[v]; ok {
			as := toAuthorization(a)
			c.Authorization = &as
		}
		out.Connections = append(out.Connections, c)
	}
	return out
}

func toAuthorization(a domain.Authorization) AuthorizationStatus {
	out := AuthorizationStatus{State: AuthorizationStatusState(a.State), Since: ts(a.Since)}
	if a.Reason != "" {
		r := AuthorizationStatusReason(a.Reason)
		out.Reason = &r
	}
	return out
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func toExternalID(e domain.ExternalID) ExternalID {
	return ExternalID{Channel: e.Channel, ID: e.ID, Type: str(e.Type)}
}

func fromExternalID(e ExternalID) domain.ExternalID {
	return domain.ExternalID{Channel: e.Channel, ID: e.ID, Type: deref(e.Type)}
}
