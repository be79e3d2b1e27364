package cluster

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func ms(n int) sim.Time { return sim.Time(time.Duration(n) * time.Millisecond) }

func testPod(t *testing.T, ns, name string, grace *int64) *api.Pod {
	t.Helper()
	spec, err := api.CompilePodSpec(&corev1.PodSpec{
		Containers:                    []corev1.Container{{Name: "c", Image: "nginx:1.27"}},
		TerminationGracePeriodSeconds: grace,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}, Spec: spec,
		Status: api.PodStatus{Phase: corev1.PodPending}}
}

func opaque(k api.Kind, ns, name string) *api.Opaque {
	return &api.Opaque{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}, ObjKind: k}
}

func run(t *testing.T, eng *sim.Engine, until sim.Time) {
	t.Helper()
	if err := eng.Run(until); err != nil {
		t.Fatal(err)
	}
}

func TestCreateFillsMetadata(t *testing.T) {
	eng := sim.NewEngine(1)
	s := NewStore(eng)
	if got := s.Len(api.KindNamespace); got != 4 {
		t.Fatalf("initial namespaces = %d, want 4", got)
	}
	run(t, eng, ms(1500))
	tests := []struct {
		obj    api.Object
		wantNS string
		wantRV int64
	}{
		{testPod(t, "", "a", nil), "default", 5},
		{testPod(t, "kube-system", "b", nil), "kube-system", 6},
		{opaque(api.KindPersistentVolume, "default", "pv1"), "", 7},
		{opaque(api.KindService, "", "svc"), "default", 8},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		if err := s.Create(tc.obj); err != nil {
			t.Fatalf("Create %s: %v", tc.obj.Meta().Name, err)
		}
		m := tc.obj.Meta()
		if m.Namespace != tc.wantNS {
			t.Errorf("%s: namespace = %q, want %q", m.Name, m.Namespace, tc.wantNS)
		}
		if m.ResourceVersion != tc.wantRV {
			t.Errorf("%s: resourceVersion = %d, want %d", m.Name, m.ResourceVersion, tc.wantRV)
		}
		if m.Generation != 1 {
			t.Errorf("%s: generation = %d, want 1", m.Name, m.Generation)
		}
		if m.Created != ms(1500) {
			t.Errorf("%s: created = %v, want 1.5s", m.Name, m.Created)
		}
		if !uuidV4.MatchString(m.UID) {
			t.Errorf("%s: uid %q is not a v4 UUID", m.Name, m.UID)
		}
		if seen[m.UID] {
			t.Errorf("%s: duplicate uid %q", m.Name, m.UID)
		}
		seen[m.UID] = true
		if got := s.Get(tc.obj.Kind(), tc.wantNS, m.Name); got != tc.obj {
			t.Errorf("%s: Get = %v, want the created object", m.Name, got)
		}
	}
}

func TestCreateErrors(t *testing.T) {
	s := NewStore(sim.NewEngine(1))
	if err := s.Create(testPod(t, "default", "dup", nil)); err != nil {
		t.Fatal(err)
	}
	rv := s.rv
	tests := []struct {
		name    string
		obj     api.Object
		check   func(error) bool
		message string
	}{
		{"missing namespace", testPod(t, "x", "p", nil), apierrors.IsNotFound, `namespaces "x" not found`},
		{"duplicate", testPod(t, "default", "dup", nil), apierrors.IsAlreadyExists, `pods "dup" already exists`},
		{"no name", testPod(t, "default", "", nil), apierrors.IsBadRequest, "Pod: name or generateName is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Create(tc.obj)
			if err == nil || !tc.check(err) {
				t.Fatalf("err = %v, want a %s error", err, tc.name)
			}
			if err.Error() != tc.message {
				t.Errorf("message = %q, want %q", err.Error(), tc.message)
			}
		})
	}
	if s.rv != rv {
		t.Errorf("failed creates changed resourceVersion: %d, want %d", s.rv, rv)
	}
	if got := s.Len(api.KindPod); got != 1 {
		t.Errorf("pods = %d, want 1", got)
	}
}

