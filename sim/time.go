package sim

import (
	"math"
	"time"
)

// Time is a point on the virtual clock: nanoseconds since the scenario
// started. It is an integer so that comparisons are exact and a run is
// reproducible; spans between two Times are ordinary time.Durations.
type Time int64

// maxTime is the largest representable Time. Add saturates at it, so
// After(math.MaxInt64) schedules an event no bounded Run reaches, instead of
// wrapping into the past and panicking.
const maxTime = Time(math.MaxInt64)

// Add returns t+d, saturating at the largest Time (and at the smallest for a
// large negative d) rather than wrapping around.
func (t Time) Add(d time.Duration) Time {
	s := t + Time(d)
	// Overflow happened iff d and t have the same sign and the sum's sign differs.
	if d > 0 && s < t {
		return maxTime
	}
	if d < 0 && s > t {
		return Time(math.MinInt64)
	}
	return s
}

// Sub returns the duration t-u, saturating like time.Time.Sub.
func (t Time) Sub(u Time) time.Duration {
	d := time.Duration(t - u)
	if u < 0 && d < time.Duration(t) { // t - (negative) overflowed upwards
		return time.Duration(math.MaxInt64)
	}
	if u > 0 && d > time.Duration(t) { // t - (positive) overflowed downwards
		return time.Duration(math.MinInt64)
	}
	return d
}

// Seconds returns t as seconds since the scenario started.
func (t Time) Seconds() float64 { return time.Duration(t).Seconds() }

// String formats t as a duration since the scenario started, e.g. "1m30s".
func (t Time) String() string { return time.Duration(t).String() }
