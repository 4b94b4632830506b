package dev.livetune.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.adapter.AdapterRef;
import dev.livetune.api.learn.LearnRequest;
import dev.livetune.api.learn.TrainingOptions;
import dev.livetune.state.JobStore;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;

/**
 * Learn jobs in OpenAI's fine-tuning shapes: {@code /v1/fine_tuning/jobs} (create from an uploaded
 * file, list, retrieve, cancel, events) and {@code POST /v1/learn} for instruction or web learning
 * without a file. A job's {@code fine_tuned_model} is the pinned version it produced.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class JobsResource {

    private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

    private final Caller caller;
    private final JobStore jobs;
    private final Learning learning;
    private final FilesResource files;
    private final GatewayConfig config;
    private final JobWatch watch;
    private final Streams streams;
    private final ObjectMapper json = new ObjectMapper();

    JobsResource(Caller caller, JobStore jobs, Learning learning, FilesResource files, GatewayConfig config,
            JobWatch watch, Streams streams) {
        this.caller = caller;
        this.streams = streams;
        this.watch = watch;
        this.jobs = jobs;
        this.learning = learning;
        this.files = files;
        this.config = config;
    }

    @POST
    @Path("/fine_tuning/jobs")
    @Consumes(MediaType.WILDCARD)
    public String create(@RequestBody(required = true, content = @Content(mediaType = "application/json",
                    schema = @Schema(ref = "FineTuningJobRequest"))) String body) {
        String tenant = caller.teacher();
        JsonNode req = object(body);
        onlyWhatIsHonoured(req);
        String file = text(req, "training_file", true);
        boolean supervised = trainingData(files.owned(tenant, file));
        String validation = text(req, "validation_file", false);
        if (validation != null) {
            if (!supervised) {
                throw OpenAiException.invalid("validation_file", "a validation file goes with chat-format training data"
                        + " (.jsonl, purpose fine-tune); a document's questions are written by livetune");
            }
            if (!trainingData(files.owned(tenant, validation))) {
                throw OpenAiException.invalid("validation_file", "the validation file must be chat-format .jsonl uploaded"
                        + " with purpose fine-tune");
            }
        }
        TrainingOptions options = options(req, validation);
        String alias = alias(tenant, text(req, "model", true));
        String suffix = text(req, "suffix", false);
        if (suffix != null) {
            if (!alias.equals("default") && !alias.equals(suffix)) {
                throw OpenAiException.invalid("suffix", "'suffix' names the adapter to train ('" + suffix + "'), so 'model'"
                        + " must be the base model or that adapter, not '" + alias + "'");
            }
            alias = alias(tenant, suffix, "suffix");
        }
        LearnRequest r = learning.start(tenant, alias, supervised ? SUPERVISED : "doc", "", List.of(file), null, List.of(),
                options);
        return job(tenant, r.jobId()).toString();
    }

    /** The mode of a job that trains on the tenant's own chat-format samples. */
    static final String SUPERVISED = "supervised";

    /** @return whether an uploaded file is chat-format training data (checked when it was uploaded) */
    private static boolean trainingData(Map<String, String> file) {
        return FilesResource.FINE_TUNE.equals(file.get("purpose"))
                && file.get("filename").toLowerCase(java.util.Locale.ROOT).endsWith(".jsonl");
    }

    /**
     * The client's training choices: {@code hyperparameters} (or {@code method.supervised.hyperparameters};
     * both may be given if they agree), each a number or {@code "auto"}, and {@code seed}.
     */
    private static TrainingOptions options(JsonNode req, String validation) {
        JsonNode top = req.path("hyperparameters");
        JsonNode method = req.path("method").path("supervised").path("hyperparameters");
        Integer epochs = integer(top, method, "n_epochs");
        Integer batch = integer(top, method, "batch_size");
        Double lr = null;
        for (JsonNode h : List.of(top, method)) {
            JsonNode v = h.get("learning_rate_multiplier");
            if (v != null && !v.isNull() && !"auto".equals(v.textValue())) {
                if (!v.isNumber()) {
                    throw OpenAiException.invalid(at(h, top, "learning_rate_multiplier"), "must be a number or \"auto\"");
                }
                if (lr != null && lr != v.asDouble()) {
                    throw OpenAiException.invalid("method.supervised.hyperparameters.learning_rate_multiplier",
                            "differs from hyperparameters.learning_rate_multiplier; give it once");
                }
                lr = v.asDouble();
            }
        }
        Long seed = null;
        JsonNode s = req.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.canConvertToLong() || !s.isIntegralNumber()) {
                throw OpenAiException.invalid("seed", "'seed' must be an integer");
            }
            seed = s.asLong();
        }
        try {
            return new TrainingOptions(epochs, batch, lr, seed, validation);
        } catch (IllegalArgumentException e) {
            String name = e.getMessage().substring(0, e.getMessage().indexOf(' '));
            throw OpenAiException.invalid((method.has(name) ? "method.supervised.hyperparameters." : "hyperparameters.") + name,
                    e.getMessage());
        }
    }

    private static Integer integer(JsonNode top, JsonNode method, String name) {
        Integer out = null;
        for (JsonNode h : List.of(top, method)) {
            JsonNode v = h.get(name);
            if (v != null && !v.isNull() && !"auto".equals(v.textValue())) {
                if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                    throw OpenAiException.invalid(at(h, top, name), "must be an integer or \"auto\"");
                }
                if (out != null && out != v.asInt()) {
                    throw OpenAiException.invalid("method.supervised.hyperparameters." + name, "differs from hyperparameters."
                            + name + "; give it once");
                }
                out = v.asInt();
            }
        }
        return out;
    }

    private static String at(JsonNode h, JsonNode top, String name) {
        return (h == top ? "hyperparameters." : "method.supervised.hyperparameters.") + name;
    }

    @POST
    @Path("/learn")
    @Consumes(MediaType.WILDCARD)
    public String learn(@RequestBody(required = true, content = @Content(mediaType = "application/json",
                    schema = @Schema(ref = "LearnRequest"))) String body) {
        String tenant = caller.teacher();
        JsonNode req = object(body);
        String alias = alias(tenant, req.has("model") ? text(req, "model", true) : "default");
        String mode = req.has("mode") ? text(req, "mode", true) : "auto";
        if (!Set.of("auto", "instruction", "web", "forget").contains(mode)) {
            throw OpenAiException.invalid("mode", "'mode' must be auto, instruction, web or forget (documents: /v1/fine_tuning/jobs)");
        }
        String what = text(req, "text", true);
        if (what.isBlank() || what.length() > 20_000) {
            throw OpenAiException.invalid("text", "'text' must hold 1 to 20000 characters");
        }
        LearnRequest r = learning.start(tenant, alias, mode, what.strip(), List.of(), null, List.of());
        return job(tenant, r.jobId()).toString();
    }

    @GET
    @Path("/fine_tuning/jobs")
    public String list(@QueryParam("after") String after,
            @QueryParam("limit") Integer limit) {
        String tenant = caller.tenant();
        int n = limit(limit);
        List<String> ids = jobs.ofTenant(tenant);
        int from = 0;
        if (after != null) {
            int at = ids.indexOf(after);
            if (at < 0) {
                throw OpenAiException.invalid("after", "no job '" + after + "' in this list");
            }
            from = at + 1;
        }
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        for (String id : ids.subList(from, Math.min(ids.size(), from + n))) {
            data.add(job(tenant, id));
        }
        root.put("has_more", from + n < ids.size());
        return root.toString();
    }

    @GET
    @Path("/fine_tuning/jobs/{id}")
    public String get(@PathParam("id") String id) {
        return job(caller.tenant(), id).toString();
    }

    /**
     * The job's checkpoints in OpenAI's {@code fine_tuning.job.checkpoint} shape: the version the job
     * released, servable as {@code model} (the trainer's intermediate saves are for resuming and are
     * not served). Its metrics are those of the last training step.
     */
    @GET
    @Path("/fine_tuning/jobs/{id}/checkpoints")
    public String checkpoints(@PathParam("id") String id) {
        String tenant = caller.tenant();
        Map<String, String> j = owned(tenant, id);
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        String model = j.get("fine_tuned_model");
        if ("succeeded".equals(j.get("status")) && model != null && !ModelsResource.DELETE_MODE.equals(j.get("mode"))
                && !"rollback".equals(j.get("mode"))) {
            JsonNode last = json.createObjectNode();
            for (String e : jobs.events(id, 0)) {
                try {
                    JsonNode event = json.readTree(e);
                    if ("metrics".equals(event.path("type").asText())) {
                        last = event.path("data");
                    }
                } catch (JsonProcessingException ex) {
                    // skip a damaged entry
                }
            }
            ObjectNode c = data.addObject();
            c.put("id", "ftckpt-" + id.substring(id.indexOf('-') + 1) + "-" + model.substring(model.lastIndexOf('@') + 1));
            c.put("object", "fine_tuning.job.checkpoint");
            c.put("created_at", Long.parseLong(j.getOrDefault("finished_at", j.get("created_at"))));
            c.put("fine_tuned_model_checkpoint", model);
            c.put("fine_tuning_job_id", id);
            c.put("step_number", last.path("step").asInt(0));
            ObjectNode metrics = c.putObject("metrics");
            metrics.put("step", last.path("step").asInt(0));
            if (last.has("train_loss")) {
                metrics.put("train_loss", last.get("train_loss").asDouble());
            }
        }
        root.put("has_more", false);
        root.putNull("first_id");
        root.putNull("last_id");
        if (!data.isEmpty()) {
            root.put("first_id", data.get(0).get("id").asText());
            root.put("last_id", data.get(data.size() - 1).get("id").asText());
        }
        return root.toString();
    }

    @POST
    @Path("/fine_tuning/jobs/{id}/cancel")
    public String cancel(@PathParam("id") String id) {
        String tenant = caller.teacher();
        Map<String, String> j = owned(tenant, id);
        if (TERMINAL.contains(j.get("status"))) {
            throw new OpenAiException(409, "invalid_request_error", "job_finished", null,
                    "job " + id + " already " + j.get("status"), null);
        }
        if (JobStore.PENDING_APPROVAL.equals(j.get("status")) && jobs.deny(id, "cancelled before it was approved")) {
            // never sent to the orchestrator: it ends here
            learning.event(id, Instant.now(), "info", "Cancelled before it was approved");
            return job(tenant, id).toString();
        }
        // The orchestrator watches this flag and stops the job in whatever phase it is.
        jobs.requestCancel(id, Instant.now());
        learning.event(id, Instant.now(), "info", "Cancellation requested");
        return job(tenant, id).toString();
    }

    @GET
    @Path("/fine_tuning/jobs/{id}/events")
    public jakarta.ws.rs.core.Response events(@PathParam("id") String id,
            @QueryParam("after") String after, @QueryParam("limit") Integer limit, @QueryParam("stream") boolean stream) {
        String tenant = caller.tenant();
        owned(tenant, id);
        if (stream) {
            Streams.Slot slot = streams.open(tenant);
            return jakarta.ws.rs.core.Response.ok((jakarta.ws.rs.core.StreamingOutput) os -> {
                try (slot) {
                    live(os, tenant, id);
                }
            })
                    .type("text/event-stream; charset=utf-8").header("Cache-Control", "no-cache").build();
        }
        return jakarta.ws.rs.core.Response.ok(page(id, after, limit), MediaType.APPLICATION_JSON).build();
    }

    /**
     * The live variant ({@code ?stream=true}): every event so far, oldest first, then each new one as
     * it is recorded, one SSE {@code data:} line each, until the job ends; then {@code data: [DONE]}.
     * A quiet quarter-minute sends an SSE comment, so a client that has gone is noticed and its stream
     * (and its place among the tenant's {@link Streams}) ends.
     */
    private void live(java.io.OutputStream os, String tenant, String id) throws java.io.IOException {
        int sent = 0;
        long deadline = System.currentTimeMillis() + 6 * 3600_000L;
        owned(tenant, id);
        try (dev.livetune.broker.Wakeups.Watch w = watch.watch(id)) {
            while (System.currentTimeMillis() < deadline) {
                long mark = w.mark();
                Map<String, String> j = owned(tenant, id);
                for (String e : jobs.events(id, sent)) {
                    os.write(("data: " + e + "\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    sent++;
                }
                os.flush();
                if (TERMINAL.contains(j.get("status"))) {
                    break;
                }
                try {
                    if (!watch.await(w, mark, java.time.Duration.ofSeconds(15))) {
                        // An SSE comment, which clients skip: a client that left is found out here, and its stream ends.
                        os.write(": keep-alive\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        os.flush();
                    }
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        os.write("data: [DONE]\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        os.flush();
    }

    private String page(String id, String after, Integer limit) {
        int n = limit(limit);
        List<JsonNode> all = new ArrayList<>();
        for (String e : jobs.events(id, 0)) {
            try {
                all.add(json.readTree(e));
            } catch (JsonProcessingException ex) {
                // skip a damaged entry
            }
        }
        java.util.Collections.reverse(all); // newest first, as OpenAI lists them
        int from = 0;
        if (after != null) {
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).path("id").asText().equals(after)) {
                    from = i + 1;
                }
            }
        }
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        all.subList(from, Math.min(all.size(), from + n)).forEach(data::add);
        root.put("has_more", from + n < all.size());
        return root.toString();
    }

    private Map<String, String> owned(String tenant, String id) {
        Map<String, String> j = jobs.get(id);
        if (j == null || j.isEmpty() || !tenant.equals(j.get("tenant"))) {
            throw OpenAiException.notFound("job_not_found", "no such fine-tuning job: " + id);
        }
        return j;
    }

    private ObjectNode job(String tenant, String id) {
        Map<String, String> j = owned(tenant, id);
        ObjectNode o = json.createObjectNode();
        o.put("id", id);
        o.put("object", "fine_tuning.job");
        o.put("created_at", Long.parseLong(j.get("created_at")));
        if (j.get("finished_at") != null) {
            o.put("finished_at", Long.parseLong(j.get("finished_at")));
        } else {
            o.putNull("finished_at");
        }
        o.put("model", j.get("adapter"));
        if (j.get("fine_tuned_model") != null) {
            o.put("fine_tuned_model", j.get("fine_tuned_model"));
        } else {
            o.putNull("fine_tuned_model");
        }
        o.put("organization_id", tenant);
        o.put("status", j.get("status"));
        if (j.get("training_file") == null || j.get("training_file").isEmpty()) {
            o.putNull("training_file");
        } else {
            o.put("training_file", j.get("training_file"));
        }
        TrainingOptions options = request(j).options();
        if (options.validationFile() == null) {
            o.putNull("validation_file");
        } else {
            o.put("validation_file", options.validationFile());
        }
        ObjectNode hyper = o.putObject("hyperparameters");
        auto(hyper, "n_epochs", options.epochs());
        auto(hyper, "batch_size", options.batchSize());
        if (options.learningRateMultiplier() == null) {
            hyper.put("learning_rate_multiplier", "auto");
        } else {
            hyper.put("learning_rate_multiplier", options.learningRateMultiplier());
        }
        o.putObject("method").put("type", "supervised").putObject("supervised").set("hyperparameters", hyper.deepCopy());
        o.putArray("result_files");
        o.putNull("trained_tokens");
        if ("failed".equals(j.get("status")) && j.get("error") != null) {
            // OpenAI's shape: why the job failed (the eval gate's scores, nothing to forget, a bad file...)
            ObjectNode error = o.putObject("error");
            error.put("code", j.get("error").startsWith("the eval gate") ? "eval_gate_refused" : "learn_job_failed");
            error.put("message", j.get("error"));
            error.putNull("param");
        } else {
            o.putNull("error");
        }
        o.put("seed", options.seed() == null ? 0 : options.seed());
        o.putNull("estimated_finish");
        o.put("livetune_mode", j.get("mode"));
        return o;
    }

    private static void auto(ObjectNode hyper, String name, Integer value) {
        if (value == null) {
            hyper.put(name, "auto");
        } else {
            hyper.put(name, value);
        }
    }

    /** @return the request the job was started with (kept with it); all-auto choices for a job from before they were */
    private LearnRequest request(Map<String, String> j) {
        String stored = j.get("request");
        if (stored == null) {
            return new LearnRequest(LearnRequest.SCHEMA_VERSION, "", "", "", "", "", "", List.of(), null, List.of(), "", null);
        }
        try {
            return json.readValue(stored, LearnRequest.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a job holds an unreadable request", e);
        }
    }

    private static String alias(String tenant, String name, String param) {
        try {
            return AdapterRef.alias(tenant, name).name();
        } catch (IllegalArgumentException e) {
            throw OpenAiException.invalid(param, "'" + name + "' is not an adapter name: " + e.getMessage());
        }
    }

    private String alias(String tenant, String model) {
        if (model.equals(config.baseModel())) {
            return "default";
        }
        try {
            AdapterRef ref = AdapterRef.parseModel(tenant, model);
            return ref.name();
        } catch (IllegalArgumentException e) {
            throw OpenAiException.invalid("model", "'" + model + "' is not an adapter name: " + e.getMessage());
        }
    }

    private static final Set<String> JOB_FIELDS = Set.of("training_file", "model", "hyperparameters", "method", "suffix", "seed",
            "validation_file", "integrations", "metadata");

    /**
     * The fine-tuning job's parameters livetune does not act on are accepted only with the value that
     * changes nothing ({@code method: {"type": "supervised"}}, no integrations, empty metadata); any
     * other value, or an unknown parameter or hyperparameter, is refused naming it, never ignored.
     */
    static void onlyWhatIsHonoured(JsonNode req) {
        for (java.util.Iterator<String> it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!JOB_FIELDS.contains(f)) {
                throw OpenAiException.invalid(f, "unrecognized request argument supplied: " + f);
            }
        }
        known(req.get("hyperparameters"), "hyperparameters");
        JsonNode method = req.get("method");
        if (method != null && !method.isNull()) {
            if (!method.isObject() || !"supervised".equals(method.path("type").textValue())) {
                throw OpenAiException.invalid("method", "livetune trains LoRA adapters by supervised fine-tuning: only"
                        + " {\"type\": \"supervised\"} is accepted");
            }
            for (java.util.Iterator<Map.Entry<String, JsonNode>> it = method.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("supervised")) {
                    if (!f.getValue().isNull() && !f.getValue().isObject()) {
                        throw OpenAiException.invalid("method.supervised", "'method.supervised' must be an object");
                    }
                    for (java.util.Iterator<String> s = f.getValue().fieldNames(); s.hasNext(); ) {
                        String name = s.next();
                        if (!name.equals("hyperparameters")) {
                            throw OpenAiException.invalid("method.supervised." + name, "unrecognized argument: method.supervised." + name);
                        }
                    }
                    known(f.getValue().get("hyperparameters"), "method.supervised.hyperparameters");
                } else if (!f.getKey().equals("type")) {
                    throw OpenAiException.invalid("method." + f.getKey(), "unrecognized argument: method." + f.getKey());
                }
            }
        }
        JsonNode integrations = req.get("integrations");
        if (integrations != null && !integrations.isNull() && !(integrations.isArray() && integrations.isEmpty())) {
            throw OpenAiException.invalid("integrations", "'integrations' is not supported by livetune; only [] is accepted");
        }
        JsonNode metadata = req.get("metadata");
        if (metadata != null && !metadata.isNull() && !(metadata.isObject() && metadata.isEmpty())) {
            throw OpenAiException.invalid("metadata", "'metadata' is not supported by livetune; only {} is accepted");
        }
    }

    private static void known(JsonNode hyper, String at) {
        if (hyper == null || hyper.isNull()) {
            return;
        }
        if (!hyper.isObject()) {
            throw OpenAiException.invalid(at, "'" + at + "' must be an object");
        }
        for (java.util.Iterator<String> it = hyper.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!Set.of("n_epochs", "batch_size", "learning_rate_multiplier").contains(name)) {
                throw OpenAiException.invalid(at + "." + name, "unrecognized hyperparameter: " + at + "." + name);
            }
        }
    }

    private JsonNode object(String body) {
        try {
            JsonNode n = body == null || body.isBlank() ? null : json.readTree(body);
            if (n == null || !n.isObject()) {
                throw OpenAiException.invalid(null, "the request body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw OpenAiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode o, String field, boolean required) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw OpenAiException.invalid(field, "'" + field + "' is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw OpenAiException.invalid(field, "'" + field + "' must be a string");
        }
        return v.asText();
    }

    private static int limit(Integer limit) {
        if (limit == null) {
            return 20;
        }
        if (limit < 1 || limit > 100) {
            throw OpenAiException.invalid("limit", "'limit' must be from 1 to 100");
        }
        return limit;
    }
}
