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

	// ConditionReady is the one condition the operator maintains.
	ConditionReady = "Ready"
)
