// Package kubelet simulates the node agent of every node: pod admission,
// image pulls (cached per node after the first), container start, readiness
// probes, graceful termination (preStop, SIGTERM, SIGKILL at the grace
// period) and the pod conditions PodScheduled, Initialized, ContainersReady
// and Ready on the virtual clock.
//
// One Fleet watches the store for all nodes and hands each pod to the kubelet
// of its node, so a pod event costs one lookup whatever the cluster size. It
// imports cluster, api and sim only. A failed kubelet does nothing until it
// recovers; the node lifecycle controller is what notices.
package kubelet
