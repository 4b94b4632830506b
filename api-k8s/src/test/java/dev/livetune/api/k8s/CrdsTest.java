package dev.livetune.api.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The CRDs committed under k8s/crds/ (and the chart's copy) are the generated ones, polished
 * ({@link CrdPolish}); {@code -Dlivetune.k8s.update=true} writes them. They say what every field is
 * ({@code kubectl explain}), and their schemas refuse what the operator could not run.
 */
class CrdsTest {

    private static final String TRAINING_RUNS = "trainingruns.livetune.dev-v1.yml";
    private static final String ADAPTER_RELEASES = "adapterreleases.livetune.dev-v1.yml";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CustomResourceDefinition polished(String crd) throws Exception {
        return CrdPolish.polish(Files.readString(Path.of("target/classes/META-INF/fabric8", crd)));
    }

    @Test
    void theCommittedCrdsAreTheGeneratedOnesPolished() throws Exception {
        for (String crd : new String[] {TRAINING_RUNS, ADAPTER_RELEASES}) {
            String expected = CrdPolish.yaml(polished(crd));
            Path committed = Path.of("../k8s/crds", crd);
            if (Boolean.getBoolean("livetune.k8s.update")) {
                Files.writeString(committed, expected);
                Files.writeString(Path.of("../helm/livetune/crds", crd), expected);
            }
            assertThat(Files.readString(committed)).as(committed + " is stale: run ./mvnw -pl api-k8s test -Dtest=CrdsTest"
                    + " -Dlivetune.k8s.update=true").isEqualTo(expected);
        }
    }

    @Test
    void everyPropertySaysWhatItIs() throws Exception {
        for (String crd : new String[] {TRAINING_RUNS, ADAPTER_RELEASES}) {
            JsonNode schema = schema(polished(crd));
            List<String> undescribed = new ArrayList<>();
            if (schema.path("description").asText().isBlank()) {
                undescribed.add("(the resource)");
            }
            walk(schema, "", (path, node) -> {
                if (node.path("description").asText().isBlank()) {
                    undescribed.add(path);
                }
            });
            assertThat(undescribed).as(crd + ": properties without a description").isEmpty();
            assertThat(schema.path("properties").path("spec").path("properties").size()).as(crd).isGreaterThan(4);
        }
    }

    @Test
    void conditionsAreAListKeyedByTypeAndTheColumnsArePhaseReadyAndAge() throws Exception {
        for (String crd : new String[] {TRAINING_RUNS, ADAPTER_RELEASES}) {
            CustomResourceDefinition d = polished(crd);
            JsonNode conditions = schema(d).path("properties").path("status").path("properties").path("conditions");
            assertThat(conditions.path("x-kubernetes-list-type").asText()).as(crd).isEqualTo("map");
            assertThat(conditions.path("x-kubernetes-list-map-keys")).as(crd).containsExactly(JSON.getNodeFactory().textNode("type"));
            assertThat(conditions.path("items").path("required")).as(crd + ": a map key must be required")
                    .contains(JSON.getNodeFactory().textNode("type"));
            List<String> columns = d.getSpec().getVersions().get(0).getAdditionalPrinterColumns().stream()
                    .map(CustomResourceColumnDefinition::getName).toList();
            assertThat(columns).as(crd).contains("Phase", "Tenant", "Adapter").endsWith("Age")
                    .contains(crd.equals(TRAINING_RUNS) ? "Succeeded" : "Ready");
        }
    }

    @Test
    void aTrainingRunMissingWhatTheOperatorNeedsIsRefused() throws Exception {
        Schema schema = validator(TRAINING_RUNS);
        ObjectNode run = (ObjectNode) JSON.readTree("""
                {"spec": {"tenant": "acme", "adapter": "default", "version": 3, "baseModel": "qwen2.5-0.5b",
                  "dataset": {"uri": "tenants/acme/datasets/ftjob-1/train.jsonl", "sha256": "%s"},
                  "output": "tenants/acme/adapters/default/v3", "maxAttempts": 3, "deadlineSeconds": 600,
                  "resources": {"gpus": 1, "cpu": "4", "memory": "16Gi"}},
                 "status": {"phase": "Running", "conditions": [{"type": "Succeeded", "status": "Unknown", "reason": "Running"}]}}
                """.formatted("a".repeat(64)));
        assertThat(schema.validate(run)).as("a complete run").isEmpty();

        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec")).remove("tenant"), "tenant");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec")).remove("dataset"), "dataset");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec")).put("version", 0), "version");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec")).put("tenant", "Acme Corp"), "tenant");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec")).put("maxAttempts", 0), "maxAttempts");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec").get("dataset")).put("sha256", "not-a-digest"), "sha256");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("spec").get("resources")).put("gpus", -1), "gpus");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("status")).put("phase", "Exploded"), "phase");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("status").get("conditions").get(0)).remove("type"), "type");
        assertRefused(schema, run, r -> ((ObjectNode) r.get("status").get("conditions").get(0)).put("status", "Maybe"), "status");
    }

    @Test
    void anAdapterReleaseWithoutAVersionOrDigestIsRefused() throws Exception {
        Schema schema = validator(ADAPTER_RELEASES);
        ObjectNode release = (ObjectNode) JSON.readTree("""
                {"spec": {"tenant": "acme", "adapter": "default", "version": 2, "uri": "tenants/acme/adapters/default/v2",
                  "sha256": "%s"}}
                """.formatted("0123456789abcdef".repeat(4)));
        assertThat(schema.validate(release)).as("a complete release").isEmpty();
        assertRefused(schema, release, r -> ((ObjectNode) r.get("spec")).remove("version"), "version");
        assertRefused(schema, release, r -> ((ObjectNode) r.get("spec")).remove("sha256"), "sha256");
        assertRefused(schema, release, r -> ((ObjectNode) r.get("spec")).put("adapter", "-bad-"), "adapter");
    }

    private static void assertRefused(Schema schema, ObjectNode valid, Consumer<ObjectNode> change, String field) {
        ObjectNode bad = valid.deepCopy();
        change.accept(bad);
        List<Error> errors = schema.validate(bad);
        assertThat(errors).as("changing " + field + ": " + bad).isNotEmpty();
        assertThat(errors.toString()).as("the error names " + field).contains(field);
    }

    private static Schema validator(String crd) throws Exception {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4).getSchema(schema(polished(crd)));
    }

    private static JsonNode schema(CustomResourceDefinition crd) {
        return JSON.valueToTree(Serialization.jsonMapper().convertValue(
                crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema(), Map.class));
    }

    /** Visits every property below {@code node} (through nested objects, array items and map values). */
    private static void walk(JsonNode node, String path, java.util.function.BiConsumer<String, JsonNode> visit) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            String at = path.isEmpty() ? p.getKey() : path + "." + p.getKey();
            visit.accept(at, p.getValue());
            walk(p.getValue(), at, visit);
            walk(p.getValue().path("items"), at + "[]", visit);
            if (p.getValue().path("additionalProperties").isObject()) {
                walk(p.getValue().path("additionalProperties"), at + "{}", visit);
            }
        }
    }
}
