package nxcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// maxBatch is the most customers one batch_create call takes.
const maxBatch = 100

// batch_create's conflict types: what it does with a customer it already
// has.
const (
	typeReplace = 0 // the given customer replaces it
	typeMerge   = 1 // the given fields are written onto it
	typeKeep    = 2 // it is kept as it is
)

// conflictTypes maps the canonical conflict modes to batch_create's type.
var conflictTypes = map[domain.OnConflict]int{
	domain.OnConflictReplace: typeReplace,
	domain.OnConflictMerge:   typeMerge,
	domain.OnConflictSkip:    typeKeep,
}

// storable are the canonical fields batch_create takes. Line, Messenger
// and Instagram, which answers show, are not among them.
var storable = vendorhttp.Fields(
	domain.FieldName, domain.FieldFirstName, domain.FieldLastName, domain.FieldGender, domain.FieldBirthday,
	domain.FieldEmail, domain.FieldMobilePhone, domain.FieldWhatsAppPhone, domain.FieldViberPhone,
	domain.FieldCountry, domain.FieldStreet, domain.FieldTimeZone, domain.FieldNote,
)

// customKey is the shape of NXCloud's custom field names.
var customKey = regexp.MustCompile(`^customize_[0-9]+_[0-9]+$`)

// nxWrite is a customer as batch_create takes it (its spelling:
// whats_app_phone, not the answers' whatsApp_phone). Empty members are
// not sent; gender is sent when set, 0 being female.
type nxWrite struct {
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
	FullName       string `json:"full_name,omitempty"`
	SMSPhone       string `json:"sms_phone,omitempty"`
	WhatsAppPhone  string `json:"whats_app_phone,omitempty"`
	ViberPhone     string `json:"viber_phone,omitempty"`
	Email          string `json:"email,omitempty"`
	Country        string `json:"country,omitempty"`
	Address        string `json:"address,omitempty"`
	Birthday       string `json:"birthday,omitempty"`
	Remark         string `json:"remark,omitempty"`
	TimeZone       string `json:"time_zone,omitempty"`
	Gender         *int   `json:"gender,omitempty"`
	CustomizeField string `json:"customize_field,omitempty"`
}

// batchBody is the body of POST /customers/batch_create.
type batchBody struct {
	Type      int       `json:"type"`
	TenantID  int64     `json:"tenant_id"`
	AppKey    string    `json:"app_key"`
	Customers []nxWrite `json:"customers"`
}

// writeRecord is c as batch_create takes it. It refuses, by name
// (prefix + field), what NXCloud cannot store. A canonical gender of
// unknown is not sent: NXCloud has only male and female.
func writeRecord(c domain.Contact, prefix string) (nxWrite, error) {
	var verr domain.ValidationError
	var unstorable *domain.ValidationError
	if errors.As(vendorhttp.Unstorable(vendor, prefix, vendorhttp.PresentFields(&c), storable), &unstorable) {
		verr.Fields = append(verr.Fields, unstorable.Fields...)
	}
	if len(c.ExternalIDs) > 0 {
		verr.Fields = append(verr.Fields, domain.FieldError{Field: prefix + "external_ids", Message: "cannot be stored on nxcloud: it keeps no external ids"})
	}
	custom, ferrs := customizeField(c.CustomFields, prefix+"custom_fields.")
	verr.Fields = append(verr.Fields, ferrs...)
	if len(verr.Fields) > 0 {
		return nxWrite{}, &verr
	}
	w := nxWrite{
		FirstName: c.FirstName, LastName: c.LastName, FullName: c.Name,
		SMSPhone: c.MobilePhone, WhatsAppPhone: c.WhatsAppPhone, ViberPhone: c.ViberPhone, Email: c.Email,
		Country: c.Address.Country, Address: c.Address.Street, Remark: c.Note, TimeZone: c.TimeZone,
		CustomizeField: custom,
	}
	switch c.Gender {
	case domain.GenderMale:
		w.Gender = new(int)
		*w.Gender = genderMale
	case domain.GenderFemale:
		w.Gender = new(int)
		*w.Gender = genderFemale
	}
	if c.Birthday != nil {
		w.Birthday = c.Birthday.Format(time.DateOnly)
	}
	return w, nil
}

