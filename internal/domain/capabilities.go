package domain

// Operation names a tenant operation of the canonical API; the names are
// the operationIds of api/openapi.yaml.
type Operation string

// Tenant operations.
const (
	OpListContacts        Operation = "listContacts"
	OpGetContact          Operation = "getContact"
	OpCreateContact       Operation = "createContact"
	OpUpdateContact       Operation = "updateContact"
	OpDeleteContact       Operation = "deleteContact"
	OpBatchUpsertContacts Operation = "batchUpsertContacts"
	OpSetContactTags      Operation = "setContactTags"
	OpListContactGroups   Operation = "listContactGroups"
	OpListContactEvents   Operation = "listContactEvents"
	OpRecordEvent         Operation = "recordEvent"
	OpListTags            Operation = "listTags"
	OpCreateTag           Operation = "createTag"
	OpRenameTag           Operation = "renameTag"
	OpDeleteTag           Operation = "deleteTag"
	OpListTagGroups       Operation = "listTagGroups"
	OpCreateTagGroup      Operation = "createTagGroup"
	OpRenameTagGroup      Operation = "renameTagGroup"
	OpDeleteTagGroup      Operation = "deleteTagGroup"
	OpListGroups          Operation = "listGroups"
	OpGetGroup            Operation = "getGroup"
	OpCreateGroup         Operation = "createGroup"
	OpDeleteGroup         Operation = "deleteGroup"
	OpListGroupMembers    Operation = "listGroupMembers"
	OpAddGroupMembers     Operation = "addGroupMembers"
	OpRemoveGroupMembers  Operation = "removeGroupMembers"
	OpListFields          Operation = "listFields"
	OpCreateField         Operation = "createField"
	OpPassthrough         Operation = "passthrough"
)

// OpStartAuthorization is the admin operation that connects a tenant to
// a vendor with OAuth; it is not a tenant operation and has no entry in
// the capabilities.
const OpStartAuthorization Operation = "startAuthorization"

// operationPorts says which port serves each operation. It is the only
// place that ties operations to interfaces; what a vendor supports is always
// computed from its adapter through it.
var operationPorts = []struct {
	op       Operation
	supports func(Connection) bool
}{
	{OpListContacts, is[ContactLister]},
	{OpGetContact, is[ContactGetter]},
	{OpCreateContact, is[ContactCreator]},
	{OpUpdateContact, is[ContactUpdater]},
	{OpDeleteContact, is[ContactDeleter]},
	{OpBatchUpsertContacts, is[ContactBatchUpserter]},
	{OpSetContactTags, is[ContactTagSetter]},
	{OpListContactGroups, is[ContactGroupLister]},
	{OpListContactEvents, is[ContactEventLister]},
	{OpRecordEvent, is[EventRecorder]},
	{OpListTags, is[TagLister]},
	{OpCreateTag, is[TagCreator]},
	{OpRenameTag, is[TagRenamer]},
	{OpDeleteTag, is[TagDeleter]},
	{OpListTagGroups, is[TagGroupLister]},
	{OpCreateTagGroup, is[TagGroupCreator]},
	{OpRenameTagGroup, is[TagGroupRenamer]},
	{OpDeleteTagGroup, is[TagGroupDeleter]},
	{OpListGroups, is[GroupLister]},
	{OpGetGroup, is[GroupGetter]},
	{OpCreateGroup, is[GroupCreator]},
	{OpDeleteGroup, is[GroupDeleter]},
	{OpListGroupMembers, is[GroupMemberLister]},
	{OpAddGroupMembers, is[GroupMemberAdder]},
	{OpRemoveGroupMembers, is[GroupMemberRemover]},
	{OpListFields, is[FieldLister]},
	{OpCreateField, is[FieldCreator]},
	{OpPassthrough, is[Passthrougher]},
}

// conditionalPorts says which port lets each operation honour a
// precondition (If-Match); like operationPorts, it is the only place that
// ties them.
var conditionalPorts = []struct {
	op       Operation
	supports func(Connection) bool
}{
	{OpUpdateContact, is[ContactConditionalUpdater]},
	{OpDeleteContact, is[ContactConditionalDeleter]},
}

// ConditionalOperations lists the operations a vendor may let callers make
// conditional with If-Match, in a stable order.
func ConditionalOperations() []Operation {
	ops := make([]Operation, len(conditionalPorts))
	for i, p := range conditionalPorts {
		ops[i] = p.op
	}
	return ops
}

func is[T any](c Connection) bool { _, ok := c.(T); return ok }

// Operations lists every tenant operation in a stable order.
func Operations() []Operation {
	ops := make([]Operation, len(operationPorts))
	for i, p := range operationPorts {
		ops[i] = p.op
	}
	return ops
}

// Capabilities is what one connection can do. IfMatch lists the
// operations it can make conditional (the vendor keeps record versions).
type Capabilities struct {
	Vendor         Vendor
	Operations     map[Operation]bool
	ContactFilters []string
	IfMatch        []Operation
}

// CapabilitiesOf derives a connection's capabilities from the ports its adapter implements.
func CapabilitiesOf(c Connection) Capabilities {
	caps := Capabilities{Vendor: c.Vendor(), Operations: make(map[Operation]bool, len(operationPorts)), ContactFilters: []string{}}
	for _, p := range operationPorts {
		caps.Operations[p.op] = p.supports(c)
	}
	if l, ok := c.(ContactLister); ok {
		caps.ContactFilters = append(caps.ContactFilters, l.ContactFilters()...)
	}
	caps.IfMatch = []Operation{}
	for _, p := range conditionalPorts {
		if caps.Operations[p.op] && p.supports(c) {
			caps.IfMatch = append(caps.IfMatch, p.op)
		}
	}
	return caps
}

// conditional returns c as port T, which makes op conditional, or an
// *UnsupportedError saying the vendor cannot honour If-Match on op.
func conditional[T any](c Connection, op Operation) (T, error) {
	p, ok := c.(T)
	if !ok {
		var zero T
		return zero, &UnsupportedError{Vendor: c.Vendor(), Operation: op, IfMatch: true}
	}
	return p, nil
}

// version returns the version a write is conditional on, if any.
func version(pre []Precondition) (string, bool) {
	for _, p := range pre {
		if p.Version != "" {
			return p.Version, true
		}
	}
	return "", false
}

// port returns c as port T, or an *UnsupportedError naming op.
func port[T any](c Connection, op Operation) (T, error) {
	p, ok := c.(T)
	if !ok {
		var zero T
		return zero, &UnsupportedError{Vendor: c.Vendor(), Operation: op}
	}
	return p, nil
}

// bareConnection is a connection to a vendor this build has no adapter for.
type bareConnection struct{ v Vendor }

func (b bareConnection) Vendor() Vendor { return b.v }

// NewBareConnection returns a connection that supports no operation: every
// call answers UNSUPPORTED_OPERATION naming v. The sandbox uses it for
// vendors whose adapters do not exist yet.
func NewBareConnection(v Vendor) Connection { return bareConnection{v: v} }
