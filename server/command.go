package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
)

// forever is the run length of a served scenario: it keeps going past
// spec.duration until the server is stopped.
const forever = sim.Time(1 << 62)

// Command is `kubesim serve [FILE|NAME]`. load resolves the argument as
// `kubesim run` does (empty: the embedded default scenario) and reports
// its warnings.
func Command(load func(arg string) (*scenarios.Loaded, error), stdout, stderr io.Writer) *cobra.Command {
	var (
		speed          float64
		port           int
		wallTimestamps bool
		seed           uint64
		kubeconfig     string
		logFile        string
		history        int
	)
	cmd := &cobra.Command{
		Use:   "serve [FILE|NAME]",
		Short: "Run a scenario paced to wall time and serve a Kubernetes API for kubectl",
		Long: `Run a scenario paced to wall time (virtual = start + speed × wall elapsed) and serve
a Kubernetes API on 127.0.0.1 that kubectl can drive and watch. Every write is
applied at the current virtual time through the store the controllers use and
logged with its virtual time. The scenario's timeline and expectations still
run; the simulation goes on past spec.duration until you stop the server
(Ctrl-C), which prints the expectations.`,
		Example: `  kubesim serve
  kubesim serve --speed 10 my-scenario.yaml
  export KUBECONFIG=...   # as printed
  kubectl get pods -w`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := ""
			if len(args) == 1 {
				arg = args[0]
			}
			l, err := load(arg)
			if err != nil {
				return err
			}
			opts := scenarios.Options{Until: time.Duration(forever)}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			sess, err := l.Start(opts)
			if err != nil {
				return err
			}
			logw := stderr
			if logFile != "" {
				f, err := os.Create(logFile)
				if err != nil {
					return err
				}
				defer f.Close()
				logw = f
			}
			srv, err := New(sess, Options{Speed: speed, Port: port, WallTimestamps: wallTimestamps, Epoch: l.Epoch,
				Log: logw, HistorySize: history, ScenarioEnd: sim.Time(l.Scenario.Spec.Duration)})
			if err != nil {
				return err
			}
			if kubeconfig == "" {
				dir, err := os.MkdirTemp("", "kubesim-serve-")
				if err != nil {
					return err
				}
				kubeconfig = filepath.Join(dir, "kubeconfig")
			}
			if err := os.WriteFile(kubeconfig, srv.Kubeconfig(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "kubesim: scenario %s (seed %d) served at %s, speed %g×\n", l.Scenario.Metadata.Name,
				l.Seed(opts), srv.URL(), speed)
			fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", kubeconfig)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = srv.Serve(ctx)
			r := sess.Finish()
			fmt.Fprintf(stdout, "kubesim: stopped at virtual time %s\n", report.FormatTime(time.Duration(r.End)))
			for _, e := range r.Expectations {
				fmt.Fprintln(stdout, report.ExpectationLine(e))
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Float64Var(&speed, "speed", 1, "virtual seconds per wall second (0 pauses the clock)")
	f.IntVar(&port, "port", 0, "port on 127.0.0.1 (default: a free port)")
	f.BoolVar(&wallTimestamps, "wall-timestamps", true, "shift timestamps so that kubectl's client-side ages read as virtual ages; false sends raw virtual times")
	f.Uint64Var(&seed, "seed", 0, "random seed (default: the scenario's spec.seed, else 1)")
	f.StringVar(&kubeconfig, "kubeconfig", "", "where to write the kubeconfig (default: a new temporary directory)")
	f.StringVar(&logFile, "log", "", "write the write log (JSON lines with virtual times) to FILE instead of stderr")
	f.IntVar(&history, "watch-history", 10000, "changes kept for watches to resume from; older resourceVersions get 410 Expired")
	return cmd
}
