package domain

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// After a migration switched a tenant to another vendor, ids of records it
// carried still name them: an id of the old vendor is looked up in the
// tenant's id map and the call goes to the record's id at the tenant's
// vendor now. Ids the map does not hold are refused as before
// (ID_VENDOR_MISMATCH), and cursors of the old vendor stay refused.

// maxTranslationHops bounds following an id through migrations (lf -> mh
// -> nx).
const maxTranslationHops = 4

// IDTranslations records the ids a call had translated, for the answer's
// X-Id-Translated header. Safe for concurrent use; the zero value is
// ready.
type IDTranslations struct {
	mu    sync.Mutex
	pairs [][2]string
}

// Pairs returns the translations made, in order, each once.
func (t *IDTranslations) Pairs() [][2]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.pairs)
}

func (t *IDTranslations) add(from, to string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.Contains(t.pairs, [2]string{from, to}) {
		t.pairs = append(t.pairs, [2]string{from, to})
	}
}

type translationsKey struct{}

// RecordIDTranslations returns a context whose calls record the ids they
// have translated into into.
func RecordIDTranslations(ctx context.Context, into *IDTranslations) context.Context {
	return context.WithValue(ctx, translationsKey{}, into)
}

// parseID parses id as one of the target vendor's ids, translating an id
// of another vendor through the tenant's id map of f's kind.
func (s *Service) parseID(ctx context.Context, t Target, f idField, id string) (string, error) {
	native, err := s.vendors.ParseID(f.name, id, t.Vendor)
	var me *IDMismatchError
	if err == nil || !errors.As(err, &me) || s.ids == nil {
		return native, err
	}
	to, ok, terr := s.translate(ctx, t, f.kind, id)
	if terr != nil {
		return "", terr
	}
	if !ok {
		return "", err
	}
	return s.vendors.ParseID(f.name, to, t.Vendor)
}

// parseIDList parses a list of ids as parseID does; f names the list.
func (s *Service) parseIDList(ctx context.Context, t Target, f idField, ids []string) ([]string, error) {
	out, err := s.vendors.parseIDs(f.name, ids, t.Vendor)
	var me *IDMismatchError
	if err == nil || !errors.As(err, &me) || s.ids == nil {
		return out, err
	}
	canon := slices.Clone(ids)
	for i, id := range ids {
		if _, perr := s.vendors.ParseID(f.name, id, t.Vendor); errors.As(perr, &me) {
			to, ok, terr := s.translate(ctx, t, f.kind, id)
			if terr != nil {
				return nil, terr
			}
			if !ok {
				return nil, perr
			}
			canon[i] = to
		}
	}
	return s.vendors.parseIDs(f.name, canon, t.Vendor)
}

// translate follows id, of a record of kind, through the tenant's id map
// to an id of the target's vendor.
func (s *Service) translate(ctx context.Context, t Target, kind RecordKind, id string) (string, bool, error) {
	ids := kindIDs{store: s.ids, kind: kind}
	cur := id
	for range maxTranslationHops {
		m, err := ids.LookupIDs(ctx, t.Tenant, []string{cur})
		if err != nil {
			return "", false, err
		}
		next, ok := m[cur]
		if !ok || next == "" {
			return "", false, nil
		}
		if _, err := s.vendors.ParseID("id", next, t.Vendor); err == nil {
			if rec, ok := ctx.Value(translationsKey{}).(*IDTranslations); ok {
				rec.add(id, next)
			}
			return next, true, nil
		}
		cur = next
	}
	return "", false, nil
}
