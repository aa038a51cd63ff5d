// Package memory holds in-process implementations of the domain's state
// ports (domain.BindingStore, TokenStore, QuotaStore, IdempotencyStore,
// JobStore, IDMapStore) for a gateway that runs as one process: the
// sandbox, tests, a single replica.
// Their twins in internal/adapters/redis share the state across replicas;
// both pass the same contract suites (internal/domain/storetest), so a
// gateway behaves the same on either.
//
// Every store takes its clock from its options, so that tests can move
// time instead of waiting for it.
package memory

import "time"

// clock returns now, or time.Now when now is nil.
func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
