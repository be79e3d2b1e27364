package scheduler

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestExplainPending: a pod that fits nowhere is explained by plugin, by
// reason and by node, with the sampling numbers and what preemption said.
func TestExplainPending(t *testing.T) {
	e := newEnv(t, 1, Config{})
	for i, cpu := range []int64{1000, 1000, 4000} {
		if err := e.store.Create(st.MakeNode().Name(fmt.Sprintf("n%d", i)).Capacity(cpu, 2*gib, 110).Obj()); err != nil {
			t.Fatal(err)
		}
	}
	e.addPod("filler", st.MakePod().Req(100, 3*gib/2).Node("n2")) // bound by someone else
	e.run(time.Millisecond)
	e.addPod("big", st.MakePod().Req(2000, gib))
	e.run(time.Second)
	d := e.sched.Explain("default/big")
	if d == nil {
		t.Fatal("no decision")
	}
	want := "0/3 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. " +
		"preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
	if d.Result != ResultUnschedulable || d.Message != want || d.Attempt != 1 || d.Profile != "default-scheduler" ||
		d.NumAllNodes != 3 || d.NumFeasibleNodesToFind != 3 || d.NodesEvaluated != 3 || d.FeasibleNodes != 0 ||
		d.Node != "" || d.Bound || d.TopScores != nil || d.TieBreak != nil || d.Time != d.At.Seconds() {
		t.Errorf("decision %+v\nmessage %q", d, d.Message)
	}
	wantFiltered := []PluginFilter{{Plugin: "NodeResourcesFit", Nodes: 3,
		Reasons: []ReasonCount{{"Insufficient cpu", 2}, {"Insufficient memory", 1}}}}
	if !slices.EqualFunc(d.Filtered, wantFiltered, func(a, b PluginFilter) bool {
		return a.Plugin == b.Plugin && a.Nodes == b.Nodes && slices.Equal(a.Reasons, b.Reasons)
	}) {
		t.Errorf("filtered %+v", d.Filtered)
	}
	if len(d.NodeStatuses) != 3 || d.NodeStatuses[0].Node != "n0" || d.NodeStatuses[0].Code != "UnschedulableAndUnresolvable" ||
		d.NodeStatuses[2].Reasons[0] != "Insufficient memory" || d.NodeStatuses[2].Code != "Unschedulable" {
		t.Errorf("node statuses %+v", d.NodeStatuses)
	}
	if p := d.Preemption; p == nil || p.Code != "Unschedulable" || p.NominatedNode != "" ||
		!strings.HasPrefix(p.Message, "preemption: 0/3 nodes are available") {
		t.Errorf("preemption %+v", d.Preemption)
	}
}

// TestExplainScheduled: the best nodes with each plugin's normalized and
// weighted score, and how the tie among equal nodes fell.
func TestExplainScheduled(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(7, 4000, 16*gib)
	e.run(time.Second)
	e.addPod("p", st.MakePod().Req(1000, gib))
	e.run(2 * time.Second)
	d := e.sched.Explain("default/p")
	if d.Result != ResultScheduled || !d.Bound || d.Node == "" || d.NodesEvaluated != 7 || d.FeasibleNodes != 7 {
		t.Fatalf("decision %+v", d)
	}
	if len(d.TopScores) != maxTopScores || d.TopScores[0].Node != d.Node {
		t.Fatalf("top scores %+v", d.TopScores)
	}
	for _, ns := range d.TopScores {
		if len(ns.Plugins) == 0 {
			t.Fatalf("no plugin scores: %+v", ns)
		}
		var total int64
		for _, ps := range ns.Plugins {
			if ps.Weighted != ps.Score*ps.Weight || ps.Score < 0 || ps.Score > 100 {
				t.Errorf("%s: %+v", ns.Node, ps)
			}
			total += ps.Weighted
		}
		if total != ns.TotalScore {
			t.Errorf("%s: plugins add up to %d, total %d", ns.Node, total, ns.TotalScore)
		}
	}
	// Seven empty, equal nodes: all tied, and upstream's heap picks the
	// first node of the scan.
	tb := d.TieBreak
	if tb == nil || tb.TiedNodes != 7 || tb.TopScore != d.TopScores[0].TotalScore || tb.WinnerScanIndex != 0 || tb.Rule == "" {
		t.Errorf("tie break %+v", tb)
	}
	// Decisions lists every pod once, by key; JSON carries the fields.
	e.addPod("a", st.MakePod().Req(100, 0))
	e.run(3 * time.Second)
	all := e.sched.Decisions()
	if len(all) != 2 || all[0].Pod != "default/a" || all[1].Pod != "default/p" {
		t.Fatalf("decisions %v", all)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"pod":"default/p"`, `"result":"scheduled"`, `"numFeasibleNodesToFind":7`,
		`"topScores":[`, `"weighted":`, `"tieBreak":{`, `"tiedNodes":7`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON lacks %s: %s", field, b)
		}
	}
	if e.sched.Explain("default/never") != nil {
		t.Errorf("a decision for a pod never attempted")
	}
}
