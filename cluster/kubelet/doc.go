// Package kubelet simulates the node agent of every node on the virtual
// clock:
//
//   - node lifecycle: registration, the Lease in kube-node-lease renewed
//     every quarter of its 40 s duration, node status computed every 10 s and
//     posted when it changed or 5 min after the last post (conditions'
//     heartbeats and transitions, status.images with sizes), NodeReady and
//     pressure-condition events when a status comes back;
//   - pods: admission, image pulls (serial, cached per node), container
//     create and start, readiness and liveness probes, the restart policy
//     with the CrashLoopBackOff and image pull back-offs (10 s doubling to
//     300 s), phases Succeeded and Failed, graceful termination (preStop,
//     SIGTERM, SIGKILL at the grace period), the pod conditions Initialized,
//     ContainersReady and Ready;
//   - failures: a crash (Fail: the machine and its containers die, nothing is
//     written), a network partition (Partition: heartbeats and store access
//     stop, containers keep running and their status is posted on
//     reconnection), recovery (Recover: a reboot restarts the pods still bound
//     here, a reconnection catches up with deletions), a container killed
//     (KillContainer), and the pods of a deleted Node (pod GC's rule);
//   - image behaviours from a cluster.ImageCatalog: pull errors, exits,
//     liveness failures, readiness flapping, sizes.
//
// One Fleet watches the store for all nodes and hands each pod to the kubelet
// of its node, so a pod event costs one lookup whatever the cluster size. The
// kubelet's own view of a container (its runtime state, back-offs, last
// termination) lives in the kubelet; the pod object gets it only when the
// kubelet can reach the store (publish). It imports cluster, api and sim only.
//
// Invariants: no goroutines, no wall clock; every random draw comes from the
// engine's named streams ("kubelet" for runtime latencies, "kubelet/containers"
// for image behaviours, "kubelet/<node>" for heartbeat jitter and boot ids);
// maps are iterated only where the order cannot matter or after sorting.
package kubelet
