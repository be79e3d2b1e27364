package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/server"
	"github.com/kubesim/kubesim/sim"
)

// Exit codes of the output contract (DESIGN.md).
const (
	exitOK          = 0
	exitExpectation = 1
	exitInvalid     = 2
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitExpectation {
			fmt.Fprintln(stderr, "error:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, wrong arguments.
	fmt.Fprintln(stderr, "error:", err)
	return exitInvalid
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubesim",
		Short: "Run Kubernetes scenarios on a virtual clock",
		Long: `kubesim simulates a Kubernetes cluster — scheduler, controllers, kubelets — on a
virtual clock, so that rollouts, failures and self-healing play out in seconds
and the same seed always gives the same result.

Start with:
  kubesim run                      run the built-in self-healing demo
  kubesim run my-scenario.yaml     run your own scenario (or a plain manifest file)
  kubesim validate my-scenario.yaml  check a scenario without running it
  kubesim scenarios                list the built-in scenario library
  kubesim explain NAME --pod P     why a pod is Pending, or why it is on its node
  kubesim serve                    drive the simulated cluster with kubectl

Exit codes: 0 every expectation held, 1 an expectation failed, 2 invalid input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newRunCmd(stdout, stderr), newValidateCmd(stdout, stderr), newScenariosCmd(stdout), newExplainCmd(stdout, stderr),
		server.Command(func(arg string) (*scenarios.Loaded, error) { return loadOrExit(arg, stderr) }, stdout, stderr))
	return root
}

// open resolves a scenario argument: empty means the embedded default; a name
// of the library ("pending-pods") runs from the embedded copy; anything else is
// a file on disk.
func open(arg string) (*scenarios.Loaded, error) {
	fsys, name := fs.FS(scenarios.Library), scenarios.DefaultScenario
	switch {
	case arg == "":
	case isLibrary(arg):
		name = strings.TrimSuffix(arg, ".yaml") + ".yaml"
	default:
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, err
		}
		fsys, name = os.DirFS("/"), strings.TrimPrefix(filepath.ToSlash(abs), "/")
	}
	return scenarios.Load(fsys, name)
}

func isLibrary(arg string) bool {
	if strings.ContainsAny(arg, "/\\") {
		return false
	}
	if _, err := os.Stat(arg); err == nil {
		return false // a file in the working directory wins
	}
	_, err := fs.Stat(scenarios.Library, strings.TrimSuffix(arg, ".yaml")+".yaml")
	return err == nil
}

// loadRun is what run and explain share: check -o, load the scenario
// argument (none: the default) and take --seed when given.
func loadRun(cmd *cobra.Command, args []string, output string, seed uint64, stderr io.Writer) (*scenarios.Loaded, scenarios.Options, error) {
	var opts scenarios.Options
	if output != "table" && output != "json" {
		return nil, opts, &exitError{exitInvalid, fmt.Errorf("-o %q: want table or json", output)}
	}
	arg := ""
	if len(args) == 1 {
		arg = args[0]
	}
	l, err := loadOrExit(arg, stderr)
	if err != nil {
		return nil, opts, err
	}
	if cmd.Flags().Changed("seed") {
		opts.Seed = &seed
	}
	return l, opts, nil
}

func loadOrExit(arg string, stderr io.Writer) (*scenarios.Loaded, error) {
	l, err := open(arg)
	if err != nil {
		return nil, &exitError{exitInvalid, err}
	}
	for _, w := range l.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	return l, nil
}

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		seed     uint64
		until    time.Duration
		output   string
		events   string
		progress bool
		watch    bool
		speed    float64
		// --metrics, --metrics-interval, --plot
		metricsFile, plotDir string
		metricsInterval      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run [FILE|NAME]",
		Short: "Run a scenario and print the event log, tables and a summary",
		Long: `Run a scenario on the virtual clock. Without an argument it runs the built-in
self-healing demo. The argument is a scenario file, a plain manifest file (run
on three 4-CPU nodes for 10 minutes), or the name of a built-in scenario.`,
		Example: `  kubesim run
  kubesim run --seed 3 -o json
  kubesim run pending-pods
  kubesim run my-rollout.yaml --until 5m --events events.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, opts, err := loadRun(cmd, args, output, seed, stderr)
			if err != nil {
				return err
			}
			opts.Until = until
			var format metrics.Format
			if metricsFile != "" {
				if format, err = metrics.FormatFor(metricsFile); err != nil {
					return &exitError{exitInvalid, err}
				}
			}
			if metricsInterval <= 0 {
				return &exitError{exitInvalid, fmt.Errorf("--metrics-interval %v: want a positive duration", metricsInterval)}
			}
			if metricsFile != "" || plotDir != "" {
				opts.Metrics = &metrics.Options{Interval: metricsInterval}
			}
			if watch {
				if output != "table" {
					return &exitError{exitInvalid, errors.New("--watch shows a table view; it cannot be combined with -o json")}
				}
				r, err := watchRun(l, opts, stdout, speed)
				if err != nil {
					return err
				}
				return expectationsHeld(r)
			}
			if progress && isTerminal(stderr) {
				opts.Progress = progressBar(stderr)
			}
			r, err := l.Run(opts)
			if err != nil {
				return &exitError{exitInvalid, err}
			}
			if events != "" {
				if err := writeFile(events, func(w io.Writer) error { return report.WriteEventsJSONL(w, r.Store.Events.All()) }); err != nil {
					return &exitError{exitInvalid, err}
				}
			}
			if metricsFile != "" {
				if err := writeFile(metricsFile, func(w io.Writer) error { return r.Metrics.Write(w, format, r.Epoch) }); err != nil {
					return &exitError{exitInvalid, err}
				}
			}
			if plotDir != "" {
				if err := os.MkdirAll(plotDir, 0o755); err != nil {
					return &exitError{exitInvalid, err}
				}
				if err := r.Metrics.WritePlots(func(name string) (io.WriteCloser, error) {
					return os.Create(filepath.Join(plotDir, name))
				}); err != nil {
					return &exitError{exitInvalid, err}
				}
			}
			if output == "json" {
				err = report.WriteJSON(stdout, r)
			} else {
				err = report.WriteTable(stdout, r)
			}
			if err != nil {
				return &exitError{exitInvalid, err}
			}
			return expectationsHeld(r)
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&seed, "seed", 0, "random seed (default: the scenario's spec.seed, else 1)")
	f.DurationVar(&until, "until", 0, "stop at this virtual time instead of spec.duration (e.g. 90s, 5m)")
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	f.StringVar(&events, "events", "", "also write the event log to FILE as JSON lines")
	f.BoolVar(&progress, "progress", true, "show a progress bar on stderr when it is a terminal")
	f.StringVar(&metricsFile, "metrics", "", "write metrics sampled on the virtual clock to FILE (.csv, .jsonl, or .om: OpenMetrics for promtool tsdb create-blocks-from openmetrics)")
	f.DurationVar(&metricsInterval, "metrics-interval", metrics.DefaultInterval, "virtual time between two metric samples")
	f.StringVar(&plotDir, "plot", "", "write timeline plots (SVG and PNG) to DIR")
	f.BoolVar(&watch, "watch", false, "classroom view: pod changes, events and a node map as the run goes, then the summary")
	f.Float64Var(&speed, "speed", 0, "with --watch, replay at this many virtual seconds per wall second (0: as fast as possible)")
	return cmd
}

func expectationsHeld(r *report.Run) error {
	for _, e := range r.Expectations {
		if !e.Passed {
			return &exitError{exitExpectation, errors.New("an expectation failed")}
		}
	}
	return nil
}

// watchStep is the virtual time between two updates of the --watch view.
const watchStep = time.Second

// watchRun runs the scenario in steps of watchStep, printing the classroom
// view after each, paced to speed virtual seconds per wall second. The view
// only observes the store, so the run is the one `kubesim run` makes.
func watchRun(l *scenarios.Loaded, opts scenarios.Options, stdout io.Writer, speed float64) (*report.Run, error) {
	if speed < 0 {
		return nil, &exitError{exitInvalid, fmt.Errorf("--speed %v: must not be negative", speed)}
	}
	s, err := l.Start(opts)
	if err != nil {
		return nil, &exitError{exitInvalid, err}
	}
	color := isTerminal(stdout) && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	w := report.NewWatch(s.Store, l.Epoch, color, 5*time.Second)
	timeline := slices.Clone(l.Scenario.Spec.Timeline)
	slices.SortStableFunc(timeline, func(a, b scenarios.Action) int { return cmp.Compare(a.At, b.At) })
	for i := range timeline {
		w.Note(sim.Time(timeline[i].At), timeline[i].String())
	}
	start := time.Now()
	for t := sim.Time(0); ; t += sim.Time(watchStep) {
		t = min(t, s.End)
		if err := s.RunUntil(t); err != nil {
			return nil, &exitError{exitInvalid, err}
		}
		if err := w.Flush(stdout, t); err != nil {
			return nil, err
		}
		if speed > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(float64(t) / speed))))
		}
		if t == s.End {
			break
		}
	}
	r := s.Finish()
	return r, report.WriteSummary(stdout, r)
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a scenario and its manifests without running it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadOrExit(args[0], stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: scenario %s is valid (%d objects, %d timeline actions, %d expectations)\n",
				args[0], l.Scenario.Metadata.Name, l.Objects(), len(l.Scenario.Spec.Timeline), len(l.Scenario.Spec.Expect))
			return nil
		},
	}
}

func newScenariosCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenario library",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range scenarios.LibraryFiles() {
				l, err := scenarios.Load(scenarios.Library, name)
				if err != nil {
					return &exitError{exitInvalid, err}
				}
				fmt.Fprintf(stdout, "%-26s %s\n", strings.TrimSuffix(name, ".yaml"), l.Scenario.Metadata.Description)
			}
			return nil
		},
	}
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("CI") == ""
}

// progressBar draws virtual time reached against the duration, only after a
// second of wall time so short runs print nothing.
func progressBar(w io.Writer) func(now, end sim.Time) {
	start := time.Now()
	drawn := false
	return func(now, end sim.Time) {
		if time.Since(start) < time.Second && now < end {
			return
		}
		const width = 40
		done := int(int64(width) * int64(now) / int64(max(end, 1)))
		fmt.Fprintf(w, "\r[%s%s] %v / %v", strings.Repeat("=", done), strings.Repeat(" ", width-done), now, end)
		drawn = true
		if now >= end && drawn {
			fmt.Fprint(w, "\r\033[K")
		}
	}
}
