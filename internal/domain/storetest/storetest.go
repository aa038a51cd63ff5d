// Package storetest holds the contracts of the domain's state ports
// (BindingStore, IdempotencyStore, TokenStore, QuotaStore, JobStore,
// IDMapStore) as test suites. Every implementation, in-process or Redis,
// runs the same suite, so they cannot drift apart.
//
// A suite takes a factory that returns a fresh, empty store per call; the
// suite runs its cases as parallel subtests, each on its own store. Expiry
// is tested with short real durations, so factories take the durations the
// store must use where the port has any. Expiry cases only assert after a
// wait ("gone after 2x the TTL") or with durations of a minute and more
// ("still there"), so a slow machine cannot make them fail.
package storetest

import "github.com/cdp-gateway/cdp-gateway/internal/domain"

// workers is how many goroutines race in the concurrency cases.
const workers = 50

// The vendors the binding suite binds tenants to: a store keeps vendor
// names as opaque strings, so made-up names test it as well as real ones.
const (
	vendorA domain.Vendor = "vendora"
	vendorB domain.Vendor = "vendorb"
	vendorC domain.Vendor = "vendorc"
	vendorD domain.Vendor = "vendord"
)

var vendors = []domain.Vendor{vendorA, vendorB, vendorC, vendorD}
