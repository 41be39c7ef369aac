package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/certissuer"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// certificates plans col's mTLS material: nil when its CR does not ask for mTLS, else what its certificate
// Secrets must hold now and when the plan must run again (renewal, a staged CA due to sign, a retired CA expiring).
//
// Only Secrets col controls are read back; an orphan with col's labels never feeds a CA key or a leaf (it is adopted
// and overwritten with fresh material), so a Secret created before the CR or left by an orphaning delete never
// becomes a CA the operator signs with or a certificate it hands out. A name taken by anything else (another
// controller, or no controller and not col's labels) is a conflict: no material is planned (it could not be
// stored, and a fresh CA per sync would rewrite the other Secrets and roll the collectors forever).
func (c *Controller) certificates(ctx context.Context, col *v1alpha1.OpenTelemetryCollector) (*certissuer.Material, time.Time, []string, error) {
	if !resources.MTLSRequested(col) {
		return nil, time.Time{}, nil, nil
	}
	var stored [3]*corev1.Secret
	var conflicts []string
	for i, name := range []string{
		resources.TargetAllocatorCASecretName(col.Name),
		resources.TargetAllocatorServerSecretName(col.Name),
		resources.TargetAllocatorClientSecretName(col.Name),
	} {
		s, foreign, err := c.controlledSecret(ctx, col, name)
		if err != nil {
			return nil, time.Time{}, nil, err
		}
		if foreign {
			conflicts = append(conflicts, fmt.Sprintf("Secret %s exists and is not controlled by this collector", name))
		}
		stored[i] = s
	}
	if len(conflicts) > 0 {
		return nil, time.Time{}, conflicts, nil
	}
	m, next, err := certissuer.Plan(resources.CertificatesFromSecrets(stored[0], stored[1], stored[2]), certissuer.Subject{
		CAName:     "otelcol-operator " + col.Namespace + "/" + col.Name,
		ServerDNS:  resources.TargetAllocatorServerNames(col),
		ClientName: resources.CollectorName(col.Name),
	}, c.now(), c.certPolicy)
	if err != nil {
		return nil, time.Time{}, nil, fmt.Errorf("planning the target allocator's certificates: %w", err)
	}
	return &m, next, nil, nil
}

// controlledSecret is the Secret name of col's namespace when col controls it, else nil, and whether another
// controller holds it. It reads the API, not the cache: a plan from a cache behind a deletion (a user forcing a
// renewal) would write the deleted certificate back, and one behind the operator's own create would replace a CA
// that pods already trust. Three reads per full sync of a collector with mtls; the reconcile's writes still
// carry the cache's resourceVersion, so a write based on an outdated view fails and is retried.
func (c *Controller) controlledSecret(ctx context.Context, col *v1alpha1.OpenTelemetryCollector, name string) (*corev1.Secret, bool, error) {
	s, err := c.kube.CoreV1().Secrets(col.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("getting Secret %s: %w", name, err)
	}
	ref := metav1.GetControllerOfNoCopy(s)
	l := s.GetLabels()
	switch {
	case ref == nil && l[resources.LabelManagedBy] == resources.ManagedByValue && l[resources.LabelInstance] == resources.InstanceValue(col):
		return nil, false, nil // an orphan with our labels: adopted and overwritten, never read
	case ref == nil || ref.UID != col.UID:
		return nil, true, nil // someone else's, as the reconcile's claimOf decides
	}
	return s, false, nil
}
