{{/*
Cluster-scoped objects keep the fixed names of manifests/operator/: the operator binds the Target Allocator's
ClusterRoles by name (pkg/resources/targetallocator_rbac.go), so one release per cluster.
*/}}
{{- define "otelcol-operator.labels" -}}
app.kubernetes.io/name: otelcol-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: otelcol-operator
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The selector stays the one of manifests/operator/deployment.yaml, so a kubectl install can be taken over. */}}
{{- define "otelcol-operator.selectorLabels" -}}
app.kubernetes.io/name: otelcol-operator
{{- end -}}

{{- define "otelcol-operator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* Invalid combinations fail the render instead of installing an operator that cannot work. */}}
{{- define "otelcol-operator.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "replicaCount > 1 needs leaderElection.enabled: replicas without a Lease would all reconcile" -}}
{{- end -}}
{{- if and .Values.watchNamespaces .Values.allowClusterWideTargetAllocators -}}
{{- fail "allowClusterWideTargetAllocators needs watchNamespaces empty: a namespaced operator may not create ClusterRoleBindings" -}}
{{- end -}}
{{- end -}}
