package linkflow_test

import (
	"strconv"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TestListFieldsTypes: each data type Linkflow's property metadata may
// carry maps to the canonical type whose values it takes. The gateway
// checks custom field values against these types before a write, so a
// wrong type here would refuse good values; a type it does not know is
// unknown (any value passes, Linkflow has the last word).
func TestListFieldsTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	want := map[string]domain.FieldType{
		"text": domain.FieldTypeText, "string": domain.FieldTypeText,
		"number": domain.FieldTypeNumber, "integer": domain.FieldTypeNumber, "int": domain.FieldTypeNumber,
		"long": domain.FieldTypeNumber, "double": domain.FieldTypeNumber, "decimal": domain.FieldTypeNumber,
		"float": domain.FieldTypeNumber, "Number": domain.FieldTypeNumber,
		"boolean": domain.FieldTypeBoolean, "bool": domain.FieldTypeBoolean,
		"date": domain.FieldTypeDate, "datetime": domain.FieldTypeDateTime, "timestamp": domain.FieldTypeDateTime,
		"list": domain.FieldTypeMultiSelect, "geo": domain.FieldTypeUnknown,
	}
	alias := map[string]string{}
	for dt := range want {
		a := "attr" + strconv.Itoa(len(alias)+1)
		alias[a] = dt
		e.sim.AddProperty(linkflowtest.Property{Label: dt, Alias: a, DataType: dt})
	}
	page, err := e.ad.ListFields(t.Context(), domain.PageRequest{Limit: 200})
	e.Must(err)
	if len(page.Items) != len(want) {
		t.Fatalf("%d definitions, want %d", len(page.Items), len(want))
	}
	for _, f := range page.Items {
		dt, ok := alias[f.Key]
		if !ok {
			t.Errorf("definition %+v has no alias of the seeded properties", f)
			continue
		}
		if f.Type != want[dt] || f.Label != dt {
			t.Errorf("dataType %q: %+v, want type %s", dt, f, want[dt])
		}
	}
}
