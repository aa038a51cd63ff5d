{{/* NOTES.txt; a define so that the tests can render it without a cluster. */}}
{{- define "cdp-gateway.notes" -}}
{{- $fullname := include "cdp-gateway.fullname" . }}
{{- if .Values.sandbox }}
cdp-gateway is running as a TRIAL: the sandbox, with simulated vendors and
demo tenants, one replica, no Redis. It talks to no real vendor. For
production set sandbox=false with a tenants config (chart README).

The first call, with the demo API key:

  kubectl --namespace {{ .Release.Namespace }} port-forward service/{{ $fullname }} 8080:{{ .Values.service.port }} &
  curl -s -H 'Authorization: Bearer sk_sandbox_demo' -H 'X-Tenant-ID: demo-linkflow' \
    'http://127.0.0.1:8080/v1/contacts?limit=5'

The admin API is on the ops port (port-forward service/{{ $fullname }}-ops 9090:{{ .Values.opsService.port }},
then http://127.0.0.1:9090/admin/v1/tenants with the same key).
{{- else }}
cdp-gateway: {{ if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}-{{ .Values.autoscaling.maxReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }} replica(s), tenants from ConfigMap {{ include "cdp-gateway.configMapName" . }}
{{- if .Values.redis.bundled.enabled }}, the bundled trial Redis {{ include "cdp-gateway.redisName" . }}
{{- else if .Values.redis.existingSecret.name }}, REDIS_URL from Secret {{ .Values.redis.existingSecret.name }}
{{- else }}, no Redis (in-process state: one replica only)
{{- end }}.
Hot reload of the tenants file and its secret files: {{ ternary "on" "off (a changed config rolls the pods on helm upgrade)" .Values.config.hotReload }}.

Check that the pods started (a bad tenants file stops them with every problem logged):

  kubectl --namespace {{ .Release.Namespace }} rollout status deployment/{{ $fullname }}
  kubectl --namespace {{ .Release.Namespace }} logs deployment/{{ $fullname }} | head

The first call, with one of the tenants file's API keys and tenants:
{{- if .Values.ingress.enabled }}

  curl -s -H "Authorization: Bearer $API_KEY" -H 'X-Tenant-ID: <tenant>' \
    '{{ if .Values.ingress.tls }}https{{ else }}http{{ end }}://{{ first .Values.ingress.hosts }}/v1/contacts?limit=5'
{{- else }}

  kubectl --namespace {{ .Release.Namespace }} port-forward service/{{ $fullname }} 8080:{{ .Values.service.port }} &
  curl -s -H "Authorization: Bearer $API_KEY" -H 'X-Tenant-ID: <tenant>' \
    'http://127.0.0.1:8080/v1/contacts?limit=5'
{{- end }}

Operators: /admin/v1, /metrics and /docs on service/{{ $fullname }}-ops port {{ .Values.opsService.port }} (never in the Ingress).
{{- end }}
{{- end }}
