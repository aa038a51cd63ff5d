package domain

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Custom field values are checked against the definitions of the tenant's
// vendor account before a write (create, PATCH, each batch item), so that
// an unknown key or a value of the wrong type is a 400 naming the field
// instead of a vendor error that names nothing. Only vendors whose adapter
// is a FieldLister are checked.
//
// The definitions are read through the FieldLister and kept per tenant
// connection for FieldDefsTTL. A key they do not know makes the Service
// read them again at once (a field created at the vendor a moment ago is
// accepted), at most once per FieldDefsTTL per connection, so unknown keys
// under load cost one vendor call per window; concurrent writes share one
// read. Creating a field through the gateway drops the kept definitions.
//
// When the definitions cannot be read (the vendor is down, its quota is
// spent): with none read before, the write fails with the vendor's error
// and is not sent (the vendor would most likely refuse it too, and writing
// unchecked would answer the nameless vendor error this check exists to
// replace); with definitions read before, the write is checked against
// those, a warning is logged, and the next read is tried after
// fieldDefsRetry.

// FieldDefsTTL is how long a connection's custom field definitions are
// kept before they are read again.
const FieldDefsTTL = 5 * time.Minute

const (
	// fieldDefsReadTimeout bounds one read of the definitions. The read
	// runs apart from the request that started it, so that a caller that
	// hangs up does not fail the others waiting for it.
	fieldDefsReadTimeout = 30 * time.Second
	// maxFieldDefPages bounds the pages of one read.
	maxFieldDefPages = 100
	// fieldDefsRetry is how long the definitions read before serve after a
	// read failed, before the next write tries again: a vendor that is
	// down is not asked on every write, nor is its failure logged.
	fieldDefsRetry = 30 * time.Second
)

// fieldDefCache keeps the custom field definitions of each tenant
// connection.
type fieldDefCache struct {
	now func() time.Time
	log *slog.Logger

	mu      sync.Mutex
	entries map[fieldDefKey]*fieldDefEntry
}

// fieldDefKey names a tenant's connection to one vendor.
type fieldDefKey struct {
	tenant string
	vendor Vendor
}

type fieldDefEntry struct {
	mu        sync.Mutex
	defs      map[string]FieldDef // by key; nil until first read
	loaded    time.Time           // when defs were read
	refreshed time.Time           // when an unknown key last caused a read
	flight    *fieldDefRead       // the read in progress, if any
}

// fieldDefRead is one read of the definitions, shared by every write
// waiting for it.
type fieldDefRead struct {
	done chan struct{}
	defs map[string]FieldDef // the definitions read, or the earlier ones when the read failed
	err  error               // set when the read failed and there are no earlier ones
}

func newFieldDefCache(now func() time.Time, log *slog.Logger) *fieldDefCache {
	if now == nil {
		now = time.Now
	}
	return &fieldDefCache{now: now, log: log, entries: map[fieldDefKey]*fieldDefEntry{}}
}

func (c *fieldDefCache) entry(t Target) *fieldDefEntry {
	k := fieldDefKey{tenant: t.Tenant, vendor: t.Vendor}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		e = &fieldDefEntry{}
		c.entries[k] = e
	}
	return e
}

// forget drops t's definitions: the next write reads them again.
func (c *fieldDefCache) forget(t Target) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, fieldDefKey{tenant: t.Tenant, vendor: t.Vendor})
}

