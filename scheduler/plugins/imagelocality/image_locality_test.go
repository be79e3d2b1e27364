package imagelocality

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// fakeHandle serves a fixed node list.
type fakeHandle struct{ nodes []*framework.NodeInfo }

func (h *fakeHandle) NodeInfos() []*framework.NodeInfo { return h.nodes }
func (h *fakeHandle) Store() *cluster.Store            { return nil }

func nodeInfos(nodes ...*api.Node) []*framework.NodeInfo {
	var out []*framework.NodeInfo
	for _, n := range nodes {
		ni := framework.NewNodeInfo()
		ni.SetNode(n)
		out = append(out, ni)
	}
	return out
}

type img struct {
	names []string
	mb    int64
}

// imageNode is a node whose status.images are given as upstream's
// ContainerImage entries (several names per image).
func imageNode(name string, images ...img) *api.Node {
	w := st.MakeNode().Name(name)
	for _, im := range images {
		for _, n := range im.names {
			w.Image(n, im.mb*mb)
		}
	}
	return w.Obj()
}

// TestImageLocalityPriority has upstream's rows (image_locality_test.go
// TestImageLocalityPriority).
func TestImageLocalityPriority(t *testing.T) {
	test40250 := st.MakePod().ContainerImages("gcr.io/40", "gcr.io/250").Obj()
	test40300 := st.MakePod().ContainerImages("gcr.io/40", "gcr.io/300").Obj()
	testMinMax := st.MakePod().ContainerImages("gcr.io/10", "gcr.io/4000").Obj()
	test300600900 := st.MakePod().ContainerImages("gcr.io/300", "gcr.io/600", "gcr.io/900").Obj()
	test3040 := st.MakePod().ContainerImages("gcr.io/30", "gcr.io/40").Obj()
	testImageVolume := st.MakePod().ContainerImages("gcr.io/30").ImageVolume("gcr.io/300").Obj()
	test30300AsContainers := st.MakePod().ContainerImages("gcr.io/30", "gcr.io/300").Obj()
	test30Init300 := st.MakePod().ContainerImages("gcr.io/30").InitContainerImages("gcr.io/300").Obj()

	node403002000 := func(n string) *api.Node {
		return imageNode(n, img{[]string{"gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"}, 40},
			img{[]string{"gcr.io/300:latest", "gcr.io/300:v1"}, 300}, img{[]string{"gcr.io/2000:latest"}, 2000})
	}
	node25010 := func(n string) *api.Node {
		return imageNode(n, img{[]string{"gcr.io/250:latest"}, 250}, img{[]string{"gcr.io/10:latest", "gcr.io/10:v1"}, 10})
	}
	node60040900 := func(n string) *api.Node {
		return imageNode(n, img{[]string{"gcr.io/600:latest"}, 600}, img{[]string{"gcr.io/40:latest"}, 40},
			img{[]string{"gcr.io/900:latest"}, 900})
	}
	node300600900 := func(n string) *api.Node {
		return imageNode(n, img{[]string{"gcr.io/300:latest"}, 300}, img{[]string{"gcr.io/600:latest"}, 600},
			img{[]string{"gcr.io/900:latest"}, 900})
	}
	node400030 := func(n string) *api.Node {
		return imageNode(n, img{[]string{"gcr.io/4000:latest"}, 4000}, img{[]string{"gcr.io/30:latest"}, 30})
	}
	node203040 := func(n string) *api.Node {
		return imageNode(n, img{[]string{"gcr.io/20:latest"}, 20}, img{[]string{"gcr.io/30:latest"}, 30},
			img{[]string{"gcr.io/40:latest"}, 40})
	}
	noImages := func(n string) *api.Node { return imageNode(n) }

	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*api.Node
		want  []int64
	}{
		{name: "two images spread on two nodes, prefer the larger image one",
			pod: test40250, nodes: []*api.Node{node403002000("node1"), node25010("node2")}, want: []int64{0, 5}},
		{name: "two images on one node, prefer this node",
			pod: test40300, nodes: []*api.Node{node403002000("node1"), node25010("node2")}, want: []int64{7, 0}},
		{name: "if exceed limit, use limit",
			pod: testMinMax, nodes: []*api.Node{node400030("node1"), node25010("node2")}, want: []int64{100, 0}},
		{name: "if exceed limit, use limit (with node which has no images present)",
			pod: testMinMax, nodes: []*api.Node{node400030("node1"), node25010("node2"), noImages("node3")}, want: []int64{66, 0, 0}},
		{name: "pod with multiple large images, node2 is preferred",
			pod: test300600900, nodes: []*api.Node{node60040900("node1"), node300600900("node2"), noImages("node3")}, want: []int64{32, 36, 0}},
		{name: "pod with multiple small images",
			pod: test3040, nodes: []*api.Node{node203040("node1"), node400030("node2")}, want: []int64{1, 0}},
		{name: "pod with ImageVolume",
			pod: testImageVolume, nodes: []*api.Node{node300600900("node1"), node400030("node2")}, want: []int64{6, 0}},
		{name: "same images as ImageVolume pod but as regular container images",
			pod: test30300AsContainers, nodes: []*api.Node{node300600900("node1"), node400030("node2")}, want: []int64{6, 0}},
		{name: "include InitContainers: two images spread on two nodes, prefer the larger image one",
			pod: test30Init300, nodes: []*api.Node{node403002000("node1"), node203040("node2")}, want: []int64{6, 0}},
		// [DERIVED] rows.
		{name: "a tagged image matches only its tag [DERIVED]",
			pod:   st.MakePod().ContainerImages("gcr.io/300:v1").Obj(),
			nodes: []*api.Node{node403002000("node1"), node300600900("node2")}, want: []int64{12, 0}},
		{name: "a pod without images scores 0 [DERIVED]",
			pod: st.MakePod().Obj(), nodes: []*api.Node{node403002000("node1")}, want: []int64{0}},
		{name: "the same image twice counts twice [DERIVED]",
			pod:   st.MakePod().ContainerImages("gcr.io/600", "gcr.io/600").Obj(),
			nodes: []*api.Node{node300600900("node1")}, want: []int64{59}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nis := nodeInfos(tc.nodes...)
			pl, err := New(nil, &fakeHandle{nodes: nis})
			if err != nil {
				t.Fatal(err)
			}
			p := pl.(*ImageLocality)
			state := framework.NewCycleState()
			if s := p.PreScore(state, tc.pod, nis); !s.IsSuccess() {
				t.Fatal(s)
			}
			var got, gotNoPreScore []int64
			for i := range tc.want {
				s, st := p.Score(state, tc.pod, nis[i])
				if !st.IsSuccess() {
					t.Fatal(st)
				}
				got = append(got, s)
				s, _ = p.Score(framework.NewCycleState(), tc.pod, nis[i])
				gotNoPreScore = append(gotNoPreScore, s)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if !slices.Equal(gotNoPreScore, tc.want) {
				t.Errorf("without PreScore: got %v, want %v", gotNoPreScore, tc.want)
			}
		})
	}
}

