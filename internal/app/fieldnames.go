package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// fieldNamesTimeout bounds the read of one connection's custom field
// definitions when the tenants' custom field names are checked.
var fieldNamesTimeout = 10 * time.Second

// checkFieldNames checks every tenant's custom field names against its
// vendors' field definitions, each connection read at once with the
// others and within fieldNamesTimeout: a mapped key the vendor does not
// define fails the start or reload, naming tenant, vendor, key and name,
// as does a name that is the key of another field at that vendor.
// A connection that cannot list definitions is not checked; one whose
// vendor does not answer is logged as a warning and not checked, so that
// a vendor down does not keep the gateway from starting.
func checkFieldNames(ctx context.Context, log *slog.Logger, tenants []domain.Tenant) error {
	type check struct {
		tenant string
		vendor domain.Vendor
		l      domain.FieldLister
		names  []domain.CustomFieldName
	}
	var checks []check
	for _, t := range tenants {
		for v, c := range t.Connections {
			l, ok := c.(domain.FieldLister)
			if !ok {
				continue
			}
			var names []domain.CustomFieldName
			for _, n := range t.FieldNames {
				if _, ok := n.Keys[v]; ok {
					names = append(names, n)
				}
			}
			if len(names) > 0 {
				checks = append(checks, check{tenant: t.ID, vendor: v, l: l, names: names})
			}
		}
	}
	if len(checks) == 0 {
		return nil
	}
	problems := make([][]string, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, fieldNamesTimeout)
			defer cancel()
			defs, err := domain.ReadFieldDefs(ctx, c.vendor, c.l)
			if err != nil {
				log.LogAttrs(ctx, slog.LevelWarn, "custom field names not checked: the vendor's field definitions could not be read",
					slog.String("tenant", c.tenant), slog.String("vendor", string(c.vendor)), slog.String("error", domain.SafeDetail(err)))
				return
			}
			for _, n := range c.names {
				key := n.Keys[c.vendor]
				if !hasDef(defs, key) {
					problems[i] = append(problems[i], fmt.Sprintf("tenant %s: custom field %s: %s has no field with key %q", c.tenant, n.Name, c.vendor, key))
				}
				// The vendor's own field of that key would be answered
				// under the same name as the mapped one.
				if key != n.Name && hasDef(defs, n.Name) {
					problems[i] = append(problems[i], fmt.Sprintf("tenant %s: custom field %s: %s has another field with key %q, which the name would hide", c.tenant, n.Name, c.vendor, n.Name))
				}
			}
		})
	}
	wg.Wait()
	var list []string
	for _, p := range problems {
		list = append(list, p...)
	}
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	return errors.New("custom field names:\n  " + strings.Join(list, "\n  "))
}

func hasDef(defs map[string]domain.FieldDef, key string) bool { _, ok := defs[key]; return ok }