// defs returns t's definitions for a write whose keys are all known to
// the definitions when known says so. It reads them when none are kept or
// they have expired, and once per FieldDefsTTL when known is false; it
// joins a read in progress rather than start another.
func (c *fieldDefCache) defs(ctx context.Context, t Target, l FieldLister, known func(map[string]FieldDef) bool) (map[string]FieldDef, error) {
	e := c.entry(t)
	now := c.now()
	e.mu.Lock()
	fresh := e.defs != nil && now.Sub(e.loaded) < FieldDefsTTL
	var r *fieldDefRead
	switch {
	case fresh && known(e.defs):
	case e.flight != nil:
		r = e.flight
	case !fresh:
		r = c.start(ctx, t, e, l)
	case e.refreshed.IsZero() || now.Sub(e.refreshed) >= FieldDefsTTL:
		e.refreshed = now
		r = c.start(ctx, t, e, l)
	}
	defs := e.defs
	e.mu.Unlock()
	if r == nil {
		return defs, nil
	}
	select {
	case <-r.done:
		return r.defs, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start begins a read of t's definitions; e.mu is held.
func (c *fieldDefCache) start(ctx context.Context, t Target, e *fieldDefEntry, l FieldLister) *fieldDefRead {
	r := &fieldDefRead{done: make(chan struct{})}
	e.flight = r
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fieldDefsReadTimeout)
	go func() {
		defer cancel()
		defs, err := ReadFieldDefs(ctx, t.Vendor, l)
		e.mu.Lock()
		switch {
		case err == nil:
			e.defs, e.loaded = defs, c.now()
		case e.defs != nil:
			c.log.LogAttrs(ctx, slog.LevelWarn, "custom field definitions could not be read; checking against the ones read before",
				slog.String("tenant", t.Tenant), slog.String("vendor", string(t.Vendor)), slog.Any("err", err))
			e.loaded = c.now().Add(fieldDefsRetry - FieldDefsTTL)
			err = nil
		}
		r.defs, r.err = e.defs, err
		e.flight = nil
		e.mu.Unlock()
		close(r.done)
	}()
	return r
}

// ReadFieldDefs reads every definition through l (a connection to v), by
// key, without their raw vendor payloads.
func ReadFieldDefs(ctx context.Context, v Vendor, l FieldLister) (map[string]FieldDef, error) {
	defs := map[string]FieldDef{}
	state := ""
	for range maxFieldDefPages {
		page, err := l.ListFields(ctx, PageRequest{Limit: MaxLimit, State: state})
		if err != nil {
			return nil, err
		}
		for _, d := range page.Items {
			d.Raw = nil
			defs[d.Key] = d
		}
		if page.Next == "" {
			return defs, nil
		}
		state = page.Next
	}
	return nil, &VendorError{Vendor: v, Kind: VendorBadResponse,
		Detail: string(v) + " answered more than " + itoa(maxFieldDefPages) + " pages of custom field definitions"}
}

// checkCustomFields checks the custom field values of one write, spelled
// as the caller spelled them (the tenant's names where it has some);
// field names them in errors ("body.custom_fields"). A mapped field
// spelled by its vendor key is refused first, whatever the vendor.
func (s *Service) checkCustomFields(ctx context.Context, t Target, field string, values map[string]any) error {
	if errs := t.names.spellingErrors(field, values); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	l, ok := t.conn.(FieldLister)
	if !ok || len(values) == 0 {
		return nil
	}
	defs, err := s.fieldDefs.defs(ctx, t, l, func(defs map[string]FieldDef) bool { return allDefined(defs, values, t.names) })
	if err != nil {
		return err
	}
	if errs := customFieldErrors(t, field, values, defs); len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// checkBatchCustomFields checks the custom field values of every batch
// item and returns the refusal of each refused item by index. A failure to
// read the definitions is the whole call's error.
func (s *Service) checkBatchCustomFields(ctx context.Context, t Target, items []ContactInput) (map[int]error, error) {
	var refused map[int]error
	refuse := func(i int, errs []FieldError) {
		if refused == nil {
			refused = map[int]error{}
		}
		refused[i] = &ValidationError{Fields: errs}
	}
	if t.names != nil {
		for i, in := range items {
			if errs := t.names.spellingErrors(itemCustomFields(i), in.CustomFields); len(errs) > 0 {
				refuse(i, errs)
			}
		}
	}
	l, ok := t.conn.(FieldLister)
	if !ok || !slices.ContainsFunc(items, func(in ContactInput) bool { return len(in.CustomFields) > 0 }) {
		return refused, nil
	}
	defs, err := s.fieldDefs.defs(ctx, t, l, func(defs map[string]FieldDef) bool {
		return !slices.ContainsFunc(items, func(in ContactInput) bool { return !allDefined(defs, in.CustomFields, t.names) })
	})
	if err != nil {
		return nil, err
	}
	for i, in := range items {
		if _, done := refused[i]; done {
			continue
		}
		if errs := customFieldErrors(t, itemCustomFields(i), in.CustomFields, defs); len(errs) > 0 {
			refuse(i, errs)
		}
	}
	return refused, nil
}

// itemCustomFields names batch item i's custom fields in errors.
func itemCustomFields(i int) string { return "body.items." + itoa(i) + ".custom_fields" }

// batchToVendor returns items with their custom fields under the
// vendor's keys; items itself when the tenant names no field here.
func batchToVendor(t Target, items []ContactInput) []ContactInput {
	if t.names == nil {
		return items
	}
	out := slices.Clone(items)
	for i := range out {
		out[i].CustomFields = t.names.toVendor(out[i].CustomFields)
	}
	return out
}

// upsertAllBut upserts the items not refused, in the vendor's chunks, and
// answers the refused ones failed with their refusal, every result in its
// item's place.
func (s *Service) upsertAllBut(ctx context.Context, t Target, b ContactBatchUpserter, items []ContactInput, mode OnConflict,
	refused map[int]error) ([]BatchItemResult, error) {
	results := make([]BatchItemResult, len(items))
	send := make([]ContactInput, 0, len(items)-len(refused))
	index := make([]int, 0, cap(send)) // the caller's index of each item sent
	for i, in := range items {
		if err, ok := refused[i]; ok {
			results[i] = BatchItemResult{Index: i, Status: BatchFailed, Err: err}
			continue
		}
		send = append(send, in)
		index = append(index, i)
	}
	if len(send) == 0 {
		return results, nil
	}
	sent, err := s.upsertChunks(ctx, t, b, send, mode)
	if err != nil {
		return nil, err
	}
	for _, r := range sent {
		r.Index = index[r.Index]
		results[r.Index] = r
	}
	return results, nil
}

// allDefined reports whether every key of values (a tenant's name or a
// vendor key) is a field of defs.
func allDefined(defs map[string]FieldDef, values map[string]any, names *fieldNames) bool {
	for k := range values {
		if _, ok := defs[names.key(k)]; !ok {
			return false
		}
	}
	return true
}

// customFieldErrors names each value that is not a field of defs or not of
// its field's type, in key order, as the caller spelled it.
func customFieldErrors(t Target, field string, values map[string]any, defs map[string]FieldDef) []FieldError {
	var errs []FieldError
	for _, k := range sortedKeys(values) {
		d, ok := defs[t.names.key(k)]
		msg := ""
		if !ok {
			msg = "is not a custom field of this tenant's " + string(t.Vendor) + " account"
		} else {
			msg = fieldValueProblem(d, values[k])
		}
		if msg != "" {
			errs = append(errs, FieldError{Field: field + "." + k, Message: msg})
		}
	}
	return errs
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fieldValueProblem says what is wrong with v as a value of d, "" if
// nothing. null is accepted for every field (it clears the value); an
// unknown type accepts anything.
func fieldValueProblem(d FieldDef, v any) string {
	if v == nil {
		return ""
	}
	switch d.Type {
	case FieldTypeText:
		if _, ok := v.(string); !ok {
			return "must be a string"
		}
	case FieldTypeNumber:
		if !isNumber(v) {
			return "must be a number"
		}
	case FieldTypeDate:
		if _, ok := v.(string); !ok {
			return "must be a date, as a string"
		}
	case FieldTypeDateTime:
		if _, ok := v.(string); !ok {
			return "must be a date and time, as a string"
		}
	case FieldTypeBoolean:
		if _, ok := v.(bool); !ok {
			return "must be true or false"
		}
	case FieldTypeSelect:
		s, ok := v.(string)
		if !ok {
			return "must be a string"
		}
		if len(d.Options) > 0 && !slices.Contains(d.Options, s) {
			return "must be one of the field's options: " + strings.Join(d.Options, ", ")
		}
	case FieldTypeMultiSelect:
		choices, ok := stringList(v)
		if !ok {
			return "must be an array of strings"
		}
		for _, s := range choices {
			if len(d.Options) > 0 && !slices.Contains(d.Options, s) {
				return "holds " + quote(s) + ", which is not one of the field's options: " + strings.Join(d.Options, ", ")
			}
		}
	}
	return ""
}

// isNumber reports whether v is a JSON number as a decoder gives it:
// json.Number (the gateway's own decoding, exact beyond 2^53), a Go
// integer, or a finite float.
func isNumber(v any) bool {
	switch n := v.(type) {
	case json.Number:
		s := string(n)
		return s != "" && (s[0] == '-' || ('0' <= s[0] && s[0] <= '9')) && json.Valid([]byte(s))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	case float64:
		return !math.IsNaN(n) && !math.IsInf(n, 0)
	}
	return false
}

// stringList returns v's strings when v is an array of strings.
func stringList(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return l, true
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}