func TestNormalizedImageName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                    "nginx:latest",
		"nginx:1.27":               "nginx:1.27",
		"registry:5000/app":        "registry:5000/app:latest",
		"registry:5000/app:v2":     "registry:5000/app:v2",
		"docker.io/library/nginx":  "docker.io/library/nginx:latest",
		"gcr.io/pause@sha256:abcd": "gcr.io/pause@sha256:abcd",
	} {
		if got := normalizedImageName(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestImageSizeLastDuplicateWins(t *testing.T) {
	n := st.MakeNode().Image("a", 1).Image("b", 2).Image("b", 3).Image("c", 4).Obj()
	for _, tc := range []struct {
		name string
		size int64
		ok   bool
	}{{"a", 1, true}, {"b", 3, true}, {"c", 4, true}, {"0", 0, false}, {"bb", 0, false}, {"d", 0, false}} {
		if size, ok := imageSize(n, tc.name); size != tc.size || ok != tc.ok {
			t.Errorf("%q: got %d %v", tc.name, size, ok)
		}
	}
}

// TestImageCounterAgainstNaive drives the incremental counter through a
// seeded sequence of node replacements, additions and removals and checks
// every count against a recount; journaled, the counter follows the
// changes through a journal of the nodes (framework.Journal, as the
// scheduler's cache keeps one) with a small reach, syncing only now and
// then.
func TestImageCounterAgainstNaive(t *testing.T) {
	for _, journaled := range []bool{false, true} {
		t.Run(fmt.Sprintf("journaled=%v", journaled), func(t *testing.T) { checkImageCounter(t, journaled) })
	}
}

func checkImageCounter(t *testing.T, journaled bool) {
	const seed = 7
	r := rand.New(rand.NewPCG(seed, 0))
	images := []string{"a:latest", "b:latest", "c:latest", "d:latest", "e:latest"}
	randomNode := func(i int) *api.Node {
		w := st.MakeNode().Name(fmt.Sprintf("n%d", i))
		for _, im := range images {
			if r.IntN(3) == 0 {
				w.Image(im, int64(1+r.IntN(5))*100*mb)
			}
		}
		return w.Obj()
	}
	var nis []*framework.NodeInfo
	for i := range 20 {
		nis = append(nis, nodeInfos(randomNode(i))...)
	}
	var c imageCounter
	setList := func() {}
	if journaled {
		j := framework.NewJournalWithLimit(5)
		c.journal = j
		setList = func() {
			for _, ni := range nis {
				j.Track(ni)
			}
			j.SetList(nis)
		}
	}
	setList()
	for step := range 300 {
		switch r.IntN(10) {
		case 0: // add a node
			nis = append(nis, nodeInfos(randomNode(len(nis)))...)
		case 1: // remove one
			if len(nis) > 1 {
				i := r.IntN(len(nis))
				nis = slices.Delete(slices.Clone(nis), i, i+1)
			}
		default: // update a few in place, as the cache's SetNode does
			for range r.IntN(4) {
				i := r.IntN(len(nis))
				nis[i].SetNode(randomNode(i))
			}
		}
		if l, _ := c.journalList(); journaled && (len(l) != len(nis) || &l[0] != &nis[0]) {
			setList()
		}
		if journaled && r.IntN(3) == 0 {
			continue // changes pile up
		}
		c.sync(nis)
		for _, im := range images[:1+r.IntN(len(images))] {
			var want []int64
			wantCount := 0
			for _, ni := range nis {
				size, ok := imageSize(ni.Node(), im)
				if !ok {
					size = -1
				} else {
					wantCount++
				}
				want = append(want, size)
			}
			count, sizes := c.track(im)
			if count != wantCount || !slices.Equal(sizes, want) {
				t.Fatalf("seed %d step %d image %s: got %d %v, want %d %v", seed, step, im, count, sizes, wantCount, want)
			}
			// Every NodeInfo is found at its position, in any order.
			for _, k := range r.Perm(len(nis)) {
				if p := c.position(nis[k]); p != k {
					t.Fatalf("seed %d step %d: position of node %d is %d", seed, step, k, p)
				}
			}
		}
	}
}

// journalList is the counter's journal's list, if it has a journal.
func (c *imageCounter) journalList() ([]*framework.NodeInfo, uint64) {
	if c.journal == nil {
		return nil, 0
	}
	return c.journal.List()
}

func TestNew(t *testing.T) {
	if _, err := New(nil, nil); err == nil {
		t.Error("a nil handle accepted")
	}
	if _, err := New(struct{}{}, &fakeHandle{}); err == nil {
		t.Error("args accepted")
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	nis := nodeInfos(st.MakeNode().Name("a").Image("x:latest", 500*mb).Obj(), st.MakeNode().Name("b").Obj())
	pl, _ := New(nil, &fakeHandle{nodes: nis})
	p := pl.(*ImageLocality)
	pod := st.MakePod().ContainerImages("x", "y").Obj()
	state := framework.NewCycleState()
	p.PreScore(state, pod, nis)
	if s, _ := p.Score(state, pod, nis[0]); s != 100*(250*mb-minThreshold)/(2000*mb-minThreshold) {
		t.Errorf("score %d", s)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = p.Score(state, pod, nis[0]) }); n != 0 {
		t.Errorf("%v allocations per Score", n)
	}
}

func TestJSONArgs(t *testing.T) {
	if _, err := New(json.RawMessage(`{}`), &fakeHandle{}); err != nil {
		t.Error(err)
	}
	if _, err := New(json.RawMessage(`{"field":1}`), &fakeHandle{}); err == nil {
		t.Error("a field accepted")
	}
}
