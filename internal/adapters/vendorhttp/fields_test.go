package vendorhttp_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// everyField is a contact that sets every writable field.
func everyField() domain.Contact {
	bday := time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC)
	c := domain.Contact{Gender: domain.GenderUnknown, Birthday: &bday}
	for _, f := range domain.ContactFields {
		if p := c.StringField(f); p != nil {
			*p = "value"
		}
	}
	return c
}

func TestPresentFields(t *testing.T) {
	t.Parallel()
	bday := time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC)
	all := everyField()
	tests := []struct {
		name string
		c    domain.Contact
		want vendorhttp.FieldSet
	}{
		{"nothing", domain.Contact{}, vendorhttp.FieldSet{}},
		{"every field", all, vendorhttp.Fields(domain.ContactFields...)},
		{"typed fields", domain.Contact{Gender: domain.GenderFemale, Birthday: &bday}, vendorhttp.Fields(domain.FieldGender, domain.FieldBirthday)},
		{"strings and an address part", domain.Contact{Name: "张三", Fax: "1", Address: domain.Address{City: "上海"}},
			vendorhttp.Fields(domain.FieldName, domain.FieldFax, domain.FieldCity)},
		// What is not a field: ids, custom fields, tags, timestamps.
		{"not fields", domain.Contact{ID: "1", ExternalIDs: []domain.ExternalID{{Channel: "c", ID: "1"}},
			CustomFields: map[string]any{"a": 1}, Tags: []domain.TagRef{{ID: "t"}}, CreatedAt: bday}, vendorhttp.FieldSet{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := vendorhttp.PresentFields(&tt.c)
			if len(got) != len(tt.want) {
				t.Fatalf("PresentFields = %v, want %v", got, tt.want)
			}
			for f := range tt.want {
				if !got[f] {
					t.Fatalf("PresentFields = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestUnstorable(t *testing.T) {
	t.Parallel()
	identify := vendorhttp.Fields(domain.FieldName, domain.FieldEmail)
	update := vendorhttp.Fields(domain.FieldName, domain.FieldGender, domain.FieldNote)
	tests := []struct {
		name    string
		set     vendorhttp.FieldSet
		allowed []vendorhttp.FieldSet
		want    []string // refused fields, in ContactFields order
	}{
		{"nothing set", vendorhttp.FieldSet{}, []vendorhttp.FieldSet{identify}, nil},
		{"every field allowed", vendorhttp.Fields(domain.FieldName, domain.FieldEmail), []vendorhttp.FieldSet{identify}, nil},
		{"allowed by any of the sets", vendorhttp.Fields(domain.FieldEmail, domain.FieldGender, domain.FieldNote), []vendorhttp.FieldSet{identify, update}, nil},
		{"each refused field named", vendorhttp.Fields(domain.FieldNote, domain.FieldFax, domain.FieldName, domain.FieldWeChat, domain.FieldTimeZone),
			[]vendorhttp.FieldSet{identify}, []string{"body.fax", "body.wechat", "body.time_zone", "body.note"}},
		{"a field mapped to false is not set", vendorhttp.FieldSet{domain.FieldFax: false, domain.FieldName: true}, []vendorhttp.FieldSet{identify}, nil},
		{"no allowed set refuses everything", vendorhttp.Fields(domain.FieldCity, domain.FieldName), nil, []string{"body.name", "body.address.city"}},
		{"a patch's set", map[domain.ContactField]bool{domain.FieldQQ: true}, []vendorhttp.FieldSet{update}, []string{"body.qq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := vendorhttp.Unstorable(domain.Vendor("nxcloud"), "body.", tt.set, tt.allowed...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Unstorable = %v, want nil", err)
				}
				return
			}
			var verr *domain.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Unstorable = %v (%T), want a *domain.ValidationError", err, err)
			}
			var got []string
			for _, f := range verr.Fields {
				got = append(got, f.Field)
				if f.Message != "cannot be stored on nxcloud" {
					t.Errorf("message for %s: %q", f.Field, f.Message)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("refused %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListed(t *testing.T) {
	t.Parallel()
	got := vendorhttp.Listed(vendorhttp.Fields(domain.FieldNote, domain.FieldEmail), vendorhttp.Fields(domain.FieldName, domain.FieldEmail, "nonsense"))
	want := []domain.ContactField{domain.FieldName, domain.FieldEmail, domain.FieldNote}
	if !slices.Equal(got, want) {
		t.Fatalf("Listed = %v, want %v (in the order of domain.ContactFields, once each)", got, want)
	}
	if got := vendorhttp.Listed(); got != nil {
		t.Fatalf("Listed() = %v, want none", got)
	}
}
