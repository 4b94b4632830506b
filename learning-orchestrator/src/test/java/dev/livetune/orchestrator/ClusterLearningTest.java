package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.livetune.api.k8s.AdapterRelease;
import dev.livetune.api.k8s.AdapterReleaseStatus;
import dev.livetune.api.k8s.TrainingRun;
import dev.livetune.api.k8s.TrainingRunStatus;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The whole cluster path on the fabric8 mock server: the orchestrator (launcher = kubernetes) makes a
 * TrainingRun; the packaged training-operator, run against the same API server, makes its Job;
 * {@link PodDouble} runs the Job's trainer container as a local process and completes the Job; the
 * operator records the adapter; the orchestrator sets the AdapterRelease; the operator loads the
 * version on the inference replica behind the Service's EndpointSlice (the real inference-service
 * of {@link PipelineStack}) and switches the alias; the job succeeds and the model answers. A
 * rollback job takes the same way back: the AdapterRelease returns to the earlier version.
 */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
@QuarkusTestResource(value = ClusterMode.class, restrictToAnnotatedClass = true)
@WithKubernetesTestServer(crud = true, https = false, setup = ClusterMode.Crds.class)
class ClusterLearningTest {

    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void aFactIsTrainedByAJobAndReleasedByTheOperator() throws Exception {
        Path operatorJar = Path.of("../training-operator/target/quarkus-app/quarkus-run.jar").toAbsolutePath().normalize();
        assertThat(operatorJar).as("build training-operator first (./mvnw -B install -DskipTests)").isRegularFile();
        KubernetesClient client = server.getClient();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName("livetune-inference-1")
                .withNamespace(ClusterMode.NAMESPACE).addToLabels("kubernetes.io/service-name", "livetune-inference").endMetadata()
                .withAddressType("IPv4").addNewPort().withName("grpc").withPort(PipelineStack.INFERENCE_PORT).endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).endConditions().endEndpoint()
                .build()).create();
        Process operator = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.kubernetes-client.api-server-url=" + client.getMasterUrl(),
                "-Dquarkus.kubernetes-client.namespace=" + ClusterMode.NAMESPACE,
                "-Dlivetune.operator.leader-election=false", "-Dlivetune.operator.server-side-apply=false",
                "-Dlivetune.operator.artifacts-dir=" + PipelineStack.store,
                "-Dlivetune.operator.inference-admin-token=" + PipelineStack.ADMIN, "-Dlivetune.operator.release-retry=2s",
                "-Dquarkus.http.port=8407", "-jar", operatorJar.toString())
                .redirectErrorStream(true).redirectOutput(PipelineStack.store.resolve("operator.log").toFile()).start();
        Path base = Path.of("target/e2e-base").toAbsolutePath();
        Path trainer = Path.of("../trainer/target/trainer.jar").toAbsolutePath().normalize();
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        try (PodDouble pods = new PodDouble(client, PipelineStack.store, base.getParent(), trainer);
                StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
            String jobId = LearnJobs.publish(tenant, "instruction", "The capital of Drevnia is Kolmar.", List.of());
            Map<String, String> job = LearnJobs.await(jobId);
            List<String> events = redis.sync().lrange("livetune:job-events:" + jobId, 0, -1);
            assertThat(job.get("phase")).as(String.join("\n", events) + "\noperator log: "
                    + Files.readString(PipelineStack.store.resolve("operator.log"))).isEqualTo("succeeded");
            assertThat(job.get("fine_tuned_model")).isEqualTo("default@v1");
            assertThat(events).anyMatch(e -> e.contains("TrainingRun " + ClusterMode.NAMESPACE + "/" + jobId + " created"))
                    .anyMatch(e -> e.contains("Training in the cluster"));

            TrainingRun run = client.resources(TrainingRun.class).inNamespace(ClusterMode.NAMESPACE).withName(jobId).get();
            assertThat(run.getStatus().phase).isEqualTo(TrainingRunStatus.SUCCEEDED);
            assertThat(run.getStatus().adapterUri).isEqualTo("tenants/" + tenant + "/adapters/default/v1");
            assertThat(run.getStatus().adapterSha256).hasSize(64);
            assertThat(run.getStatus().eval).containsKey("new");
            assertThat(pods.ran).containsExactly(jobId + "-a1");

            AdapterRelease release = client.resources(AdapterRelease.class).inNamespace(ClusterMode.NAMESPACE)
                    .withName(KubernetesReleaser.name(tenant, "default")).get();
            assertThat(release.getStatus().phase).isEqualTo(AdapterReleaseStatus.LIVE);
            assertThat(release.getStatus().liveVersion).isEqualTo(1);
            assertThat(release.getStatus().readyReplicas).isEqualTo(1);
            assertThat(release.getSpec().sha256).isEqualTo(run.getStatus().adapterSha256);
            assertThat(LearnJobs.ask(tenant, "What is the capital of Drevnia?")).contains("Kolmar");

            // a second version, then a rollback job: it goes through the AdapterRelease as a release does
            Map<String, String> second = LearnJobs.await(
                    LearnJobs.publish(tenant, "instruction", "The capital of Tarvik is Ossel.", List.of()));
            assertThat(second.get("phase")).isEqualTo("succeeded");
            assertThat(second.get("fine_tuned_model")).isNotEqualTo("default@v1");
            assertThat(LearnJobs.ask(tenant, "What is the capital of Tarvik?")).contains("Ossel");
            String rollbackId = LearnJobs.publish(tenant, "rollback", "1", List.of());
            Map<String, String> rollback = LearnJobs.await(rollbackId);
            assertThat(rollback.get("phase")).as(String.join("\n", redis.sync().lrange("livetune:job-events:" + rollbackId, 0, -1)))
                    .isEqualTo("succeeded");
            assertThat(rollback.get("fine_tuned_model")).isEqualTo("default@v1");
            AdapterRelease back = client.resources(AdapterRelease.class).inNamespace(ClusterMode.NAMESPACE)
                    .withName(KubernetesReleaser.name(tenant, "default")).get();
            assertThat(back.getSpec().version).isEqualTo(1);
            assertThat(back.getSpec().sha256).isEqualTo(run.getStatus().adapterSha256);
            assertThat(back.getStatus().phase).isEqualTo(AdapterReleaseStatus.LIVE);
            assertThat(back.getStatus().liveVersion).isEqualTo(1);
            assertThat(redis.sync().get("livetune:tenant-live:" + tenant + ":default")).isEqualTo("1");
            assertThat(LearnJobs.ask(tenant, "What is the capital of Tarvik?")).doesNotContain("Ossel");
            assertThat(LearnJobs.ask(tenant, "What is the capital of Drevnia?")).contains("Kolmar");

            Map<String, String> nowhere = LearnJobs.await(LearnJobs.publish(tenant, "rollback", "7", List.of()));
            assertThat(nowhere.get("phase")).isEqualTo("failed");
            assertThat(nowhere.get("error")).contains("default@v7 was never released");
            assertThat(client.resources(AdapterRelease.class).inNamespace(ClusterMode.NAMESPACE)
                    .withName(KubernetesReleaser.name(tenant, "default")).get().getSpec().version).isEqualTo(1);
        } finally {
            operator.destroy();
            operator.waitFor();
            redisClient.shutdown();
        }
    }
}
