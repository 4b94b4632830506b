package dev.livetune.augment;

import dev.livetune.api.augment.AugmentResult;
import dev.livetune.api.augment.AugmentResult.Probe;
import dev.livetune.api.augment.AugmentResult.Provenance;
import dev.livetune.api.augment.AugmentResult.Sample;
import dev.livetune.api.augment.AugmentTask;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Does one {@link AugmentTask}: self-instruct for statements, instruction backtranslation for a
 * document chunk, and search augmentation (search, fetch through the SSRF guard, extract, chunk,
 * backtranslate) for a web query; then the quality filter. Every sample keeps its provenance. A
 * language-model teacher that fails or writes nothing usable falls back to the rules teacher, and
 * the result says so.
 */
public final class Augmenter {

    private final Function<AugmentTask, Teacher> teachers;
    private final RulesTeacher rules = new RulesTeacher();
    private final QualityFilter filter;
    private final Optional<SearchProvider> search;
    private final SafeFetcher fetcher;
    private final int webResults;
    private final Chunker chunker = new Chunker(1200, 150);
    private final String worker;

    /**
     * @param teachers   the teacher for a task (the {@code self} teacher asks the task's tenant's model)
     * @param search     web search, or empty when web learning is not configured
     * @param fetcher    the guarded fetcher for result pages
     * @param webResults result pages read per web task
     * @param worker     this worker's name, recorded in results
     */
    public Augmenter(Function<AugmentTask, Teacher> teachers, QualityFilter filter, Optional<SearchProvider> search, SafeFetcher fetcher,
            int webResults, String worker) {
        this.teachers = teachers;
        this.filter = filter;
        this.search = search;
        this.fetcher = fetcher;
        this.webResults = webResults;
        this.worker = worker;
    }

    public AugmentResult run(AugmentTask task) throws InterruptedException {
        Work work = new Work(task);
        try {
            switch (task.kind()) {
                case AugmentTask.STATEMENTS -> work.statements();
                case AugmentTask.CHUNK -> work.chunk(task.source(), task.chunk(), task.title(), task.text());
                case AugmentTask.WEB -> work.web();
                default -> {
                    return work.failed("unknown task kind '" + task.kind() + "'");
                }
            }
        } catch (TaskFailure e) {
            return work.failed(e.getMessage());
        }
        return work.result();
    }

    /** The state of one task while it is done. */
    private final class Work {
        private final AugmentTask task;
        private final Teacher teacher;
        private final List<Sample> samples = new ArrayList<>();
        private final Set<Probe> probes = new LinkedHashSet<>();
        private final Map<String, Integer> dropped = new LinkedHashMap<>();
        private final List<String> notes = new ArrayList<>();
        private final Set<String> fellBack = new LinkedHashSet<>();

        Work(AugmentTask task) {
            this.task = task;
            this.teacher = teachers.apply(task);
        }

        void statements() throws InterruptedException {
            List<QA> pairs = generate(() -> teacher.selfInstruct(task.text(), task.context(), task.samplesPerFact()),
                    () -> rules.selfInstruct(task.text(), task.context(), task.samplesPerFact()));
            keep(pairs, task.source(), 0, "");
            addProbes(task.text());
        }

        void chunk(String source, int index, String title, String text) throws InterruptedException {
            // as many per sentence as a statement taught in chat gets: with half as many, a document's
            // facts were the ones later versions forgot
            int n = task.samplesPerFact();
            List<QA> pairs = generate(() -> teacher.backtranslate(title, text, n), () -> rules.backtranslate(title, text, n));
            keep(pairs, source, index, title);
            addProbes(text);
        }

        void web() throws InterruptedException {
            SearchProvider provider = search.orElseThrow(() -> new TaskFailure(
                    "web learning is not configured on augmentation-service (livetune.augment.searxng-url); "
                            + "send the facts with [Learn] or upload the pages"));
            List<URI> pages;
            try {
                pages = provider.search(task.text(), webResults);
            } catch (IOException e) {
                throw new TaskFailure("the web search for '" + task.text() + "' failed: " + e.getMessage());
            }
            if (pages.isEmpty()) {
                throw new TaskFailure("the web search for '" + task.text() + "' found nothing");
            }
            List<String> unread = new ArrayList<>();
            int read = 0;
            for (URI url : pages) {
                try {
                    SafeFetcher.Page page = fetcher.fetch(url);
                    String name = page.contentType().contains("html") || url.getPath().endsWith(".html") ? "page.html"
                            : url.getPath().endsWith(".pdf") || page.contentType().contains("pdf") ? "page.pdf" : "page.txt";
                    for (Chunker.Chunk c : chunker.chunk(name, page.body())) {
                        chunk(url.toString(), c.index(), c.title(), c.text());
                    }
                    read++;
                } catch (FetchRefusedException e) {
                    unread.add("refused " + e.getMessage());
                } catch (IOException e) {
                    unread.add(url + ": " + e.getMessage());
                }
            }
            if (read == 0) {
                throw new TaskFailure("no web page could be read: " + String.join("; ", unread));
            }
            notes.add("read " + read + " of " + pages.size() + " pages" + (unread.isEmpty() ? "" : "; " + String.join("; ", unread)));
        }

        private List<QA> generate(Generation primary, Generation fallback) throws InterruptedException {
            try {
                List<QA> pairs = primary.get();
                if (!pairs.isEmpty() || teacher instanceof RulesTeacher) {
                    return pairs;
                }
                fellBack.add("the " + teacher.name() + " teacher wrote nothing usable");
            } catch (IOException e) {
                fellBack.add("the " + teacher.name() + " teacher failed (" + e.getMessage() + ")");
            }
            try {
                return fallback.get();
            } catch (IOException e) {
                throw new TaskFailure(e.getMessage());
            }
        }

        private void keep(List<QA> pairs, String source, int chunk, String title) {
            QualityFilter.Result filtered = filter.filter(pairs);
            filtered.dropped().forEach((reason, n) -> dropped.merge(reason, n, Integer::sum));
            Provenance provenance = new Provenance(task.requestId(), source, chunk, title);
            for (QA qa : filtered.kept()) {
                samples.add(new Sample(qa.question(), qa.answer(), provenance));
            }
        }

        private void addProbes(String text) throws InterruptedException {
            try {
                for (ProbeQuestion p : teacher.probes(text)) {
                    probes.add(new Probe(p.question(), p.expect()));
                }
            } catch (IOException e) {
                for (ProbeQuestion p : rules.probes(text)) {
                    probes.add(new Probe(p.question(), p.expect()));
                }
            }
        }

        AugmentResult result() {
            List<String> all = new ArrayList<>(notes);
            for (String reason : fellBack) {
                all.add(reason + "; used the rules teacher");
            }
            String error = samples.isEmpty()
                    ? "nothing learnable: every generated sample was filtered out " + dropped : null;
            return new AugmentResult(AugmentResult.SCHEMA_VERSION, task.taskId(), task.jobId(), worker,
                    fellBack.isEmpty() ? teacher.name() : teacher.name() + "+rules", samples, List.copyOf(probes), dropped, all,
                    error);
        }

        AugmentResult failed(String error) {
            return new AugmentResult(AugmentResult.SCHEMA_VERSION, task.taskId(), task.jobId(), worker, teacher.name(),
                    List.of(), List.of(), dropped, notes, error);
        }
    }

    @FunctionalInterface
    private interface Generation {
        List<QA> get() throws IOException, InterruptedException;
    }

    /** Ends a task with a reason for the job. */
    private static final class TaskFailure extends RuntimeException {
        TaskFailure(String message) {
            super(message);
        }
    }
}
