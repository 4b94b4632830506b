package dev.livetune.inference;

import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.adapter.Sha256;
import dev.livetune.api.artifact.AdapterManifest;
import dev.livetune.api.artifact.ArtifactLayout;
import dev.livetune.llm.LanguageModel;
import dev.livetune.llm.lora.LoraAdapter;
import dev.livetune.llm.model.ModelFormatException;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * The adapter versions this replica holds, and what each alias points at.
 *
 * <p>A request takes a {@link Lease} on one version when it starts (resolving an alias then), so
 * an alias can move while it runs; a version leaves memory only once its last lease is returned.
 * Loading (read, verify every file against its manifest, warm up) happens outside the
 * lock; only the switch is atomic, so a failed load never changes what an alias points at. Beyond
 * {@code maxResident} versions the least recently used one that is not pinned and not in use is
 * evicted, those not live first; a live version goes too when it can be read again from the artifact
 * store, so memory holds {@code maxResident} adapters however many tenants have one. A version named
 * by a request (a pinned version, or an alias whose version was evicted or only {@linkplain #point
 * pointed at}) is loaded again on demand from the store, checked against the sha256 its release named.
 */
public final class AdapterRegistry implements AutoCloseable {

    /** One loaded version. */
    static final class Resident {
        final AdapterRef ref;
        final LoraAdapter adapter;
        final double loadSeconds;
        /** The weights' sha256 its manifest lists; null when it was loaded unverified. */
        final String weightsSha256;
        /** Read from the artifact store, so it can be read again after an eviction. */
        final boolean fromStore;
        int users;
        boolean pinned;
        boolean retired;
        long lastUsed;

        Resident(AdapterRef ref, LoraAdapter adapter, double loadSeconds, boolean pinned, String weightsSha256,
                boolean fromStore) {
            this.ref = ref;
            this.fromStore = fromStore;
            this.weightsSha256 = weightsSha256;
            this.adapter = adapter;
            this.loadSeconds = loadSeconds;
            this.pinned = pinned;
            this.lastUsed = System.currentTimeMillis();
        }
    }

    /** A request's hold on a version (or on the base model). Return it exactly once, when the request ends. */
    public final class Lease implements AutoCloseable {
        private final Resident resident;
        private boolean closed;

        private Lease(Resident resident) {
            this.resident = resident;
        }

        /** @return the adapter to apply, or null for the base model */
        public LoraAdapter adapter() {
            return resident == null ? null : resident.adapter;
        }

        /** @return {@code tenant/name@vN}, or "" for the base model */
        public String servedBy() {
            return resident == null ? "" : resident.ref.toString();
        }

        @Override
        public void close() {
            if (resident == null) {
                return;
            }
            synchronized (AdapterRegistry.this) {
                if (closed) {
                    return;
                }
                closed = true;
                resident.users--;
                resident.lastUsed = System.currentTimeMillis();
                if (resident.retired && resident.users == 0) {
                    resident.adapter.close();
                }
            }
        }
    }

    /** What a load did. */
    public record LoadResult(AdapterRef ref, double loadSeconds, boolean alreadyResident, String aliasVersion) {
    }

    /** One row of {@link #list()}. */
    public record Info(AdapterRef ref, boolean pinned, int runningRequests, boolean live, long lastUsed) {
    }

    private final LanguageModel model;
    private final Optional<Path> store;
    private final int maxResident;
    private final boolean allowUnverified;
    private final Consumer<Double> onLoad;
    private final Runnable onLoadFailure;
    private final Map<AdapterRef, Resident> resident = new HashMap<>();
    private final Map<String, Integer> aliases = new HashMap<>();
    /** The weights' sha256 a release named for a version: a reload after an eviction is held to it. */
    private final Map<AdapterRef, String> releasedSha256 = new HashMap<>();
    private final Map<AdapterRef, CompletableFuture<Resident>> loading = new HashMap<>();

