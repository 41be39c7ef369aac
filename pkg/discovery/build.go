package discovery

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/cespare/xxhash/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// outcome says what became of one discovered entry.
type outcome uint8

const (
	kept outcome = iota
	// droppedByRelabel: relabel_configs dropped the entry.
	droppedByRelabel
	// droppedInvalid: Prometheus would refuse the entry after relabeling (no or bad address, bad interval...).
	droppedInvalid
)

// builder turns discovered entries into targets. It owns scratch space reused across entries, so building a
// target allocates only the target and its encoded item.
type builder struct {
	lb *labels.Builder
	// orders are recently seen sorted label name lists of groups; see groupLabels.
	orders    [4][]string
	nextOrder int
	group     []labels.Label
	own       []labels.Label
	merged    []labels.Label
	full      []labels.Label
	post      []labels.Label
	buf       []byte
	hbuf      []byte
}

func newBuilder() *builder {
	return &builder{lb: labels.NewBuilder(labels.EmptyLabels())}
}

// groupLabels returns a group's labels sorted by name, without empty values, for build. The result is reused
// scratch space, valid until the next call.
//
// Groups of one kind (the pods of one workload, say) carry the same label names, and sorting them is a good part
// of the cost of a target. So the last few sorted name lists are remembered: a group with exactly those names is
// read in order by lookups, without iterating and sorting. A lookup that misses proves the names differ, and equal
// length with every name present proves they are the same, so a remembered list is never applied wrongly.
func (b *builder) groupLabels(ls model.LabelSet) []labels.Label {
	b.group = b.group[:0]
	for _, names := range b.orders {
		if len(names) != len(ls) || len(names) == 0 {
			continue
		}
		hit := true
		for _, n := range names {
			v, ok := ls[model.LabelName(n)]
			if !ok {
				hit = false
				break
			}
			if v != "" {
				b.group = append(b.group, labels.Label{Name: n, Value: string(v)})
			}
		}
		if hit {
			return b.group
		}
		b.group = b.group[:0]
	}
	all := b.group
	for ln, lv := range ls {
		all = append(all, labels.Label{Name: string(ln), Value: string(lv)})
	}
	sortLabels(all)
	if len(all) > 0 {
		names := make([]string, len(all))
		for i, l := range all {
			names[i] = l.Name
		}
		b.orders[b.nextOrder] = names
		b.nextOrder = (b.nextOrder + 1) % len(b.orders)
	}
	b.group = all[:0]
	for _, l := range all {
		if l.Value != "" {
			b.group = append(b.group, l)
		}
	}
	return b.group
}

// build processes one entry of a group the way Prometheus' scrape.PopulateLabels does and returns its identity
// hash. group are the group's labels from groupLabels. When the outcome is kept, the target is written to dst.
func (b *builder) build(jc *jobConfig, tLabels model.LabelSet, group []labels.Label, dst *target.Target) (uint64, outcome) {
	// Discovered labels: the target's own over the group's. An empty value means absent, as in Prometheus, and a
	// target label set to empty still hides the group's label. The group's labels are sorted once per group; only
	// the target's few labels are sorted here, then both are merged.
	b.own = b.own[:0]
	for ln, lv := range tLabels {
		b.own = append(b.own, labels.Label{Name: string(ln), Value: string(lv)})
	}
	sortLabels(b.own)
	b.merged = b.merged[:0]
	for i, j := 0, 0; i < len(b.own) || j < len(group); {
		switch {
		case j == len(group) || (i < len(b.own) && b.own[i].Name < group[j].Name):
			if b.own[i].Value != "" {
				b.merged = append(b.merged, b.own[i])
			}
			i++
		case i == len(b.own) || group[j].Name < b.own[i].Name:
			b.merged = append(b.merged, group[j])
			j++
		default:
			if b.own[i].Value != "" {
				b.merged = append(b.merged, b.own[i])
			}
			i, j = i+1, j+1
		}
	}

	// Scrape labels fill in what discovery did not set, as scrape.PopulateDiscoveredLabels does. Both lists are
	// sorted, so a merge gives the full sorted label set without a sort.
	b.full = b.full[:0]
	i, j := 0, 0
	for i < len(b.merged) || j < len(jc.scrapeSorted) {
		switch {
		case j == len(jc.scrapeSorted) || (i < len(b.merged) && b.merged[i].Name < jc.scrapeSorted[j].Name):
			b.full = append(b.full, b.merged[i])
			i++
		case i == len(b.merged) || jc.scrapeSorted[j].Name < b.merged[i].Name:
			b.full = append(b.full, jc.scrapeSorted[j])
			j++
		default: // discovered value wins
			b.full = append(b.full, b.merged[i])
			i, j = i+1, j+1
		}
	}

	post := b.full
	if jc.relabel != nil {
		lb := b.lb
		lb.Reset(labels.EmptyLabels())
		for _, l := range b.full {
			lb.Set(l.Name, l.Value)
		}
		if !relabel.ProcessBuilder(lb, jc.relabel...) {
			return 0, droppedByRelabel
		}
		// Relabeling appends new labels at the end and edits others in place: nearly sorted.
		b.post = b.post[:0]
		lb.Range(func(l labels.Label) { b.post = append(b.post, l) })
		sortLabels(b.post)
		post = b.post
	}
	if !valid(jc, post) {
		return 0, droppedInvalid
	}

	// Identity: the relabeled labels without __meta_*, in name order, hashed. The job label is among them.
	// Placement: the job name and the relabeled address only, so a configuration edit that changes other labels
	// replaces the target in place instead of moving it.
	hb := b.hbuf[:0]
	var addr string
	for _, l := range post {
		if l.Name == model.AddressLabel {
			addr = l.Value
		}
		if strings.HasPrefix(l.Name, model.MetaLabelPrefix) {
			continue
		}
		hb = append(hb, l.Name...)
		hb = append(hb, 0xff)
		hb = append(hb, l.Value...)
		hb = append(hb, 0xff)
	}
	h := xxhash.Sum64(hb)
	hb = append(append(append(hb[:0], jc.name...), 0xff), addr...)
	b.hbuf = hb
	b.encode(dst)
	dst.Hash = h
	dst.Placement = xxhash.Sum64(hb)
	return h, kept
}

