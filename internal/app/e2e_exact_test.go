package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/linkflow/linkflowtest"
)

// Integers a float64 cannot hold: 2^53+1, and one beyond int64.
const (
	big53 = "9007199254740993"
	big64 = "12345678901234567890"
)

// exact decodes a JSON body keeping every number as written.
func exact(t *testing.T, body []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, body)
	}
	return v
}

// at walks a decoded JSON value along keys (object members or array
// indexes written as numbers).
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				t.Fatalf("no item %s in %v", k, x)
			}
			v = x[i]
		default:
			t.Fatalf("cannot take %q of %v", k, v)
		}
	}
	return v
}

// wantNumber checks that a value is the JSON number lit, digit for digit.
func wantNumber(t *testing.T, what string, v any, lit string) {
	t.Helper()
	if n, ok := v.(json.Number); !ok || string(n) != lit {
		t.Errorf("%s = %#v, want the number %s", what, v, lit)
	}
}

// TestNumbersRoundTripExactly sends integers beyond 2^53 through every way
// the HTTP layer takes or gives them: custom fields on create, PATCH and
// batch, the vendor record with include=raw on get and list, and
// passthrough bodies both ways. Each arrives at the vendor and comes back
// to the caller digit for digit; before, request bodies were decoded
// through float64 (…992, 12345678901234567000) and raw was re-decoded into
// a map. Reads use a contact seeded in the simulator, so that they show
// the way out on its own.
func TestNumbersRoundTripExactly(t *testing.T) {
	e := newEnv(t)
	e.sim.AddProperty(linkflowtest.Property{Label: "big a", Alias: "attr8", DataType: "number"})
	e.sim.AddProperty(linkflowtest.Property{Label: "big b", Alias: "attr9", DataType: "number"})
	stored := func(id string) map[string]any {
		t.Helper()
		n, err := strconv.ParseInt(strings.TrimPrefix(id, "lf_"), 10, 64)
		if err != nil {
			t.Fatalf("id %q", id)
		}
		c, ok := e.sim.Contact(n)
		if !ok {
			t.Fatalf("the vendor has no contact %s", id)
		}
		return c.Props
	}

	t.Run("reads", func(t *testing.T) {
		n := e.sim.AddContact(linkflowtest.Contact{Name: "Seeded Big", Email: "seeded.big@example.com",
			Props: map[string]any{"attr8": json.Number(big53), "attr9": json.Number(big64)}})
		id := "lf_" + strconv.FormatInt(n, 10)
		got := exact(t, e.get("/v1/contacts/"+id+"?include=raw").Body)
		wantNumber(t, "get custom_fields.attr8", at(t, got, "custom_fields", "attr8"), big53)
		wantNumber(t, "get custom_fields.attr9", at(t, got, "custom_fields", "attr9"), big64)
		wantNumber(t, "get raw.props.attr8", at(t, got, "raw", "props", "attr8"), big53)
		wantNumber(t, "get raw.props.attr9", at(t, got, "raw", "props", "attr9"), big64)
		found := false
		for _, c := range at(t, exact(t, e.get("/v1/contacts?include=raw&limit=200").Body), "data").([]any) {
			if at(t, c, "id") == id {
				found = true
				wantNumber(t, "list custom_fields.attr9", at(t, c, "custom_fields", "attr9"), big64)
				wantNumber(t, "list raw.props.attr8", at(t, c, "raw", "props", "attr8"), big53)
			}
		}
		if !found {
			t.Fatalf("%s is not in the list", id)
		}
		r := e.send(http.MethodPost, "/v1/passthrough", `{"method": "GET", "path": "/v2/contacts", "query": {"email": ["seeded.big@example.com"]}}`)
		r.ok(t, http.StatusOK)
		wantNumber(t, "passthrough answer body.0.props.attr9", at(t, exact(t, r.Body), "body", "0", "props", "attr9"), big64)
	})

	t.Run("writes", func(t *testing.T) {
		both := `{"attr8": ` + big53 + `, "attr9": ` + big64 + `}`
		r := e.send(http.MethodPost, "/v1/contacts?include=raw",
			`{"name": "Big Numbers", "external_ids": [{"channel": "big.example.com", "id": "big-1"}], "custom_fields": `+both+`}`)
		r.ok(t, http.StatusCreated)
		created := exact(t, r.Body)
		id := at(t, created, "id").(string)
		wantNumber(t, "vendor attr8 after create", stored(id)["attr8"], big53)
		wantNumber(t, "vendor attr9 after create", stored(id)["attr9"], big64)
		wantNumber(t, "create answer custom_fields.attr9", at(t, created, "custom_fields", "attr9"), big64)
		wantNumber(t, "create answer raw.props.attr9", at(t, created, "raw", "props", "attr9"), big64)

		// PATCH swaps them.
		r = e.send(http.MethodPatch, "/v1/contacts/"+id+"?include=raw", `{"custom_fields": {"attr8": `+big64+`, "attr9": `+big53+`}}`)
		r.ok(t, http.StatusOK)
		patched := exact(t, r.Body)
		wantNumber(t, "vendor attr8 after patch", stored(id)["attr8"], big64)
		wantNumber(t, "vendor attr9 after patch", stored(id)["attr9"], big53)
		wantNumber(t, "patch answer custom_fields.attr8", at(t, patched, "custom_fields", "attr8"), big64)
		wantNumber(t, "patch answer raw.props.attr9", at(t, patched, "raw", "props", "attr9"), big53)

		r = e.send(http.MethodPost, "/v1/contacts/batch",
			`{"items": [{"name": "Big Batch", "external_ids": [{"channel": "big.example.com", "id": "big-2"}], "custom_fields": `+both+`}]}`)
		r.ok(t, http.StatusOK)
		batchID, _ := at(t, exact(t, r.Body), "results", "0", "id").(string)
		wantNumber(t, "vendor attr8 after batch", stored(batchID)["attr8"], big53)
		wantNumber(t, "vendor attr9 after batch", stored(batchID)["attr9"], big64)

		native := strings.TrimPrefix(id, "lf_")
		e.sim.ResetRequests()
		r = e.send(http.MethodPost, "/v1/passthrough",
			`{"method": "PUT", "path": "/v2/contacts/`+native+`", "body": {"id": `+native+`, "props": {"attr8": `+big53+`, "attr9": `+big64+`}}}`)
		r.ok(t, http.StatusOK)
		var sent []byte
		for _, rr := range e.sim.Requests() {
			if rr.Method == http.MethodPut {
				sent = rr.Body
			}
		}
		wantNumber(t, "passthrough body sent props.attr9", at(t, exact(t, sent), "props", "attr9"), big64)
		wantNumber(t, "vendor attr8 after passthrough", stored(id)["attr8"], big53)
		wantNumber(t, "passthrough answer body.props.attr9", at(t, exact(t, r.Body), "body", "props", "attr9"), big64)
	})
}