    /**
     * @param onLoad        told the seconds of every successful load (metrics)
     * @param onLoadFailure told of every failed load
     */
    public AdapterRegistry(LanguageModel model, Optional<Path> store, int maxResident, boolean allowUnverified,
            Consumer<Double> onLoad, Runnable onLoadFailure) {
        this.model = model;
        this.store = store;
        this.maxResident = maxResident;
        this.allowUnverified = allowUnverified;
        this.onLoad = onLoad;
        this.onLoadFailure = onLoadFailure;
    }

    /**
     * Takes a lease for a request.
     *
     * @param reference "" for the base model, {@code tenant/name} or {@code tenant/name@vN}
     * @throws AdapterException INVALID_ARGUMENT (malformed), NOT_FOUND (no live version, or no such
     *                          version in the store), FAILED_PRECONDITION (its files fail verification)
     */
    public Lease acquire(String reference) {
        if (reference.isEmpty()) {
            return new Lease(null);
        }
        AdapterRef ref;
        try {
            ref = AdapterRef.parse(reference);
        } catch (IllegalArgumentException e) {
            throw new AdapterException(Status.Code.INVALID_ARGUMENT, e.getMessage());
        }
        while (true) {
            AdapterRef version;
            synchronized (this) {
                version = resolve(ref);
                Resident r = resident.get(version);
                if (r != null && !r.retired) {
                    r.users++;
                    r.lastUsed = System.currentTimeMillis();
                    return new Lease(r);
                }
            }
            // A pinned version that is not resident: load it from the store, then take it. The request
            // itself is the warm-up, so none is run first: it would only delay the first token.
            loadVersion(version, Optional.empty(), false, false);
        }
    }

    private AdapterRef resolve(AdapterRef ref) {
        if (!ref.isAlias()) {
            return ref;
        }
        Integer v = aliases.get(ref.toString());
        if (v == null) {
            throw new AdapterException(Status.Code.NOT_FOUND, "no version of adapter " + ref + " is live");
        }
        return ref.at(v);
    }

    /**
     * Makes a version the live version of its alias without loading it: the first request for the
     * alias loads it from the store (a replica starting with more live adapters than it keeps in memory).
     */
    public synchronized void point(AdapterRef version) {
        aliases.put(AdapterRef.alias(version.tenant(), version.name()).toString(), version.version().getAsInt());
    }

    /** @return how many versions are in memory now */
    public synchronized int residentCount() {
        return (int) resident.values().stream().filter(r -> !r.retired).count();
    }

    /**
     * Loads a version (if needed) and optionally makes it the live version of its alias.
     *
     * @param path where the version's files are; empty for the artifact store's directory
     */
    public LoadResult load(AdapterRef version, Optional<Path> path, boolean activate, boolean pin) {
        return load(version, path, activate, pin, Optional.empty());
    }

