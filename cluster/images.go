package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ImageBehavior is how a container image behaves in a simulation. The zero
// value is a well-behaved image: it pulls, its containers run until they are
// stopped, and their probes succeed. A scenario declares behaviours by image
// name (ImageCatalog), e.g.
//
//	images:
//	  "nginx:bad": {pullError: "manifest unknown"}
//	  "crashy:1": {exitAfter: 5s, exitCode: 1}
//	  "batch:1": {exitAfter: {median: 2m, p99: 10m}}
//	  "leaky:1": {livenessFailAfter: 3m}
//	  "flaky:1": {readinessFlapPeriod: 30s}
//	  "big:1": {sizeBytes: 1Gi}
type ImageBehavior struct {
	// PullError makes every pull of the image fail with this message (what
	// the registry or runtime answers, e.g. "manifest unknown"): the
	// container waits in ErrImagePull, then ImagePullBackOff, retried with
	// the kubelet's image back-off (10s doubling to 300s).
	PullError string `json:"pullError,omitempty" yaml:"pullError,omitempty"`
	// SizeBytes is the image's size, reported in the node's status.images
	// (read by the scheduler's ImageLocality) and in the Pulled event. In
	// YAML a byte count or a quantity ("180Mi"). Zero means unknown.
	SizeBytes int64 `json:"sizeBytes,omitempty" yaml:"sizeBytes,omitempty"`
	// ExitAfter makes the container's process exit on its own this long
	// after it starts: a duration ("5s") or a log-normal {median, p99}. Nil
	// means it runs until it is stopped.
	ExitAfter *Delay `json:"exitAfter,omitempty" yaml:"exitAfter,omitempty"`
	// ExitCode is the exit code of that exit: 0 terminates the container as
	// Completed, anything else as Error. The pod's restartPolicy decides
	// what follows (CrashLoopBackOff, or phase Succeeded or Failed).
	ExitCode int32 `json:"exitCode,omitempty" yaml:"exitCode,omitempty"`
	// LivenessFailAfter makes the container's liveness probe fail from this
	// long after the container starts; after failureThreshold failed probes
	// the kubelet kills and restarts it. It has no effect on a container
	// without a livenessProbe (nothing probes it). Zero means never.
	LivenessFailAfter time.Duration `json:"livenessFailAfter,omitempty" yaml:"livenessFailAfter,omitempty"`
	// ReadinessFlapPeriod makes the container's readiness endpoint alternate:
	// healthy for this long from the container's start, failing for as long,
	// and so on; the readiness probe's thresholds turn that into Ready
	// flapping. It has no effect on a container without a readinessProbe.
	// Zero means the endpoint is always healthy.
	ReadinessFlapPeriod time.Duration `json:"readinessFlapPeriod,omitempty" yaml:"readinessFlapPeriod,omitempty"`
}

// ImageCatalog maps an image reference, exactly as written in a container's
// image field ("nginx:1.27"), to its behaviour. Images not listed behave
// well and have an unknown size.
type ImageCatalog map[string]ImageBehavior

// Lookup returns the behaviour of image (the zero value if not listed).
func (c ImageCatalog) Lookup(image string) ImageBehavior { return c[image] }

// Validate checks every entry, in image order, naming the first bad one.
func (c ImageCatalog) Validate() error {
	names := make([]string, 0, len(c))
	for name := range c {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "" {
			return fmt.Errorf("images: empty image name")
		}
		if err := c[name].Validate(); err != nil {
			return fmt.Errorf("images[%s]: %w", name, err)
		}
	}
	return nil
}

