package workloads

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
	"gopkg.in/yaml.v3"
)

// Duration is a Go duration string in YAML and JSON ("90s", "6h").
type Duration time.Duration

// D is the duration as time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

func parseDuration(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a value such as \"90s\" or \"6h\"", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return Duration(v), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"90s\" or \"6h\"")
	}
	v, err := parseDuration(s)
	*d = v
	return err
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration such as \"90s\" or \"6h\"", n.Line)
	}
	v, err := parseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Distribution types.
const (
	DistExponential = "exponential"
	DistLogNormal   = "logNormal"
	DistWeibull     = "weibull"
	DistFixed       = "fixed"
)

// Distribution is a distribution of durations, as a scenario writes it:
//
//	{type: exponential, mean: 6h}            # memoryless: a constant hazard rate
//	{type: logNormal, median: 5m, p99: 1h}   # repair times: right-skewed
//	{type: weibull, shape: 1.5, scale: 8h}   # shape > 1: wear-out, < 1: infant mortality
//	{type: fixed, value: 10m}
//
// Samples are drawn with gonum stat/distuv in seconds.
type Distribution struct {
	Type string `json:"type" yaml:"type"`
	// Mean of an exponential distribution (1/rate).
	Mean Duration `json:"mean,omitempty" yaml:"mean,omitempty"`
	// Median and 99th percentile of a log-normal distribution, as
	// cluster.Delay: mu = ln(median), sigma = ln(p99/median)/z(0.99).
	Median Duration `json:"median,omitempty" yaml:"median,omitempty"`
	P99    Duration `json:"p99,omitempty" yaml:"p99,omitempty"`
	// Shape (k) and Scale (lambda) of a Weibull distribution.
	Shape float64  `json:"shape,omitempty" yaml:"shape,omitempty"`
	Scale Duration `json:"scale,omitempty" yaml:"scale,omitempty"`
	// Value of a fixed distribution.
	Value Duration `json:"value,omitempty" yaml:"value,omitempty"`
}

// Exponential is an exponential distribution with the given mean.
func Exponential(mean time.Duration) Distribution {
	return Distribution{Type: DistExponential, Mean: Duration(mean)}
}

// LogNormal is a log-normal distribution with the given median and p99.
func LogNormal(median, p99 time.Duration) Distribution {
	return Distribution{Type: DistLogNormal, Median: Duration(median), P99: Duration(p99)}
}

// Weibull is a Weibull distribution with shape k and scale lambda.
func Weibull(shape float64, scale time.Duration) Distribution {
	return Distribution{Type: DistWeibull, Shape: shape, Scale: Duration(scale)}
}

// Fixed is a distribution that is always d.
func Fixed(d time.Duration) Distribution { return Distribution{Type: DistFixed, Value: Duration(d)} }

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// Validate checks the parameters the type needs and rejects the others, so
// a misplaced field is an error rather than ignored.
func (d Distribution) Validate() error {
	set := map[string]bool{"mean": d.Mean != 0, "median": d.Median != 0, "p99": d.P99 != 0,
		"shape": d.Shape != 0, "scale": d.Scale != 0, "value": d.Value != 0}
	var need []string
	switch d.Type {
	case DistExponential:
		need = []string{"mean"}
	case DistLogNormal:
		need = []string{"median", "p99"}
		if d.P99 != 0 && d.P99 <= d.Median {
			return fmt.Errorf("logNormal: p99 %v must be above the median %v", d.P99, d.Median)
		}
	case DistWeibull:
		need = []string{"shape", "scale"}
		if d.Shape < 0 || math.IsNaN(d.Shape) || math.IsInf(d.Shape, 0) {
			return fmt.Errorf("weibull: shape must be a positive number, got %v", d.Shape)
		}
	case DistFixed:
		if d.Value == 0 {
			return fmt.Errorf("fixed: value must be positive")
		}
		need = []string{"value"}
	case "":
		return fmt.Errorf("type is required (%s, %s, %s or %s)", DistExponential, DistLogNormal, DistWeibull, DistFixed)
	default:
		return fmt.Errorf("unknown type %q (want %s, %s, %s or %s)", d.Type, DistExponential, DistLogNormal,
			DistWeibull, DistFixed)
	}
	for _, f := range need {
		if !set[f] {
			return fmt.Errorf("%s: %s must be positive", d.Type, f)
		}
		delete(set, f)
	}
	for _, f := range []string{"mean", "median", "p99", "shape", "scale", "value"} {
		if set[f] {
			return fmt.Errorf("%s: field %s does not apply", d.Type, f)
		}
	}
	return nil
}

// sampler returns a function drawing durations from src. It panics on an
// invalid distribution: Validate first.
func (d Distribution) sampler(src *rand.Rand) func() time.Duration {
	if err := d.Validate(); err != nil {
		panic(fmt.Sprintf("workloads: invalid distribution %+v: %v", d, err))
	}
	var r interface{ Rand() float64 }
	switch d.Type {
	case DistExponential:
		r = distuv.Exponential{Rate: 1 / d.Mean.D().Seconds(), Src: src}
	case DistLogNormal:
		r = distuv.LogNormal{Mu: math.Log(d.Median.D().Seconds()),
			Sigma: math.Log(float64(d.P99)/float64(d.Median)) / z99, Src: src}
	case DistWeibull:
		r = distuv.Weibull{K: d.Shape, Lambda: d.Scale.D().Seconds(), Src: src}
	case DistFixed:
		v := d.Value.D()
		return func() time.Duration { return v }
	}
	return func() time.Duration { return secondsToDuration(r.Rand()) }
}

// secondsToDuration converts a sample, saturating rather than overflowing
// for the far tail.
func secondsToDuration(s float64) time.Duration {
	ns := s * 1e9
	if ns >= math.MaxInt64 || math.IsNaN(ns) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(max(ns, 0))
}
