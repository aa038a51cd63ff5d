{{/* The chart's name, cut to the 63 characters of a DNS label. */}}
{{- define "cdp-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name of the release's objects. */}}
{{- define "cdp-gateway.fullname" -}}
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

{{- define "cdp-gateway.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "cdp-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The gateway pods; the bundled Redis has component redis. */}}
{{- define "cdp-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cdp-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "cdp-gateway.redisSelectorLabels" -}}
app.kubernetes.io/name: {{ include "cdp-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "cdp-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cdp-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cdp-gateway.redisName" -}}
{{- printf "%s-redis" (include "cdp-gateway.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret and key REDIS_URL comes from; empty without Redis. */}}
{{- define "cdp-gateway.redisURLSecret" -}}
{{- if .Values.redis.bundled.enabled }}
{{- include "cdp-gateway.redisName" . }}
{{- else }}
{{- .Values.redis.existingSecret.name }}
{{- end }}
{{- end }}

{{- define "cdp-gateway.configMapName" -}}
{{- default (include "cdp-gateway.fullname" .) .Values.config.existingConfigMap }}
{{- end }}

{{/*
The contents of what the pods read from the cluster, hashed for the
checksum annotations: the chart's ConfigMap (or the existing one), and the
data of the named Secrets as the cluster holds them at install or upgrade
(lookup; empty under helm template).
*/}}
{{- define "cdp-gateway.configChecksum" -}}
{{- if .Values.config.existingConfigMap }}
{{- (lookup "v1" "ConfigMap" .Release.Namespace .Values.config.existingConfigMap).data | toJson | sha256sum }}
{{- else }}
{{- toYaml .Values.config.tenants | sha256sum }}
{{- end }}
{{- end }}

{{- define "cdp-gateway.secretsChecksum" -}}
{{- $data := list }}
{{- range .secrets }}
{{- $data = append $data (lookup "v1" "Secret" $.ns .).data }}
{{- end }}
{{- $data | toJson | sha256sum }}
{{- end }}
