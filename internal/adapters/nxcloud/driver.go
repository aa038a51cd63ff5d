// Package nxcloud is the gateway's driver for NXCloud (牛信云).
//
// This build has no NXCloud adapter yet: the driver declares the vendor,
// so that its ids (nx_…) are recognised, tenants can be switched to an
// NXCloud connection in the sandbox, and every operation answers
// UNSUPPORTED_OPERATION, as its capabilities say. A tenants file cannot
// configure an NXCloud connection until the adapter lands.
package nxcloud

import (
	"github.com/cdp-gateway/cdp-gateway/internal/adapters/vendorhttp"
	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// Driver is NXCloud to the gateway.
var Driver = vendorhttp.Driver{
	Vendor:   "nxcloud",
	IDPrefix: "nx",
	IDKind:   domain.IDInteger, // customer and tag ids are 64-bit integers (Long)
	Defaults: vendorhttp.DefaultSettings(),
}
