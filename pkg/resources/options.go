package resources

// Options are the operator-wide defaults the builders need (from the operator's flags).
type Options struct {
	// CollectorImage is used when the CR names no image.
	CollectorImage string
	// TargetAllocatorImage is used when the CR's targetAllocator names no image.
	TargetAllocatorImage string
	// CollectorIDPlaceholder is written into the http_sd URLs; "" means configrewrite's default.
	CollectorIDPlaceholder string
	// TargetAllocatorTLS says that the TA's server and client certificate Secrets
	// (TargetAllocatorServerSecretName, TargetAllocatorClientSecretName) exist: with prometheusCR the TA then
	// mounts its Secret and turns on its mTLS listener, and the collector mounts the client Secret and fetches its
	// scrape configs, credentials included, over that listener.
	TargetAllocatorTLS bool
	// AllowClusterWideTargetAllocators lets the operator bind the fixed cluster-wide ClusterRoles (service
	// discovery and monitors of every namespace, never Secrets) to target allocators whose config needs them.
	// Off, every target allocator reads its own namespace only.
	AllowClusterWideTargetAllocators bool
	// AllowScrapeConfigFiles lets CR scrape configs name files of the pods (configrewrite's
	// AllowFileAccess); off, such a CR is refused and its Ready condition says which job and field.
	AllowScrapeConfigFiles bool
}
