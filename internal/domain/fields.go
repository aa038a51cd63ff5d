package domain

import "context"

// ListFields lists custom field definitions.
func (s *Service) ListFields(ctx context.Context, t Target, o ListOptions) (List[FieldDef], error) {
	return listAll(ctx, s, t, OpListFields, o, FieldLister.ListFields)
}

// CreateField creates a custom field definition.
func (s *Service) CreateField(ctx context.Context, t Target, in FieldInput) (FieldDef, error) {
	c, err := port[FieldCreator](t.conn, OpCreateField)
	if err != nil {
		return FieldDef{}, err
	}
	if len(in.Options) > 0 && in.Type != FieldTypeSelect && in.Type != FieldTypeMultiSelect {
		return FieldDef{}, Invalid("body.options", "is only allowed for select and multiselect fields")
	}
	f, err := c.CreateField(ctx, in)
	if err == nil {
		// The next write reads the definitions again, so the new field is
		// known at once.
		s.fieldDefs.forget(t)
	}
	return answer(t, f, err)
}

// canonField prefixes the field definition's id; its key is not an id,
// but the tenant's name of it where the tenant named it.
func canonField(t Target, f *FieldDef) {
	f.ID = t.id(f.ID)
	f.Key = t.names.name(f.Key)
}
