// Package collectorwatch keeps the live set of collector pods that may receive targets, from a pod informer the
// caller builds (filtered by namespace and collector_selector).
//
// A pod is a member when it is scheduled, Running, Ready and not terminating. A member that turns not-ready keeps
// its membership for a grace period, so that a brief readiness blip does not move its targets; a pod that was never
// ready never becomes a member. With a grace period of zero, health is not considered at all: scheduled and not
// terminating suffice.
package collectorwatch
