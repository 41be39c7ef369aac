package collectorwatch

import (
	corev1 "k8s.io/api/core/v1"
)

// health is what membership needs to know of a pod right now.
type health int

const (
	// gone: unscheduled, terminating or finished. Never a member, whatever the grace period.
	gone health = iota
	// unhealthy: scheduled and alive, but not Running and Ready. A member keeps its place for the grace period.
	unhealthy
	// healthy: Running and Ready.
	healthy
)

func podHealth(p *corev1.Pod) health {
	if p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
		return gone
	}
	switch p.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed:
		return gone
	case corev1.PodRunning:
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady {
				if c.Status == corev1.ConditionTrue {
					return healthy
				}
				break
			}
		}
	}
	return unhealthy
}
