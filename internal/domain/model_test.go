package domain_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// stringFields maps each string ContactField to the Contact field (path)
// it must address.
var stringFields = map[domain.ContactField]string{
	domain.FieldName: "Name", domain.FieldFirstName: "FirstName", domain.FieldLastName: "LastName",
	domain.FieldNickname: "Nickname", domain.FieldEmail: "Email", domain.FieldMobilePhone: "MobilePhone",
	domain.FieldHomePhone: "HomePhone", domain.FieldWorkPhone: "WorkPhone", domain.FieldFax: "Fax",
	domain.FieldWhatsAppPhone: "WhatsAppPhone", domain.FieldViberPhone: "ViberPhone", domain.FieldWeChat: "WeChat",
	domain.FieldQQ: "QQ", domain.FieldWeibo: "Weibo", domain.FieldLine: "Line", domain.FieldMessenger: "Messenger",
	domain.FieldInstagram: "Instagram", domain.FieldCompany: "Company", domain.FieldJobTitle: "JobTitle",
	domain.FieldDepartment: "Department", domain.FieldIndustry: "Industry", domain.FieldWebsite: "Website",
	domain.FieldAvatarURL: "AvatarURL", domain.FieldIDCardNumber: "IDCardNumber",
	domain.FieldCountry: "Address.Country", domain.FieldProvince: "Address.Province", domain.FieldCity: "Address.City",
	domain.FieldStreet: "Address.Street", domain.FieldPostalCode: "Address.PostalCode",
	domain.FieldTimeZone: "TimeZone", domain.FieldNote: "Note",
}

// declaredContactFields parses model.go for every constant of type
// ContactField, so that a field added there without a StringField case
// (or without an entry above) fails this test instead of being silently
// unpatchable.
func declaredContactFields(t *testing.T) []domain.ContactField {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "model.go", nil, 0)
	if err != nil {
		t.Fatalf("parse model.go: %v", err)
	}
	var out []domain.ContactField
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ContactField" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					t.Fatalf("ContactField constant with a non-literal value")
				}
				s, _ := strconv.Unquote(lit.Value)
				out = append(out, domain.ContactField(s))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("found no ContactField constants in model.go")
	}
	return out
}

// fieldByPath reads a string field such as "Address.City" by reflection.
func fieldByPath(c *domain.Contact, path string) string {
	v := reflect.ValueOf(c).Elem()
	for _, name := range strings.Split(path, ".") {
		v = v.FieldByName(name)
	}
	return v.String()
}

func TestStringFieldCoversEveryContactField(t *testing.T) {
	t.Parallel()
	for _, f := range declaredContactFields(t) {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			var c domain.Contact
			p := c.StringField(f)
			if f == domain.FieldGender || f == domain.FieldBirthday {
				if p != nil {
					t.Fatalf("StringField(%s) is not nil for a typed field", f)
				}
				return
			}
			path, ok := stringFields[f]
			if !ok {
				t.Fatalf("no expected Contact field for %s: add it to stringFields", f)
			}
			if p == nil {
				t.Fatalf("StringField(%s) = nil: the field cannot be patched", f)
			}
			*p = "value of " + string(f)
			if got := fieldByPath(&c, path); got != *p {
				t.Fatalf("StringField(%s) does not address %s (it holds %q)", f, path, got)
			}
		})
	}
	var c domain.Contact
	if c.StringField("no_such_field") != nil {
		t.Error("StringField of an unknown name is not nil")
	}
}

func TestStringFieldPointersAreDistinct(t *testing.T) {
	t.Parallel()
	// Two constants sharing a pointer would make one field overwrite another.
	var c domain.Contact
	seen := map[*string]domain.ContactField{}
	for f := range stringFields {
		p := c.StringField(f)
		if other, dup := seen[p]; dup {
			t.Errorf("%s and %s address the same field", f, other)
		}
		seen[p] = f
	}
}

func TestContactPatchApply(t *testing.T) {
	t.Parallel()
	day := time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)
	other := time.Date(2001, 1, 2, 0, 0, 0, 0, time.UTC)
	base := func() domain.Contact {
		return domain.Contact{
			ID: "1", Name: "Ann", Email: "ann@example.com", MobilePhone: "+100",
			Gender: domain.GenderFemale, Birthday: &other,
			Address:      domain.Address{City: "Lyon", Country: "FR"},
			CustomFields: map[string]any{"score": 1, "tier": "gold"},
		}
	}
	set := func(fs ...domain.ContactField) map[domain.ContactField]bool {
		m := map[domain.ContactField]bool{}
		for _, f := range fs {
			m[f] = true
		}
		return m
	}
	tests := []struct {
		name  string
		patch domain.ContactPatch
		want  func(c *domain.Contact)
	}{
		{"one text field", domain.ContactPatch{Values: domain.Contact{Name: "Bea", Email: "ignored@example.com"}, Set: set(domain.FieldName)},
			func(c *domain.Contact) { c.Name = "Bea" }},
		{"clear with empty string", domain.ContactPatch{Set: set(domain.FieldEmail)},
			func(c *domain.Contact) { c.Email = "" }},
		{"address part", domain.ContactPatch{Values: domain.Contact{Address: domain.Address{City: "Nice", Country: "ignored"}}, Set: set(domain.FieldCity)},
			func(c *domain.Contact) { c.Address.City = "Nice" }},
		{"set birthday", domain.ContactPatch{Values: domain.Contact{Birthday: &day}, Set: set(domain.FieldBirthday)},
			func(c *domain.Contact) { c.Birthday = &day }},
		{"clear birthday", domain.ContactPatch{Set: set(domain.FieldBirthday)},
			func(c *domain.Contact) { c.Birthday = nil }},
		{"set gender", domain.ContactPatch{Values: domain.Contact{Gender: domain.GenderMale}, Set: set(domain.FieldGender)},
			func(c *domain.Contact) { c.Gender = domain.GenderMale }},
		{"clear gender", domain.ContactPatch{Set: set(domain.FieldGender)},
			func(c *domain.Contact) { c.Gender = "" }},
		{"custom fields merged", domain.ContactPatch{CustomFields: map[string]any{"score": 2, "new": true}},
			func(c *domain.Contact) { c.CustomFields = map[string]any{"score": 2, "tier": "gold", "new": true} }},
		{"unknown field ignored", domain.ContactPatch{Values: domain.Contact{Name: "X"}, Set: set("no_such_field")},
			func(*domain.Contact) {}},
		{"empty patch", domain.ContactPatch{}, func(*domain.Contact) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, want := base(), base()
			orig := got.CustomFields
			tt.patch.Apply(&got)
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("after Apply:\n got %+v\nwant %+v", got, want)
			}
			// The original map may be shared with a cache or the caller.
			if !reflect.DeepEqual(orig, map[string]any{"score": 1, "tier": "gold"}) {
				t.Fatalf("Apply mutated the contact's original custom field map: %v", orig)
			}
		})
	}
}