// Validate rejects negative durations and sizes, exit codes outside 0–255,
// and an exit code without exitAfter.
func (b ImageBehavior) Validate() error {
	if b.SizeBytes < 0 {
		return fmt.Errorf("sizeBytes: must not be negative")
	}
	if b.ExitAfter != nil {
		if err := b.ExitAfter.Validate(); err != nil {
			return fmt.Errorf("exitAfter: %w", err)
		}
	}
	if b.ExitCode < 0 || b.ExitCode > 255 {
		return fmt.Errorf("exitCode: %d is not in 0-255", b.ExitCode)
	}
	if b.ExitCode != 0 && b.ExitAfter == nil {
		return fmt.Errorf("exitCode: needs exitAfter")
	}
	if b.LivenessFailAfter < 0 {
		return fmt.Errorf("livenessFailAfter: must not be negative")
	}
	if b.ReadinessFlapPeriod < 0 {
		return fmt.Errorf("readinessFlapPeriod: must not be negative")
	}
	return nil
}

// UnmarshalJSON reads the YAML shape documented on ImageBehavior: durations
// as strings, sizes as numbers or quantities; an unknown field is an error.
func (b *ImageBehavior) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("want a mapping of image behaviour fields")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out ImageBehavior
	for _, k := range keys {
		raw := m[k]
		var err error
		switch k {
		case "pullError":
			err = json.Unmarshal(raw, &out.PullError)
		case "sizeBytes":
			out.SizeBytes, err = parseSize(raw)
		case "exitAfter":
			out.ExitAfter, err = parseDelay(raw)
		case "exitCode":
			err = json.Unmarshal(raw, &out.ExitCode)
		case "livenessFailAfter":
			out.LivenessFailAfter, err = parseDuration(raw)
		case "readinessFlapPeriod":
			out.ReadinessFlapPeriod, err = parseDuration(raw)
		default:
			return fmt.Errorf("unknown field %q (want pullError, sizeBytes, exitAfter, exitCode, livenessFailAfter, readinessFlapPeriod)", k)
		}
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*b = out
	return nil
}

// MarshalJSON writes the shape UnmarshalJSON reads.
func (b ImageBehavior) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if b.PullError != "" {
		m["pullError"] = b.PullError
	}
	if b.SizeBytes != 0 {
		m["sizeBytes"] = b.SizeBytes
	}
	if b.ExitAfter != nil {
		if b.ExitAfter.P99 == 0 {
			m["exitAfter"] = b.ExitAfter.Median.String()
		} else {
			m["exitAfter"] = map[string]string{"median": b.ExitAfter.Median.String(), "p99": b.ExitAfter.P99.String()}
		}
	}
	if b.ExitCode != 0 {
		m["exitCode"] = b.ExitCode
	}
	if b.LivenessFailAfter != 0 {
		m["livenessFailAfter"] = b.LivenessFailAfter.String()
	}
	if b.ReadinessFlapPeriod != 0 {
		m["readinessFlapPeriod"] = b.ReadinessFlapPeriod.String()
	}
	return json.Marshal(m) // encoding/json sorts map keys
}

// UnmarshalYAML lets yaml.v3 decode the same shape, through UnmarshalJSON.
func (b *ImageBehavior) UnmarshalYAML(n *yaml.Node) error {
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("image behaviour: %v", err)
	}
	return b.UnmarshalJSON(data)
}

func parseDuration(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("want a duration such as \"30s\"")
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}

func parseDelay(raw json.RawMessage) (*Delay, error) {
	if d, err := parseDuration(raw); err == nil {
		return &Delay{Median: d}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want a duration (\"5s\") or {median, p99}")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out Delay
	for _, k := range keys {
		d, err := parseDuration(m[k])
		switch {
		case k != "median" && k != "p99":
			return nil, fmt.Errorf("unknown field %q (want median, p99)", k)
		case err != nil:
			return nil, fmt.Errorf("%s: %v", k, err)
		case k == "median":
			out.Median = d
		default:
			out.P99 = d
		}
	}
	return &out, nil
}

func parseSize(raw json.RawMessage) (int64, error) {
	var n int64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, fmt.Errorf("want a byte count or a quantity such as \"180Mi\"")
	}
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return 0, fmt.Errorf("invalid quantity %q", s)
	}
	return q.Value(), nil
}
