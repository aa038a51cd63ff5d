package meihuatest

import (
	"slices"
	"strconv"
)

const (
	propertyText     = 1
	propertyDropdown = 2
)

// propertyInput is what /contact/property/add and /edit take.
type propertyInput struct {
	label, description string
	fieldType          int
	options            []string
	hasOptions         bool
}

func readPropertyInput(p params) (propertyInput, error) {
	var in propertyInput
	var err error
	if in.label, err = p.required("label"); err != nil {
		return in, err
	}
	ft, err := p.required("fieldType")
	if err != nil {
		return in, err
	}
	if in.fieldType, err = strconv.Atoi(ft); err != nil || (in.fieldType != propertyText && in.fieldType != propertyDropdown) {
		return in, invalid("fieldType must be 1 or 2, got %q", ft)
	}
	if in.description, err = p.required("description"); err != nil {
		return in, err
	}
	if p.optional("subpropertys") == "" {
		return in, nil
	}
	var subs []map[string]any
	if err := p.jsonParam("subpropertys", &subs); err != nil {
		return in, err
	}
	in.hasOptions = true
	in.options = []string{}
	for i, sub := range subs {
		label, _ := sub["label"].(string)
		if isBlank(label) {
			return in, invalid("subpropertys[%d].label is missing", i)
		}
		in.options = append(in.options, label)
	}
	return in, nil
}

// apply sets the property from in: options only for a dropdown, kept when
// an edit gives none.
func (in propertyInput) apply(prop *Property) {
	prop.Label, prop.Description, prop.FieldType = in.label, in.description, in.fieldType
	switch {
	case in.fieldType == propertyText:
		prop.Options = nil
	case in.hasOptions:
		prop.Options = slices.Clone(in.options)
	}
}

// addProperty serves POST /contact/property/add; labels need not be
// unique, and the answer does not carry the new id.
func (s *Server) addProperty(p params) (any, error) {
	in, err := readPropertyInput(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prop := &Property{ID: s.newID(), CreateTime: s.nowMillis()}
	in.apply(prop)
	s.props[prop.ID] = prop
	return "success", nil
}

// editProperty serves POST /contact/property/edit; an unknown id is
// E10103.
func (s *Server) editProperty(p params) (any, error) {
	id, err := p.requiredInt("id")
	if err != nil {
		return nil, err
	}
	in, err := readPropertyInput(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prop, ok := s.props[id]
	if !ok {
		return nil, invalid("no property %d", id)
	}
	in.apply(prop)
	return "success", nil
}

type propertyItem struct {
	Description string `json:"description"`
	ID          int64  `json:"id"`
	Label       string `json:"label"`
	Type        int    `json:"type"`
}

// listProperties serves POST /contact/property/all, by id.
func (s *Server) listProperties(params) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []propertyItem{}
	for _, id := range sortedKeys(s.props) {
		prop := s.props[id]
		out = append(out, propertyItem{Description: prop.Description, ID: id, Label: prop.Label, Type: prop.FieldType})
	}
	return out, nil
}

// deleteProperty serves POST /contact/property/delete: one id, whose
// values go with it. An unknown id answers success.
func (s *Server) deleteProperty(p params) (any, error) {
	id, err := p.requiredInt("id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.props, id)
	for _, c := range s.contacts {
		delete(c.Properties, id)
	}
	return "success", nil
}
