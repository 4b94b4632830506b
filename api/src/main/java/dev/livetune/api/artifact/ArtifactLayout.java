package dev.livetune.api.artifact;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a tenant's artifacts live below the artifact store's root, in one place:
 *
 * <pre>
 * tenants/&lt;tenant&gt;/adapters/&lt;alias&gt;/v&lt;N&gt;/   a version: PEFT files, livetune.json, eval.json
 * tenants/&lt;tenant&gt;/datasets/&lt;job&gt;/           a learn job's dataset: train, replay, probes, manifest.json
 * tenants/&lt;tenant&gt;/knowledge/&lt;alias&gt;/        the alias's knowledge record
 * </pre>
 *
 * Every name is one path segment: a tenant, alias or job id that could climb out of its directory
 * ({@code ..}, a separator) is refused here, whatever checked it before.
 *
 * @param root the artifact store's root directory
 */
public record ArtifactLayout(Path root) {

    /** An adapter version's (or a fully trained model's) manifest, written by the trainer. */
    public static final String ADAPTER_MANIFEST = "livetune.json";
    /** A version's probe results, written by the trainer when it was given probes. */
    public static final String EVAL_REPORT = "eval.json";
    /** A dataset's manifest, written by the orchestrator. */
    public static final String DATASET_MANIFEST = "manifest.json";

    public ArtifactLayout {
        Objects.requireNonNull(root, "root");
    }

    /**
     * @return the version's location relative to the root, with {@code /} separators: what an
     *         {@code AdapterRelease} carries as its uri
     */
    public static String versionUri(String tenant, String alias, int version) {
        if (version < 1) {
            throw new IllegalArgumentException("adapter versions start at 1, not " + version);
        }
        return "tenants/" + segment(tenant, "tenant") + "/adapters/" + segment(alias, "adapter alias") + "/v" + version;
    }

    /** @return the directory of an adapter version */
    public Path version(String tenant, String alias, int version) {
        return root.resolve(versionUri(tenant, alias, version));
    }

    /** @return the directory holding a tenant's datasets, one per learn job */
    public Path datasets(String tenant) {
        return root.resolve("tenants").resolve(segment(tenant, "tenant")).resolve("datasets");
    }

    /** @return the directory of one learn job's dataset */
    public Path dataset(String tenant, String jobId) {
        return datasets(tenant).resolve(segment(jobId, "job id"));
    }

    /** @return the directory of an alias's knowledge record */
    public Path knowledge(String tenant, String alias) {
        return root.resolve("tenants").resolve(segment(tenant, "tenant")).resolve("knowledge")
                .resolve(segment(alias, "adapter alias"));
    }

    private static String segment(String name, String what) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a valid " + what + " for an artifact path: '" + name + "'");
        }
        return name;
    }
}
