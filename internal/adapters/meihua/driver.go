// Package meihua is the gateway's driver for Meihua (梅花).
//
// This build has no Meihua adapter yet: the driver declares the vendor,
// so that its ids (mh_…) are recognised, tenants can be switched to a
// Meihua connection in the sandbox, and every operation answers
// UNSUPPORTED_OPERATION, as its capabilities say. A tenants file cannot
// configure a Meihua connection until the adapter lands.
package meihua

import (
	"time"

	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is Meihua to the gateway.
var Driver = vendorhttp.Driver{
	Vendor:   "meihua",
	IDPrefix: "mh",
	IDKind:   domain.IDInteger, // contacts, groups, tags, properties: integer ids
	Defaults: defaults(),
}

// defaults count calls against Meihua's base plan: 2000 calls per hour.
func defaults() vendorhttp.Settings {
	s := vendorhttp.DefaultSettings()
	s.Quota = vendorhttp.Quota{Calls: 2000, Per: time.Hour}
	return s
}
