// Package miaokol is the gateway's driver for Miaokol (云真机).
//
// This build has no Miaokol adapter yet: the driver declares the vendor,
// so that its ids (mk_…) are recognised, tenants can be switched to a
// Miaokol connection in the sandbox, and every operation answers
// UNSUPPORTED_OPERATION, as its capabilities say. A tenants file cannot
// configure a Miaokol connection until the adapter lands.
package miaokol

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is Miaokol to the gateway.
var Driver = vendorhttp.Driver{
	Vendor:   "miaokol",
	IDPrefix: "mk",
	// Contacts are "<rel_wxid>~<contact_wxid>" (WeCom ids are strings):
	// ids are taken as written.
	IDKind:   domain.IDText,
	Defaults: vendorhttp.DefaultSettings(),
}
