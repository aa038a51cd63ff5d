package nxcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/nxcloud/nxcloudtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
	"github.com/cdp-gateway/cdp-gateway/internal/vendortest"
)

func TestCreateContact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.sim.AddField(nxcloudtest.Field{Name: "customize_2_7", Label: "积分", Type: nxcloudtest.FieldNumber})
	e.sim.AddField(nxcloudtest.Field{Name: "customize_4_52", Label: "兴趣", Type: nxcloudtest.FieldMultiSelect, Options: []string{"1", "2"}})
	e.sim.AddCustomer(nxcloudtest.Customer{Email: "older@example.test"}) // the highest id before the create
	in := domain.ContactInput{Contact: domain.Contact{
		Name: "王伟", FirstName: "伟", LastName: "王", Gender: domain.GenderFemale, Birthday: date(1991, 11, 11),
		Email: "wang.wei@example.test", MobilePhone: "8613800000009", WhatsAppPhone: "8613900000009", ViberPhone: "6590000009",
		Address: domain.Address{Country: "CN", Street: "上海市浦东新区"}, TimeZone: "Asia/Shanghai", Note: "展会线索",
		CustomFields: map[string]any{"customize_2_7": json.Number("9007199254740993"), "customize_4_52": []any{"2"}, "customize_9_9": nil},
	}}
	c, err := e.ad.CreateContact(context.Background(), in)
	e.Must(err)
	if c.ID != idStr(bigID+1) || c.Name != "王伟" || c.FirstName != "伟" || c.Gender != domain.GenderFemale || c.Email != "wang.wei@example.test" ||
		c.MobilePhone != "8613800000009" || c.WhatsAppPhone != "8613900000009" || c.ViberPhone != "6590000009" || c.Note != "展会线索" ||
		c.Address.Country != "CN" || c.Birthday == nil || !c.Birthday.Equal(*date(1991, 11, 11)) {
		t.Fatalf("created %+v", c)
	}
	if n := c.CustomFields["customize_2_7"]; n != json.Number("9007199254740993") {
		t.Fatalf("custom number read back as %#v", n)
	}
	body := e.lastBody(nxcloudtest.PathBatchCreate)
	if body["type"] != json.Number("2") || body["tenant_id"] != json.Number(idStr(tenantID)) || body["app_key"] != appKey {
		t.Fatalf("batch_create body %v: want type 2 (keep what exists), the tenant and app key", body)
	}
	cust := body["customers"].([]any)[0].(map[string]any)
	for k, v := range map[string]any{
		"full_name": "王伟", "first_name": "伟", "last_name": "王", "gender": json.Number("0"), "birthday": "1991-11-11",
		"email": "wang.wei@example.test", "sms_phone": "8613800000009", "whats_app_phone": "8613900000009", "viber_phone": "6590000009",
		"country": "CN", "address": "上海市浦东新区", "time_zone": "Asia/Shanghai", "remark": "展会线索",
		"customize_field": `{"customize_2_7":9007199254740993,"customize_4_52":["2"]}`,
	} {
		if cust[k] != v {
			t.Errorf("customer member %s = %#v, want %#v", k, cust[k], v)
		}
	}
	if _, ok := cust["whatsApp_phone"]; ok {
		t.Error("the write uses the read spelling whatsApp_phone")
	}
	if stored, _ := e.sim.Customer(bigID + 1); stored.Address != "上海市浦东新区" || stored.TimeZone != "Asia/Shanghai" {
		t.Fatalf("stored %+v", stored)
	}

	// The same phone again: NXCloud keeps the customer it has.
	again := in
	again.Email, again.Name = "", "someone else"
	_, err = e.ad.CreateContact(context.Background(), again)
	e.WantVendor(err, domain.VendorExists)
	if stored, _ := e.sim.Customer(bigID + 1); stored.FullName != "王伟" {
		t.Fatalf("create changed the existing customer: %+v", stored)
	}
	if len(e.sim.Customers()) != 2 {
		t.Fatalf("%d customers", len(e.sim.Customers()))
	}
}

