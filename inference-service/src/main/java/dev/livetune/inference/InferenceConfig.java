package dev.livetune.inference;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** {@code livetune.inference.*} (environment: {@code LIVETUNE_INFERENCE_*}). */
@ConfigMapping(prefix = "livetune.inference")
public interface InferenceConfig {

    /** Hugging Face model directory to serve. */
    Path modelDir();

    /** Artifact store root: adapters live where {@code ArtifactLayout} puts them. */
    Optional<Path> artifactsDir();

    /**
     * Adapters to load and activate at startup, each {@code tenant/name@vN=DIR} (DIR optional: the
     * artifact store's directory for that version).
     */
    Optional<List<String>> adapters();

    /** PyTorch intra-op threads (0 = every core). */
    @WithDefault("0")
    int threads();

    /**
     * Where the model computes: {@code auto} (the first CUDA device when the PyTorch native library
     * sees one, else the CPU), {@code cpu}, {@code cuda} or {@code cuda:N} (refused at startup when
     * that device is not there).
     */
    @WithDefault("auto")
    String device();

    /**
     * The model's number format: {@code auto} (float16 on a CUDA device, float32 on the CPU),
     * {@code float32} or {@code float16} (half the weight and KV-cache memory; logits within the bound
     * the llm-runtime README gives). {@code bfloat16} is refused at startup.
     */
    @WithDefault("auto")
    String precision();

    /** Sequences decoded together at most. */
    @WithDefault("16")
    int maxBatch();

    /** Requests waiting for a place in the batch at most; more are refused with RESOURCE_EXHAUSTED. */
    @WithDefault("64")
    int maxWaiting();

    /**
     * Adapter versions kept loaded; beyond it the least recently used not pinned and not in use go, live ones
     * last (they are read again from the store when next asked for).
     */
    @WithDefault("32")
    int maxResidentAdapters();

    /** Longest prompt accepted, in tokens (0 = the model's context minus one). */
    @WithDefault("0")
    int maxPromptTokens();

    /** {@code max_tokens} when a request leaves it 0. */
    @WithDefault("256")
    int defaultMaxTokens();

    /** Bearer token for the InferenceAdmin service; without one the admin service refuses every call. */
    Optional<String> adminToken();

    /**
     * The secret of {@code Generate}'s caller tokens ({@code dev.livetune.api.auth.CallerTokens}, shared
     * with the gateway and the orchestrator): with it, a call needs a token, and a token of one tenant
     * reaches only that tenant's adapters and the base model. Without it, {@code Generate} is open to
     * any caller (a warning says so at startup).
     */
    Optional<String> generateSecret();

    /**
     * Accept adapter directories without a manifest ({@code AdapterManifest}) to verify against (a PEFT adapter
     * from elsewhere). Off by default: every file of a livetune adapter is checked.
     */
    @WithDefault("false")
    boolean allowUnverifiedAdapters();

    /** How long shutdown waits for running streams to finish. */
    @WithDefault("30s")
    Duration drainGrace();
}
