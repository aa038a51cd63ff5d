package vendorhttp

import (
	"net/http"
	"time"
)

// CST is China Standard Time (UTC+8, no daylight saving): the zone of the
// timestamps vendors write without one ("2024-03-16 08:30:00"). Reading
// them as UTC would put every time eight hours off.
var CST = time.FixedZone("CST", 8*60*60)

// ParseCST reads value, a timestamp in layout without a zone, as China
// Standard Time and returns it in UTC. A fractional second after the
// seconds is accepted whatever the layout. It returns the zero time, which
// the canonical model treats as absent, when value is empty or does not
// fit layout: one odd vendor timestamp should not fail a whole list.
func ParseCST(layout, value string) time.Time {
	t, err := time.ParseInLocation(layout, value, CST)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// FromMillis converts epoch milliseconds to a UTC time; 0 and negative
// values, which vendors send for "never", are the zero time.
func FromMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// ParseDate reads the calendar date at the start of value
// ("yyyy-MM-dd", possibly followed by a time that does not matter for a
// date such as a birthday) as midnight UTC, the canonical form of a date.
// It returns nil when value does not start with a date.
func ParseDate(value string) *time.Time {
	if len(value) < len(time.DateOnly) {
		return nil
	}
	d, err := time.Parse(time.DateOnly, value[:len(time.DateOnly)])
	if err != nil {
		return nil
	}
	return &d
}

// DateSkew is how far now is ahead of the time in an answer's Date header
// (negative: behind), and whether the answer had a readable one. The
// header has whole seconds and the answer took time to arrive, so the
// figure is good to about a second plus the call's latency.
func DateSkew(h http.Header, now time.Time) (time.Duration, bool) {
	sent, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return 0, false
	}
	return now.Sub(sent), true
}
