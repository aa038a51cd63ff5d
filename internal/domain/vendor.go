package domain

import (
	"fmt"
	"regexp"
	"strings"
)

// Vendor names a CDP vendor the gateway can talk to, as the tenants file
// and the API spell it. Which vendors a gateway knows is not written here:
// it comes from the vendor drivers it is built with (see Vendors).
type Vendor string

// String returns the vendor's name.
func (v Vendor) String() string { return string(v) }

// VendorInfo is how one vendor appears in the canonical API: its name and
// the two-letter prefix of its canonical ids ("lf" in "lf_2865"). The
// prefix is part of the public id format: changing it breaks every id a
// caller has stored.
type VendorInfo struct {
	Name   Vendor
	Prefix string
	// IDKind is how the vendor writes its own ids; it fixes the one
	// canonical spelling ParseID accepts (zero: opaque text).
	IDKind IDKind
}

var (
	vendorName   = regexp.MustCompile(`^[a-z][a-z0-9]{1,31}$`)
	vendorPrefix = regexp.MustCompile(`^[a-z]{2}$`)
)

// Vendors is the set of vendors a gateway knows, in a stable order. It
// formats and parses canonical ids: an id whose prefix names another known
// vendor is a mismatch (409), one whose prefix names no vendor is invalid
// input (400).
type Vendors struct {
	list     []Vendor
	prefix   map[Vendor]string
	byPrefix map[string]Vendor
	kind     map[Vendor]IDKind
}

// NewVendors checks infos (names and prefixes well formed and unique) and
// returns the set, in the order given.
func NewVendors(infos ...VendorInfo) (*Vendors, error) {
	vs := &Vendors{prefix: make(map[Vendor]string, len(infos)), byPrefix: make(map[string]Vendor, len(infos)), kind: make(map[Vendor]IDKind, len(infos))}
	for _, in := range infos {
		switch {
		case !vendorName.MatchString(string(in.Name)):
			return nil, fmt.Errorf("vendor name %q: want 2-32 lower-case letters and digits, starting with a letter", in.Name)
		case !vendorPrefix.MatchString(in.Prefix):
			return nil, fmt.Errorf("vendor %s: id prefix %q is not two lower-case letters", in.Name, in.Prefix)
		case !in.IDKind.valid():
			return nil, fmt.Errorf("vendor %s: unknown id kind %d", in.Name, in.IDKind)
		}
		if _, dup := vs.prefix[in.Name]; dup {
			return nil, fmt.Errorf("vendor %s is listed twice", in.Name)
		}
		if other, dup := vs.byPrefix[in.Prefix]; dup {
			return nil, fmt.Errorf("vendors %s and %s share the id prefix %q", other, in.Name, in.Prefix)
		}
		vs.list = append(vs.list, in.Name)
		vs.prefix[in.Name] = in.Prefix
		vs.byPrefix[in.Prefix] = in.Name
		vs.kind[in.Name] = in.IDKind
	}
	return vs, nil
}

// List returns the known vendors in their stable order.
func (vs *Vendors) List() []Vendor { return append([]Vendor(nil), vs.list...) }

// Known reports whether v is one of the set.
func (vs *Vendors) Known(v Vendor) bool { _, ok := vs.prefix[v]; return ok }

// Prefix is the two-letter prefix of v's canonical ids ("" for an unknown vendor).
func (vs *Vendors) Prefix(v Vendor) string { return vs.prefix[v] }

// String lists the vendors' names, for messages.
func (vs *Vendors) String() string {
	names := make([]string, len(vs.list))
	for i, v := range vs.list {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}