// customizeField writes custom values as batch_create's customize_field:
// a JSON object in a string, keyed by NXCloud's field names
// (customize_N_M), each value exactly as given (numbers keep every
// digit). Null values, which a new customer cannot clear, are left out;
// "" when no value is left.
func customizeField(values map[string]any, prefix string) (string, []domain.FieldError) {
	var errs []domain.FieldError
	out := make(map[string]any, len(values))
	for k, v := range values {
		switch {
		case !customKey.MatchString(k):
			errs = append(errs, domain.FieldError{Field: prefix + k, Message: "is not an nxcloud custom field name (customize_N_M)"})
		case v != nil:
			out[k] = v
		}
	}
	if len(errs) > 0 || len(out) == 0 {
		return "", errs
	}
	b, err := json.Marshal(out) // keys sorted; json.Number written as it is
	if err != nil {
		return "", []domain.FieldError{{Field: prefix[:len(prefix)-1], Message: "holds a value that is not JSON"}}
	}
	return string(b), nil
}

// batchCreate sends one POST /customers/batch_create of at most 100
// customers and returns its answer's data, which the docs do not show.
// It is not retried unless the caller's request carried an
// Idempotency-Key: customers without a key field would be added twice.
func (a *Adapter) batchCreate(ctx context.Context, typ int, recs []nxWrite) (json.RawMessage, error) {
	payload, err := jsonBody(batchBody{Type: typ, TenantID: a.tenant, AppKey: a.appKey, Customers: recs})
	if err != nil {
		return nil, err
	}
	data, _, err := result[json.RawMessage](ctx, a, call{method: http.MethodPost, path: pathBatchCreate, body: payload})
	return data, err
}

// answeredIDs reads the ids of the customers a batch_create wrote from
// its answer's data, when it carries exactly one per customer sent, in
// order: an array of ids, or of records with an id (or customer_id),
// as data itself or under one of the usual member names. nil otherwise.
func answeredIDs(data json.RawMessage, n int) []string {
	if ids := idArray(data, n); ids != nil {
		return ids
	}
	var obj map[string]json.RawMessage
	if vendorhttp.Unmarshal(data, &obj) != nil {
		return nil
	}
	for _, k := range []string{"ids", "customer_ids", "customerIds", "customer_list", "customers", "list"} {
		if ids := idArray(obj[k], n); ids != nil {
			return ids
		}
	}
	return nil
}

func idArray(raw json.RawMessage, n int) []string {
	var items []json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || vendorhttp.Unmarshal(raw, &items) != nil || len(items) != n {
		return nil
	}
	ids := make([]string, n)
	for i, it := range items {
		var id id64
		if json.Unmarshal(it, &id) != nil {
			var rec struct {
				ID         id64 `json:"id"`
				CustomerID id64 `json:"customer_id"`
			}
			if json.Unmarshal(it, &rec) != nil {
				return nil
			}
			id = max(rec.ID, rec.CustomerID)
		}
		if id <= 0 {
			return nil
		}
		ids[i] = id.String()
	}
	return ids
}

// finder is the query that finds a customer c wrote: the identity
// fields NXCloud filters exactly (email, SMS, WhatsApp and Viber numbers)
// that c sets, all of them; else its first name, which the name filter
// matches. false when c sets none of them.
func finder(c domain.Contact) (domain.ContactQuery, bool) {
	q := domain.ContactQuery{Email: c.Email, Phone: c.MobilePhone, WhatsAppPhone: c.WhatsAppPhone, ViberPhone: c.ViberPhone}
	if q.Filters() != "" {
		return q, true
	}
	if c.FirstName != "" {
		return domain.ContactQuery{Q: c.FirstName}, true
	}
	return q, false
}

// newest is the newest customer q lists (the first of the query, which
// lists by descending id), and whether there is one.
func (a *Adapter) newest(ctx context.Context, q domain.ContactQuery) (domain.Contact, bool, error) {
	b := a.queryBodyOf(q, 0)
	b.Limit = 1
	got, err := a.query(ctx, b)
	if err != nil || len(got) == 0 {
		return domain.Contact{}, false, err
	}
	return got[0], true, nil
}

