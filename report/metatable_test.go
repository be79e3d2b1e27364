package report

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
)

func TestTableColumnsAndCells(t *testing.T) {
	r := fixture(t)
	now := r.Epoch.Add(time.Duration(r.End))
	names := func(cs []metav1.TableColumnDefinition) string {
		var out []string
		for _, c := range cs {
			n := c.Name
			if c.Priority == 1 {
				n += "*"
			}
			out = append(out, n)
		}
		return strings.Join(out, ",")
	}
	for k, want := range map[api.Kind]string{
		api.KindPod:        "Name,Ready,Status,Restarts,Age,IP*,Node*,Nominated Node*,Readiness Gates*",
		api.KindDeployment: "Name,Ready,Up-to-date,Available,Age,Containers*,Images*,Selector*",
		api.KindReplicaSet: "Name,Desired,Current,Ready,Age,Containers*,Images*,Selector*",
		api.KindNode:       "Name,Status,Roles,Age,Version,Internal-IP*,External-IP*,OS-Image*,Kernel-Version*,Container-Runtime*",
		api.KindLease:      "Name,Holder,Age",
	} {
		if got := names(TableColumns(k)); got != want {
			t.Errorf("%s columns %s, want %s", k, got, want)
		}
	}
	if c := TableColumns(api.KindPod)[0]; c.Format != "name" || c.Type != "string" {
		t.Errorf("name column %+v", c)
	}

	cells := map[string][]any{}
	for _, k := range []api.Kind{api.KindNode, api.KindDeployment, api.KindReplicaSet, api.KindPod} {
		r.Store.List(k, "", func(o api.Object) bool {
			c := TableCells(k, APIObject(o, r.Epoch), now)
			if len(c) != len(TableColumns(k)) {
				t.Errorf("%s %s: %d cells for %d columns", k, o.Meta().Name, len(c), len(TableColumns(k)))
			}
			cells[k.String()+"/"+o.Meta().Name] = c
			return true
		})
	}
	node := cells["Node/worker-1"]
	if node[0] != "worker-1" || node[1] != "Ready" || node[5] != "172.18.0.2" || node[7] != "<unknown>" {
		t.Errorf("node cells %v", node)
	}
	if d := cells["Deployment/web"]; d[5] != "web" || d[6] != "nginx:1.27" || d[7] != "app=web" {
		t.Errorf("deployment cells %v", d)
	}
	// Replica set counts are integers, as in printers.go.
	if rs := cells["ReplicaSet/web-6d4cf56db6"]; rs[1] != int64(2) {
		t.Errorf("replica set cells %v (%T)", rs, rs[1])
	}
	for key, c := range cells {
		if strings.HasPrefix(key, "Pod/") && (c[5] == "" || c[7] != "<none>" || c[8] != "<none>") {
			t.Errorf("%s wide cells %v", key, c[5:])
		}
	}

	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "web.1"}, Type: "Normal", Reason: "ScalingReplicaSet",
		Message: " Scaled up ", InvolvedObject: corev1.ObjectReference{Kind: "Deployment", Name: "web"},
		Source:         corev1.EventSource{Component: "deployment-controller"},
		FirstTimestamp: metav1.NewTime(now.Add(-time.Minute)), LastTimestamp: metav1.NewTime(now.Add(-10 * time.Second)), Count: 2}
	got := EventTableCells(ev, now)
	want := []any{"10s", "Normal", "ScalingReplicaSet", "deployment/web", "", "deployment-controller", "Scaled up", "60s", int64(2), "web.1"}
	if len(got) != len(EventTableColumns()) {
		t.Fatalf("%d event cells for %d columns", len(got), len(EventTableColumns()))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event cell %d (%s) = %v, want %v", i, EventTableColumns()[i].Name, got[i], want[i])
		}
	}
}
