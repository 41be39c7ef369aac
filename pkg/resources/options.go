package resources

// Options are the operator-wide defaults the builders need (from the operator's flags).
type Options struct {
	// CollectorImage is used when the CR names no image.
	CollectorImage string
	// TargetAllocatorImage is used when the CR's targetAllocator names no image.
	TargetAllocatorImage string
	// CollectorIDPlaceholder is written into the http_sd URLs; "" means configrewrite's default.
	CollectorIDPlaceholder string
}