func TestCreateContactRefusesWhatNXCloudCannotStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name   string
		c      domain.Contact
		fields []string
	}{
		{"fields without a place", domain.Contact{Email: "a@example.test", Company: "ACME", Line: "l", Instagram: "i", Address: domain.Address{City: "上海"}},
			[]string{"body.company", "body.line", "body.instagram", "body.address.city"}},
		{"external ids", domain.Contact{Email: "a@example.test", ExternalIDs: []domain.ExternalID{{Channel: "wx", ID: "1"}}}, []string{"body.external_ids"}},
		{"custom key", domain.Contact{Email: "a@example.test", CustomFields: map[string]any{"attr1": "x"}}, []string{"body.custom_fields.attr1"}},
		{"nothing to find it by", domain.Contact{Name: "Anonymous", LastName: "Doe"}, []string{"body.email"}},
	} {
		_, err := e.ad.CreateContact(context.Background(), domain.ContactInput{Contact: tc.c})
		e.WantValidation(err, tc.fields...)
	}
	if n := e.sim.Calls(""); n != 0 {
		t.Fatalf("%d calls reached nxcloud", n)
	}
}

func TestBatchUpsertModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode     domain.OnConflict
		typ      string
		existing domain.BatchStatus
		name     string // the existing customer's full name after the call
		remark   string
	}{
		{domain.OnConflictMerge, "1", domain.BatchUpdated, "New Name", "kept"},
		{domain.OnConflictReplace, "0", domain.BatchUpdated, "New Name", ""},
		{domain.OnConflictSkip, "2", domain.BatchSkipped, "Old Name", "kept"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			old := e.sim.AddCustomer(nxcloudtest.Customer{FullName: "Old Name", Email: "old@example.test", Remark: "kept"})
			items := []domain.ContactInput{
				{Contact: domain.Contact{Name: "New Name", Email: "old@example.test"}},
				{Contact: domain.Contact{Name: "Fresh", WhatsAppPhone: "8613900000001"}},
				{Contact: domain.Contact{Name: "Bad", Email: "x@example.test", Company: "ACME"}},
				{Contact: domain.Contact{Name: "Fresh again", WhatsAppPhone: "8613900000001"}},
			}
			res, err := e.ad.BatchUpsertContacts(context.Background(), items, tc.mode)
			e.Must(err)
			fresh := idStr(old + 1)
			want := []domain.BatchItemResult{
				{Index: 0, Status: tc.existing, ID: idStr(old)},
				{Index: 1, Status: domain.BatchCreated, ID: fresh},
				{Index: 2, Status: domain.BatchFailed},
				{Index: 3, Status: tc.existing, ID: fresh}, // the customer the item before created
			}
			for i, w := range want {
				r := res[i]
				if r.Index != w.Index || r.Status != w.Status || r.ID != w.ID {
					t.Errorf("item %d: %+v, want %+v", i, r, w)
				}
			}
			e.WantValidation(res[2].Err, "body.company")
			if b := e.lastBody(nxcloudtest.PathBatchCreate); b["type"] != json.Number(tc.typ) || len(b["customers"].([]any)) != 3 {
				t.Fatalf("batch_create body type %v with %d customers; want type %s and the 3 storable items", b["type"], len(b["customers"].([]any)), tc.typ)
			}
			if c, _ := e.sim.Customer(old); c.FullName != tc.name || c.Remark != tc.remark {
				t.Fatalf("existing customer after %s: %+v", tc.mode, c)
			}
		})
	}
}

