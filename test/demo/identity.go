package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// showUnexpandedID asks for a collector's share the way a current collector does with the seed's config: with
// collector_id=$POD_NAME left literally, from the collector pod's own IP. The target allocator recognises the pod
// by that address and serves its share anyway.
func (d *demo) showUnexpandedID(ctx context.Context, name string) error {
	ta := d.taURLs[name]
	count := func(id, localIP string) (int, error) {
		var groups []json.RawMessage
		if err := getJSONFrom(ctx, ta+"/jobs/web/targets?collector_id="+url.QueryEscape(id), localIP, &groups); err != nil {
			return 0, err
		}
		return len(groups), nil
	}
	// Show a collector that has web targets, so that "same share" is visible.
	var podName string
	var byName int
	for i := 0; i < 3 && byName == 0; i++ {
		podName = fmt.Sprintf("%s-collector-%d", name, i)
		n, err := count(podName, "")
		if err != nil {
			return err
		}
		byName = n
	}
	pod, err := d.kube.CoreV1().Pods(namespace).Get(ctx, podName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	byIP, err := count("$POD_NAME", pod.Status.PodIP)
	if err != nil {
		return err
	}
	stranger, err := count("$POD_NAME", "127.0.0.250")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n== a current collector sends collector_id=$POD_NAME unexpanded (use --collector-id-placeholder='${env:POD_NAME}'):\n")
	fmt.Fprintf(d.out, "   %s asks by name: %d web targets; asks as $POD_NAME from its pod IP %s: %d web targets (recognised by address)\n",
		podName, byName, pod.Status.PodIP, byIP)
	fmt.Fprintf(d.out, "   a caller from 127.0.0.250, which is no collector, gets %d targets and is listed at %s/debug/unknown-collectors\n", stranger, ta)
	return nil
}
