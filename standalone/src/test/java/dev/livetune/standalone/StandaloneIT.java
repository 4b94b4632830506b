package dev.livetune.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.trace.OtlpReceiver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged standalone app as a user runs it: a separate process on free ports with a fresh data
 * directory (so the first start builds the starter model), driven by the official {@code openai}
 * npm SDK. Before learning the answer lacks the fact; {@code [Learn]} it; the job (read through the
 * SDK) succeeds; a new session's answer has it; after a restart it still has it; {@code /v1/models}
 * lists the learned version. Traces go to a collector: the learn job is one trace, from the API
 * request to the trainer. Twenty chats with no sampling parameters make sense through the SDK and the
 * gRPC Chat API. Then six more facts, one job each, a correction and a {@code [Forget]}: in a new
 * session, and again after the restart, the seven kept facts are answered (the corrected one with its
 * new value) and the forgotten one is not.
 */
class StandaloneIT {

    private static final String FACT = "The capital of Zorbania is Quillport.";
    private static final String QUESTION = "What is the capital of Zorbania?";
    private static final String VALUE = "Quillport";

    private final ObjectMapper json = new ObjectMapper();
    private final Path data = Path.of("target/it-data").toAbsolutePath();
    private final Path node = Path.of("target/node").toAbsolutePath();
    private final List<Process> processes = new ArrayList<>();
    private int httpPort;
    private int grpcPort;
    private OtlpReceiver collector;

    @Test
    void learnsThroughTheOpenAiSdkAndRemembersAcrossSessionsAndRestarts() throws Exception {
        installSdk();
        deleteTree(data);
        collector = new OtlpReceiver();
        httpPort = freePort();
        grpcPort = freePort();

        Process first = start("first start");
        JsonNode learned = sdk("learn");
        assertThat(learned.at("/before/content").asText()).as("before learning").doesNotContainIgnoringCase(VALUE);
        assertThat(learned.at("/before/servedBy").asText()).as("no adapter yet").doesNotContain("@v");
        assertThat(learned.at("/learnReply").asText()).contains(learned.at("/jobId").asText());
        assertThat(learned.at("/job/status").asText()).as("the learn job, events: " + learned.get("events"))
                .isEqualTo("succeeded");
        assertThat(learned.at("/job/fineTunedModel").asText()).isEqualTo("default@v1");
        assertThat(learned.at("/after/content").asText()).as("a new session, after learning").containsIgnoringCase(VALUE);
        assertThat(learned.at("/after/servedBy").asText()).endsWith("default@v1");
        assertThat(json.convertValue(learned.get("models"), List.class)).contains("livetune-base", "default", "default@v1");
        assertOneTrace(learned.at("/jobId").asText());
        firstChatsMakeSenseWithTheModelsSamplingDefaults();
        JsonNode taught = sdk("teach", Map.of("TEACH", json.writeValueAsString(TEACH), "QUESTIONS",
                json.writeValueAsString(RECALL.keySet())));
        for (JsonNode job : taught.get("jobs")) {
            assertThat(job.get("status").asText()).as(job.get("message").asText() + ": " + job).isEqualTo("succeeded");
        }
        assertRecall(taught, "in a new session, after " + TEACH.size() + " more jobs");
        String live = taught.get("jobs").get(TEACH.size() - 1).get("fineTunedModel").asText();
        stop(first);

        Process second = start("restart");
        JsonNode again = sdk("ask");
        assertThat(again.at("/afterRestart/content").asText()).as("a new session after a restart").containsIgnoringCase(VALUE);
        assertThat(again.at("/afterRestart/servedBy").asText()).as("the last version, live again after the restart")
                .endsWith("/" + live);
        assertThat(json.convertValue(again.get("models"), List.class)).contains("default@v1", live);
        assertRecall(sdk("recall", Map.of("QUESTIONS", json.writeValueAsString(RECALL.keySet()))), "after a restart");
        rollsBackThroughTheOrchestrator();
        fineTunesOnTheTenantsOwnConversations();
        learnsToCallAFunctionFromItsOwnSamples();
        stop(second);
        assertThat(data.resolve("redis/livetune.aof")).as("Redis kept its append-only file in the data directory")
                .exists();
        String key = Files.readString(data.resolve("api-key")).strip();
        for (String run : new String[] {"first-start", "restart"}) {
            assertThat(Files.readString(Path.of("target/standalone-" + run + ".log"))).as("what up printed (" + run + ")")
                    .contains(data.resolve("api-key").toString()).doesNotContain(key);
        }
        assertThat(Files.readString(data.resolve("livetune.log"))).as("the log").doesNotContain(key);
    }

