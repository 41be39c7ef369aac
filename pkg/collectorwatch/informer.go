package collectorwatch

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
)

// InformerOptions returns the options of a SharedInformerFactory that watches only the collector pods: those in
// namespace matching selector. A nil selector selects every pod of the namespace, as the reference does.
func InformerOptions(namespace string, selector *metav1.LabelSelector) ([]informers.SharedInformerOption, error) {
	sel := labels.Everything()
	if selector != nil {
		s, err := metav1.LabelSelectorAsSelector(selector)
		if err != nil {
			return nil, fmt.Errorf("collector selector: %w", err)
		}
		sel = s
	}
	opts := []informers.SharedInformerOption{informers.WithNamespace(namespace)}
	if !sel.Empty() {
		str := sel.String()
		opts = append(opts, informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = str }))
	}
	return opts, nil
}
