package http

import (
	"bytes"
	"encoding/json"
)

// JSONObject is a free-form JSON object (custom field values) whose
// numbers keep every digit: vendor values exceed 2^53, and encoding/json
// would decode them into float64 (9007199254740993 becomes …992). It is
// the generated CustomFields type (x-go-type in api/openapi.yaml). Numbers
// are json.Number, which encode as written.
type JSONObject map[string]any

// UnmarshalJSON decodes an object with numbers as json.Number.
func (o *JSONObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	*o = m
	return nil
}
