package domain

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestStoredInputRoundTrip: every field a ContactInput can set survives a
// bulk job's storage, custom numbers digit for digit.
func TestStoredInputRoundTrip(t *testing.T) {
	t.Parallel()
	bd := time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)
	var c Contact
	for _, f := range ContactFields {
		if p := c.StringField(f); p != nil {
			*p = "v-" + string(f)
		}
	}
	c.Gender, c.Birthday = GenderFemale, &bd
	c.ExternalIDs = []ExternalID{{Channel: "wechat", ID: "o1", Type: "openid"}, {Channel: "web", ID: "u2"}}
	c.CustomFields = map[string]any{"big": json.Number("9007199254740993"), "s": "x", "list": []any{"a"}}
	in := ContactInput{Contact: c}
	b, err := json.Marshal(storeInput(in))
	if err != nil {
		t.Fatal(err)
	}
	var back storedInput
	if err := decodeExact(b, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.input(); !reflect.DeepEqual(got, in) {
		t.Fatalf("stored %s\ngot  %+v\nwant %+v", b, got, in)
	}
	if b, _ := json.Marshal(storeInput(ContactInput{Contact: Contact{Name: "n"}})); string(b) != `{"f":{"name":"n"}}` {
		t.Fatalf("a contact with a name is stored as %s", b)
	}
}
