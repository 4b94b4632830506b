package dev.livetune.orchestrator.knowledge;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.artifact.ArtifactLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The knowledge record in the artifact store, beside the adapters and datasets it explains:
 * {@code tenants/<t>/knowledge/<alias>/<item id>.json}, and which items each released version holds in
 * {@code versions/v<N>.json}, each written to a temporary file and renamed.
 */
public final class FileKnowledgeRecord implements KnowledgeRecord {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    private final Path root;
    private final ObjectMapper json = new ObjectMapper();

    /** @param artifacts the artifact store's root */
    public FileKnowledgeRecord(Path artifacts) {
        this.root = artifacts;
    }

    private Path dir(String tenant, String adapter) {
        return new ArtifactLayout(root).knowledge(tenant, adapter);
    }

    @Override
    public List<LearnedItem> items(String tenant, String adapter) throws IOException {
        Path dir = dir(tenant, adapter);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<LearnedItem> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                out.add(json.readValue(f.toFile(), LearnedItem.class));
            }
        }
        // In the order they were learned (released items by version, then pending ones), not by job id:
        // the same teaching history replays the same samples, whatever ids its jobs were given
        out.sort(Comparator.comparingInt((LearnedItem i) -> i.version() == 0 ? Integer.MAX_VALUE : i.version())
                .thenComparing(LearnedItem::text).thenComparing(LearnedItem::id));
        return out;
    }

    @Override
    public Optional<LearnedItem> item(String tenant, String adapter, String id) throws IOException {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        Path f = dir(tenant, adapter).resolve(id + ".json");
        return Files.isRegularFile(f) ? Optional.of(json.readValue(f.toFile(), LearnedItem.class)) : Optional.empty();
    }

    @Override
    public void put(LearnedItem item) throws IOException {
        if (!ID.matcher(item.id()).matches()) {
            throw new IllegalArgumentException("item id '" + item.id() + "' is not a file name");
        }
        Path dir = dir(item.tenant(), item.adapter());
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + item.id(), ".tmp");
        json.writeValue(tmp.toFile(), item);
        Files.move(tmp, dir.resolve(item.id() + ".json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void holds(String tenant, String adapter, int version, List<String> itemIds) throws IOException {
        Path dir = dir(tenant, adapter).resolve("versions");
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".v" + version, ".tmp");
        json.writeValue(tmp.toFile(), List.copyOf(itemIds));
        Files.move(tmp, dir.resolve("v" + version + ".json"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public Optional<List<String>> held(String tenant, String adapter, int version) throws IOException {
        Path f = dir(tenant, adapter).resolve("versions").resolve("v" + version + ".json");
        return Files.isRegularFile(f)
                ? Optional.of(List.of(json.readValue(f.toFile(), String[].class)))
                : Optional.empty();
    }
}
