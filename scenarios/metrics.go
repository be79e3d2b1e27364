package scenarios

import (
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/scheduler"
)

var (
	queueActive        = []metrics.Label{{Name: "queue", Value: "active"}}
	queueBackoff       = []metrics.Label{{Name: "queue", Value: "backoff"}}
	queueUnschedulable = []metrics.Label{{Name: "queue", Value: "unschedulable"}}
	attemptScheduled   = []metrics.Label{{Name: "profile", Value: "default-scheduler"}, {Name: "result", Value: scheduler.ResultScheduled}}
	attemptUnsched     = []metrics.Label{{Name: "profile", Value: "default-scheduler"}, {Name: "result", Value: scheduler.ResultUnschedulable}}
	attemptError       = []metrics.Label{{Name: "profile", Value: "default-scheduler"}, {Name: "result", Value: scheduler.ResultError}}
)

// schedulerMetrics is kube-scheduler's scheduler_pending_pods{queue} and
// scheduler_schedule_attempts_total{profile,result}, read from the
// scheduler (pkg/scheduler/metrics/metrics.go).
type schedulerMetrics struct{ s *scheduler.Scheduler }

func (m schedulerMetrics) Collect(emit func(string, []metrics.Label, float64)) {
	a, b, u := m.s.Pending()
	emit("scheduler_pending_pods", queueActive, float64(a))
	emit("scheduler_pending_pods", queueBackoff, float64(b))
	emit("scheduler_pending_pods", queueUnschedulable, float64(u))
	at := m.s.Attempts()
	emit("scheduler_schedule_attempts_total", attemptScheduled, float64(at.Scheduled))
	emit("scheduler_schedule_attempts_total", attemptUnsched, float64(at.Unschedulable))
	emit("scheduler_schedule_attempts_total", attemptError, float64(at.Error))
}
