{{/* Chart name, release-qualified name and labels, as `helm create` makes them. */}}
{{- define "conn-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "conn-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "conn-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "conn-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "conn-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "conn-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: metrics
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "conn-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "conn-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "conn-exporter.webConfigSecret" -}}
{{- default (printf "%s-web-config" (include "conn-exporter.fullname" .)) .Values.webConfig.existingSecret }}
{{- end }}

{{/*
Capabilities: owners need CAP_DAC_READ_SEARCH (list other users' /proc/<pid>/fd) and
CAP_SYS_PTRACE (read the links in it); eBPF needs CAP_BPF and CAP_PERFMON (docs/deployment.md);
the netns collector needs CAP_SYS_PTRACE (read each process's /proc/<pid>/ns/net link) and, only
with netns.read=netlink, CAP_SYS_ADMIN (setns into each pod's namespace).
*/}}
{{- define "conn-exporter.capabilities" -}}
{{- $caps := list }}
{{- if .Values.owners.enabled }}{{ $caps = concat $caps (list "DAC_READ_SEARCH" "SYS_PTRACE") }}{{ end }}
{{- if and .Values.collectors.netns (not .Values.owners.enabled) }}{{ $caps = append $caps "SYS_PTRACE" }}{{ end }}
{{- if and .Values.collectors.netns (eq .Values.netns.read "netlink") }}{{ $caps = append $caps "SYS_ADMIN" }}{{ end }}
{{- if .Values.ebpf.enabled }}{{ $caps = concat $caps (list "BPF" "PERFMON") }}{{ end }}
{{- if .Values.collectors.conntrack }}{{ $caps = append $caps "NET_ADMIN" }}{{ end }}
{{- toJson $caps }}
{{- end }}

{{/* HTTPS when the web config turns TLS on. */}}
{{- define "conn-exporter.scheme" -}}
{{- if and .Values.webConfig.enabled .Values.webConfig.tls }}https{{ else }}http{{ end }}
{{- end }}
