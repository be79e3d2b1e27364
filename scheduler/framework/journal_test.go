package framework

import (
	"slices"
	"testing"

	"github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestJournal: tracked NodeInfos log their changes in order; a reader
// reading at the cursor sees each later change, even a repeat of the last
// entry it read; copies are not tracked; a reader past the log's reach is
// told so; SetList moves the version on.
func TestJournal(t *testing.T) {
	j := NewJournalWithLimit(4)
	a, b := NewNodeInfo(), NewNodeInfo()
	j.Track(a)
	j.Track(b)
	list := []*NodeInfo{a, b}
	j.SetList(list)
	if _, v := j.List(); v != 1 || !j.IsList(list, 1) || j.IsList(list[:1], 1) {
		t.Fatalf("SetList: version %d", v)
	}
	c0 := j.Cursor()
	a.SetNode(testutil.MakeNode().Name("a").Obj())
	a.AddPod(testutil.MakePod().Name("p").Obj()) // folded into a's entry: nobody read it
	b.SetNode(testutil.MakeNode().Name("b").Obj())
	got, ok := j.Since(c0)
	if !ok || !slices.Equal(got, []*NodeInfo{a, b}) {
		t.Fatalf("Since = %v %v, want [a b]", got, ok)
	}
	c1 := j.Cursor()
	b.AddPod(testutil.MakePod().Name("q").Obj()) // b was read: logged again
	if got, ok := j.Since(c1); !ok || !slices.Equal(got, []*NodeInfo{b}) {
		t.Fatalf("after a read, Since = %v %v, want [b]", got, ok)
	}
	cp := a.Clone()
	cp.AddPod(testutil.MakePod().Name("r").Obj())
	var into NodeInfo
	a.CloneInto(&into)
	into.AddPod(testutil.MakePod().Name("s").Obj())
	if got, _ := j.Since(c1); !slices.Equal(got, []*NodeInfo{b}) {
		t.Fatalf("copies logged: %v", got)
	}
	for range 5 {
		a.AddPod(testutil.MakePod().Obj())
		j.Cursor() // a reader, so nothing folds
	}
	if _, ok := j.Since(c0); ok {
		t.Error("a cursor past the log's reach: want ok = false")
	}
	if _, ok := j.Since(j.Cursor()); !ok {
		t.Error("the current cursor: want ok")
	}
}
