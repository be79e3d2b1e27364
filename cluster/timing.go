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
	// ImagePullError is how long a pull that fails (ImageBehavior.PullError)
	// takes to fail: the registry answers an error, nothing is downloaded.
	ImagePullError Delay `yaml:"imagePullError"`

	// NodeLeaseDuration is the kubelet's nodeLeaseDurationSeconds: the
	// Lease's spec.leaseDurationSeconds, renewed every quarter of it
	// (pkg/kubelet/kubelet.go nodeLeaseRenewIntervalFraction). Zero means
	// DefaultNodeLeaseDuration.
	NodeLeaseDuration time.Duration `yaml:"nodeLeaseDuration"`
	// NodeStatusUpdateFrequency is how often the kubelet computes its node
	// status, posting it when it changed. Zero means
	// DefaultNodeStatusUpdateFrequency.
	NodeStatusUpdateFrequency time.Duration `yaml:"nodeStatusUpdateFrequency"`
	// NodeStatusReportFrequency is how often the kubelet posts an unchanged
	// status (its heartbeat in the Ready condition). Zero means
	// DefaultNodeStatusReportFrequency.
	NodeStatusReportFrequency time.Duration `yaml:"nodeStatusReportFrequency"`
	// HeartbeatJitter is the jitter factor of the kubelet's heartbeat loops
	// (wait.JitterUntil: each wait is period × (1 + HeartbeatJitter × U[0,1)),
	// upstream 0.04). When it is positive, the post after a status change
	// also draws upstream's random offset of ±50% of NodeStatusReportFrequency
	// for the next unchanged post (kubelet_node_status.go calculateDelay).
	// Zero makes heartbeats exactly periodic.
	HeartbeatJitter float64 `yaml:"heartbeatJitter"`
}

// Kubelet heartbeat defaults (pkg/kubelet/apis/config/v1beta1/defaults.go).
const (
	DefaultNodeLeaseDuration         = 40 * time.Second
	DefaultNodeStatusUpdateFrequency = 10 * time.Second
	DefaultNodeStatusReportFrequency = 5 * time.Minute
	// DefaultHeartbeatJitter is the jitter factor of the kubelet's lease and
	// node status loops (kubelet.go Run, lease controller Run: 0.04).
	DefaultHeartbeatJitter = 0.04
)

// DefaultTiming: watch propagation of a healthy apiserver (~10ms); image pulls
// of a small image from a nearby registry (median 2s, p99 10s); a pull the
// registry refuses fails in about 300ms (p99 2s); runtime create+start
// ~300ms (p99 1s); most servers exit within a second of SIGTERM; kubelet
// heartbeats at their upstream defaults.
func DefaultTiming() Timing {
	return Timing{
		WatchLatency:   DefaultWatchLatency,
		ImagePull:      Delay{Median: 2 * time.Second, P99: 10 * time.Second},
		ContainerStart: Delay{Median: 300 * time.Millisecond, P99: time.Second},
		ContainerStop:  Delay{Median: 500 * time.Millisecond, P99: 2 * time.Second},
		ImagePullError: Delay{Median: 300 * time.Millisecond, P99: 2 * time.Second},

		NodeLeaseDuration:         DefaultNodeLeaseDuration,
		NodeStatusUpdateFrequency: DefaultNodeStatusUpdateFrequency,
		NodeStatusReportFrequency: DefaultNodeStatusReportFrequency,
		HeartbeatJitter:           DefaultHeartbeatJitter,
	}
}
