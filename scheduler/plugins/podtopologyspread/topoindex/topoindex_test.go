package topoindex

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

func infos(nodes ...*api.Node) []*framework.NodeInfo {
	out := make([]*framework.NodeInfo, len(nodes))
	for i, n := range nodes {
		out[i] = framework.NewNodeInfo()
		out[i].SetNode(n)
	}
	return out
}

func zoneNode(name, zone string) *api.Node {
	return st.MakeNode().Name(name).Label("zone", zone).Label(corev1.LabelHostname, name).Obj()
}

// TestDomains: domains follow node relabels, additions and removals; ids
// are never reused; Unique tracks shared values.
func TestDomains(t *testing.T) {
	var ix Index
	nis := infos(zoneNode("a", "z1"), zoneNode("b", "z2"), zoneNode("c", "z1"))
	ix.Sync(nis)
	zone, host := ix.Key("zone"), ix.Key(corev1.LabelHostname)
	if !slices.Equal(zone.Domain, []int32{0, 1, 0}) || !slices.Equal(zone.Values, []string{"z1", "z2"}) {
		t.Fatalf("zone: %v %v", zone.Domain, zone.Values)
	}
	if zone.Unique() || !host.Unique() {
		t.Errorf("Unique: zone %v host %v", zone.Unique(), host.Unique())
	}
	nis[2].SetNode(st.MakeNode().Name("c").Label("zone", "z3").Label(corev1.LabelHostname, "a").Obj())
	ix.Sync(nis)
	if !slices.Equal(zone.Domain, []int32{0, 1, 2}) || !zone.Unique() || host.Unique() {
		t.Errorf("after relabel: zone %v unique %v, host unique %v", zone.Domain, zone.Unique(), host.Unique())
	}
	nis = nis[1:]
	ix.Sync(nis)
	if !slices.Equal(zone.Domain, []int32{1, 2}) || !host.Unique() {
		t.Errorf("after removal: zone %v, host unique %v", zone.Domain, host.Unique())
	}
	if p := ix.Position(nis[1]); p != 1 {
		t.Errorf("Position = %d", p)
	}
	if p, pe := ix.Position(nis[0].Clone()), ix.PositionExact(nis[0].Clone()); p != 0 || pe != -1 {
		t.Errorf("copy: Position %d, PositionExact %d", p, pe)
	}
	outside := infos(zoneNode("x", "z9"))[0]
	if d, has := ix.DomainOf(outside, zone); d != -1 || !has {
		t.Errorf("outside node: %d %v", d, has)
	}
}

// TestStamps: a position's stamp changes when its pods change, including
// a pod the store writes to in place, and TakeChanged lists it once.
func TestStamps(t *testing.T) {
	store := cluster.NewStore(sim.NewEngine(1))
	var ix Index
	ix.TrackPods(store)
	ix.TrackChanges()
	nis := infos(zoneNode("a", "z1"), zoneNode("b", "z2"))
	ix.Sync(nis)
	if _, all := ix.TakeChanged(); !all {
		t.Fatal("first TakeChanged: want all")
	}
	gens := slices.Clone(ix.Gens())
	p := st.MakePod().Name("p").Obj()
	if err := store.Create(p); err != nil {
		t.Fatal(err)
	}
	if err := store.Bind(p, "b"); err != nil {
		t.Fatal(err)
	}
	nis[1].AddPod(p)
	ix.Sync(nis)
	if g := ix.Gens(); g[0] != gens[0] || g[1] == gens[1] {
		t.Errorf("after AddPod: stamps %v, were %v", g, gens)
	}
	if ch, all := ix.TakeChanged(); all || !slices.Equal(ch, []int32{1}) {
		t.Errorf("changed %v %v", ch, all)
	}
	gens = slices.Clone(ix.Gens())
	ix.Sync(nis)
	if ch, _ := ix.TakeChanged(); !slices.Equal(ix.Gens(), gens) || len(ch) != 0 {
		t.Errorf("nothing changed: stamps %v, were %v, changed %v", ix.Gens(), gens, ch)
	}
	grace := int64(30)
	if err := store.Delete(api.KindPod, "default", "p", &grace); err != nil {
		t.Fatal(err)
	}
	ix.Sync(nis)
	if g := ix.Gens(); g[1] == gens[1] {
		t.Error("a pod marked for deletion in place: stamp unchanged")
	}
	if ch, _ := ix.TakeChanged(); !slices.Equal(ch, []int32{1}) {
		t.Errorf("changed %v", ch)
	}
}
