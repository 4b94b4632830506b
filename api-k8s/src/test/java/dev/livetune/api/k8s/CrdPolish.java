package dev.livetune.api.k8s;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * What fabric8's CRD generator (7.5) cannot say from annotations, added to its output: descriptions
 * of the resource, its spec and status (class descriptions are not read), {@code conditions} as a
 * list keyed by {@code type} ({@code x-kubernetes-list-type: map}, no annotation exists for it), and
 * the Age column last, where kubectl puts it (the generator sorts columns by JSON path).
 */
final class CrdPolish {

    /** Per CRD: the resource's, the spec's and the status's description. */
    static final Map<String, String[]> DESCRIPTIONS = Map.of(
            "trainingruns.livetune.dev", new String[] {
                "One training of one adapter version: the training-operator runs it as a Kubernetes Job (one per attempt)"
                        + " and reports on it in status. The learning orchestrator creates one per learn job in cluster mode.",
                "What to train. Paths are relative to the artifact store, mounted in the trainer's pod and the operator at the"
                        + " same place, e.g. tenants/acme/datasets/ftjob-1/train.jsonl.",
                "Where the run stands, as the operator last saw it."},
            "adapterreleases.livetune.dev", new String[] {
                "An adapter version to serve: the training-operator loads it on every inference replica and switches the"
                        + " alias only once all of them have it. One per tenant alias; a rollback is a spec change to an older"
                        + " version.",
                "Which version of a tenant's alias every inference replica must serve.",
                "How far the release has got."});

    private CrdPolish() {
    }

    static CustomResourceDefinition polish(String generatedYaml) {
        CustomResourceDefinition crd = Serialization.unmarshal(generatedYaml, CustomResourceDefinition.class);
        String[] text = DESCRIPTIONS.get(crd.getMetadata().getName());
        if (text == null) {
            throw new IllegalArgumentException("no descriptions for " + crd.getMetadata().getName());
        }
        for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
            JSONSchemaProps root = v.getSchema().getOpenAPIV3Schema();
            root.setDescription(text[0]);
            root.getProperties().get("spec").setDescription(text[1]);
            JSONSchemaProps status = root.getProperties().get("status");
            status.setDescription(text[2]);
            JSONSchemaProps conditions = status.getProperties().get("conditions");
            conditions.setXKubernetesListType("map");
            conditions.setXKubernetesListMapKeys(List.of("type"));
            List<CustomResourceColumnDefinition> columns = new ArrayList<>(v.getAdditionalPrinterColumns());
            columns.sort(Comparator.comparing(c -> c.getName().equals("Age")));
            v.setAdditionalPrinterColumns(columns);
        }
        return crd;
    }

    static String yaml(CustomResourceDefinition crd) {
        return "# Generated from dev.livetune.api.k8s (crd-generator, then CrdPolish); CrdsTest keeps it current:\n"
                + "# ./mvnw -pl api-k8s test -Dtest=CrdsTest -Dlivetune.k8s.update=true\n" + Serialization.asYaml(crd);
    }
}
