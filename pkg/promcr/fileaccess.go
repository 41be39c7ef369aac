package promcr

import (
	"errors"
	"fmt"
)

// ErrFileAccessDenied marks a resource that names a file of the pod that would read it
// (the TA or the collector) while Options.AllowFileAccess is off.
var ErrFileAccessDenied = errors.New("names a file of the scraping pod, which is not allowed (prometheus_cr.deny_fs_access_through_sms)")

// fileField is one file path a resource sets, with the field that sets it.
type fileField struct {
	field, path string
}

// checkFileAccess rejects the first file path that is set unless file access is allowed.
// It runs on the resource's own fields, before scrape classes are merged in: a class is
// the administrator's configuration and may name files mounted for that purpose.
func (o Options) checkFileAccess(fields ...fileField) error {
	if o.AllowFileAccess {
		return nil
	}
	for _, f := range fields {
		if f.path != "" {
			return fmt.Errorf("%s %q: %w", f.field, f.path, ErrFileAccessDenied)
		}
	}
	return nil
}
