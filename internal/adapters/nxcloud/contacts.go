package nxcloud

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// maxQuery is the largest page /customers/query serves (limit 1-50).
const maxQuery = 50

// customerPaging is how /customers/query pages: after the cursor of the
// last customer seen, which is the customer's id (a 64-bit integer, kept
// as written, never converted). The first page is asked without a cursor.
var customerPaging = vendorhttp.CursorPaging{Prefix: "a", MaxSize: maxQuery, Valid: vendorhttp.Int64Cursor}

// contactFilters are the canonical list filters NXCloud applies itself:
// email, phone (sms_phone), q (name), tag_id (tags), viber_phone and
// whatsapp_phone (whatsApp_phone), in the order ContactQuery.Filters
// spells them.
var contactFilters = []string{"email", "phone", "q", "tag_id", "viber_phone", "whatsapp_phone"}

// ContactFilters implements domain.ContactLister: /customers/query takes
// its filters together (all must match), so every combination of them.
func (a *Adapter) ContactFilters() []string { return filterCombinations(contactFilters) }

// filterCombinations lists every non-empty combination of names (sorted)
// as ContactQuery.Filters spells it: in the names' order, joined with "+";
// the single filters first, then the pairs, and so on.
func filterCombinations(names []string) []string {
	out := make([]string, 0, 1<<len(names)-1)
	for set := 1; set < 1<<len(names); set++ {
		var parts []string
		for i, n := range names {
			if set&(1<<i) != 0 {
				parts = append(parts, n)
			}
		}
		out = append(out, strings.Join(parts, "+"))
	}
	slices.SortStableFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.Count(a, "+"), strings.Count(b, "+")), strings.Compare(a, b))
	})
	return out
}

// queryBody is the body of POST /customers/query. tags_logic_type is
// always sent: "and" with a tag filter, "" (which the docs ask for) without.
type queryBody struct {
	TenantID      int64       `json:"tenant_id"`
	AppKey        string      `json:"app_key"`
	Limit         int         `json:"limit"`
	After         json.Number `json:"after,omitempty"`
	Email         string      `json:"email,omitempty"`
	SMSPhone      string      `json:"sms_phone,omitempty"`
	WhatsAppPhone string      `json:"whatsApp_phone,omitempty"`
	ViberPhone    string      `json:"viber_phone,omitempty"`
	Name          string      `json:"name,omitempty"`
	Tags          []tagFilter `json:"tags,omitempty"`
	TagsLogicType string      `json:"tags_logic_type"`
}

// tagFilter names a tag by id in the query's tags.
type tagFilter struct {
	ID int64 `json:"id"`
}

// queryData is the data of a /customers/query answer. Its paging cursors
// are not needed: each customer's id is its cursor.
type queryData[W any] struct {
	CustomerList []W `json:"customer_list"`
}

// queryBodyOf is the query body of q's filters; q must have been checked
// (checkQuery).
func (a *Adapter) queryBodyOf(q domain.ContactQuery, tag int64) queryBody {
	b := queryBody{
		TenantID: a.tenant, AppKey: a.appKey,
		Email: q.Email, SMSPhone: q.Phone, WhatsAppPhone: q.WhatsAppPhone, ViberPhone: q.ViberPhone, Name: q.Q,
	}
	if tag > 0 {
		b.Tags, b.TagsLogicType = []tagFilter{{ID: tag}}, "and"
	}
	return b
}

// checkQuery refuses what NXCloud cannot filter by (the Service refuses
// it first, by ContactFilters) and reads the tag id.
func checkQuery(q domain.ContactQuery) (int64, error) {
	switch {
	case q.GroupID != "":
		return 0, &domain.UnsupportedError{Vendor: vendor, Operation: domain.OpListContacts, Filter: "group_id"}
	case q.UpdatedSince != nil:
		return 0, &domain.UnsupportedError{Vendor: vendor, Operation: domain.OpListContacts, Filter: "updated_since"}
	case q.TagID == "":
		return 0, nil
	}
	tag, ok := vendorhttp.PositiveID(q.TagID)
	if !ok {
		return 0, domain.Invalid("query.tag_id", "is not an nxcloud tag id")
	}
	return tag, nil
}

// ListContacts implements domain.ContactLister (POST /customers/query,
// pages of at most 50 after the last customer's id, the filters in the
// body).
func (a *Adapter) ListContacts(ctx context.Context, q domain.ContactQuery, p domain.PageRequest) (domain.Page[domain.Contact], error) {
	tag, err := checkQuery(q)
	if err != nil {
		return domain.Page[domain.Contact]{}, err
	}
	body := a.queryBodyOf(q, tag)
	return vendorhttp.WalkCursor(customerPaging, p, func(c domain.Contact) string { return c.ID },
		func(after string, size int) ([]domain.Contact, error) {
			b := body
			b.Limit, b.After = size, json.Number(after)
			return a.query(ctx, b)
		})
}