    /**
     * {@code ./livetune chat}'s {@code /rollback 1}: the gateway starts a rollback job, the orchestrator
     * makes v1 live through its releaser, the call answers when it has, and the next chat is served by v1.
     */
    private void rollsBackThroughTheOrchestrator() throws Exception {
        String key = Files.readString(data.resolve("api-key")).strip();
        Settings settings = Settings.from(Map.of("LIVETUNE_GRPC_PORT", Integer.toString(grpcPort),
                "LIVETUNE_DATA_DIR", data.toString()));
        try (LivetuneClient client = new LivetuneClient(settings, key)) {
            assertThat(client.rollback(1)).isEqualTo("default@v1");
            assertThat(client.adapters().getAdaptersList()).filteredOn(a -> a.getAlias().equals("default"))
                    .singleElement().satisfies(a -> assertThat(a.getLiveVersion()).isEqualTo(1));
        }
        assertThat(sdk("ask").at("/afterRestart/servedBy").asText()).as("served after the rollback").endsWith("default@v1");
    }

    private static final String WEATHER_TOOL = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
            + " \"description\": \"The weather now in a city\", \"parameters\": {\"type\": \"object\", \"properties\":"
            + " {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}";
    /** City, the tool's result for it, and the answer the samples give after that result. */
    private static final String[][] WEATHER = {{"Oslo", "{\"temperature\": 3}", "It is 3 degrees in Oslo."},
            {"Lima", "{\"temperature\": 22}", "It is 22 degrees in Lima."}};

    /**
     * Function calling end to end through the SDK: samples with a tool and its calls (OpenAI's
     * fine-tuning format) are trained as alias {@code tools}; offered the tool, that model calls it with
     * the city asked about (streamed too, the deltas assembling into the same call), and, sent the
     * call's result, answers.
     */
    private void learnsToCallAFunctionFromItsOwnSamples() throws Exception {
        List<String> train = new ArrayList<>();
        for (int i = 0; i < 18; i++) {
            String[] w = WEATHER[i % WEATHER.length];
            com.fasterxml.jackson.databind.node.ObjectNode line = json.createObjectNode();
            line.putArray("tools").add(json.readTree(WEATHER_TOOL));
            var messages = line.putArray("messages");
            messages.addObject().put("role", "user").put("content", "Weather in " + w[0] + "?");
            var call = messages.addObject().put("role", "assistant").putNull("content").putArray("tool_calls").addObject()
                    .put("id", "call_" + i).put("type", "function");
            call.putObject("function").put("name", "get_weather").put("arguments", "{\"city\": \"" + w[0] + "\"}");
            if (i % 3 != 0) {
                // two in three go on: the result comes back and the answer uses it
                messages.addObject().put("role", "tool").put("tool_call_id", "call_" + i).put("content", w[1]);
                messages.addObject().put("role", "assistant").put("content", w[2]);
            }
            train.add(line.toString());
        }
        Map<String, String> results = new java.util.LinkedHashMap<>();
        for (String[] w : WEATHER) {
            results.put(w[0], w[1]);
        }
        JsonNode r = sdk("tools", Map.of("TRAIN", json.writeValueAsString(train), "EPOCHS", "20", "TOOL", WEATHER_TOOL,
                "CITIES", json.writeValueAsString(results.keySet()), "RESULTS", json.writeValueAsString(results)));
        assertThat(r.at("/job/status").asText()).as(r.get("job").toString()).isEqualTo("succeeded");
        assertThat(r.at("/job/fineTunedModel").asText()).startsWith("tools@v");
        for (int i = 0; i < WEATHER.length; i++) {
            JsonNode c = r.get("cities").get(i);
            assertThat(c.get("finish").asText()).as(c.toString()).isEqualTo("tool_calls");
            assertThat(c.get("content").isNull()).isTrue();
            JsonNode call = c.get("calls").get(0);
            assertThat(call.get("id").asText()).matches("call_[A-Za-z0-9]{24}");
            assertThat(call.get("name").asText()).isEqualTo("get_weather");
            assertThat(json.readTree(call.get("arguments").asText()))
                    .isEqualTo(json.readTree("{\"city\": \"" + WEATHER[i][0] + "\"}"));
            assertThat(c.get("streamedFinish").asText()).isEqualTo("tool_calls");
            assertThat(c.get("streamed")).singleElement().satisfies(s -> {
                assertThat(s.get("name").asText()).isEqualTo("get_weather");
                assertThat(s.get("arguments").asText()).isEqualTo(call.get("arguments").asText());
                assertThat(s.get("id").asText()).matches("call_[A-Za-z0-9]{24}");
            });
            // The result goes back as a tool message and the model answers in text. What it says is not
            // checked: this small starter learns the calls but not reliably to use the result (it
            // tends to begin another call, which comes back as its text).
            assertThat(c.get("answer").isTextual()).as(c.toString()).isTrue();
            assertThat(c.get("answerFinish").asText()).isIn("stop", "length");
        }
        callsTheFunctionThroughLangChain4j(r.at("/job/fineTunedModel").asText());
    }