func TestGenerateName(t *testing.T) {
	gen := func(seed uint64, base string, n int) []string {
		s := NewStore(sim.NewEngine(seed))
		var out []string
		for i := 0; i < n; i++ {
			p := testPod(t, "default", "", nil)
			p.GenerateName = base
			if err := s.Create(p); err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Name)
		}
		return out
	}
	long := strings.Repeat("a", 70)
	tests := []struct{ base, wantPrefix string }{
		{"web-7d4b9c-", "web-7d4b9c-"},
		{long, strings.Repeat("a", 58)},
	}
	for _, tc := range tests {
		a := gen(42, tc.base, 20)
		b := gen(42, tc.base, 20)
		for i, name := range a {
			if name != b[i] {
				t.Errorf("seed 42 gave %q then %q", name, b[i])
			}
			if !strings.HasPrefix(name, tc.wantPrefix) || len(name) != len(tc.wantPrefix)+5 {
				t.Fatalf("name %q: want %q + 5 characters", name, tc.wantPrefix)
			}
			for _, r := range name[len(tc.wantPrefix):] {
				if !strings.ContainsRune("bcdfghjklmnpqrstvwxz2456789", r) {
					t.Errorf("name %q: suffix character %q outside the alphabet", name, r)
				}
			}
		}
		if c := gen(43, tc.base, 20); strings.Join(c, ",") == strings.Join(a, ",") {
			t.Errorf("seeds 42 and 43 gave the same names")
		}
	}
}

func TestListOrderAndNamespaceBoundary(t *testing.T) {
	s := NewStore(sim.NewEngine(1))
	for _, key := range []string{"kube-system/z", "default/b", "kube-public/a", "default/a", "kube-node-lease/m"} {
		ns, name, _ := strings.Cut(key, "/")
		if err := s.Create(testPod(t, ns, name, nil)); err != nil {
			t.Fatal(err)
		}
	}
	list := func(ns string, limit int) string {
		var keys []string
		s.List(api.KindPod, ns, func(o api.Object) bool {
			keys = append(keys, o.Meta().Key())
			return limit == 0 || len(keys) < limit
		})
		return strings.Join(keys, " ")
	}
	tests := []struct {
		ns    string
		limit int
		want  string
	}{
		{"", 0, "default/a default/b kube-node-lease/m kube-public/a kube-system/z"},
		{"", 2, "default/a default/b"},
		{"default", 0, "default/a default/b"},
		{"kube-node-lease", 0, "kube-node-lease/m"},
		{"kube-public", 0, "kube-public/a"},
		{"kube", 0, ""},
		{"nope", 0, ""},
	}
	for _, tc := range tests {
		if got := list(tc.ns, tc.limit); got != tc.want {
			t.Errorf("List(%q, limit %d) = %q, want %q", tc.ns, tc.limit, got, tc.want)
		}
	}
	var nss []string
	s.List(api.KindNamespace, "ignored", func(o api.Object) bool { nss = append(nss, o.Meta().Name); return true })
	if got := strings.Join(nss, " "); got != "default kube-node-lease kube-public kube-system" {
		t.Errorf("namespaces = %q", got)
	}
}

func TestUpdateSpecAndUpdate(t *testing.T) {
	s := NewStore(sim.NewEngine(1))
	p := testPod(t, "default", "p", nil)
	if err := s.Create(p); err != nil {
		t.Fatal(err)
	}
	s.Update(p)
	if p.Generation != 1 || p.ResourceVersion != 6 {
		t.Errorf("after Update: generation %d rv %d, want 1 6", p.Generation, p.ResourceVersion)
	}
	s.UpdateSpec(p)
	if p.Generation != 2 || p.ResourceVersion != 7 {
		t.Errorf("after UpdateSpec: generation %d rv %d, want 2 7", p.Generation, p.ResourceVersion)
	}
}

