package metrics_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/sim"
)

type buffer struct{ bytes.Buffer }

func (*buffer) Close() error { return nil }

// plots renders every plot of m in memory, by file name.
func plots(t *testing.T, m *metrics.Sampler, formats ...string) map[string][]byte {
	t.Helper()
	bufs := map[string]*buffer{}
	must(t, m.WritePlots(func(name string) (io.WriteCloser, error) {
		if bufs[name] != nil {
			t.Errorf("%s written twice", name)
		}
		b := &buffer{}
		bufs[name] = b
		return b, nil
	}, formats...))
	out := map[string][]byte{}
	for name, b := range bufs {
		out[name] = b.Bytes()
	}
	return out
}

func TestPlots(t *testing.T) {
	m, _ := rollout(t, time.Second)
	got := plots(t, m)
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"deployment_default_web.png", "deployment_default_web.svg", "nodes.png", "nodes.svg",
		"pods.png", "pods.svg", "scheduler.png", "scheduler.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("plots %v, want %v", names, want)
	}
	if pn := m.PlotNames(); !slices.Equal(pn, []string{"deployment_default_web", "pods", "nodes", "scheduler"}) {
		t.Errorf("PlotNames() = %v", pn)
	}
	for name, b := range got {
		switch {
		case strings.HasSuffix(name, ".svg") && !bytes.HasPrefix(b, []byte("<?xml")):
			t.Errorf("%s is not SVG", name)
		case strings.HasSuffix(name, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
			t.Errorf("%s is not PNG", name)
		case len(b) < 1000:
			t.Errorf("%s has %d bytes", name, len(b))
		}
	}
	svg := string(got["deployment_default_web.svg"])
	for _, text := range []string{"Deployment default/web", "rs web-old (rev 1)", "rs web-new (rev 2)", "available",
		"desired (spec)", "virtual time (s)"} {
		if !strings.Contains(svg, text) {
			t.Errorf("deployment plot lacks %q", text)
		}
	}
	// The SVG is the same for the same data, and differs for other data.
	if again := plots(t, m, "svg"); !bytes.Equal(again["pods.svg"], got["pods.svg"]) {
		t.Error("pods.svg differs when drawn twice")
	}
	other, _ := rollout(t, 500*time.Millisecond)
	if o := plots(t, other, "svg"); bytes.Equal(o["pods.svg"], got["pods.svg"]) {
		t.Error("pods.svg is the same for other samples")
	}
}

func TestPlotsEmptyRunAndErrors(t *testing.T) {
	store := cluster.NewStore(sim.NewEngine(1))
	m := metrics.New(store, 0)
	m.Flush(0)
	got := plots(t, m)
	if len(got) != 4 || len(got["pods.svg"]) == 0 || len(got["nodes.png"]) == 0 {
		t.Errorf("empty run: plots %d", len(got))
	}
	if err := m.WritePlots(nil, "pdf"); err == nil {
		t.Error("pdf: no error")
	}
	boom := errors.New("boom")
	if err := m.WritePlots(func(string) (io.WriteCloser, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("create error: got %v", err)
	}
}
