package metrics

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// TestSeriesRuns checks the run-length storage against a naive model that
// keeps one value per boundary: ops are "set idx v" and "unset idx" in
// nondecreasing idx, a later op at the same idx overriding an earlier one.
func TestSeriesRuns(t *testing.T) {
	tests := []struct {
		ops  string
		want string // boundary=value for 0…5
	}{
		{"set 0 1", "0=1 1=1 2=1 3=1 4=1 5=1"},
		{"set 0 1; set 2 2; set 2 1", "0=1 1=1 2=1 3=1 4=1 5=1"},
		{"set 0 1; set 2 2; set 4 3", "0=1 1=1 2=2 3=2 4=3 5=3"},
		{"set 1 1; unset 3", "1=1 2=1"},
		{"set 1 1; unset 1", ""},
		{"set 1 1; unset 3; set 3 1", "1=1 2=1 3=1 4=1 5=1"},
		{"set 1 1; unset 3; set 3 2", "1=1 2=1 3=2 4=2 5=2"},
		{"set 1 1; unset 3; set 4 1", "1=1 2=1 4=1 5=1"},
		{"set 1 1; set 2 2; unset 2", "1=1"},
		{"set 1 1; set 2 2; unset 2; set 2 1", "1=1 2=1 3=1 4=1 5=1"},
		{"set 0 NaN; set 1 NaN", "0=NaN 1=NaN 2=NaN 3=NaN 4=NaN 5=NaN"},
		{"unset 0; set 5 7", "5=7"},
	}
	for _, tt := range tests {
		var sr series
		for _, op := range strings.Split(tt.ops, "; ") {
			var idx int64
			var v float64
			if n, _ := fmt.Sscanf(op, "set %d %g", &idx, &v); n == 2 {
				sr.set(idx, v)
			} else if n, _ := fmt.Sscanf(op, "unset %d", &idx); n == 1 {
				sr.unset(idx)
			} else if strings.HasSuffix(op, "NaN") {
				fmt.Sscanf(op, "set %d", &idx)
				sr.set(idx, math.NaN())
			} else {
				t.Fatalf("bad op %q", op)
			}
		}
		var got []string
		for _, s := range sr.samples(6, time.Nanosecond) {
			got = append(got, fmt.Sprintf("%d=%g", s.T, s.V))
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%s: got %q, want %q (runs %v)", tt.ops, g, tt.want, sr.runs)
		}
		for i := 1; i < len(sr.runs); i++ {
			a, b := sr.runs[i-1], sr.runs[i]
			if a.to > b.from || a.from >= a.to || (a.to == b.from && same(a.v, b.v)) {
				t.Errorf("%s: runs not minimal and ordered: %v", tt.ops, sr.runs)
			}
		}
	}
}

func TestFormatNanosAndValues(t *testing.T) {
	for ns, want := range map[int64]string{0: "0", 1e9: "1", 1_500_000_000: "1.5", 1: "0.000000001",
		1735689600_000_000_000: "1735689600", -1_250_000_000: "-1.25"} {
		if got := formatNanos(ns); got != want {
			t.Errorf("formatNanos(%d) = %q, want %q", ns, got, want)
		}
	}
	for v, want := range map[float64]string{3: "3", -2: "-2", 0.25: "0.25", 1e20: "1e+20", math.Inf(1): "+Inf",
		math.Inf(-1): "-Inf"} {
		if got := formatValue(v); got != want {
			t.Errorf("formatValue(%g) = %q, want %q", v, got, want)
		}
	}
	if got := formatValue(math.NaN()); got != "NaN" {
		t.Errorf("formatValue(NaN) = %q", got)
	}
}

func TestFormatFor(t *testing.T) {
	for name, want := range map[string]Format{"m.csv": CSV, "dir/m.JSONL": JSONL, "m.om": OpenMetrics} {
		if got, err := FormatFor(name); err != nil || got != want {
			t.Errorf("FormatFor(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := FormatFor("m.txt"); err == nil {
		t.Error("FormatFor(m.txt): no error")
	}
}

func TestIntegerTicks(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{{0, 3.5, "0 1 2 3"}, {0, 12, "0 2 4 6 8 10 12"}, {0, 40, "0 5 10 15 20 25 30 35 40"}, {0, 130, "0 20 40 60 80 100 120"}} {
		var got []string
		for _, tk := range integerTicks(tt.lo, tt.hi) {
			got = append(got, tk.Label)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("integerTicks(%g, %g) = %s, want %s", tt.lo, tt.hi, g, tt.want)
		}
	}
}
