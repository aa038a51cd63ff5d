package domain

import "time"

// SetCutoverSettle makes cut-overs wait d after freezing writes, until
// the returned restore is called (tests).
func SetCutoverSettle(d time.Duration) (restore func()) {
	old := cutoverSettle
	cutoverSettle = d
	return func() { cutoverSettle = old }
}