func TestContactPatchApplyNilCustomFields(t *testing.T) {
	t.Parallel()
	var c domain.Contact
	domain.ContactPatch{CustomFields: map[string]any{"a": 1}}.Apply(&c)
	if !reflect.DeepEqual(c.CustomFields, map[string]any{"a": 1}) {
		t.Fatalf("CustomFields = %v", c.CustomFields)
	}
}

func TestContactPatchApplyFalseMeansNotSet(t *testing.T) {
	t.Parallel()
	c := domain.Contact{Name: "Ann"}
	p := domain.ContactPatch{Set: map[domain.ContactField]bool{domain.FieldName: false}}
	if !p.Empty() {
		t.Error("a patch whose only entry is false reports non-empty")
	}
	p.Apply(&c)
	if c.Name != "Ann" {
		t.Errorf("Set[name]=false cleared the name: %q", c.Name)
	}
}

func TestContactPatchEmpty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		patch domain.ContactPatch
		want  bool
	}{
		{"zero", domain.ContactPatch{}, true},
		{"values only", domain.ContactPatch{Values: domain.Contact{Name: "x"}}, true},
		{"one field", domain.ContactPatch{Set: map[domain.ContactField]bool{domain.FieldName: true}}, false},
		{"custom only", domain.ContactPatch{CustomFields: map[string]any{"a": 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.patch.Empty(); got != tt.want {
				t.Fatalf("Empty() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContactQueryFilters(t *testing.T) {
	t.Parallel()
	now := time.Now()
	// The spelling is what adapters list in ContactFilters: sorted, "+".
	tests := []struct {
		q    domain.ContactQuery
		want string
	}{
		{domain.ContactQuery{}, ""},
		{domain.ContactQuery{Q: "ann"}, "q"},
		{domain.ContactQuery{Q: "ann", GroupID: "1"}, "group_id+q"},
		{domain.ContactQuery{TagID: "1", Email: "a@b"}, "email+tag_id"},
		{domain.ContactQuery{UpdatedSince: &now, Phone: "1"}, "phone+updated_since"},
		{domain.ContactQuery{Q: "a", Email: "b", Phone: "c", GroupID: "d", TagID: "e", UpdatedSince: &now},
			"email+group_id+phone+q+tag_id+updated_since"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.q.Filters(); got != tt.want {
				t.Fatalf("Filters() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUTMIsZero(t *testing.T) {
	t.Parallel()
	if !(domain.UTM{}).IsZero() || (domain.UTM{Term: "x"}).IsZero() {
		t.Fatal("IsZero is wrong")
	}
}

func TestWithRaw(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if domain.WantRaw(ctx) {
		t.Fatal("a plain context wants raw")
	}
	if !domain.WantRaw(domain.WithRaw(ctx)) {
		t.Fatal("WithRaw is not seen by WantRaw")
	}
}

// TestContactFieldsListsEveryField: ContactFields holds every ContactField
// constant once, in declaration order, so that adapters walking it see
// every field a caller can send.
func TestContactFieldsListsEveryField(t *testing.T) {
	t.Parallel()
	if want := declaredContactFields(t); !slices.Equal(domain.ContactFields, want) {
		t.Fatalf("ContactFields = %v\nwant the declared constants %v", domain.ContactFields, want)
	}
}

// TestContactFieldsReachEveryStringField: through StringField, the fields
// of ContactFields address every string of a Contact but its id and
// version (the vendor's, never written by callers), so a string field
// added to Contact without a ContactField fails here.
func TestContactFieldsReachEveryStringField(t *testing.T) {
	t.Parallel()
	var c domain.Contact
	for _, f := range domain.ContactFields {
		if p := c.StringField(f); p != nil {
			*p = string(f)
		}
	}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		for i := range v.NumField() {
			sf, fv := v.Type().Field(i), v.Field(i)
			name := path + sf.Name
			switch {
			case sf.Type == reflect.TypeFor[string]() && name != "ID" && name != "Version" && fv.String() == "":
				t.Errorf("Contact.%s is reached by no field of ContactFields", name)
			case sf.Type.Kind() == reflect.Struct && sf.Type != reflect.TypeFor[time.Time]():
				walk(fv, name+".")
			}
		}
	}
	walk(reflect.ValueOf(c), "")
}
