package dev.livetune.orchestrator;

import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Chooses the training launcher and the releaser ({@code livetune.orchestrator.launcher} = local or
 * kubernetes), and makes the knowledge record.
 */
public class Launchers {

    @Produces
    @Singleton
    TrainingLauncher launcher(OrchestratorConfig config, Instance<LocalTrainingLauncher> local,
            Instance<KubernetesTrainingLauncher> cluster) {
        return switch (config.launcher()) {
            case "local" -> local.get();
            case "kubernetes" -> cluster.get();
            default -> throw new IllegalArgumentException("livetune.orchestrator.launcher must be local or kubernetes, not '"
                    + config.launcher() + "'");
        };
    }

    /** The tenants' knowledge record, in the artifact store. */
    @Produces
    @Singleton
    dev.livetune.orchestrator.knowledge.KnowledgeRecord knowledge(OrchestratorConfig config) {
        return new dev.livetune.orchestrator.knowledge.FileKnowledgeRecord(config.artifactsDir());
    }

    @Produces
    @Singleton
    AdapterReleaser releaser(OrchestratorConfig config, Instance<InferenceReleaser> local, Instance<KubernetesReleaser> cluster) {
        return "kubernetes".equals(config.launcher()) ? cluster.get() : local.get();
    }
}
