package cluster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Delay is a latency with a log-normal distribution given by its median and
// 99th percentile; P99 zero (or equal to the median) makes it fixed. Real
// startup and pull latencies are right-skewed, which a log-normal captures
// with two numbers a user can read off a dashboard.
type Delay struct {
	Median time.Duration `yaml:"median"`
	P99    time.Duration `yaml:"p99"`
}

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// Fixed is a Delay that is always d.
func Fixed(d time.Duration) Delay { return Delay{Median: d} }

// Validate rejects negative values and a p99 below the median.
func (d Delay) Validate() error {
	if d.Median < 0 || d.P99 < 0 {
		return fmt.Errorf("negative duration")
	}
	if d.P99 != 0 && d.P99 < d.Median {
		return fmt.Errorf("p99 %v is below the median %v", d.P99, d.Median)
	}
	return nil
}

// Sample draws one value from r. It samples the normal directly rather than
// through gonum distuv, which allocates per sample when given a source.
func (d Delay) Sample(r *rand.Rand) time.Duration {
	if d.P99 <= d.Median || d.Median <= 0 {
		return d.Median
	}
	sigma := math.Log(float64(d.P99)/float64(d.Median)) / z99
	return time.Duration(float64(d.Median) * math.Exp(sigma*r.NormFloat64()))
}

// Timing is the latency model of the simulated data plane. Every field has a
// documented default (DefaultTiming) and can be overridden under spec.timing.
type Timing struct {
	// WatchLatency is the time from a store write to its watch delivery.
	WatchLatency time.Duration `yaml:"watchLatency"`
	// ImagePull is an uncached image pull; a cached image takes no time.
	ImagePull Delay `yaml:"imagePull"`
	// ContainerStart is create + start of one container by the runtime.
	ContainerStart Delay `yaml:"containerStart"`
	// ContainerStop is how long a process takes to exit after SIGTERM; the
	// kubelet kills it at the grace period.
	ContainerStop Delay `yaml:"containerStop"`
	// PreStop is the run time of an exec or httpGet preStop hook (a sleep
	// hook takes exactly its seconds).
	PreStop time.Duration `yaml:"preStop"`
}

// DefaultTiming: watch propagation of a healthy apiserver (~10ms); image pulls
// of a small image from a nearby registry (median 2s, p99 10s); runtime
// create+start ~300ms (p99 1s); most servers exit within a second of SIGTERM.
func DefaultTiming() Timing {
	return Timing{
		WatchLatency:   DefaultWatchLatency,
		ImagePull:      Delay{Median: 2 * time.Second, P99: 10 * time.Second},
		ContainerStart: Delay{Median: 300 * time.Millisecond, P99: time.Second},
		ContainerStop:  Delay{Median: 500 * time.Millisecond, P99: 2 * time.Second},
	}
}
