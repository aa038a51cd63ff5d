package domain

import "time"

// PlanOf is planOf: a migration job's plan (tests).
var PlanOf = planOf

// SetCutoverFreeze makes cut-overs freeze writes for d at a time, until
// the returned restore is called (tests).
func SetCutoverFreeze(d time.Duration) (restore func()) {
	old := cutoverFreeze
	cutoverFreeze = d
	return func() { cutoverFreeze = old }
}

// MapKey is mapKey: the id map's key of a record's canonical id (tests).
var MapKey = mapKey