func TestBind(t *testing.T) {
	s := NewStore(sim.NewEngine(1))
	a, b := testPod(t, "default", "a", nil), testPod(t, "default", "b", nil)
	for _, p := range []*api.Pod{a, b} {
		if err := s.Create(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Bind(a, "n1"); err != nil {
		t.Fatal(err)
	}
	if a.NodeName != "n1" || a.ResourceVersion != 7 {
		t.Errorf("bound pod: node %q rv %d, want n1 7", a.NodeName, a.ResourceVersion)
	}
	onNode := func(node string) string {
		var names []string
		s.PodsOnNode(node, func(p *api.Pod) bool { names = append(names, p.Name); return true })
		return strings.Join(names, " ")
	}
	if err := s.Bind(b, "n0"); err != nil {
		t.Fatal(err)
	}
	for node, want := range map[string]string{"n1": "a", "n0": "b", "n": "", "n2": ""} {
		if got := onNode(node); got != want {
			t.Errorf("PodsOnNode(%q) = %q, want %q", node, got, want)
		}
	}
	err := s.Bind(a, "n2")
	if !apierrors.IsConflict(err) {
		t.Fatalf("second Bind err = %v, want Conflict", err)
	}
	if !strings.Contains(err.Error(), `pod a is already assigned to node "n1"`) {
		t.Errorf("message = %q", err.Error())
	}
	if a.NodeName != "n1" {
		t.Errorf("node after failed bind = %q", a.NodeName)
	}
}

func TestDeletePods(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	type del struct {
		at    int // ms
		grace *int64
	}
	tests := []struct {
		name         string
		specGrace    *int64
		bound        bool
		deletes      []del
		wantGone     bool
		wantDeleted  sim.Time
		wantGraceSec int64
	}{
		{"unbound goes at once", nil, false, []del{{0, nil}}, true, 0, 0},
		{"unbound ignores grace", nil, false, []del{{0, i64(60)}}, true, 0, 0},
		{"bound default 30s", nil, true, []del{{1000, nil}}, false, ms(31000), 30},
		{"bound spec grace", i64(5), true, []del{{1000, nil}}, false, ms(6000), 5},
		{"explicit override", nil, true, []del{{1000, i64(10)}}, false, ms(11000), 10},
		{"longer never extends", nil, true, []del{{1000, i64(10)}, {2000, i64(60)}}, false, ms(11000), 10},
		{"equal never extends", nil, true, []del{{1000, i64(10)}, {2000, i64(10)}}, false, ms(11000), 10},
		{"shorter shortens from the first deletion", nil, true, []del{{1000, i64(10)}, {2000, i64(3)}}, false, ms(4000), 3},
		{"zero removes", nil, true, []del{{1000, nil}, {2000, i64(0)}}, true, ms(31000), 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eng := sim.NewEngine(1)
			s := NewStore(eng)
			var events []string
			s.Watch(api.KindPod, func(ev WatchEvent) {
				events = append(events, fmt.Sprintf("%v %v", ev.Type, eng.Now()))
			})
			p := testPod(t, "default", "p", tc.specGrace)
			if err := s.Create(p); err != nil {
				t.Fatal(err)
			}
			if tc.bound {
				if err := s.Bind(p, "n1"); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range tc.deletes {
				run(t, eng, ms(d.at))
				if err := s.Delete(api.KindPod, "default", "p", d.grace); err != nil {
					t.Fatal(err)
				}
			}
			run(t, eng, ms(100000))
			if gone := s.Pod("default", "p") == nil; gone != tc.wantGone {
				t.Fatalf("gone = %v, want %v", gone, tc.wantGone)
			}
			if !p.Deleting || p.Deleted != tc.wantDeleted || p.DeletionGracePeriodSeconds != tc.wantGraceSec {
				t.Errorf("deleting %v deleted %v grace %d, want true %v %d",
					p.Deleting, p.Deleted, p.DeletionGracePeriodSeconds, tc.wantDeleted, tc.wantGraceSec)
			}
			last := events[len(events)-1]
			if tc.wantGone && !strings.HasPrefix(last, "DELETED ") {
				t.Errorf("last watch event %q, want DELETED", last)
			}
			if !tc.wantGone {
				if strings.HasPrefix(last, "DELETED") {
					t.Errorf("watch events %v include DELETED", events)
				}
				var n int
				s.PodsOnNode("n1", func(*api.Pod) bool { n++; return true })
				if n != 1 {
					t.Errorf("PodsOnNode = %d pods, want 1", n)
				}
				s.Remove(p)
				if s.Pod("default", "p") != nil {
					t.Fatal("Remove left the pod")
				}
				n = 0
				s.PodsOnNode("n1", func(*api.Pod) bool { n++; return true })
				if n != 0 || p.Deleted != tc.wantDeleted {
					t.Errorf("after Remove: %d pods on node, deleted %v", n, p.Deleted)
				}
			}
		})
	}
}

func TestDeleteUnboundPodWatchEvents(t *testing.T) {
	eng := sim.NewEngine(1)
	s := NewStore(eng)
	var got []string
	s.Watch(api.KindPod, func(ev WatchEvent) {
		got = append(got, fmt.Sprintf("%v %s rv=%d @%v", ev.Type, ev.Object.Meta().Name, ev.Object.Meta().ResourceVersion, eng.Now()))
	})
	p := testPod(t, "default", "p", nil)
	if err := s.Create(p); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(api.KindPod, "default", "p", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(api.KindPod, "default", "p", nil); !apierrors.IsNotFound(err) {
		t.Errorf("second delete err = %v, want NotFound", err)
	}
	run(t, eng, ms(100))
	// The event carries the live object, so both show its final rv.
	want := "ADDED p rv=6 @10ms|DELETED p rv=6 @10ms"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("events = %q, want %q", g, want)
	}
}

func TestDeleteWithFinalizers(t *testing.T) {
	eng := sim.NewEngine(1)
	s := NewStore(eng)
	o := opaque(api.KindPersistentVolumeClaim, "default", "claim")
	o.Finalizers = []string{"kubernetes.io/pvc-protection"}
	if err := s.Create(o); err != nil {
		t.Fatal(err)
	}
	run(t, eng, ms(2000))
	for i := 0; i < 2; i++ {
		if err := s.Delete(api.KindPersistentVolumeClaim, "default", "claim", nil); err != nil {
			t.Fatal(err)
		}
	}
	if s.Get(api.KindPersistentVolumeClaim, "default", "claim") != o || !o.Deleting || o.Deleted != ms(2000) || o.ResourceVersion != 6 {
		t.Errorf("deleting %v deleted %v rv %d, want true 2s 6", o.Deleting, o.Deleted, o.ResourceVersion)
	}
	plain := opaque(api.KindService, "default", "svc")
	if err := s.Create(plain); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(api.KindService, "default", "svc", nil); err != nil {
		t.Fatal(err)
	}
	if s.Get(api.KindService, "default", "svc") != nil || !plain.Deleting || plain.Deleted != ms(2000) {
		t.Errorf("service not removed at once")
	}
}

func TestWatchLatencyAndOrder(t *testing.T) {
	for _, latency := range []time.Duration{0, 10 * time.Millisecond, 250 * time.Millisecond} {
		t.Run(latency.String(), func(t *testing.T) {
			eng := sim.NewEngine(1)
			s := NewStore(eng)
			s.WatchLatency = latency
			var got, got2 []string
			s.Watch(api.KindPod, func(ev WatchEvent) {
				got = append(got, fmt.Sprintf("%v %s @%v", ev.Type, ev.Object.Meta().Name, eng.Now()))
			})
			s.Watch(api.KindPod, func(ev WatchEvent) { got2 = append(got2, ev.Object.Meta().Name) })
			s.Watch(api.KindNode, func(ev WatchEvent) {
				got = append(got, fmt.Sprintf("%v node/%s @%v", ev.Type, ev.Object.Meta().Name, eng.Now()))
			})
			a, b := testPod(t, "default", "a", nil), testPod(t, "default", "b", nil)
			if err := s.Create(b); err != nil {
				t.Fatal(err)
			}
			if err := s.Create(a); err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Fatalf("delivered synchronously: %v", got)
			}
			run(t, eng, ms(5))
			if err := s.Create(&api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}}); err != nil {
				t.Fatal(err)
			}
			s.Update(b)
			if err := s.Delete(api.KindPod, "default", "a", nil); err != nil {
				t.Fatal(err)
			}
			run(t, eng, ms(1000))
			l5 := sim.Time(0).Add(latency + 5*time.Millisecond)
			want := []string{
				fmt.Sprintf("ADDED b @%v", sim.Time(latency)),
				fmt.Sprintf("ADDED a @%v", sim.Time(latency)),
				fmt.Sprintf("ADDED node/n1 @%v", l5),
				fmt.Sprintf("MODIFIED b @%v", l5),
				fmt.Sprintf("DELETED a @%v", l5),
			}
			if g, w := strings.Join(got, "|"), strings.Join(want, "|"); g != w {
				t.Errorf("events\n got %s\nwant %s", g, w)
			}
			if g := strings.Join(got2, " "); g != "b a b a" {
				t.Errorf("second handler saw %q, want %q", g, "b a b a")
			}
		})
	}
}