    /**
     * As {@link #load(AdapterRef, Optional, boolean, boolean)}, and refused (the alias untouched) unless
     * the version's weights have the sha256 a release names for them.
     */
    public LoadResult load(AdapterRef version, Optional<Path> path, boolean activate, boolean pin,
            Optional<String> expectedWeightsSha256) {
        boolean already;
        synchronized (this) {
            Resident r = resident.get(version);
            already = r != null && !r.retired;
        }
        Resident r = already ? null : loadVersion(version, path, pin, true);
        synchronized (this) {
            Resident now = resident.get(version);
            if (now == null || now.retired) {
                throw new AdapterException(Status.Code.ABORTED, version + " was unloaded while it loaded; try again");
            }
            if (expectedWeightsSha256.isPresent() && !expectedWeightsSha256.get().equals(now.weightsSha256)) {
                throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version + ": the release names sha256 "
                        + expectedWeightsSha256.get() + " for " + AdapterManifest.WEIGHTS + ", but this version's is "
                        + (now.weightsSha256 == null ? "unverified" : now.weightsSha256));
            }
            now.pinned |= pin;
            expectedWeightsSha256.ifPresent(sha -> releasedSha256.put(version, sha));
            String alias = AdapterRef.alias(version.tenant(), version.name()).toString();
            if (activate) {
                aliases.put(alias, version.version().getAsInt());
            }
            Integer live = aliases.get(alias);
            return new LoadResult(version, r == null ? 0 : r.loadSeconds, already,
                    live == null ? "" : alias + "@v" + live);
        }
    }

    private Resident loadVersion(AdapterRef version, Optional<Path> path, boolean pin, boolean warm) {
        CompletableFuture<Resident> mine = new CompletableFuture<>();
        CompletableFuture<Resident> running;
        synchronized (this) {
            Resident r = resident.get(version);
            if (r != null && !r.retired) {
                return r;
            }
            running = loading.putIfAbsent(version, mine);
        }
        if (running != null) {
            try {
                return running.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof AdapterException a ? a
                        : new AdapterException(Status.Code.INTERNAL, e.getCause().toString(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdapterException(Status.Code.CANCELLED, "interrupted while " + version + " loaded");
            }
        }
        try {
            Resident r = read(version, path.orElseGet(() -> storeDir(version)), pin, warm, path.isEmpty());
            String named;
            synchronized (this) {
                named = releasedSha256.get(version);
            }
            if (named != null && !named.equals(r.weightsSha256)) {
                r.adapter.close();
                throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version + ": its release named sha256 "
                        + named + " for " + AdapterManifest.WEIGHTS + ", but the store now holds " + r.weightsSha256);
            }
            synchronized (this) {
                resident.put(version, r);
                loading.remove(version);
                evict(version);
            }
            onLoad.accept(r.loadSeconds);
            mine.complete(r);
            return r;
        } catch (RuntimeException e) {
            synchronized (this) {
                loading.remove(version);
            }
            onLoadFailure.run();
            mine.completeExceptionally(e);
            throw e;
        }
    }

    private Path storeDir(AdapterRef v) {
        Path root = store.orElseThrow(() -> new AdapterException(Status.Code.NOT_FOUND,
                v + " is not loaded and no artifact store is configured to load it from"));
        return new ArtifactLayout(root).version(v.tenant(), v.name(), v.version().getAsInt());
    }

    private Resident read(AdapterRef version, Path dir, boolean pin, boolean warm, boolean fromStore) {
        long t0 = System.nanoTime();
        if (!Files.isDirectory(dir)) {
            throw new AdapterException(Status.Code.NOT_FOUND, "adapter " + version + " not found (" + dir + ")");
        }
        String weightsSha256 = verify(version, dir);
        LoraAdapter adapter;
        try {
            adapter = model.loadAdapter(dir, version.toString());
        } catch (ModelFormatException e) {
            throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version + ": " + e.getMessage(), e);
        }
        if (warm) {
            try {
                warmUp(adapter);
            } catch (RuntimeException e) {
                adapter.close();
                throw e;
            }
        }
        return new Resident(version, adapter, (System.nanoTime() - t0) / 1e9, pin, weightsSha256, fromStore);
    }

    /**
     * Checks every file the version's manifest lists against its sha256, and that the adapter files are
     * among them.
     *
     * @return the weights' sha256; null when there is no manifest and unverified adapters are allowed
     */
    private String verify(AdapterRef version, Path dir) {
        if (!Files.isRegularFile(dir.resolve(ArtifactLayout.ADAPTER_MANIFEST))) {
            if (allowUnverified) {
                return null;
            }
            throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version
                    + " has no " + ArtifactLayout.ADAPTER_MANIFEST + " to verify its files against");
        }
        try {
            AdapterManifest manifest = AdapterManifest.read(dir);
            for (String required : List.of(AdapterManifest.CONFIG, AdapterManifest.WEIGHTS)) {
                if (!manifest.files().containsKey(required)) {
                    throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version
                            + ": " + ArtifactLayout.ADAPTER_MANIFEST + " does not list " + required);
                }
            }
            for (Map.Entry<String, String> f : manifest.files().entrySet()) {
                Path file = dir.resolve(f.getKey()).normalize();
                if (!file.startsWith(dir.normalize()) || !Files.isRegularFile(file)) {
                    throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version + ": "
                            + f.getKey() + " is listed in " + ArtifactLayout.ADAPTER_MANIFEST + " but missing");
                }
                String actual = Sha256.of(file);
                if (!actual.equals(f.getValue())) {
                    throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version + ": "
                            + f.getKey() + " has sha256 " + actual + " but " + ArtifactLayout.ADAPTER_MANIFEST + " says "
                            + f.getValue());
                }
            }
            return manifest.weightsSha256();
        } catch (IOException e) {
            throw new AdapterException(Status.Code.FAILED_PRECONDITION, "adapter " + version
                    + ": cannot read " + ArtifactLayout.ADAPTER_MANIFEST + " or its files: " + e.getMessage(), e);
        }
    }

    /** One short pass through every layer with the adapter, so its first request pays no first-touch costs. */
    private void warmUp(LoraAdapter adapter) {
        model.generator(new java.util.SplittableRandom(0)).generate(List.of(
                dev.livetune.llm.generate.GenerationRequest.of(new int[] {0}, adapter,
                        dev.livetune.llm.generate.SamplingParams.builder().setMaxNewTokens(1).optIgnoreEos(true).build())));
    }

    /** Evicts least recently used versions beyond the bound, never {@code keep} (the one just loaded). */
    private void evict(AdapterRef keep) {
        long live = resident.values().stream().filter(r -> !r.retired).count();
        if (live <= maxResident) {
            return;
        }
        List<Resident> candidates = new ArrayList<>();
        for (Resident r : resident.values()) {
            if (!r.retired && !r.pinned && r.users == 0 && (r.fromStore || !isLive(r.ref)) && !r.ref.equals(keep)) {
                candidates.add(r);
            }
        }
        candidates.sort(Comparator.<Resident, Boolean>comparing(r -> isLive(r.ref)).thenComparingLong(r -> r.lastUsed));
        for (Resident r : candidates) {
            if (live <= maxResident) {
                break;
            }
            resident.remove(r.ref);
            r.retired = true;
            r.adapter.close();
            live--;
        }
    }

    private boolean isLive(AdapterRef version) {
        Integer v = aliases.get(AdapterRef.alias(version.tenant(), version.name()).toString());
        return v != null && v == version.version().getAsInt();
    }

    /**
     * Unloads a version: at once when idle, else when its last request ends.
     *
     * @return running requests still on it, or -1 when it was not resident
     * @throws AdapterException FAILED_PRECONDITION when an alias serves it
     */
    public synchronized int unload(AdapterRef version) {
        if (isLive(version)) {
            throw new AdapterException(Status.Code.FAILED_PRECONDITION, version
                    + " is the live version of its alias; activate another version first");
        }
        Resident r = resident.get(version);
        if (r == null || r.retired) {
            return -1;
        }
        resident.remove(version);
        r.retired = true;
        if (r.users == 0) {
            r.adapter.close();
        }
        return r.users;
    }

    /** @return every resident version */
    public synchronized List<Info> list() {
        List<Info> out = new ArrayList<>();
        resident.values().stream().sorted(Comparator.comparing(r -> r.ref.toString()))
                .forEach(r -> out.add(new Info(r.ref, r.pinned, r.users, isLive(r.ref), r.lastUsed)));
        return out;
    }

    /** @return alias → live version */
    public synchronized Map<String, String> aliases() {
        Map<String, String> out = new LinkedHashMap<>();
        aliases.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.put(e.getKey(), e.getKey() + "@v" + e.getValue()));
        return out;
    }

    /** @return the eviction bound */
    public int maxResident() {
        return maxResident;
    }

    @Override
    public synchronized void close() {
        for (Resident r : resident.values()) {
            r.retired = true;
            if (r.users == 0) {
                r.adapter.close();
            }
        }
        resident.clear();
    }
}
