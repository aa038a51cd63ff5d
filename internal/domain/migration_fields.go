package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// A migration carries custom field definitions before the contacts whose
// values need them. Each of the source's definitions is matched to the
// target's: by the tenant's name where the tenant mapped the field at
// both vendors, by key where both vendors spell it alike, else by label;
// one the target lacks is created there with its label, type, description
// and options, when the target can create a field of its type (or of a
// type that keeps its values, as text keeps numbers). The target's key of
// every matched or created field is kept in the id map, so the contacts
// pass (of this run or a later one) writes each value under it.

// FieldTypeMapper is implemented by adapters whose vendor creates only
// some field types: CreatableAs is the type a field of type t is created
// as (t itself, or a type that holds its values written as they are, as
// text holds numbers), and false when the vendor cannot hold it. Without
// it a migration creates every field with its own type.
type FieldTypeMapper interface {
	CreatableAs(t FieldType) (FieldType, bool)
}

// fieldMapKey is the id map's key of custom field key at vendor v: apart
// from every record kind's keys (mapKey), so it never answers an id's lookup.
func fieldMapKey(v Vendor, key string) string { return "field:" + string(v) + ":" + key }

// fieldMatch is how a migration carries the source's custom field
// definitions.
type fieldMatch struct {
	named   map[string]bool       // source keys the target has already, by the tenant's name or by key
	labels  map[string]string     // source key -> its label
	labeled map[string]string     // source key -> target key of the same label
	create  map[string]FieldInput // source key -> definition to create at the target
	// dropped and transformed are for the plan, by the source field's
	// name ("custom_fields.attr3 ...").
	dropped, transformed []string
}

// matchFields matches the source's definitions to the target's (see the
// top of this file). It reads both vendors' definitions.
func matchFields(ctx context.Context, from, to Connection, w contactWriter) (fieldMatch, error) {
	src, err := ReadFieldDefs(ctx, from.Vendor(), from.(FieldLister))
	if err != nil {
		return fieldMatch{}, err
	}
	dst, err := ReadFieldDefs(ctx, to.Vendor(), to.(FieldLister))
	if err != nil {
		return fieldMatch{}, err
	}
	w.customKeys = map[string]bool{}
	byLabel := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(dst)) {
		w.customKeys[k] = true
		if l := dst[k].Label; l != "" && byLabel[l] == "" {
			byLabel[l] = k
		}
	}
	fm := fieldMatch{named: map[string]bool{}, labeled: map[string]string{}, create: map[string]FieldInput{}, labels: map[string]string{}}
	mapper, _ := to.(FieldTypeMapper)
	for _, k := range slices.Sorted(maps.Keys(src)) {
		d, name := src[k], "custom_fields."+w.from.name(k)
		fm.labels[k] = d.Label
		if _, ok := w.customKey(k); ok {
			fm.named[k] = true
			continue
		}
		if mappedAt(w.from, w.from.name(k)) && mappedAt(w.to, w.from.name(k)) {
			// The tenant mapped the field at the target to a key the
			// target does not define: the start-up check says so; the
			// migration does not guess.
			fm.dropped = append(fm.dropped, name+": the tenant's key for it at "+string(to.Vendor())+" is not defined there")
			continue
		}
		if t, ok := byLabel[d.Label]; ok && d.Label != "" {
			fm.labeled[k] = t
			continue
		}
		typ := d.Type
		if mapper != nil {
			as, ok := mapper.CreatableAs(d.Type)
			if !ok {
				fm.dropped = append(fm.dropped, fmt.Sprintf("%s: %s cannot hold a %s field", name, to.Vendor(), d.Type))
				continue
			}
			if as != typ {
				fm.transformed = append(fm.transformed, fmt.Sprintf("%s: a %s field, created at %s as %s (values keep their written form)", name, d.Type, to.Vendor(), as))
			}
			typ = as
		}
		in := FieldInput{Label: d.Label, Type: typ, Description: d.Description}
		if in.Label == "" {
			in.Label = k
		}
		if in.Description == "" {
			in.Description = fmt.Sprintf("%s field %s, carried by a cdp-gateway migration", from.Vendor(), k)
		}
		if typ == FieldTypeSelect || typ == FieldTypeMultiSelect {
			in.Options = d.Options
		}
		fm.create[k] = in
	}
	return fm, nil
}

// customFields plans the custom_fields step, and tells the contacts step
// which fields it carries.
func (pl *planner) customFields(ctx context.Context, step *PlanStep) error {
	_, reads := pl.from.(FieldLister)
	_, lists := pl.to.(FieldLister)
	_, creates := pl.to.(FieldCreator)
	switch {
	case !reads:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s has no custom field definitions the gateway can list", pl.from.Vendor())
		return nil
	case !lists || !creates:
		step.Action, step.Detail = PlanCannot, fmt.Sprintf("%s cannot create custom fields", pl.to.Vendor())
		return nil
	}
	fm, err := matchFields(ctx, pl.from, pl.to, pl.names)
	if err != nil {
		return err
	}
	pl.fields = map[string]bool{}
	for k := range fm.labeled {
		pl.fields[k] = true
	}
	for k := range fm.create {
		pl.fields[k] = true
	}
	step.Dropped, step.Transformed = fm.dropped, fm.transformed
	step.Detail = fmt.Sprintf("%d to create at %s, %d matched by label, %d there already; "+
		"a field's values are written under its key at %s: name it in the tenants file (custom_fields) to keep one spelling",
		len(fm.create), pl.to.Vendor(), len(fm.labeled), len(fm.named), pl.to.Vendor())
	return nil
}

