package dev.livetune.orchestrator.knowledge;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * A tenant's knowledge, per adapter alias: every learned item, whatever its status. The orchestrator
 * owns it; datasets are built from it and releases move items to live. Writes are atomic per item:
 * a reader sees an item whole, before or after a write.
 */
public interface KnowledgeRecord {

    /** @return every item of the alias, in the order they were learned: by version (pending ones last), then text, then id */
    List<LearnedItem> items(String tenant, String adapter) throws IOException;

    /** @return the item, if the alias has one with this id */
    Optional<LearnedItem> item(String tenant, String adapter, String id) throws IOException;

    /** Writes an item (a new one, or a new status of an existing one). */
    void put(LearnedItem item) throws IOException;

    /** Records which items a released version of the alias was trained on. */
    void holds(String tenant, String adapter, int version, List<String> itemIds) throws IOException;

    /**
     * @return the ids of the items the version was trained on; empty when it was released before this
     *         was recorded (or never)
     */
    Optional<List<String>> held(String tenant, String adapter, int version) throws IOException;
}