func TestBatchUpsertChunksOf100(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	items := make([]domain.ContactInput, 101)
	for i := range items {
		items[i] = domain.ContactInput{Contact: domain.Contact{FirstName: fmt.Sprintf("P%03d", i), MobilePhone: fmt.Sprintf("86137%08d", i)}}
	}
	if e.ad.BatchSize() != 100 {
		t.Fatalf("BatchSize %d, want 100", e.ad.BatchSize())
	}
	res, err := e.ad.BatchUpsertContacts(context.Background(), items, domain.OnConflictMerge)
	e.Must(err)
	calls := e.requests(nxcloudtest.PathBatchCreate)
	if len(calls) != 2 {
		t.Fatalf("%d batch_create calls for 101 customers, want 2", len(calls))
	}
	if n := len(decodeBody(t, calls[0].Body)["customers"].([]any)); n != 100 {
		t.Fatalf("first call sent %d customers", n)
	}
	if n := len(decodeBody(t, calls[1].Body)["customers"].([]any)); n != 1 {
		t.Fatalf("second call sent %d customers", n)
	}
	seen := map[string]bool{}
	for i, r := range res {
		if r.Index != i || r.Status != domain.BatchCreated || r.ID == "" || seen[r.ID] {
			t.Fatalf("item %d: %+v", i, r)
		}
		seen[r.ID] = true
		c, ok := e.sim.Customer(mustInt(t, r.ID))
		if !ok || c.SMSPhone != items[i].MobilePhone {
			t.Fatalf("item %d answered id %s, which is %+v", i, r.ID, c)
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

// When batch_create's answer names no customers (the docs do not show
// it), each item's customer is found by its identity fields.
func TestBatchUpsertFindsCustomersWhenTheAnswerNamesNone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	old := e.sim.AddCustomer(nxcloudtest.Customer{Email: "old@example.test", SMSPhone: "8613800000001"})
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathBatchCreate, AfterHandler: true, Status: http.StatusOK,
		ContentType: "application/json", Body: envelope(0, "t-batch", "null")})
	items := []domain.ContactInput{
		{Contact: domain.Contact{Email: "old@example.test", MobilePhone: "8613800000001", Name: "Old"}},
		{Contact: domain.Contact{WhatsAppPhone: "8613900000002", Name: "New"}},
	}
	res, err := e.ad.BatchUpsertContacts(context.Background(), items, domain.OnConflictMerge)
	e.Must(err)
	if res[0].Status != domain.BatchUpdated || res[0].ID != idStr(old) || res[1].Status != domain.BatchCreated || res[1].ID != idStr(old+1) {
		t.Fatalf("results %+v", res)
	}
	b := e.lastBody(nxcloudtest.PathQuery)
	if b["limit"] != json.Number("1") {
		t.Fatalf("lookup body %v", b)
	}
	// The same for a create.
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathBatchCreate, AfterHandler: true, Status: http.StatusOK,
		ContentType: "application/json", Body: envelope(0, "t-create", `{"total":1}`)})
	c, err := e.ad.CreateContact(context.Background(), domain.ContactInput{Contact: domain.Contact{Email: "third@example.test", Name: "Third"}})
	e.Must(err)
	if c.ID != idStr(old+2) || c.Name != "Third" {
		t.Fatalf("created %+v", c)
	}
}

// A batch that fails in a way every call would answers that error for
// the whole call; a refusal of the vendor's fails the items it was about.
func TestBatchUpsertFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	items := []domain.ContactInput{{Contact: domain.Contact{Email: "a@example.test"}}}
	e.sim.InjectFault(vendortest.Fault{PathPrefix: nxcloudtest.PathBatchCreate, Status: http.StatusOK, ContentType: "application/json",
		Body: envelope(1005, "t-auth", "null")})
	_, err := e.ad.BatchUpsertContacts(context.Background(), items, domain.OnConflictMerge)
	e.WantVendor(err, domain.VendorAuth)

	// The simulator refuses a customer without a phone or email (1002):
	// the call's items fail with it.
	items = append(items, domain.ContactInput{Contact: domain.Contact{Name: "Only a name", FirstName: "Only"}})
	res, err := e.ad.BatchUpsertContacts(context.Background(), items, domain.OnConflictMerge)
	e.Must(err)
	for i, r := range res {
		if r.Status != domain.BatchFailed {
			t.Fatalf("item %d: %+v", i, r)
		}
		ve := e.WantVendor(r.Err, domain.VendorRejected)
		if ve.Code != "1002" || ve.TraceID == "" {
			t.Fatalf("item %d error %+v", i, ve)
		}
	}
	_, err = e.ad.BatchUpsertContacts(context.Background(), items, "overwrite")
	e.WantValidation(err, "body.on_conflict")
	if strings.Contains(fmt.Sprint(res), accessSecret) {
		t.Fatal("secret in results")
	}
}
