package metrics

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot size and resolution: 8×4 inches, PNGs at 96 dpi (768×384 pixels).
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 4 * vg.Inch
	pngDPI     = 96
)

// WritePlots draws timelines of the recorded samples and writes each plot
// in each format through create, which gets a file name such as
// "pods.svg" and returns where to write it (cmd joins it to --plot DIR).
// formats are "svg" and "png"; none means both. The plots are:
//
//   - deployment_NAMESPACE_NAME (no object name has an underscore): a
//     Deployment's spec replicas, available and updated replicas, and each
//     of its ReplicaSets' status replicas — the picture of a rollout, old
//     ReplicaSets going down as the new one comes up; ReplicaSets are
//     named with their revision, oldest first;
//   - pods: pods by phase (kubesim_pods summed over namespaces) and ready;
//   - nodes: nodes by their Ready condition, and unschedulable ones;
//   - scheduler: scheduler_pending_pods by queue, when a Source records it.
//
// Every value is drawn as a step line through the samples. The output
// depends only on the samples, so identical runs give identical bytes.
func (s *Sampler) WritePlots(create func(name string) (io.WriteCloser, error), formats ...string) error {
	if len(formats) == 0 {
		formats = []string{"svg", "png"}
	}
	for _, f := range formats {
		if f != "svg" && f != "png" {
			return fmt.Errorf("metrics: plot format %q: want svg or png", f)
		}
	}
	for _, pl := range s.plots() {
		for _, f := range formats {
			if err := writePlot(pl.p, pl.name+"."+f, f, create); err != nil {
				return err
			}
		}
	}
	return nil
}

// PlotNames lists the plots WritePlots writes, without extension.
func (s *Sampler) PlotNames() []string {
	var names []string
	for _, pl := range s.plots() {
		names = append(names, pl.name)
	}
	return names
}

func writePlot(p *plot.Plot, name, format string, create func(string) (io.WriteCloser, error)) (err error) {
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	if format == "svg" {
		c = vgsvg.New(plotWidth, plotHeight)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(pngDPI))}
	}
	p.Draw(draw.New(c))
	w, err := create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}()
	_, err = c.WriteTo(w)
	return err
}

type namedPlot struct {
	name string
	p    *plot.Plot
}

// line is one legend entry: the series summed into it, and its style.
type line struct {
	label  string
	series []*series
	color  color.Color
	dashed bool
}

func (s *Sampler) plots() []namedPlot {
	list, end := s.sorted()
	byName := map[string][]*series{} // lookups only; each slice is in output order
	for _, sr := range list {
		byName[sr.name] = append(byName[sr.name], sr)
	}
	where := func(name string, match ...Label) []*series {
		var out []*series
		for _, sr := range byName[name] {
			if hasLabels(sr, match) {
				out = append(out, sr)
			}
		}
		return out
	}
	unit := timeUnitFor(end, s)
	var out []namedPlot
	add := func(name, title, ylabel string, lines []line) {
		out = append(out, namedPlot{name, s.newPlot(title, ylabel, unit, lines, end)})
	}

	for _, d := range byName["kube_deployment_spec_replicas"] {
		ns, name := labelValue(d, "namespace"), labelValue(d, "deployment")
		ls := []Label{{"deployment", name}, {"namespace", ns}}
		lines := []line{
			{label: "desired (spec)", series: where("kube_deployment_spec_replicas", ls...), color: color.Black, dashed: true},
			{label: "available", series: where("kube_deployment_status_replicas_available", ls...), color: green},
			{label: "updated", series: where("kube_deployment_status_replicas_updated", ls...), color: blue},
		}
		type rsLine struct {
			name string
			rev  float64
		}
		var rss []rsLine
		for _, own := range where("kube_replicaset_owner", Label{"namespace", ns}, Label{"owner_kind", "Deployment"},
			Label{"owner_name", name}) {
			rs := labelValue(own, "replicaset")
			rev := math.NaN()
			if r := where("kubesim_replicaset_revision", Label{"namespace", ns}, Label{"replicaset", rs}); len(r) > 0 {
				rev = lastValue(r[0], end)
			}
			if !slices.ContainsFunc(rss, func(x rsLine) bool { return x.name == rs }) {
				rss = append(rss, rsLine{rs, rev})
			}
		}
		// Oldest revision first, so colours follow the rollout order.
		sort.SliceStable(rss, func(i, j int) bool {
			a, b := rss[i].rev, rss[j].rev
			if math.IsNaN(a) || math.IsNaN(b) {
				return !math.IsNaN(a) && math.IsNaN(b)
			}
			return a < b
		})
		for i, rs := range rss {
			label := "rs " + rs.name
			if !math.IsNaN(rs.rev) {
				label += " (rev " + formatValue(rs.rev) + ")"
			}
			lines = append(lines, line{label: label,
				series: where("kube_replicaset_status_replicas", Label{"namespace", ns}, Label{"replicaset", rs.name}),
				color:  rsColors[i%len(rsColors)]})
		}
		add("deployment_"+ns+"_"+name, "Deployment "+ns+"/"+name, "replicas", lines)
	}

	var podLines []line
	for i, ph := range phases {
		podLines = append(podLines, line{label: string(ph), series: where("kubesim_pods", Label{"phase", string(ph)}),
			color: phaseColors[i]})
	}
	podLines = append(podLines, line{label: "Ready", series: byName["kubesim_pods_ready"], color: color.Black, dashed: true})
	add("pods", "Pods by phase", "pods", podLines)

	add("nodes", "Nodes", "nodes", []line{
		{label: "Ready", series: where("kubesim_nodes", Label{"ready", "true"}), color: green},
		{label: "NotReady", series: where("kubesim_nodes", Label{"ready", "false"}), color: red},
		{label: "Unknown", series: where("kubesim_nodes", Label{"ready", "unknown"}), color: grey},
		{label: "Unschedulable", series: byName["kubesim_nodes_unschedulable"], color: orange, dashed: true},
	})

	if pending := byName["scheduler_pending_pods"]; len(pending) > 0 {
		var lines []line
		for i, sr := range pending {
			lines = append(lines, line{label: labelValue(sr, "queue"), series: []*series{sr},
				color: rsColors[i%len(rsColors)]})
		}
		add("scheduler", "Scheduler queues (scheduler_pending_pods)", "pods", lines)
	}
	return out
}

