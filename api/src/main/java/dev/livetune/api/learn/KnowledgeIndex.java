package dev.livetune.api.learn;

/**
 * The index of a tenant alias's learned items in Redis, written by learning-orchestrator (which owns
 * the knowledge record in the artifact store) and read by the gateway to list them: one hash per
 * alias, item id → a JSON summary {@code {"id", "kind" (fact | document | web), "text", "status"
 * (pending | live | retired | forgotten), "version", "job_id", "source", "samples", "probes",
 * "replaced_by"?}}.
 */
public final class KnowledgeIndex {

    private KnowledgeIndex() {
    }

    /** @return the hash of the alias's items */
    public static String key(String tenant, String adapter) {
        return "livetune:knowledge:" + tenant + ":" + adapter;
    }
}
