package dev.livetune.orchestrator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The packaged orchestrator as a process of its own, for the tests that kill it. */
final class OrchestratorProcess {

    private OrchestratorProcess() {
    }

    /**
     * @param properties system properties (the stack's configuration, overrides, a failpoint)
     * @param log        its output file's name in the stack's store
     */
    static Process start(Map<String, String> properties, String log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        if (!properties.containsKey("quarkus.http.port")) {
            cmd.add("-Dquarkus.http.port=8403");
        }
        cmd.addAll(List.of("-jar", "target/quarkus-app/quarkus-run.jar"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(PipelineStack.store.resolve(log).toFile()).start();
    }
}
