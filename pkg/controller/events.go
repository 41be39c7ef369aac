package controller

// Event and condition reasons. Events name what happened to a child; the Ready condition's reason names why the
// collector is or is not as desired.
const (
	ReasonCreated      = "Created"
	ReasonUpdated      = "Updated"
	ReasonDeleted      = "Deleted"
	ReasonCreateFailed = "CreateFailed"
	ReasonUpdateFailed = "UpdateFailed"
	ReasonDeleteFailed = "DeleteFailed"

	// ReasonReconciled: every child matches the spec.
	ReasonReconciled = "Reconciled"
	// ReasonInvalidConfig: the CR cannot be turned into children (the message is the config rewrite's error,
	// verbatim); the last good children are kept.
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonChildConflict: a child's name is taken by an object this collector does not control.
	ReasonChildConflict = "ChildConflict"
	// ReasonReconcileFailed: writing a child failed; the key is retried with backoff.
	ReasonReconcileFailed = "ReconcileFailed"

	// ConditionReady tells whether the children match the spec.
	ConditionReady = "Ready"

	// ConditionPrometheusCRDiscovery is the target allocator's latest report on Prometheus Operator resources
	// (from its Events; see prometheusCRCondition). Only collectors with prometheusCR enabled have it.
	ConditionPrometheusCRDiscovery = "PrometheusCRDiscovery"
	// ReasonAwaitingTargetAllocator: the target allocator has not reported yet.
	ReasonAwaitingTargetAllocator = "AwaitingTargetAllocator"

	// The reasons of the target allocator's Events that the condition follows, as the TA sends them.
	ReasonMonitorInvalid     = "MonitorInvalid"     // Warning: a monitor gives no jobs; the message names it
	ReasonNoMonitorsSelected = "NoMonitorsSelected" // Warning: the selectors select nothing
	ReasonMonitorsSelected   = "MonitorsSelected"   // Normal: what is selected
)
