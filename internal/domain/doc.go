// Package domain is the canonical model of cdp-gateway and the Service that
// routes a tenant's call to its vendor.
//
// It knows nothing of HTTP, Redis or any vendor. Vendor adapters implement
// the small port interfaces in ports.go (one per capability); what a vendor
// can do is derived from which of them its adapter satisfies
// (capabilities.go). Adapters work with the vendor's own ids; the Service
// adds and checks the vendor prefix (ids.go), signs and checks cursors
// (cursor.go), validates input, and splits batches into the vendor's chunk
// size, so every adapter gets the same behaviour.
package domain
