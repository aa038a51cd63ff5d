// Package domain is the canonical model of cdp-gateway and the Service that
// routes a tenant's call to its vendor.
//
// It knows nothing of HTTP, Redis or any vendor. Vendor adapters implement
// the small port interfaces in ports.go (one per capability); what a vendor
// can do is derived from which of them its adapter satisfies
// (capabilities.go). Adapters work with the vendor's own ids; the Service
// adds and checks the vendor prefix (ids.go), signs and checks cursors
// (cursor.go), validates input, and splits batches into the vendor's chunk
// size, so every adapter gets the same behaviour. The resilience of vendor
// calls (quota, breaker, retries, timeouts, tokens) is not the Service's:
// each adapter sends its calls through its connection's vendorhttp.Client.
//
// The Service lives in one file per resource (contacts.go, events.go,
// tags.go, groups.go, fields.go, passthrough.go, and tenants.go for the
// operators' side); service.go holds its construction and the generic
// helpers every operation is built from (get, rename, remove, create, list
// …), which fix the order of its checks: unsupported operation first, then
// ids, then the operation's own input checks.
//
// The state the gateway keeps (bindings.go, tokens.go, quota.go,
// idempotency.go) is described here as ports too; internal/adapters/memory
// implements them in process and internal/adapters/redis across replicas,
// and both pass the contract suites in storetest.
package domain