func TestDependents(t *testing.T) {
	s := NewStore(sim.NewEngine(1))
	rs1 := opaque(api.KindReplicaSet, "default", "rs1")
	rs2 := opaque(api.KindReplicaSet, "default", "rs2")
	for _, o := range []api.Object{rs1, rs2} {
		if err := s.Create(o); err != nil {
			t.Fatal(err)
		}
	}
	ref := func(o api.Object) api.OwnerRef {
		return api.OwnerRef{Kind: o.Kind(), Name: o.Meta().Name, UID: o.Meta().UID, Controller: true}
	}
	mk := func(ns, name string, owners ...api.Object) *api.Pod {
		p := testPod(t, ns, name, nil)
		for _, o := range owners {
			p.OwnerRefs = append(p.OwnerRefs, ref(o))
		}
		if err := s.Create(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk("default", "z", rs1)
	mk("default", "a", rs1, rs2)
	mk("kube-system", "b", rs1)
	mk("default", "c", rs2)
	mk("default", "orphan")
	svc := opaque(api.KindService, "default", "svc")
	svc.OwnerRefs = []api.OwnerRef{ref(rs1)}
	if err := s.Create(svc); err != nil {
		t.Fatal(err)
	}
	deps := func(uid string) string {
		var keys []string
		s.Dependents(uid, func(o api.Object) bool {
			keys = append(keys, o.Kind().String()+"/"+o.Meta().Key())
			return true
		})
		return strings.Join(keys, " ")
	}
	tests := []struct{ uid, want string }{
		{rs1.UID, "Service/default/svc Pod/default/a Pod/default/z Pod/kube-system/b"},
		{rs2.UID, "Pod/default/a Pod/default/c"},
		{"no-such-uid", ""},
	}
	for _, tc := range tests {
		if got := deps(tc.uid); got != tc.want {
			t.Errorf("Dependents(%s) = %q, want %q", tc.uid, got, tc.want)
		}
	}
	if err := s.Delete(api.KindPod, "default", "a", nil); err != nil {
		t.Fatal(err)
	}
	p := s.Pod("default", "c")
	s.SetOwners(p, []api.OwnerRef{ref(rs1)})
	if got, want := deps(rs1.UID), "Service/default/svc Pod/default/c Pod/default/z Pod/kube-system/b"; got != want {
		t.Errorf("after delete and SetOwners: rs1 dependents %q, want %q", got, want)
	}
	if got := deps(rs2.UID); got != "" {
		t.Errorf("after delete and SetOwners: rs2 dependents %q, want none", got)
	}
}

func TestEventLogAggregates(t *testing.T) {
	eng := sim.NewEngine(1)
	s := NewStore(eng)
	a, b := testPod(t, "default", "a", nil), testPod(t, "default", "b", nil)
	for _, p := range []*api.Pod{a, b} {
		if err := s.Create(p); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		at     int
		obj    api.Object
		reason string
		msg    string
		host   string
	}{
		{0, a, "Pulled", "x", "n1"},
		{100, b, "Pulled", "x", "n1"},
		{200, a, "Pulled", "x", "n1"},
		{300, a, "Pulled", "y", "n1"},
		{400, a, "Pulled", "x", "n2"},
		{500, a, "Pulled", "x", "n1"},
	}
	for _, st := range steps {
		run(t, eng, ms(st.at))
		s.Record(st.obj, Normal, st.reason, st.msg, "kubelet", st.host)
	}
	var got []string
	for _, e := range s.Events.All() {
		got = append(got, fmt.Sprintf("%s %s %s %s %s %s x%d %v-%v", e.Object, e.Type, e.Reason, e.Message, e.Source, e.Host, e.Count, e.First, e.Last))
	}
	want := []string{
		"Pod/default/a Normal Pulled x kubelet n1 x3 0s-500ms",
		"Pod/default/b Normal Pulled x kubelet n1 x1 100ms-100ms",
		"Pod/default/a Normal Pulled y kubelet n1 x1 300ms-300ms",
		"Pod/default/a Normal Pulled x kubelet n2 x1 400ms-400ms",
	}
	if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("events\n got:\n%s\nwant:\n%s", g, w)
	}
	if e := s.Events.All()[0]; e.Object.UID != a.UID || e.Object.Kind != api.KindPod {
		t.Errorf("object ref %+v", e.Object)
	}
}

func TestDelaySample(t *testing.T) {
	r := sim.NewEngine(7).Rand("t")
	if got := Fixed(2 * time.Second).Sample(r); got != 2*time.Second {
		t.Errorf("Fixed(2s) = %v", got)
	}
	d := Delay{Median: time.Second, P99: 10 * time.Second}
	var below int
	for i := 0; i < 2000; i++ {
		v := d.Sample(r)
		if v <= 0 {
			t.Fatalf("sample %v <= 0", v)
		}
		if v <= time.Second {
			below++
		}
	}
	if below < 900 || below > 1100 {
		t.Errorf("%d of 2000 samples at or below the median", below)
	}
	for _, tc := range []struct {
		d  Delay
		ok bool
	}{
		{Delay{Median: time.Second}, true},
		{Delay{Median: time.Second, P99: 2 * time.Second}, true},
		{Delay{Median: 2 * time.Second, P99: time.Second}, false},
		{Delay{Median: -1}, false},
	} {
		if err := tc.d.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v", tc.d, err)
		}
	}
}