// query sends one POST /customers/query (a read: safe to retry) and
// converts its customers.
func (a *Adapter) query(ctx context.Context, b queryBody) ([]domain.Contact, error) {
	payload, err := jsonBody(b)
	if err != nil {
		return nil, err
	}
	c := call{method: http.MethodPost, path: pathQuery, body: payload, idempotent: true}
	resp, err := a.send(ctx, c)
	if err != nil {
		return nil, err
	}
	return a.readCustomers(ctx, resp, c)
}

// readCustomers reads the answer of the query c and converts its
// customers. Each keeps its own bytes when the caller asked for raw
// records.
func (a *Adapter) readCustomers(ctx context.Context, resp *vendorhttp.Response, c call) ([]domain.Contact, error) {
	if !domain.WantRaw(ctx) {
		if out, ok := fastCustomers(resp); ok {
			return out, nil
		}
		return a.tolerantCustomers(resp, c)
	}
	d, err := readEnvelope[queryData[json.RawMessage]](a, resp, c)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Contact, len(d.CustomerList))
	for i, raw := range d.CustomerList {
		var rec nxCustomer
		if err := vendorhttp.Unmarshal(raw, &rec); err != nil {
			return nil, badAnswer(resp, "nxcloud sent a customer the gateway cannot read", err)
		}
		if rec.ID <= 0 {
			return nil, noID(resp)
		}
		rec.readInto(&out[i], raw)
	}
	return out, nil
}

// tolerantCustomers reads any answer of the query c with nxCustomer, and
// refuses what it cannot read as readEnvelope does.
func (a *Adapter) tolerantCustomers(resp *vendorhttp.Response, c call) ([]domain.Contact, error) {
	d, err := readEnvelope[queryData[nxCustomer]](a, resp, c)
	if err != nil {
		return nil, err
	}
	out, ok := contactsOf(d.CustomerList)
	if !ok {
		return nil, noID(resp)
	}
	return out, nil
}

// fastCustomers reads a plain success answer (HTTP 2xx, JSON, code 0,
// every customer with an id) in one pass, with nxCustomerFast; false for
// any other answer, which tolerantCustomers then reads, so that it is read
// or refused exactly as it always was. Where nxCustomerFast fits, both
// read the same contacts (TestFastCustomersReadAsTolerant).
func fastCustomers(resp *vendorhttp.Response) ([]domain.Contact, bool) {
	if resp.Status < 200 || resp.Status > 299 || !resp.IsJSON() {
		return nil, false
	}
	var env envelope[queryData[nxCustomerFast]]
	if vendorhttp.UnmarshalPage(resp.Body, &env) != nil || !env.Code.set || env.Code.value != codeOK {
		return nil, false
	}
	return contactsOf(env.Data.CustomerList)
}

// contactsOf converts a page of customers; false when one has no id.
func contactsOf[S ~string, N ~int64, G genderMember, L tagsMember](list []nxCustomerOf[S, N, G, L]) ([]domain.Contact, bool) {
	out := make([]domain.Contact, len(list))
	for i, rec := range list {
		if rec.ID <= 0 {
			return nil, false
		}
		rec.readInto(&out[i], nil)
	}
	return out, true
}

func noID(resp *vendorhttp.Response) error {
	return badAnswer(resp, "nxcloud listed a customer without an id")
}

// GetContact implements domain.ContactGetter with POST /customers/query.
// NXCloud has no read of one customer, but a customer's id is its cursor
// and the query lists customers by descending id: the one page of one
// customer after id+1 is the customer with that id, if NXCloud has it.
func (a *Adapter) GetContact(ctx context.Context, id string) (domain.Contact, error) {
	n, ok := vendorhttp.PositiveID(id)
	if !ok {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	b := a.queryBodyOf(domain.ContactQuery{}, 0)
	b.Limit = 1
	if n < math.MaxInt64 {
		b.After = json.Number(strconv.FormatInt(n+1, 10))
	}
	got, err := a.query(ctx, b)
	if err != nil {
		return domain.Contact{}, err
	}
	if len(got) == 0 || got[0].ID != id {
		return domain.Contact{}, vendorhttp.NotFound(vendor, "contact")
	}
	return got[0], nil
}

// The ports this adapter serves; the compiler checks them.
var (
	_ domain.ContactLister        = (*Adapter)(nil)
	_ domain.ContactGetter        = (*Adapter)(nil)
	_ domain.ContactCreator       = (*Adapter)(nil)
	_ domain.ContactBatchUpserter = (*Adapter)(nil)
	_ domain.FieldLister          = (*Adapter)(nil)
	_ domain.Passthrougher        = (*Adapter)(nil)
	_ domain.StatusReporter       = (*Adapter)(nil)
	_ domain.ClockReporter        = (*Adapter)(nil)
)