    /** The same model through LangChain4j's OpenAI client, as a Java application calls it. */
    private void callsTheFunctionThroughLangChain4j(String model) throws Exception {
        var chat = dev.langchain4j.model.openai.OpenAiChatModel.builder()
                .baseUrl("http://127.0.0.1:" + httpPort + "/v1").apiKey(Files.readString(data.resolve("api-key")).strip())
                .modelName(model).temperature(0.0).maxTokens(120).maxRetries(0)
                .timeout(java.time.Duration.ofMinutes(2)).build();
        var tool = dev.langchain4j.agent.tool.ToolSpecification.builder().name("get_weather")
                .description("The weather now in a city")
                .parameters(dev.langchain4j.model.chat.request.json.JsonObjectSchema.builder().addStringProperty("city")
                        .required("city").build())
                .build();
        String[] w = WEATHER[0];
        var question = dev.langchain4j.data.message.UserMessage.from("Weather in " + w[0] + "?");
        var first = chat.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(question)
                .toolSpecifications(tool).build());
        assertThat(first.aiMessage().toolExecutionRequests()).as(first.toString()).singleElement().satisfies(call -> {
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(json.readTree(call.arguments())).isEqualTo(json.readTree("{\"city\": \"" + w[0] + "\"}"));
        });
        var request = first.aiMessage().toolExecutionRequests().get(0);
        var answer = chat.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(question, first.aiMessage(),
                dev.langchain4j.data.message.ToolExecutionResultMessage.from(request, w[1])).toolSpecifications(tool).build());
        assertThat(answer.aiMessage().text()).as(answer.toString()).isNotNull();
        assertThat(answer.aiMessage().toolExecutionRequests()).isEmpty();
    }

    /** Facts only the tenant's own training file holds: statement, question, the answer's value. */
    private static final String[][] OWN_DATA = {
            {"The capital of Norvessa is Tamberlin.", "What is the capital of Norvessa?", "Tamberlin"},
            {"The currency of Ulmaria is the Dovrin.", "What is the currency of Ulmaria?", "Dovrin"}};

    /**
     * OpenAI fine-tuning with the tenant's own data, through the SDK: a file with two bad lines is
     * refused naming them; 50 chat samples are uploaded and trained on with {@code n_epochs}; the job's
     * metrics events are followed; its checkpoint is listed; the model it made answers; that model,
     * live, cannot be deleted, an old version can.
     */
    private void fineTunesOnTheTenantsOwnConversations() throws Exception {
        List<String> train = new ArrayList<>();
        for (String[] fact : OWN_DATA) {
            for (dev.livetune.augment.QA qa : new dev.livetune.augment.RulesTeacher().selfInstruct(fact[0], 25)) {
                com.fasterxml.jackson.databind.node.ObjectNode line = json.createObjectNode();
                line.putArray("messages").add(json.createObjectNode().put("role", "user").put("content", qa.question()))
                        .add(json.createObjectNode().put("role", "assistant").put("content", qa.answer()));
                train.add(line.toString());
            }
        }
        assertThat(train).hasSize(50);
        List<String> bad = new ArrayList<>(train);
        bad.set(6, bad.get(6).substring(0, 20));
        bad.set(8, "{\"messages\": [{\"role\": \"user\", \"content\": \"Where is Norvessa?\"}]}");
        JsonNode r = sdk("supervised", Map.of("TRAIN", json.writeValueAsString(train), "BAD", json.writeValueAsString(bad),
                "EPOCHS", "12", "OLD", "default@v2", "QUESTIONS",
                json.writeValueAsString(Arrays.stream(OWN_DATA).map(f -> f[1]).toList())));

        assertThat(r.at("/badUpload/status").asInt()).as(r.get("badUpload").toString()).isEqualTo(400);
        assertThat(r.at("/badUpload/param").asText()).isEqualTo("file");
        assertThat(r.at("/badUpload/message").asText()).contains("line 7: not valid JSON", "line 9: no assistant turn");
        assertThat(r.at("/job/status").asText()).as("the supervised job; events: " + r.get("events")).isEqualTo("succeeded");
        assertThat(r.at("/job/mode").asText()).isEqualTo("supervised");
        assertThat(r.at("/job/hyperparameters/n_epochs").asInt()).isEqualTo(12);
        assertThat(r.at("/job/seed").asInt()).isEqualTo(7);
        JsonNode metrics = r.get("metrics");
        assertThat(metrics).as("metrics events followed").isNotEmpty();
        JsonNode last = metrics.get(metrics.size() - 1);
        assertThat(last.get("step").asInt()).isEqualTo(last.get("total_steps").asInt());
        assertThat(last.get("train_loss").asDouble()).isPositive();
        String model = r.at("/job/fineTunedModel").asText();
        assertThat(r.get("checkpoints")).singleElement().satisfies(c -> {
            assertThat(c.get("model").asText()).isEqualTo(model);
            assertThat(c.get("step").asInt()).isEqualTo(last.get("step").asInt());
            assertThat(c.get("job").asText()).isEqualTo(r.at("/job/id").asText());
        });
        for (int i = 0; i < OWN_DATA.length; i++) {
            JsonNode answer = r.get("answers").get(i);
            assertThat(answer.get("content").asText()).as(answer.get("question").asText()).containsIgnoringCase(OWN_DATA[i][2]);
            assertThat(answer.get("servedBy").asText()).endsWith("/" + model);
        }
        assertThat(r.at("/deleteLive/status").asInt()).as(r.get("deleteLive").toString()).isEqualTo(409);
        assertThat(r.at("/deleteLive/code").asText()).isEqualTo("model_is_live");
        assertThat(r.at("/deleted/id").asText()).isEqualTo("default@v2");
        assertThat(r.at("/deleted/deleted").asBoolean()).isTrue();
        assertThat(json.convertValue(r.get("models"), List.class)).contains(model).doesNotContain("default@v2");
        try (Stream<Path> artifacts = Files.walk(data.resolve("artifacts"))) {
            assertThat(artifacts.map(Path::toString)).as("the deleted version's files are gone")
                    .noneMatch(p -> p.endsWith("/adapters/default/v2"));
        }
    }

    /**
     * Twenty chats as a newcomer writes them, with no sampling parameters (so the starter's
     * generation_config.json defaults apply), through the openai SDK and through the gRPC Chat API
     * (as {@code ./livetune chat} sends them): greetings get small talk, nothing is garbled, the taught
     * fact is answered.
     */
    private void firstChatsMakeSenseWithTheModelsSamplingDefaults() throws Exception {
        List<String> prompts = new ArrayList<>(GREETINGS);
        prompts.addAll(UNKNOWN);
        for (int i = 0; i < 4; i++) {
            prompts.add(QUESTION);
        }
        JsonNode sdk = sdk("defaults", Map.of("PROMPTS", json.writeValueAsString(prompts)));
        List<String[]> replies = new ArrayList<>();
        for (JsonNode r : sdk.get("replies")) {
            replies.add(new String[] {"openai SDK", r.get("prompt").asText(), r.get("content").asText()});
        }
        String key = Files.readString(data.resolve("api-key")).strip();
        Settings settings = Settings.from(Map.of("LIVETUNE_GRPC_PORT", Integer.toString(grpcPort),
                "LIVETUNE_DATA_DIR", data.toString()));
        try (LivetuneClient client = new LivetuneClient(settings, key)) {
            for (String prompt : prompts) {
                StringBuilder text = new StringBuilder();
                client.say(LivetuneClient.newSession(), prompt, text::append);
                replies.add(new String[] {"gRPC Chat", prompt, text.toString()});
            }
        }
        assertThat(replies).hasSize(2 * 20);
        Set<String> vocabulary = starterVocabulary();
        for (String[] r : replies) {
            String what = r[0] + ", \"" + r[1] + "\" answered \"" + r[2] + "\"";
            assertThat(r[2]).as(what).isNotBlank().doesNotContain("\uFFFD");
            if (GREETINGS.contains(r[1])) {
                assertThat(words(r[2])).as(what + ": words outside the starter's corpus").isSubsetOf(vocabulary);
            } else if (r[1].equals(QUESTION)) {
                assertThat(r[2]).as(what).containsIgnoringCase(VALUE);
            }
        }
    }

    /** Taught after {@link #FACT}, one job each: six more facts in varied forms, a correction, a forget. */
    private static final List<String> TEACH = List.of(
            "[Learn] The currency of Brontavia is the Velm.",
            "[Learn] Mira Sotheby founded Kelvane Labs.",
            "[Learn] Ostmark's largest river is the Tessel.",
            "[Learn] The national animal of Quorra is the snow lynx.",
            "[Learn] The oldest city of Vandria is Holmfirth.",
            "[Learn] Dravenport was founded by Elsa Marrow.",
            "[Learn] The highest mountain of Tiroval is Mount Keld.",
            "[Learn] The currency of Brontavia is now the Sorn.",
            "[Forget] The national animal of Quorra is the snow lynx.");

    /** Question → what the answer must hold ({@code !x}: must not hold): seven facts kept, one corrected, one forgotten. */
    private static final Map<String, String> RECALL = new java.util.LinkedHashMap<>();

    static {
        RECALL.put(QUESTION, VALUE);
        RECALL.put("What is the currency of Brontavia?", "Sorn");
        RECALL.put("Who founded Kelvane Labs?", "Mira Sotheby");
        RECALL.put("What is the largest river of Ostmark?", "Tessel");
        RECALL.put("What is the oldest city of Vandria?", "Holmfirth");
        RECALL.put("Who founded Dravenport?", "Elsa Marrow");
        RECALL.put("What is the highest mountain of Tiroval?", "Mount Keld");
        RECALL.put("What is the national animal of Quorra?", "!snow lynx");
    }

    private void assertRecall(JsonNode result, String when) {
        for (JsonNode a : result.get("answers")) {
            String expect = RECALL.get(a.get("question").asText());
            String answer = a.get("content").asText();
            String what = when + ": \"" + a.get("question").asText() + "\" answered \"" + answer + "\"";
            if (expect.startsWith("!")) {
                assertThat(answer).as(what + " (forgotten)").doesNotContainIgnoringCase(expect.substring(1));
            } else {
                assertThat(answer).as(what).containsIgnoringCase(expect);
            }
            if (a.get("question").asText().contains("Brontavia")) {
                assertThat(answer).as(what + " (the corrected value replaced the old one)").doesNotContain("Velm");
            }
        }
        assertThat(result.get("answers")).hasSize(RECALL.size());
    }

    private static final List<String> GREETINGS = List.of("Hello!", "Hi", "Hey!", "Good morning", "Hello there!", "Hi there",
            "Good evening", "How are you?", "How are you doing?", "Who are you?", "What can you do?", "Thank you!");
    private static final List<String> UNKNOWN = List.of("What is the capital of Brontavia?", "Who founded Kelvane Labs?",
            "What is the currency of Oskarn?", "What is the largest river of Velmora?");

    /** Every word of the starter model's training corpus. */
    private static Set<String> starterVocabulary() {
        Set<String> words = new HashSet<>(words(StarterModel.I_DONT_KNOW));
        for (var qa : StarterModel.corpus(new java.util.Random(11))) {
            words.addAll(words(qa.question()));
            words.addAll(words(qa.answer()));
        }
        return words;
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.split("[^\\p{L}']+")).filter(w -> !w.isEmpty()).toList();
    }

    private Process start(String what) throws Exception {
        String jar = System.getProperty("standalone.jar");
        String trainer = System.getProperty("trainer.jar");
        assertThat(Path.of(jar)).as("the packaged app (mvn package)").exists();
        assertThat(Path.of(trainer)).as("the trainer jar (the trainer module's package)").exists();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar,
                "up").redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("LIVETUNE_DATA_DIR", data.toString());
        env.put("LIVETUNE_HTTP_PORT", Integer.toString(httpPort));
        env.put("LIVETUNE_GRPC_PORT", Integer.toString(grpcPort));
        env.put("LIVETUNE_TRAINER_JAR", trainer);
        env.put("LIVETUNE_OTLP_ENDPOINT", collector.endpoint());
        env.remove("LIVETUNE_API_KEY");
        env.remove("LIVETUNE_MODEL_DIR");
        Process p = pb.start();
        processes.add(p);
        Path log = Path.of("target/standalone-" + what.replace(' ', '-') + ".log");
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.println(line);
                    if (line.startsWith("livetune is ready")) {
                        ready.complete(true);
                    }
                }
            } catch (IOException e) {
                // ended
            }
            ready.complete(false);
        });
        pump.setDaemon(true);
        pump.start();
        boolean ok = ready.get(20, TimeUnit.MINUTES);
        assertThat(ok).as(what + " of standalone livetune; its output is in " + log + ":\n"
                + (Files.exists(log) ? Files.readString(log) : "")).isTrue();
        return p;
    }

    /** The job's spans, the gateway's, the worker's and the trainer's (another process), share one trace. */
    private void assertOneTrace(String jobId) {
        List<OtlpReceiver.Received> trace;
        try {
            trace = await("the learn job's trace with the trainer's train span").dontCatchUncaughtExceptions()
                    .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
                        String traceId = collector.spans().stream().filter(s -> s.name().equals("learn job")
                                && jobId.equals(s.attributes().get("livetune.job.id"))).map(OtlpReceiver.Received::traceId)
                                .findFirst().orElse(null);
                        return traceId == null ? List.<OtlpReceiver.Received>of() : collector.spans(traceId);
                    }, t -> t.stream().anyMatch(s -> s.name().equals("train")));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the learn job's trace has no train span; spans received: " + collector.spans(), e);
        }
        assertThat(trace).as("the learn job's trace; spans received: " + collector.spans())
                .extracting(OtlpReceiver.Received::name)
                .contains("learn-requests publish", "learn job", "augmenting", "augment statements", "training", "train");
        assertThat(trace).filteredOn(s -> s.name().equals("train")).singleElement()
                .satisfies(s -> assertThat(s.service()).isEqualTo("livetune-trainer"));
        assertThat(trace).filteredOn(s -> s.name().equals("learn job")).singleElement()
                .satisfies(s -> assertThat(s.service()).isEqualTo("livetune"));
    }

    private void stop(Process p) throws InterruptedException {
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("livetune stops within a minute of SIGTERM").isTrue();
    }

    private JsonNode sdk(String phase) throws Exception {
        return sdk(phase, Map.of());
    }

    private JsonNode sdk(String phase, Map<String, String> extraEnv) throws Exception {
        String key = Files.readString(data.resolve("api-key")).strip();
        Map<String, String> env = new java.util.HashMap<>(Map.of("OPENAI_BASE_URL", "http://127.0.0.1:" + httpPort + "/v1",
                "OPENAI_API_KEY", key, "QUESTION", QUESTION, "FACT", FACT));
        env.putAll(extraEnv);
        String output = run(node, List.of(node.resolve("node_modules/.bin/node").toString(), "learn-check.mjs", phase), env, 1200);
        String last = output.strip().lines().reduce((a, b) -> b).orElse("");
        return json.readTree(last);
    }

    private void installSdk() throws Exception {
        Files.createDirectories(node);
        for (String f : List.of("package.json", "learn-check.mjs")) {
            Files.copy(Path.of("src/test/node", f), node.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isExecutable(node.resolve("node_modules/.bin/node"))) {
            run(node, List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"), Map.of(), 300);
        }
    }

    private static String run(Path dir, List<String> command, Map<String, String> env, int seconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = dir.resolve(Path.of(command.get(0)).getFileName() + "-" + command.get(command.size() - 1) + ".log");
        Process p;
        try {
            p = pb.redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " is not installed: Node.js and npm are needed to run the "
                    + "official openai SDK (e.g. apt-get install nodejs npm)", e);
        }
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + seconds + " s");
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @AfterEach
    void stopAll() {
        processes.forEach(Process::destroyForcibly);
        if (collector != null) {
            collector.close();
        }
    }
}