var (
	green       = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	blue        = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	red         = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	orange      = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	grey        = color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}
	purple      = color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}
	brown       = color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff}
	pink        = color.RGBA{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}
	olive       = color.RGBA{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}
	cyan        = color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff}
	phaseColors = [len(phases)]color.Color{orange, green, blue, red, grey}
	rsColors    = []color.Color{purple, orange, cyan, brown, pink, olive, red, grey}
)

func hasLabels(sr *series, match []Label) bool {
	for _, m := range match {
		if labelValue(sr, m.Name) != m.Value {
			return false
		}
	}
	return true
}

func labelValue(sr *series, name string) string {
	for _, l := range sr.labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func lastValue(sr *series, end int64) float64 {
	for i := len(sr.runs) - 1; i >= 0; i-- {
		if sr.runs[i].from < end {
			return sr.runs[i].v
		}
	}
	return math.NaN()
}

type timeUnit struct {
	name    string
	seconds float64
}

func timeUnitFor(end int64, s *Sampler) timeUnit {
	span := float64(end-1) * s.interval.Seconds()
	switch {
	case span <= 600:
		return timeUnit{"s", 1}
	case span <= 10*3600:
		return timeUnit{"min", 60}
	}
	return timeUnit{"h", 3600}
}

func (s *Sampler) newPlot(title, ylabel string, unit timeUnit, lines []line, end int64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "virtual time (" + unit.name + ")"
	p.Y.Label.Text = ylabel
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	ymax := 0.0
	entries := 0
	// Dashed lines (desired, ready) go on top, so that they stay visible
	// where a solid line has the same values; the legend keeps the order.
	var solid, dashed []plot.Plotter
	for _, l := range lines {
		segs := s.steps(l.series, end, unit)
		first := true
		for _, seg := range segs {
			ln, err := plotter.NewLine(seg)
			if err != nil {
				continue // NaN or Inf values are not drawn
			}
			ln.StepStyle = plotter.PostStep
			ln.Color = l.color
			ln.Width = vg.Points(1.5)
			if l.dashed {
				ln.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
				dashed = append(dashed, ln)
			} else {
				solid = append(solid, ln)
			}
			if first {
				p.Legend.Add(l.label, ln)
				entries++
				first = false
			}
			for _, pt := range seg {
				ymax = max(ymax, pt.Y)
			}
		}
	}
	p.Add(solid...)
	p.Add(dashed...)
	p.X.Min = 0
	p.X.Max = float64(end-1) * s.interval.Seconds() / unit.seconds
	if p.X.Max <= 0 {
		p.X.Max = 1
	}
	p.Y.Min = 0
	// Headroom above the data for the legend in the top-left corner.
	p.Y.Max = max(ymax, 1) * (1.15 + 0.09*float64(entries))
	p.Y.Tick.Marker = plot.TickerFunc(integerTicks)
	return p
}

// integerTicks labels whole numbers only, every 1, 2, 5, 10, 20 … so that
// there are at most 8 steps: counts have no halves.
func integerTicks(lo, hi float64) []plot.Tick {
	step := 1.0
	for i := 0; (hi-lo)/step > 8; i++ {
		step = [...]float64{2, 5, 10}[i%3] * math.Pow(10, float64(i/3))
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ticks
}

// steps turns the sum of some series into step-line segments, one per
// stretch of boundaries where at least one of them is present, with points
// only where the sum may change and at each stretch's last boundary.
func (s *Sampler) steps(list []*series, end int64, unit timeUnit) []plotter.XYs {
	var bps []int64
	for _, sr := range list {
		for _, r := range sr.runs {
			if r.from >= end {
				break
			}
			to := min(r.to, end)
			bps = append(bps, r.from, to-1)
			if to < end {
				bps = append(bps, to)
			}
		}
	}
	slices.Sort(bps)
	bps = slices.Compact(bps)
	var segs []plotter.XYs
	var cur plotter.XYs
	for _, b := range bps {
		sum, present := 0.0, false
		for _, sr := range list {
			if v, ok := valueAt(sr, b); ok {
				sum += v
				present = true
			}
		}
		if !present {
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		x := float64(b) * s.interval.Seconds() / unit.seconds
		cur = append(cur, plotter.XY{X: x, Y: sum})
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// valueAt is the series' value at boundary idx, if present there.
func valueAt(sr *series, idx int64) (float64, bool) {
	i := sort.Search(len(sr.runs), func(i int) bool { return sr.runs[i].from > idx }) - 1
	if i < 0 || idx >= sr.runs[i].to {
		return 0, false
	}
	return sr.runs[i].v, true
}