// customFields carries the source's custom field definitions: matched
// ones are recorded, missing ones created. A field recorded by an earlier
// run is skipped; one an earlier run created without recording it is
// found by its label.
func (m *migration) customFields(ctx context.Context) error {
	w := m.s.carriedNames(m.tenant, m.from.Vendor(), m.to.Vendor())
	fm, err := matchFields(ctx, m.from, m.to, w)
	if err != nil {
		return err
	}
	const res = string(MigrateCustomFields)
	label := func(k string) string { return fm.labels[k] }
	var carried []CarriedField
	for _, k := range slices.Sorted(maps.Keys(fm.named)) {
		m.skipped(res)
		to, _ := w.customKey(k)
		how := FieldSameKey
		if mappedAt(w.from, w.from.name(k)) {
			how = FieldNamed
		}
		carried = append(carried, CarriedField{From: w.from.name(k), To: w.to.name(to), Label: label(k), How: how})
	}
	keys := slices.Sorted(maps.Keys(fm.create))
	mapKeys := make([]string, len(keys))
	for i, k := range keys {
		mapKeys[i] = fieldMapKey(m.from.Vendor(), k)
	}
	labeled := slices.Sorted(maps.Keys(fm.labeled))
	all := slices.Clone(mapKeys)
	for _, k := range labeled {
		all = append(all, fieldMapKey(m.from.Vendor(), k))
	}
	made, err := m.ids.LookupIDs(ctx, m.tenant, all)
	if err != nil {
		return err
	}
	pairs := map[string]string{}
	for _, k := range labeled {
		carried = append(carried, CarriedField{From: w.from.name(k), To: fm.labeled[k], Label: label(k), How: FieldByLabel})
		if mk := fieldMapKey(m.from.Vendor(), k); made[mk] == fm.labeled[k] {
			m.skipped(res)
		} else {
			pairs[mk] = fm.labeled[k]
			m.run.Progress(res, func(p *JobProgress) { p.Done++ })
		}
	}
	creator := m.to.(FieldCreator)
	for i, k := range keys {
		if made[mapKeys[i]] != "" {
			m.skipped(res)
			continue
		}
		d, err := creator.CreateField(ctx, fm.create[k])
		if err != nil {
			if FailsEveryCall(err) {
				return err
			}
			m.run.Progress(res, func(p *JobProgress) { p.Failed++ })
			m.run.ItemError(itemError(MigrateCustomFields, "custom_fields."+w.from.name(k), err))
			continue
		}
		pairs[mapKeys[i]] = d.Key
		carried = append(carried, CarriedField{From: w.from.name(k), To: d.Key, Label: label(k), How: FieldCreated})
		m.run.Progress(res, func(p *JobProgress) { p.Done++ })
		if err := m.ids.PutIDs(ctx, m.tenant, map[string]string{mapKeys[i]: d.Key}); err != nil {
			return err
		}
		m.s.log.InfoContext(ctx, "custom field created at the migration's target",
			"tenant", m.tenant, "from", string(m.from.Vendor()), "key", k, "to", string(m.to.Vendor()), "new_key", d.Key)
	}
	if err := m.ids.PutIDs(ctx, m.tenant, pairs); err != nil {
		return err
	}
	if m.changed { // a pass over changes adds the fields made since
		for _, f := range carried {
			if !slices.ContainsFunc(m.fields, func(g CarriedField) bool { return g.From == f.From }) {
				m.fields = append(m.fields, f)
			}
		}
		carried = m.fields
	}
	slices.SortFunc(carried, func(a, b CarriedField) int { return strings.Compare(a.From, b.From) })
	m.fields = carried
	out, err := json.Marshal(migrationOutput{Plan: m.plan, Fields: carried})
	if err != nil {
		return err
	}
	m.run.SetOutput(out)
	return nil
}

// carriedFields are the target's keys of the source's custom fields the
// custom_fields step carried (by this run or an earlier one), read from
// the id map; nil when the step was not carried.
func (m *migration) carriedFields(ctx context.Context) (map[string]string, error) {
	if step, _ := m.plan.Step(MigrateCustomFields); step.Action != PlanCarry {
		return nil, nil
	}
	have, known, err := fieldKeys(ctx, m.from)
	if err != nil || !known {
		return nil, err
	}
	keys := make([]string, 0, len(have))
	for k := range have {
		keys = append(keys, fieldMapKey(m.from.Vendor(), k))
	}
	found, err := m.ids.LookupIDs(ctx, m.tenant, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(found))
	for k := range have {
		if t := found[fieldMapKey(m.from.Vendor(), k)]; t != "" {
			out[k] = t
		}
	}
	return out, nil
}
