package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/scheduler"
	"github.com/kubesim/kubesim/sim"
)

func newExplainCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		pod    string
		at     time.Duration
		output string
		seed   uint64
	)
	cmd := &cobra.Command{
		Use:   "explain [FILE|NAME] --pod NAMESPACE/NAME",
		Short: "Explain the scheduler's last decision for a pod: why it is Pending, or why it is on its node",
		Long: `Run a scenario to a virtual time (--at, default the end) and show the scheduler's
last decision for a pod: how many nodes it evaluated, which filter plugins
rejected which nodes and why, the normalized and weighted scores of the best
nodes, the node chosen and how a tie was broken, and what preemption did.
Without --pod it lists the last decision for every pod.`,
		Example: `  kubesim explain pending-pods --pod default/big-0
  kubesim explain bin-packing --pod default/packed-5dfbf496f9-4vflv -o json
  kubesim explain my-scenario.yaml --at 90s`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, opts, err := loadRun(cmd, args, output, seed, stderr)
			if err != nil {
				return err
			}
			s, err := l.Start(opts)
			if err != nil {
				return &exitError{exitInvalid, err}
			}
			end := s.End
			if cmd.Flags().Changed("at") {
				if at < 0 || sim.Time(at) > s.End {
					return &exitError{exitInvalid, fmt.Errorf("--at %v: want a time within the scenario (0 to %v)", at, time.Duration(s.End))}
				}
				end = sim.Time(at)
			}
			if err := s.RunUntil(end); err != nil {
				return &exitError{exitInvalid, err}
			}
			if pod == "" {
				return writeDecisions(stdout, s.Scheduler.Decisions(), output)
			}
			key := pod
			if !strings.Contains(key, "/") {
				key = "default/" + key
			}
			d := s.Scheduler.Explain(key)
			if d == nil {
				return &exitError{exitInvalid, fmt.Errorf("pod %s: no scheduling decision by %v (unknown pod, bound by spec.nodeName, or not yet tried)",
					key, report.FormatTime(time.Duration(end)))}
			}
			if output == "json" {
				return writeJSON(stdout, d)
			}
			return writeDecision(stdout, d)
		},
	}
	f := cmd.Flags()
	f.StringVar(&pod, "pod", "", "the pod, as NAMESPACE/NAME (NAME alone means namespace default)")
	f.DurationVar(&at, "at", 0, "explain the decision as it stood at this virtual time (default: the end of the scenario)")
	f.StringVarP(&output, "output", "o", "table", "output format: table or json")
	f.Uint64Var(&seed, "seed", 0, "random seed (default: the scenario's spec.seed, else 1)")
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeDecisions lists every pod's last decision, one row each.
func writeDecisions(w io.Writer, ds []*scheduler.Decision, output string) error {
	if output == "json" {
		if ds == nil {
			ds = []*scheduler.Decision{}
		}
		return writeJSON(w, ds)
	}
	if len(ds) == 0 {
		_, err := io.WriteString(w, "No scheduling decisions.\n")
		return err
	}
	t := report.Table{Columns: []string{"POD", "ATTEMPT", "TIME", "RESULT", "NODE", "MESSAGE"}}
	for _, d := range ds {
		t.Rows = append(t.Rows, []string{d.Pod, strconv.Itoa(d.Attempt), report.FormatTime(time.Duration(d.At)),
			d.Result, orNone(d.Node), orNone(d.Message)})
	}
	return t.Write(w)
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// writeDecision renders one decision as text and kubectl-style tables.
func writeDecision(w io.Writer, d *scheduler.Decision) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Pod %s (scheduler %s), attempt %d at %s: %s", d.Pod, d.Profile, d.Attempt,
		report.FormatTime(time.Duration(d.At)), d.Result)
	switch {
	case d.Node != "" && d.Bound:
		fmt.Fprintf(&b, ", bound to %s", d.Node)
	case d.Node != "" && d.BindFailed:
		fmt.Fprintf(&b, ", binding to %s failed", d.Node)
	case d.Node != "":
		fmt.Fprintf(&b, ", assigned to %s (binding in progress)", d.Node)
	}
	b.WriteString("\n")
	if d.Message != "" {
		b.WriteString(d.Message + "\n")
	}
	fmt.Fprintf(&b, "\nNodes: %d in the cluster, %d evaluated from index %d (stop after %d feasible), %d feasible\n",
		d.NumAllNodes, d.NodesEvaluated, d.StartIndex, d.NumFeasibleNodesToFind, d.FeasibleNodes)
	if n := d.NominatedNode; n != nil {
		verdict := "failed the filters; all nodes were then evaluated"
		if n.Passed {
			verdict = "passed the filters and was taken"
		}
		fmt.Fprintf(&b, "Nominated node %s (from an earlier preemption) was tried first: %s\n", n.Node, verdict)
	}
	if d.PreFilterMessage != "" {
		fmt.Fprintf(&b, "PreFilter rejected the pod for every node: %s\n", d.PreFilterMessage)
	}
	if len(d.Filtered) > 0 {
		b.WriteString("\nFilter rejections:\n")
		t := report.Table{Columns: []string{"PLUGIN", "NODES", "REASON"}}
		for _, f := range d.Filtered {
			if len(f.Reasons) == 0 {
				t.Rows = append(t.Rows, []string{f.Plugin, strconv.Itoa(f.Nodes), "<none>"})
			}
			for _, r := range f.Reasons {
				t.Rows = append(t.Rows, []string{f.Plugin, strconv.Itoa(r.Nodes), r.Reason})
			}
		}
		if err := t.Write(&b); err != nil {
			return err
		}
	}
	if len(d.TopScores) > 0 {
		b.WriteString("\nBest nodes (normalized score × weight per plugin):\n")
		cols := []string{"NODE", "TOTAL"}
		for _, p := range d.TopScores[0].Plugins {
			cols = append(cols, p.Plugin)
		}
		t := report.Table{Columns: cols}
		for _, n := range d.TopScores {
			row := []string{n.Node, strconv.FormatInt(n.TotalScore, 10)}
			for _, p := range n.Plugins {
				row = append(row, fmt.Sprintf("%d×%d=%d", p.Score, p.Weight, p.Weighted))
			}
			t.Rows = append(t.Rows, row)
		}
		if err := t.Write(&b); err != nil {
			return err
		}
	} else if d.FeasibleNodes == 1 {
		b.WriteString("Scoring was skipped: only one node was feasible.\n")
	}
	if tb := d.TieBreak; tb != nil && tb.TiedNodes > 1 {
		fmt.Fprintf(&b, "Tie: %d nodes had the best total %d; the winner was number %d in scan order (%s)\n",
			tb.TiedNodes, tb.TopScore, tb.WinnerScanIndex, tb.Rule)
	}
	if p := d.Preemption; p != nil {
		fmt.Fprintf(&b, "\nPreemption: %s", p.Code)
		if p.NominatedNode != "" {
			fmt.Fprintf(&b, ", nominated node %s, victims %s", p.NominatedNode, strings.Join(p.Victims, ", "))
		}
		if p.Message != "" {
			b.WriteString(": " + p.Message)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
