package metrics_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/report/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func write(t *testing.T, m *metrics.Sampler, f metrics.Format, epoch time.Time) []byte {
	t.Helper()
	var b bytes.Buffer
	must(t, m.Write(&b, f, epoch))
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s",
			path, firstDiff(string(got), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got " + gl + "\nwant " + wl
		}
	}
	return ""
}

// TestGoldens pins the three formats of the hand-driven rollout.
func TestGoldens(t *testing.T) {
	m, _ := rollout(t, time.Second)
	golden(t, "rollout.csv", write(t, m, metrics.CSV, time.Time{}))
	golden(t, "rollout.jsonl", write(t, m, metrics.JSONL, time.Time{}))
	golden(t, "rollout.om", write(t, m, metrics.OpenMetrics, time.Time{}))
}

// TestCSVAndJSONLAgree parses both formats back: the same samples, in time
// order, with labels sorted by name.
func TestCSVAndJSONLAgree(t *testing.T) {
	m, _ := rollout(t, time.Second)
	rows, err := csv.NewReader(bytes.NewReader(write(t, m, metrics.CSV, time.Time{}))).ReadAll()
	must(t, err)
	if strings.Join(rows[0], ",") != "time_seconds,metric,labels,value" {
		t.Fatalf("header %v", rows[0])
	}
	rows = rows[1:]
	sc := bufio.NewScanner(bytes.NewReader(write(t, m, metrics.JSONL, time.Time{})))
	i := 0
	lastT := -1.0
	for ; sc.Scan(); i++ {
		var s struct {
			T      float64           `json:"t"`
			Metric string            `json:"metric"`
			Labels map[string]string `json:"labels"`
			Value  float64           `json:"value"`
		}
		must(t, json.Unmarshal(sc.Bytes(), &s))
		if i >= len(rows) {
			t.Fatalf("JSONL has more samples than CSV's %d", len(rows))
		}
		r := rows[i]
		var lbl []string
		for k, v := range s.Labels {
			lbl = append(lbl, k+`="`+v+`"`)
		}
		slices.Sort(lbl)
		if ts, _ := strconv.ParseFloat(r[0], 64); ts != s.T || r[1] != s.Metric || r[2] != strings.Join(lbl, ",") || r[3] != strconv.FormatFloat(s.Value, 'f', -1, 64) {
			t.Errorf("sample %d: CSV %v, JSONL %s", i, r, sc.Text())
		}
		if s.T < lastT {
			t.Errorf("sample %d: time %g after %g", i, s.T, lastT)
		}
		lastT = s.T
	}
	if i != len(rows) || i == 0 {
		t.Errorf("CSV has %d samples, JSONL %d", len(rows), i)
	}
}

