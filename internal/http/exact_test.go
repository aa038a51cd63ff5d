package http

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// TestRawKeepsTheVendorsBytes: raw records pass through as bytes, numbers
// exact; a record that is not an object is wrapped so raw stays an object.
func TestRawKeepsTheVendorsBytes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"id":9007199254740993,"v":12345678901234567890,"n":null}`: `{"id":9007199254740993,"v":12345678901234567890,"n":null}`,
		` [1,2] `: `{"value":[1,2]}`,
		`"x"`:     `{"value":"x"}`,
	} {
		got := raw(json.RawMessage(in))
		if got == nil || string(*got) != want {
			t.Errorf("raw(%s) = %s, want %s", in, deref(got), want)
		}
	}
	if raw(nil) != nil {
		t.Error("raw(nil) is not nil")
	}
}

// TestJSONObjectKeepsNumbers: numbers at any depth decode as json.Number
// and encode as they came.
func TestJSONObjectKeepsNumbers(t *testing.T) {
	t.Parallel()
	in := `{"a":9007199254740993,"b":[12345678901234567890,1.50],"c":{"d":-0.1e400},"e":null}`
	var o JSONObject
	if err := json.Unmarshal([]byte(in), &o); err != nil {
		t.Fatal(err)
	}
	if n, ok := o["a"].(json.Number); !ok || n != "9007199254740993" {
		t.Fatalf("a = %#v", o["a"])
	}
	out, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":9007199254740993,"b":[12345678901234567890,1.50],"c":{"d":-0.1e400},"e":null}`; string(out) != want {
		t.Fatalf("encoded %s, want %s", out, want)
	}
	if err := json.Unmarshal([]byte(`[1]`), &o); err == nil {
		t.Fatal("an array decoded as an object")
	}
}

// TestEventPropertiesKeepNumbers: an event's properties and raw record go
// out as the adapter read them (numbers as json.Number), digit for digit.
func TestEventPropertiesKeepNumbers(t *testing.T) {
	t.Parallel()
	e := toEvent(domain.Event{ID: "lf_1", Event: "UDE_X",
		Properties: map[string]any{"n": json.Number("12345678901234567890")},
		Raw:        json.RawMessage(`{"attr9":9007199254740993}`)})
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"properties":{"n":12345678901234567890}`, `"raw":{"attr9":9007199254740993}`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s lacks %s", out, want)
		}
	}
}
