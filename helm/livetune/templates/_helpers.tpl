{{/* The resource-name prefix. */}}
{{- define "livetune.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels every resource has; call with (dict "root" $ "component" "gateway"). */}}
{{- define "livetune.labels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: livetune
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* Selector labels of a component; call with (dict "root" $ "component" "gateway"). */}}
{{- define "livetune.selector" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* A livetune image; call with (dict "root" $ "component" "gateway"). */}}
{{- define "livetune.image" -}}
{{ printf "%s/%s:%s%s" .root.Values.image.repository .component (default .root.Chart.AppVersion .root.Values.image.tag) (ternary "-cuda" "" (eq (default "cpu" .flavor) "cuda")) }}
{{- end -}}

{{/* The training pods' image: the CUDA variant when they are given GPUs. */}}
{{- define "livetune.trainerImage" -}}
{{ include "livetune.image" (dict "root" . "component" "trainer" "flavor" (ternary "cuda" "cpu" (gt (int .Values.trainer.gpus) 0))) }}
{{- end -}}

{{- define "livetune.secretName" -}}
{{- default (printf "%s-secrets" (include "livetune.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "livetune.modelsClaim" -}}
{{- default (printf "%s-models" (include "livetune.fullname" .)) .Values.persistence.models.existingClaim -}}
{{- end -}}

{{- define "livetune.artifactsClaim" -}}
{{- default (printf "%s-artifacts" (include "livetune.fullname" .)) .Values.persistence.artifacts.existingClaim -}}
{{- end -}}

{{- define "livetune.filesClaim" -}}
{{- default (printf "%s-files" (include "livetune.fullname" .)) .Values.persistence.files.existingClaim -}}
{{- end -}}

{{/* The restricted Pod Security Standard: pod level. */}}
{{- define "livetune.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The restricted Pod Security Standard: container level, root filesystem read-only. */}}
{{- define "livetune.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Environment every livetune JVM needs with a read-only root filesystem: the temporary directory and
DJL's native-library cache on the /tmp emptyDir, and the component's properties file.
*/}}
{{- define "livetune.jvmEnv" -}}
- name: JAVA_TOOL_OPTIONS
  value: "-Djava.io.tmpdir=/tmp -XX:MaxRAMPercentage=75"
- name: DJL_CACHE_DIR
  value: /tmp/djl
- name: ENGINE_CACHE_DIR
  value: /tmp/djl
- name: QUARKUS_CONFIG_LOCATIONS
  value: /etc/livetune/application.properties
{{- end -}}

{{/* A secret key as an environment variable; call with (dict "root" $ "name" "ENV" "key" "key"). */}}
{{- define "livetune.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "livetune.secretName" .root }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* Scheduling values of a component: nodeSelector and tolerations. */}}
{{- define "livetune.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Tracing: the properties that turn it on in a Quarkus service (none when tracing is off). */}}
{{- define "livetune.tracingProps" -}}
{{- if .Values.tracing.enabled -}}
quarkus.otel.sdk.disabled=false
quarkus.otel.exporter.otlp.endpoint={{ include "livetune.otlpEndpoint" . }}
{{- end -}}
{{- end -}}

{{- define "livetune.otlpEndpoint" -}}
{{- required "tracing.otlpEndpoint is required when tracing.enabled is true (the collector's OTLP/HTTP endpoint, e.g. http://otel-collector.observability:4318)" .Values.tracing.otlpEndpoint | trimSuffix "/" -}}
{{- end -}}

{{/* The collector's port: the endpoint's own, else 4318 (http) or 443 (https). */}}
{{- define "livetune.collectorPort" -}}
{{- $u := urlParse (include "livetune.otlpEndpoint" .) -}}
{{- $port := regexFind "[0-9]+$" (regexFind ":[0-9]+$" $u.host) -}}
{{- if $port }}{{ $port }}{{ else if eq $u.scheme "https" }}443{{ else }}4318{{ end -}}
{{- end -}}
