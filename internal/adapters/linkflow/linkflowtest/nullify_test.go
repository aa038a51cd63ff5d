package linkflowtest

import (
	"encoding/json"
	"testing"
	"time"
)

// nullifyEmpty's one-pass rewrite answers exactly what decoding into a map
// and encoding again answers (nullifyEmptySlow), on what json.Marshal
// writes for the simulator's types and on awkward objects.
func TestNullifyEmptyAsSlow(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 16, 7, 44, 20, 0, time.UTC)
	type awkward struct {
		Z     string            `json:"z"`
		A     string            `json:"a"`
		Esc   string            `json:"esc"`
		Nest  map[string]any    `json:"nest"`
		List  []any             `json:"list"`
		Empty map[string]string `json:"empty"`
		Num   float64           `json:"num"`
		Null  *int              `json:"null"`
		B     bool              `json:"b"`
	}
	var inputs [][]byte
	for _, v := range []any{
		Order{ID: 7, DateCreated: now, OrderID: "SO1", Props: map[string]any{"x": "", "y": 1}, Lines: []OrderLine{{ID: 8, ProductName: `"quoted" <b>&`}}},
		OrderLine{ID: 8, Props: map[string]any{"k": []any{"", map[string]any{"": ""}}}},
		UTM{Source: "wechat", Campaign: "双11"},
		awkward{Z: "", A: "a\"b\\", Esc: "\u2028<>&\\\"\t{}[],:", Nest: map[string]any{"a": "", "b": map[string]any{"c": "]}"}},
			List: []any{"", "{", 1.5e300, nil, true, []any{}}, Num: -0.25},
		map[string]any{},
		map[string]any{"only": ""},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	inputs = append(inputs, []byte(`{"b":1,"a":2}`), []byte(`{"a":""}`), []byte(`{ "a" : "" }`), []byte(`{"a\u0062":"","a":""}`),
		[]byte(`{"a":1,"a":""}`), []byte(`{"a":"x","b":[1,{"c":""}],"c":{"d":"}"}}`))
	for _, in := range inputs {
		want, werr := nullifyEmptySlow(in)
		got, err := nullifyEmpty(in)
		if string(got) != string(want) || (err == nil) != (werr == nil) {
			t.Errorf("nullifyEmpty(%s)\n got  %s %v\n want %s %v", in, got, err, want, werr)
		}
	}
}
