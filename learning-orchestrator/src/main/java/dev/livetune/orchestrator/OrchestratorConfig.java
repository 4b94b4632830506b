package dev.livetune.orchestrator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code livetune.orchestrator.*} (environment: {@code LIVETUNE_ORCHESTRATOR_*}). */
@ConfigMapping(prefix = "livetune.orchestrator")
public interface OrchestratorConfig {

    @WithDefault("redis://localhost:6379")
    String redisUri();

    @WithDefault("amqp://guest:guest@localhost:5672/%2F")
    String rabbitmqUri();

    /** Queue of learn requests (the gateway publishes to it); unreadable ones go to {@code <queue>.dead}. */
    @WithDefault("learn-requests")
    String learnQueue();

    /** Artifact store root (datasets and adapter versions under {@code tenants/<t>/}). */
    Path artifactsDir();

    /** Where the gateway keeps uploads ({@code <dir>/<tenant>/<file id>}). */
    Optional<Path> filesDir();

    /** The base model directory the trainer trains on (the one inference-service serves). */
    Path baseModelDir();

    /** The trainer jar. */
    @WithDefault("trainer/target/trainer.jar")
    Path trainerJar();

    /** {@code hyper.json} for every training run; the trainer's defaults when absent. */
    Optional<Path> trainerConfig();

    /**
     * Where a local trainer sends its span (an OTLP/HTTP collector, e.g. {@code http://collector:4318});
     * none: the trainer traces nothing. The orchestrator's own spans follow {@code quarkus.otel.*}.
     */
    Optional<String> trainerOtlpEndpoint();

    /** PyTorch threads for a training run (0 = every core). */
    @WithDefault("0")
    int trainerThreads();

    /** Transient trainer failures (exit 75) retried before the job fails. */
    @WithDefault("2")
    int trainerRetries();

    /** inference-service host and gRPC port (the local releaser). */
    @WithDefault("localhost")
    String inferenceHost();

    @WithDefault("9000")
    int inferencePort();

    /** inference-service's admin token (the local releaser activates versions through it). */
    Optional<String> inferenceAdminToken();

    /**
     * The secret of inference-service's {@code Generate} caller tokens (the same as inference's): each
     * augmentation task carries a token for its own tenant, good for an hour, for the {@code self}
     * teacher. Unset: tasks carry none.
     */
    Optional<String> generateSecret();

    /**
     * This orchestrator's name on the jobs it runs (their leases): the pod's name by default, so a pod
     * restarted in place takes its jobs back at once, while another pod (a rolling update's new one)
     * waits until the old one stops running them.
     */
    @WithDefault("${HOSTNAME:orchestrator}")
    String instanceId();

    /** Samples the rules teacher writes per taught sentence. */
    @WithDefault("10")
    int samplesPerFact();

    /** Replay: earlier samples mixed in, at least this share of the new samples... */
    @WithDefault("0.5")
    double replayShare();

    /**
     * ...and at least this many from each earlier dataset of the adapter (capped at 200 in all). Applies
     * to datasets taught before the knowledge record existed; items of the record use {@link #replayPerItem()}.
     */
    @WithDefault("5")
    int replayPerDataset();

    /**
     * Samples replayed from every live learned item of the alias in each run, per thing the item states
     * (a document chunk of four facts gets four times this), so that every run sees every item (the
     * replay grows with the record, linearly).
     */
    @WithDefault("4")
    int replayPerItem();

    /**
     * How many times {@link #replayPerItem()} a live item gets when it names something spelled like a
     * name the job teaches ("Fenquilo" while "Fenquitha" is taught): the items a new fact is likeliest
     * to overwrite. 1 treats them like the others.
     */
    @WithDefault("2")
    int replayLookAlikes();

    /**
     * Held-out questions asked per live learned item after each run ({@code paraphrase} probes, reported
     * apart, not gated). Every item is also asked each thing it states the way it was taught
     * ({@code retention} probes, gated by {@link #minRetention()}).
     */
    @WithDefault("1")
    int probesPerItem();

    /**
     * General data of the base model: {@code replay.jsonl} (chat samples of what it already does
     * well, some mixed into every run so an adapter does not unlearn them) and {@code probes.jsonl}
     * (asked after every run as retention probes). Standalone's starter model comes with its own.
     */
    Optional<Path> generalData();

    /** Samples from the general data's replay.jsonl mixed into each run. */
    @WithDefault("50")
    int generalReplay();

    /**
     * Optimizer steps per training run (the trainer's {@code max_steps}, over any configured epochs),
     * so a run costs the same however much replay it carries; 0 leaves it to the trainer config.
     */
    @WithDefault("80")
    int trainingSteps();

    /**
     * Extra optimizer steps per thing a run teaches beyond the first (each fact of the live items it
     * replays, and of the job's own), so the step budget follows the replay it carries.
     */
    @WithDefault("2")
    int trainingStepsPerItem();

    /**
     * Extra optimizer steps per thing the job itself teaches beyond the first (a document of four facts:
     * three times this). Several new facts at once disturb more of what was learned before: in the
     * continual-learning bench a four-fact document over 29 live items lost 9 of them in the usual
     * 144 steps, 3 in 216 and none in 288.
     */
    @WithDefault("48")
    int trainingStepsPerNewStatement();

    /** Eval gate: lowest recall on the new knowledge's held-out probes. */
    @WithDefault("0.5")
    double minNewRecall();

    /** Eval gate: lowest recall on the probes of the live learned items (earlier learnings). */
    @WithDefault("0.9")
    double minRetention();

    /**
     * Eval gate: lowest recall on the base model's general probes (small talk), apart from the learned
     * items', so neither can hide a loss of the other.
     */
    @WithDefault("0.8")
    double minGeneralRecall();

    /** Where augmentation tasks are published (augmentation-service's workers consume it). */
    @WithDefault("augment-tasks")
    String augmentTasksQueue();

    /** Where the workers' results come back (named in each task's reply-to). */
    @WithDefault("augment-results")
    String augmentResultsQueue();

    /** A job whose augmentation tasks have not all come back by then fails, saying how many did. */
    @WithDefault("10m")
    Duration augmentTimeout();

    /**
     * {@code local}: train with the trainer as a child process and release through one
     * inference-service; {@code kubernetes}: create TrainingRun and AdapterRelease resources for the
     * training-operator and follow them.
     */
    @WithDefault("local")
    String launcher();

    /** Where TrainingRuns and AdapterReleases are made; unset: the client's namespace. */
    Optional<String> kubernetesNamespace();

    /** The base model's directory on the training pods' models volume; unset: base-model-dir's name. */
    Optional<String> kubernetesBaseModel();

    /** What a training pod asks for. */
    @WithDefault("1")
    int trainingGpus();

    @WithDefault("4")
    String trainingCpu();

    @WithDefault("16Gi")
    String trainingMemory();

    /** A version not live on every replica by then fails the job, and the release goes back to the live version. */
    @WithDefault("10m")
    Duration releaseTimeout();

    /** Jobs worked on at once (one at a time per tenant adapter in any case). */
    @WithDefault("2")
    int workers();

    /** A trainer run longer than this is killed and the job fails. */
    @WithDefault("2h")
    Duration trainingTimeout();
}