var (
	omSample = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)\})? (\S+) (\S+)$`)
	omMeta   = regexp.MustCompile(`^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$`)
)

// checkOpenMetrics checks what promtool's OpenMetrics parser and the TSDB
// backfill need: metadata once per family and before its samples, families
// contiguous, sample names matching the family (counters with _total),
// well-formed labels, numeric values, timestamps in seconds at
// epoch + virtual boundaries, increasing within each series, and # EOF last.
func checkOpenMetrics(text []byte, epoch time.Time, interval time.Duration) (problems []string) {
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	lines := strings.Split(string(text), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "" || lines[len(lines)-2] != "# EOF" {
		return []string{"OpenMetrics text does not end in \"# EOF\\n\""}
	}
	lines = lines[:len(lines)-2]
	types := map[string]string{}
	closed := map[string]bool{}
	current := ""
	lastTS := map[string]int64{}
	samples := 0
	for n, line := range lines {
		if m := omMeta.FindStringSubmatch(line); m != nil {
			fam := m[2]
			if closed[fam] || (current != fam && types[fam] != "") {
				errorf("line %d: family %s is not contiguous", n+1, fam)
			}
			if current != "" && current != fam {
				closed[current] = true
			}
			current = fam
			if m[1] == "TYPE" {
				if types[fam] != "" {
					errorf("line %d: second TYPE for %s", n+1, fam)
				}
				if m[3] != "gauge" && m[3] != "counter" {
					errorf("line %d: type %q", n+1, m[3])
				}
				types[fam] = m[3]
			}
			continue
		}
		m := omSample.FindStringSubmatch(line)
		if m == nil {
			errorf("line %d: not a sample or metadata line: %q", n+1, line)
			continue
		}
		samples++
		name := m[1]
		fam := name
		if types[current] == "counter" {
			fam = strings.TrimSuffix(name, "_total")
			if fam == name {
				errorf("line %d: counter sample %s without _total", n+1, name)
			}
		}
		if fam != current || types[fam] == "" {
			errorf("line %d: sample %s outside its family (current %s)", n+1, name, current)
		}
		if _, err := strconv.ParseFloat(m[4], 64); err != nil {
			errorf("line %d: value %q", n+1, m[4])
		}
		ts, err := parseNanos(m[5])
		if err != nil {
			errorf("line %d: %v", n+1, err)
			continue
		}
		virtual := time.Duration(ts - epoch.UnixNano())
		if virtual < 0 || virtual%interval != 0 {
			errorf("line %d: timestamp %s is not epoch + a boundary", n+1, m[5])
		}
		key := name + m[2]
		if last, ok := lastTS[key]; ok && ts <= last {
			errorf("line %d: %s timestamp %s not after %d ns", n+1, key, m[5], last)
		}
		lastTS[key] = ts
	}
	if samples == 0 {
		errorf("no samples")
	}
	return problems
}

// parseNanos reads decimal seconds exactly, as nanoseconds.
func parseNanos(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 9 {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	ns, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q", s)
	}
	return sec*1e9 + ns, nil
}

func TestOpenMetricsValid(t *testing.T) {
	epoch := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m, _ := rollout(t, 500*time.Millisecond)
	om := write(t, m, metrics.OpenMetrics, epoch)
	for _, p := range checkOpenMetrics(om, epoch, 500*time.Millisecond) {
		t.Error(p)
	}
	if !bytes.Contains(om, []byte(`kubesim_nodes_unschedulable 1 1772366403`+"\n")) {
		t.Errorf("no sample at epoch + 3s:\n%s", om)
	}
	if !bytes.Contains(om, []byte("# TYPE scheduler_schedule_attempts counter\n")) {
		t.Error("counter family not named without _total")
	}
}

// TestCheckOpenMetricsFails makes sure the checker above catches what it
// claims to.
func TestCheckOpenMetricsFails(t *testing.T) {
	epoch := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	bad := []string{
		"# TYPE a gauge\na 1 1735689600\n", // no # EOF
		"# TYPE a gauge\na 1 1735689600\n# TYPE b gauge\nb 1 1735689600\na 2 1735689601\n# EOF\n", // a not contiguous
		"# TYPE a gauge\na 1 1735689601\na 1 1735689600\n# EOF\n",                                 // time goes back
		"# TYPE a counter\na 1 1735689600\n# EOF\n",                                               // counter without _total
		"# TYPE a gauge\na{x=1} 1 1735689600\n# EOF\n",                                            // unquoted label
		"# TYPE a gauge\na 1 1735689600.5\n# EOF\n",                                               // not on a boundary
	}
	for _, text := range bad {
		if len(checkOpenMetrics([]byte(text), epoch, time.Second)) == 0 {
			t.Errorf("checker accepted:\n%s", text)
		}
	}
}

// TestPromtoolBackfill loads the OpenMetrics output with promtool when it is
// installed (Debian package prometheus), as users will.
func TestPromtoolBackfill(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	m, _ := rollout(t, time.Second)
	dir := t.TempDir()
	file := filepath.Join(dir, "rollout.om")
	must(t, os.WriteFile(file, write(t, m, metrics.OpenMetrics, time.Time{}), 0o644))
	out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", file, filepath.Join(dir, "tsdb")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
}

// TestDeterministic: two identical runs give identical bytes in every
// format and plot.
func TestDeterministic(t *testing.T) {
	outputs := func() map[string][]byte {
		m, _ := rollout(t, time.Second)
		out := map[string][]byte{
			"csv": write(t, m, metrics.CSV, time.Time{}), "jsonl": write(t, m, metrics.JSONL, time.Time{}),
			"om": write(t, m, metrics.OpenMetrics, time.Time{}),
		}
		for name, b := range plots(t, m) {
			out[name] = b
		}
		return out
	}
	a, b := outputs(), outputs()
	if len(a) != len(b) || len(a) < 5 {
		t.Fatalf("outputs: %d and %d", len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs between identical runs", name)
		}
	}
}