// highWater is the id of the newest customer NXCloud has, "" when it has
// none. The query lists customers newest first (the docs' sample: the
// page after a cursor holds lower ids), so a customer created after this
// call has a higher id, and one that existed has this id or a lower one.
func (a *Adapter) highWater(ctx context.Context) (string, error) {
	c, ok, err := a.newest(ctx, domain.ContactQuery{})
	if err != nil || !ok {
		return "", err
	}
	return c.ID, nil
}

// isNew reports whether the customer id was created after mark, a
// highWater.
func isNew(id, mark string) bool { return mark == "" || vendorhttp.LessID(mark, id) }

// CreateContact implements domain.ContactCreator with
// POST /customers/batch_create in keep mode (type 2), so that a customer
// NXCloud already has is never overwritten or merged into. NXCloud's ids
// grow: the adapter reads the newest id first (POST /customers/query,
// one customer), and the customer the write names (in its answer, or
// else the newest customer with the contact's identity fields) is the
// one created when its id is higher. When it is not, NXCloud kept a
// customer it had and the create answers VendorExists.
func (a *Adapter) CreateContact(ctx context.Context, in domain.ContactInput) (domain.Contact, error) {
	rec, err := writeRecord(in.Contact, "body.")
	if err != nil {
		return domain.Contact{}, err
	}
	q, ok := finder(in.Contact)
	if !ok {
		return domain.Contact{}, domain.Invalid("body.email",
			"nxcloud does not answer a new customer's id, which the gateway finds by email, mobile_phone, whatsapp_phone, viber_phone or first_name: set at least one")
	}
	mark, err := a.highWater(ctx)
	if err != nil {
		return domain.Contact{}, err
	}
	data, err := a.batchCreate(ctx, typeKeep, []nxWrite{rec})
	if err != nil {
		return domain.Contact{}, err
	}
	if ids := answeredIDs(data, 1); ids != nil {
		if !isNew(ids[0], mark) {
			return domain.Contact{}, exists()
		}
		if c, err := a.GetContact(ctx, ids[0]); err == nil {
			return c, nil
		}
	}
	c, found, err := a.newest(ctx, q)
	switch {
	case err != nil:
		return domain.Contact{}, storedUnread(err)
	case !found:
		return domain.Contact{}, storedUnread(vendorhttp.BadResponse(vendor, 0,
			"nxcloud took the customer but lists none with its fields"))
	case !isNew(c.ID, mark):
		return domain.Contact{}, exists()
	}
	return c, nil
}

func exists() error {
	return &domain.VendorError{Vendor: vendor, Kind: domain.VendorExists,
		Detail: "nxcloud already has this customer (matched by a phone number or the email) and kept it as it was; upsert it in a batch with merge or replace to change it"}
}

// storedUnread is the error of a create whose customer NXCloud took but
// the gateway could not read back.
func storedUnread(cause error) error {
	e := &domain.VendorError{Vendor: vendor, Kind: domain.VendorBadResponse, Err: cause,
		Detail: "nxcloud took the customer but the gateway could not read it back; look it up before creating it again"}
	var ve *domain.VendorError
	if errors.As(cause, &ve) && ve.Kind != domain.VendorBadResponse {
		e.Kind, e.Status, e.Code, e.TraceID, e.RetryAfter = ve.Kind, ve.Status, ve.Code, ve.TraceID, ve.RetryAfter
	}
	return e
}

// BatchSize implements domain.ContactBatchUpserter: one batch_create call
// takes at most 100 customers.
func (a *Adapter) BatchSize() int { return maxBatch }

