package metrics

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
)

// Format is an output format of the recorded samples.
type Format int

const (
	// CSV: a header time_seconds,metric,labels,value, then one row per
	// sample in time order (then metric, then labels); labels as
	// k="v",… sorted by name, values escaped as in OpenMetrics.
	CSV Format = iota
	// JSONL: one object per sample, in CSV's order:
	// {"t":seconds,"metric":…,"labels":{…},"value":…}.
	JSONL
	// OpenMetrics: the OpenMetrics 1.0 text exposition with a timestamp on
	// every sample (seconds since the Unix epoch: the run's epoch plus
	// virtual time), families sorted by name, each contiguous, its series
	// sorted by labels and each series' samples in time order, ending in
	// "# EOF". `promtool tsdb create-blocks-from openmetrics FILE DIR` loads
	// it into Prometheus.
	OpenMetrics
)

func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case JSONL:
		return "jsonl"
	case OpenMetrics:
		return "openmetrics"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatFor picks the format from a file name's extension: .csv, .jsonl
// or .om.
func FormatFor(name string) (Format, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return CSV, nil
	case ".jsonl":
		return JSONL, nil
	case ".om":
		return OpenMetrics, nil
	}
	return 0, fmt.Errorf("metrics file %q: the extension must be .csv, .jsonl or .om (OpenMetrics)", name)
}

// defaultEpoch is report.DefaultEpoch, the virtual clock's epoch when a
// scenario sets no spec.startTime.
var defaultEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes the samples up to the end given to Flush (the current time
// when Flush was not called) in format f. epoch is the wall-clock instant
// of virtual time 0 (spec.startTime; the zero Time means
// 2025-01-01T00:00:00Z); only OpenMetrics uses it.
func (s *Sampler) Write(w io.Writer, f Format, epoch time.Time) error {
	switch f {
	case CSV:
		return s.WriteCSV(w)
	case JSONL:
		return s.WriteJSONL(w)
	case OpenMetrics:
		return s.WriteOpenMetrics(w, epoch)
	}
	return fmt.Errorf("metrics: unknown format %v", f)
}

// WriteCSV writes the samples as CSV (see Format CSV).
func (s *Sampler) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"time_seconds", "metric", "labels", "value"}); err != nil {
		return err
	}
	err := s.timeMajor(func(t int64, sr *series, v float64) error {
		lbl := ""
		if i := strings.IndexByte(sr.key, '{'); i >= 0 {
			lbl = sr.key[i+1 : len(sr.key)-1]
		}
		return cw.Write([]string{formatNanos(t), sr.name, lbl, formatValue(v)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes the samples as JSON lines (see Format JSONL). A value
// that JSON cannot hold (NaN, ±Inf) is written as null.
func (s *Sampler) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	var line bytes.Buffer
	var str bytes.Buffer
	enc := json.NewEncoder(&str)
	enc.SetEscapeHTML(false)
	quote := func(v string) {
		str.Reset()
		_ = enc.Encode(v) // a string always encodes
		line.Write(bytes.TrimSuffix(str.Bytes(), []byte("\n")))
	}
	err := s.timeMajor(func(t int64, sr *series, v float64) error {
		line.Reset()
		line.WriteString(`{"t":`)
		line.WriteString(formatNanos(t))
		line.WriteString(`,"metric":`)
		quote(sr.name)
		line.WriteString(`,"labels":{`)
		for i, l := range sr.labels {
			if i > 0 {
				line.WriteByte(',')
			}
			quote(l.Name)
			line.WriteByte(':')
			quote(l.Value)
		}
		line.WriteString(`},"value":`)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			line.WriteString("null")
		} else {
			line.WriteString(formatValue(v))
		}
		line.WriteString("}\n")
		_, err := bw.Write(line.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// WriteOpenMetrics writes the samples as OpenMetrics text (see Format
// OpenMetrics).
func (s *Sampler) WriteOpenMetrics(w io.Writer, epoch time.Time) error {
	if epoch.IsZero() {
		epoch = defaultEpoch
	}
	base := epoch.UnixNano()
	bw := bufio.NewWriter(w)
	list, end := s.sorted()
	var fam *family
	for _, sr := range list {
		if fam == nil || sr.fam.name != fam.name {
			fam = sr.fam
			if fam.help != "" {
				fmt.Fprintf(bw, "# HELP %s %s\n", fam.name, escapeHelp(fam.help))
			}
			fmt.Fprintf(bw, "# TYPE %s %s\n", fam.name, fam.typ)
		}
		for _, r := range sr.runs {
			v := formatValue(r.v)
			for i := r.from; i < min(r.to, end); i++ {
				bw.WriteString(sr.key)
				bw.WriteByte(' ')
				bw.WriteString(v)
				bw.WriteByte(' ')
				bw.WriteString(formatNanos(base + i*int64(s.interval)))
				bw.WriteByte('\n')
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

func escapeHelp(h string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(h)
}

// formatNanos writes nanoseconds as exact decimal seconds: 90, 1.5, 0.001.
func formatNanos(ns int64) string {
	sign := ""
	u := uint64(ns)
	if ns < 0 {
		sign, u = "-", uint64(-ns)
	}
	sec, frac := u/1e9, u%1e9
	if frac == 0 {
		return sign + strconv.FormatUint(sec, 10)
	}
	f := strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
	return sign + strconv.FormatUint(sec, 10) + "." + f
}

// formatValue writes integers without a fraction or exponent and other
// values in the shortest form that reads back exactly; NaN and ±Inf as
// OpenMetrics spells them.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// timeMajor calls fn for every sample in time order, then in series order.
func (s *Sampler) timeMajor(fn func(t int64, sr *series, v float64) error) error {
	list, end := s.sorted()
	h := make(cursorHeap, 0, len(list))
	for rank, sr := range list {
		h = append(h, &cursor{sr: sr, rank: rank, idx: sr.runs[0].from})
	}
	heap.Init(&h)
	iv := int64(s.interval)
	for len(h) > 0 {
		c := h[0]
		r := c.sr.runs[c.run]
		if err := fn(c.idx*iv, c.sr, r.v); err != nil {
			return err
		}
		c.idx++
		if c.idx >= min(r.to, end) {
			c.run++
			if c.run == len(c.sr.runs) || c.sr.runs[c.run].from >= end {
				heap.Pop(&h)
				continue
			}
			c.idx = c.sr.runs[c.run].from
		}
		heap.Fix(&h, 0)
	}
	return nil
}

type cursor struct {
	sr   *series
	rank int
	run  int
	idx  int64
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int { return len(h) }
func (h cursorHeap) Less(i, j int) bool {
	if h[i].idx != h[j].idx {
		return h[i].idx < h[j].idx
	}
	return h[i].rank < h[j].rank
}
func (h cursorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)   { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
