package domain

// Vendor names a CDP vendor the gateway can talk to.
type Vendor string

// The vendors the canonical API knows.
const (
	Linkflow Vendor = "linkflow"
	Meihua   Vendor = "meihua"
	NXCloud  Vendor = "nxcloud"
	Miaokol  Vendor = "miaokol"
)

// Vendors lists every known vendor in a stable order.
var Vendors = []Vendor{Linkflow, Meihua, NXCloud, Miaokol}

var vendorPrefix = map[Vendor]string{
	Linkflow: "lf",
	Meihua:   "mh",
	NXCloud:  "nx",
	Miaokol:  "mk",
}

// Prefix is the two-letter prefix of this vendor's canonical ids.
func (v Vendor) Prefix() string { return vendorPrefix[v] }

// Valid reports whether v is a known vendor.
func (v Vendor) Valid() bool { _, ok := vendorPrefix[v]; return ok }

// ParseVendor returns the vendor named s.
func ParseVendor(s string) (Vendor, bool) {
	v := Vendor(s)
	return v, v.Valid()
}

func vendorByPrefix(p string) (Vendor, bool) {
	for v, vp := range vendorPrefix {
		if vp == p {
			return v, true
		}
	}
	return "", false
}

// String returns the vendor's name.
func (v Vendor) String() string { return string(v) }
