package controller

// Event and condition reasons. Events name what happened to a child; the Reconciled condition's reason names why
// the children are or are not as the spec says, the Available condition's why the collector runs or does not.
const (
	ReasonCreated      = "Created"
	ReasonUpdated      = "Updated"
	ReasonDeleted      = "Deleted"
	ReasonCreateFailed = "CreateFailed"
	ReasonUpdateFailed = "UpdateFailed"
	ReasonDeleteFailed = "DeleteFailed"
	// ReasonAdopted: a child carrying this collector's labels but no controller (left by an orphaning delete) was
	// taken back; ReasonReclaimed: a child this collector controls had lost its labels or annotations.
	ReasonAdopted   = "Adopted"
	ReasonReclaimed = "Reclaimed"

	// ReasonReconciled: every child matches the spec.
	ReasonReconciled = "Reconciled"
	// ReasonInvalidConfig: the CR cannot be turned into children (the message is the config rewrite's error,
	// verbatim); the last good children are kept.
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonChildConflict: a child's name is taken by an object this collector does not control.
	ReasonChildConflict = "ChildConflict"
	// ReasonReconcileFailed: writing a child failed; the key is retried with backoff.
	ReasonReconcileFailed = "ReconcileFailed"

	// ReasonConfigFailed: workloads were left as they are because their ConfigMap could not be written (they
	// would roll to a config hash whose config they do not get).
	ReasonConfigFailed = "ConfigFailed"

	// ConditionReconciled tells whether the children match the spec (observedGeneration says which spec).
	ConditionReconciled = "Reconciled"
	// ConditionAvailable tells whether the collector runs: its pods ready as desired and updated to the current
	// workload, and the target allocator's Deployment available. What `kubectl wait --for=condition=Available`
	// waits for.
	ConditionAvailable = "Available"
	// ReasonAvailable: every collector pod (and the target allocator) is ready.
	ReasonAvailable = "Available"
	// ReasonCollectorNotReady: the collector workload is missing, rolling out, or has fewer ready pods than desired.
	ReasonCollectorNotReady = "CollectorNotReady"
	// ReasonTargetAllocatorNotReady: the target allocator Deployment is missing or not available.
	ReasonTargetAllocatorNotReady = "TargetAllocatorNotReady"

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
