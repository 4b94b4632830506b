package dev.livetune.orchestrator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plays the kubelet and the Job controller for the training Jobs on the mock server: a new Job's
 * trainer container is run as a local process (the packaged trainer, with {@code /artifacts} and
 * {@code /models} mapped onto the test's store and model directory, and the hyperparameters'
 * ConfigMap written to a file), and the Job's status then says what the exit code means, as the pod
 * failure policy would: 0 complete, 64 failed by the policy, anything else failed.
 */
final class PodDouble implements AutoCloseable {

    private final KubernetesClient client;
    private final Path store;
    private final Path models;
    private final Path trainer;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final Thread loop;
    private volatile boolean running = true;
    final List<String> ran = new ArrayList<>();

    PodDouble(KubernetesClient client, Path store, Path models, Path trainer) {
        this.client = client;
        this.store = store;
        this.models = models;
        this.trainer = trainer;
        this.loop = new Thread(this::watch, "pod-double");
        loop.setDaemon(true);
        loop.start();
    }

    private void watch() {
        while (running) {
            try {
                for (Job job : client.batch().v1().jobs().inNamespace(ClusterMode.NAMESPACE).list().getItems()) {
                    if (seen.add(job.getMetadata().getName())) {
                        run(job);
                    }
                }
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // the mock server between tests; try again
            }
        }
    }

    private void run(Job job) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                trainer.toString()));
        for (String arg : job.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()) {
            if (arg.equals("/etc/livetune/hyper.json")) {
                ConfigMap cm = client.configMaps().inNamespace(ClusterMode.NAMESPACE).withName(job.getMetadata().getName() + "-hyper").get();
                Path hyper = Files.writeString(Files.createTempFile("hyper", ".json"), cm.getData().get("hyper.json"));
                cmd.add(hyper.toString());
            } else if (arg.startsWith("/artifacts/")) {
                cmd.add(store.resolve(arg.substring("/artifacts/".length())).toString());
            } else if (arg.startsWith("/models/")) {
                cmd.add(models.resolve(arg.substring("/models/".length())).toString());
            } else {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("--threads", "2"));
        ran.add(job.getMetadata().getName());
        job.setStatus(new JobStatusBuilder().withActive(1).build());
        client.batch().v1().jobs().inNamespace(ClusterMode.NAMESPACE).resource(job).updateStatus();
        int code = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(store.resolve(job.getMetadata().getName() + ".log").toFile()).start().waitFor();
        Job current = client.batch().v1().jobs().inNamespace(ClusterMode.NAMESPACE).withName(job.getMetadata().getName()).get();
        String type = code == 0 ? "Complete" : "Failed";
        String reason = code == 0 ? null : code == 64 ? "PodFailurePolicy" : "BackoffLimitExceeded";
        current.setStatus(new JobStatusBuilder().withActive(0).addToConditions(new JobConditionBuilder().withType(type)
                .withStatus("True").withReason(reason).withMessage("trainer exited " + code).build()).build());
        client.batch().v1().jobs().inNamespace(ClusterMode.NAMESPACE).resource(current).updateStatus();
    }

    @Override
    public void close() {
        running = false;
        loop.interrupt();
    }
}
