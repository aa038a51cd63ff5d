package domain

import "time"

// SetCutoverSettle makes cut-overs look every d (at least a millisecond)
// whether the writes they wait for have ended, until the returned restore
// is called (tests). The name is the hook's from when a cut-over waited a
// fixed time; tests that set it to 0 want a quick cut-over, which it is
// now without writes running.
func SetCutoverSettle(d time.Duration) (restore func()) {
	old := cutoverPoll
	cutoverPoll = max(d, time.Millisecond)
	return func() { cutoverPoll = old }
}

// RestWithin is restWithin (tests).
var RestWithin = restWithin
