{{/* Pieces of the NetworkPolicies. */}}
{{- define "livetune.peer" -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/instance: {{ .root.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
{{- end -}}
{{- define "livetune.apiServer" -}}
- to:
    - ipBlock: {cidr: {{ .Values.networkPolicies.apiServerCidr }}}
  ports:
    - {port: 443, protocol: TCP}
    - {port: 6443, protocol: TCP}
{{- end -}}
{{- define "livetune.toRedis" -}}
{{- if .Values.redis.enabled }}
- to:
    {{- include "livetune.peer" (dict "root" . "component" "redis") | nindent 4 }}
  ports: [{port: 6379, protocol: TCP}]
{{- else }}
# external Redis: wherever external.redisUri points
- ports: [{port: 6379, protocol: TCP}, {port: 6380, protocol: TCP}]
{{- end }}
{{- end -}}
{{- define "livetune.toRabbitmq" -}}
{{- if .Values.rabbitmq.enabled }}
- to:
    {{- include "livetune.peer" (dict "root" . "component" "rabbitmq") | nindent 4 }}
  ports: [{port: 5672, protocol: TCP}]
{{- else }}
# external RabbitMQ: wherever external.rabbitmqUri points
- ports: [{port: 5672, protocol: TCP}, {port: 5671, protocol: TCP}]
{{- end }}
{{- end -}}
{{- define "livetune.toInference" -}}
- to:
    {{- include "livetune.peer" (dict "root" . "component" "inference") | nindent 4 }}
  ports: [{port: 9000, protocol: TCP}]
{{- end -}}
{{- define "livetune.fromMonitoring" -}}
{{- with .Values.networkPolicies.monitoringNamespaceSelector }}
- from:
    - namespaceSelector:
        matchLabels:
          {{- toYaml . | nindent 10 }}
  ports: [{port: {{ $.port }}, protocol: TCP}]
{{- end }}
{{- end -}}

{{- define "livetune.toCollector" -}}
{{- if .Values.tracing.enabled }}
# the OpenTelemetry collector (tracing.otlpEndpoint)
- ports: [{port: {{ include "livetune.collectorPort" . }}, protocol: TCP}]
{{- end }}
{{- end -}}