// BatchUpsertContacts implements domain.ContactBatchUpserter with
// POST /customers/batch_create, 100 customers a call, type from the mode
// (replace 0, merge 1, skip 2). Each item answers the id of its customer:
// from the answer when it lists one per customer sent, otherwise the
// newest customer with the item's identity fields (POST /customers/query,
// a few at a time). As for CreateContact, the newest id read before each
// call tells a customer created (a higher id, the first time the call
// names it) from one NXCloud had: updated by merge and replace, skipped by
// skip. An item whose customer cannot be found answers upserted without
// an id.
//
// Items NXCloud cannot store fail alone and are not sent.
func (a *Adapter) BatchUpsertContacts(ctx context.Context, items []domain.ContactInput, mode domain.OnConflict) ([]domain.BatchItemResult, error) {
	typ, ok := conflictTypes[mode]
	if !ok {
		return nil, domain.Invalid("body.on_conflict", "must be merge, replace or skip")
	}
	results, recs, sent := vendorhttp.BatchRecords(items, writeRecord)
	// The gateway passes at most BatchSize items; more are sent in calls
	// of 100 all the same.
	var stop error // a failure of every call, after something was written
	for start := 0; start < len(recs); start += maxBatch {
		end := min(start+maxBatch, len(recs))
		chunk := sent[start:end]
		if stop != nil {
			vendorhttp.FailItems(results, chunk, stop)
			continue
		}
		mark, err := a.highWater(ctx)
		var data json.RawMessage
		if err == nil {
			data, err = a.batchCreate(ctx, typ, recs[start:end])
		}
		switch {
		case err != nil && domain.FailsEveryCall(err):
			if start == 0 && len(sent) == len(items) {
				return nil, err // nothing written, and every item would fail alike
			}
			vendorhttp.FailItems(results, chunk, err)
			stop = err
		case err != nil:
			vendorhttp.FailItems(results, chunk, err)
		default:
			a.identify(ctx, items, chunk, data, mark, mode, results)
		}
	}
	return results, nil
}

// identify answers the items of one batch_create with the ids of their
// customers, from the answer when it lists them, otherwise found by their
// identity fields, and their outcome by mark (see BatchUpsertContacts). A
// lookup that fails leaves its items without an id (they were written);
// one that fails in a way every call would stops the others.
func (a *Adapter) identify(ctx context.Context, items []domain.ContactInput, chunk []int, data json.RawMessage, mark string,
	mode domain.OnConflict, results []domain.BatchItemResult) {
	ids := answeredIDs(data, len(chunk))
	if ids == nil {
		ids = a.lookUp(ctx, items, chunk)
	}
	named := map[string]bool{} // ids an earlier item of the call named
	for k, i := range chunk {
		r := domain.BatchItemResult{Index: i, ID: ids[k]}
		switch {
		case r.ID == "":
			r.Status = domain.BatchUpserted
		case isNew(r.ID, mark) && !named[r.ID]:
			r.Status = domain.BatchCreated
		case mode == domain.OnConflictSkip:
			r.Status = domain.BatchSkipped
		default:
			r.Status = domain.BatchUpdated
		}
		if r.ID != "" {
			named[r.ID] = true
		}
		results[i] = r
	}
}

// lookUp finds the customers of the items of chunk by their identity
// fields (one query per distinct set, a few at a time) and returns their
// ids in chunk's order, "" where none was found.
func (a *Adapter) lookUp(ctx context.Context, items []domain.ContactInput, chunk []int) []string {
	ids := make([]string, len(chunk))
	byQuery := map[domain.ContactQuery][]int{} // positions in chunk
	var order []domain.ContactQuery
	for k, i := range chunk {
		q, ok := finder(items[i].Contact)
		if !ok {
			continue
		}
		if _, seen := byQuery[q]; !seen {
			order = append(order, q)
		}
		byQuery[q] = append(byQuery[q], k)
	}
	found := make([]string, len(order))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.client.Concurrency()) // lookups at once
	for n, q := range order {
		g.Go(func() error {
			c, ok, err := a.newest(gctx, q)
			switch {
			case err != nil && domain.FailsEveryCall(err):
				return err
			case err == nil && ok:
				found[n] = c.ID
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil && ctx.Err() == nil {
		a.log.LogAttrs(ctx, slog.LevelWarn, "nxcloud stored a batch but the ids of some customers could not be read",
			slog.String("error", err.Error()))
	}
	for n, q := range order {
		for _, k := range byQuery[q] {
			ids[k] = found[n]
		}
	}
	return ids
}