// valid repeats the checks scrape.PopulateLabels makes after relabeling on the sorted final labels; a target
// failing them is never scraped by Prometheus, so it must not be allocated either.
func valid(jc *jobConfig, post []labels.Label) bool {
	var addr, interval, timeout string
	for _, l := range post {
		switch l.Name {
		case model.AddressLabel:
			addr = l.Value
		case model.ScrapeIntervalLabel:
			interval = l.Value
		case model.ScrapeTimeoutLabel:
			timeout = l.Value
		case convertClassicHistogramsToNHCBLabel, alwaysScrapeClassicHistogramsLabel, scrapeNativeHistogramsLabel:
			if l.Value != "true" && l.Value != "false" {
				if _, err := strconv.ParseBool(l.Value); err != nil {
					return false
				}
			}
		}
	}
	if addr == "" || config.CheckTargetAddress(model.LabelValue(addr)) != nil {
		return false
	}
	if interval == jc.interval && timeout == jc.timeout {
		return jc.defaultsErr == nil
	}
	return checkIntervals(interval, timeout) == nil
}

// nodeLabels name the node a target runs on, in order of preference, as the reference's per-node strategy reads
// them.
var nodeLabels = [...]string{
	"__meta_kubernetes_pod_node_name",
	"__meta_kubernetes_node_name",
	"__meta_kubernetes_endpoint_node_name",
}

const (
	endpointSliceKind = "__meta_kubernetes_endpointslice_address_target_kind"
	endpointSliceName = "__meta_kubernetes_endpointslice_address_target_name"
	endpointsKind     = "__meta_kubernetes_endpoint_address_target_kind"
	endpointsName     = "__meta_kubernetes_endpoint_address_target_name"
)

// encode writes the target's http_sd entry from the sorted discovered labels and builds the Target. Address and
// Node are views into the encoded bytes when they appear there verbatim, which saves two allocations a target; the
// item is never modified after this, so the views stay valid.
func (b *builder) encode(t *target.Target) {
	var addrVal, nodeVal string
	nodeRank := len(nodeLabels) + 1
	var sliceKind, sliceName, epKind, epName string
	for _, l := range b.merged {
		switch l.Name {
		case model.AddressLabel:
			addrVal = l.Value
		case endpointSliceKind:
			sliceKind = l.Value
		case endpointSliceName:
			sliceName = l.Value
		case endpointsKind:
			epKind = l.Value
		case endpointsName:
			epName = l.Value
		default:
			for i, n := range nodeLabels {
				if l.Name == n && i < nodeRank {
					nodeVal, nodeRank = l.Value, i
				}
			}
		}
	}
	if nodeVal == "" {
		switch {
		case sliceKind == "Node":
			nodeVal = sliceName
		case epKind == "Node":
			nodeVal = epName
		}
	}

	buf := append(b.buf[:0], `{"targets":[`...)
	addrStart, addrEnd := -1, -1
	buf = append(buf, '"')
	s := len(buf)
	buf, verbatim := appendJSONString(buf, addrVal)
	if verbatim {
		addrStart, addrEnd = s, len(buf)
	}
	buf = append(buf, `"],"labels":{`...)
	nodeStart, nodeEnd := -1, -1
	for i, l := range b.merged {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf, _ = appendJSONString(buf, l.Name)
		buf = append(buf, `":"`...)
		s := len(buf)
		buf, verbatim = appendJSONString(buf, l.Value)
		if verbatim && nodeStart < 0 && nodeVal != "" && l.Value == nodeVal {
			nodeStart, nodeEnd = s, len(buf)
		}
		buf = append(buf, '"')
	}
	buf = append(buf, "}}"...)
	b.buf = buf

	item := make([]byte, len(buf))
	copy(item, buf)
	*t = target.Target{Item: item, Address: addrVal, Node: nodeVal}
	if addrStart >= 0 {
		t.Address = viewString(item[addrStart:addrEnd])
	} else {
		t.Address = strings.Clone(addrVal)
	}
	if nodeStart >= 0 {
		t.Node = viewString(item[nodeStart:nodeEnd])
	} else if nodeVal != "" {
		t.Node = strings.Clone(nodeVal)
	}
}

// viewString returns a string sharing b's memory. b must never change afterwards.
func viewString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// sortLabels sorts by name with insertion sort: label sets are small and often nearly sorted, where this beats a
// general sort and never allocates.
func sortLabels(ls []labels.Label) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// encodeDiscovered returns the discovered labels of the entry build last looked at, encoded as an item is. It
// keeps an entry that is not a target in a form reprocess can read back.
func (b *builder) encodeDiscovered() []byte {
	var t target.Target
	b.encode(&t)
	return t.Item
}
