package app_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

// The sandbox's Linkflow account defines attr1 (text), attr2 (number) and
// attr3 (text).

const propertiesPath = "/v2/contacts/meta/properties"

// fieldMessages returns the problem's field errors, field -> message.
func fieldMessages(t *testing.T, p map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}

// vendorWrites returns the requests other than GETs (reads, token calls)
// that reached Linkflow.
func (e *env) vendorWrites() []string {
	var out []string
	for _, r := range e.sim.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func (e *env) propertyReads() int {
	n := 0
	for _, r := range e.sim.Requests() {
		if r.Path == propertiesPath {
			n++
		}
	}
	return n
}

func externalID(id string) []any {
	return []any{map[string]any{"channel": "fields.example.com", "id": id}}
}

// TestCustomFieldsCheckedBeforeTheWrite: an unknown custom field key or a
// value of the wrong type is a 400 naming each field, on create, PATCH and
// per batch item, and nothing is written at Linkflow.
func TestCustomFieldsCheckedBeforeTheWrite(t *testing.T) {
	e := newEnv(t)
	want := map[string]string{
		"body.custom_fields.attr2": "must be a number",
		"body.custom_fields.attr9": "is not a custom field of this tenant's linkflow account",
	}
	check := func(t *testing.T, p map[string]any) {
		t.Helper()
		got := fieldMessages(t, p)
		if len(got) != len(want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
		for f, m := range want {
			if got[f] != m {
				t.Fatalf("fields %v, want %s: %q", got, f, m)
			}
		}
		if w := e.vendorWrites(); len(w) != 0 {
			t.Fatalf("a refused write reached linkflow: %v", w)
		}
	}

	t.Run("create", func(t *testing.T) {
		e.sim.ResetRequests()
		check(t, e.send(http.MethodPost, "/v1/contacts", map[string]any{
			"name": "坏字段", "external_ids": externalID("bad-create"),
			"custom_fields": map[string]any{"attr1": "单身", "attr2": "一万", "attr9": "x"},
		}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED"))
	})

	t.Run("patch", func(t *testing.T) {
		e.sim.ResetRequests()
		check(t, e.send(http.MethodPatch, "/v1/contacts/"+e.firstContact(), map[string]any{
			"custom_fields": map[string]any{"attr2": true, "attr9": 1},
		}).problem(t, http.StatusBadRequest, "VALIDATION_FAILED"))
	})

	t.Run("batch items", func(t *testing.T) {
		e.sim.ResetRequests()
		res := e.send(http.MethodPost, "/v1/contacts/batch", map[string]any{"items": []any{
			map[string]any{"name": "好", "external_ids": externalID("good"), "custom_fields": map[string]any{"attr1": "单身", "attr2": 10000}},
			map[string]any{"name": "未知", "external_ids": externalID("unknown"), "custom_fields": map[string]any{"attr9": "x"}},
			map[string]any{"name": "类型", "external_ids": externalID("type"), "custom_fields": map[string]any{"attr2": "x"}},
			map[string]any{"name": "两个", "external_ids": externalID("both"), "custom_fields": map[string]any{"attr2": "x", "attr9": "y"}},
		}}).ok(t, http.StatusOK)
		if res["succeeded"] != float64(1) || res["failed"] != float64(3) {
			t.Fatalf("batch = %v", res)
		}
		results := res["results"].([]any)
		wantDetail := map[int]string{
			1: "body.items.1.custom_fields.attr9 is not a custom field of this tenant's linkflow account",
			2: "body.items.2.custom_fields.attr2 must be a number",
			3: "2 fields are invalid",
		}
		// Each bad field of an item is named in its errors, as in a 400.
		wantFields := map[int][]string{
			1: {"body.items.1.custom_fields.attr9"},
			2: {"body.items.2.custom_fields.attr2"},
			3: {"body.items.3.custom_fields.attr2", "body.items.3.custom_fields.attr9"},
		}
		for i, r := range results {
			m := r.(map[string]any)
			if m["index"] != float64(i) {
				t.Fatalf("results out of order: %v", results)
			}
			if d, bad := wantDetail[i]; bad {
				item, _ := m["error"].(map[string]any)
				if m["status"] != "failed" || item["code"] != "VALIDATION_FAILED" || item["detail"] != d {
					t.Errorf("item %d = %v, want failed: %s", i, m, d)
				}
				var fields []string
				for _, fe := range asSlice(item["errors"]) {
					fields = append(fields, fe.(map[string]any)["field"].(string))
				}
				slices.Sort(fields)
				if !slices.Equal(fields, wantFields[i]) {
					t.Errorf("item %d names fields %v, want %v", i, fields, wantFields[i])
				}
			} else if m["status"] != "upserted" {
				t.Errorf("item %d = %v, want upserted", i, m)
			}
		}
		if w := e.vendorWrites(); len(w) != 1 || w[0] != "POST /identifiers" {
			t.Fatalf("writes at linkflow %v, want the one good item's identify", w)
		}
	})

	t.Run("numbers beyond 2^53 are numbers", func(t *testing.T) {
		e.send(http.MethodPost, "/v1/contacts",
			`{"name":"大数","external_ids":[{"channel":"fields.example.com","id":"big"}],"custom_fields":{"attr2":9007199254740993}}`).
			ok(t, http.StatusCreated)
	})
}

// TestCustomFieldDefinitionsCachedAndRefreshed: the definitions are read
// once, read again for a key they lack (so a field created at Linkflow a
// moment ago is accepted), and concurrent unknown keys share that one read.
func TestCustomFieldDefinitionsCachedAndRefreshed(t *testing.T) {
	e := newEnv(t)
	e.sim.ResetRequests()
	for i := range 3 {
		e.send(http.MethodPost, "/v1/contacts", map[string]any{"external_ids": externalID("cached" + strconv.Itoa(i)),
			"custom_fields": map[string]any{"attr1": "单身"}}).ok(t, http.StatusCreated)
	}
	if n := e.propertyReads(); n != 1 {
		t.Fatalf("%d reads of the field definitions for 3 writes, want 1", n)
	}

	e.sim.AddProperty(linkflowtest.Property{Label: "生日月份", Alias: "attr4", DataType: "number"})
	created := e.send(http.MethodPost, "/v1/contacts", map[string]any{"external_ids": externalID("fresh"),
		"custom_fields": map[string]any{"attr4": 5}}).ok(t, http.StatusCreated)
	if cf, _ := created["custom_fields"].(map[string]any); cf["attr4"] == nil {
		t.Fatalf("created = %v", created)
	}
	if n := e.propertyReads(); n != 2 {
		t.Fatalf("%d reads of the field definitions, want 2", n)
	}

	// The refresh of this window is spent: unknown keys, however many,
	// read nothing more.
	var wg sync.WaitGroup
	answers := make([]resp, 20)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.send(http.MethodPost, "/v1/contacts", map[string]any{"external_ids": externalID("x"),
				"custom_fields": map[string]any{"attr9": "x"}})
		}()
	}
	wg.Wait()
	for _, a := range answers {
		p := a.problem(t, http.StatusBadRequest, "VALIDATION_FAILED")
		if got := fieldNames(t, p); len(got) != 1 || got[0] != "body.custom_fields.attr9" {
			t.Fatalf("fields %v", got)
		}
	}
	if n := e.propertyReads(); n != 2 {
		t.Fatalf("%d reads of the field definitions after 20 unknown keys, want still 2", n)
	}
}

// TestCustomFieldDefinitionsUnreadable: when Linkflow cannot answer the
// definitions and none were read before, a write with custom fields fails
// with the vendor's error and is not sent; one without is not affected.
func TestCustomFieldDefinitionsUnreadable(t *testing.T) {
	e := newEnv(t)
	e.sim.InjectFault(linkflowtest.Fault{PathPrefix: propertiesPath, Status: http.StatusServiceUnavailable,
		ContentType: "text/html", Body: "<html>maintenance</html>"})
	e.sim.ResetRequests()
	p := e.send(http.MethodPost, "/v1/contacts", map[string]any{"external_ids": externalID("down"),
		"custom_fields": map[string]any{"attr1": "单身"}}).problem(t, http.StatusServiceUnavailable, "VENDOR_UNAVAILABLE")
	if strings.Contains(mustString(p), "maintenance") {
		t.Fatal("the vendor's page leaked")
	}
	if w := e.vendorWrites(); len(w) != 0 {
		t.Fatalf("an unchecked write reached linkflow: %v", w)
	}
	e.send(http.MethodPost, "/v1/contacts", map[string]any{"external_ids": externalID("down")}).ok(t, http.StatusCreated)
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
