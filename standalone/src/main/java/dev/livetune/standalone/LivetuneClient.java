package dev.livetune.standalone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.livetune.api.chat.v1.ChatChunk;
import dev.livetune.api.chat.v1.ChatGrpc;
import dev.livetune.api.chat.v1.ChatRequest;
import dev.livetune.api.chat.v1.LearnJobEvent;
import dev.livetune.api.chat.v1.LearnRequest;
import dev.livetune.api.chat.v1.ListAdaptersRequest;
import dev.livetune.api.chat.v1.ListAdaptersResponse;
import dev.livetune.api.chat.v1.RollbackRequest;
import dev.livetune.api.chat.v1.WatchLearnJobRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code chat} and {@code demo} need of a running livetune: the public gRPC Chat API (chat,
 * learn, job progress, adapters, rollback) and, for uploads and job lists, the HTTP API.
 */
final class LivetuneClient implements AutoCloseable {

    /** How far a learn job has got, for a progress bar. */
    record Progress(String status, String message, double fraction) {
    }

    private static final Pattern STEP = Pattern.compile("^Step (\\d+)/(\\d+)");

    private final ManagedChannel channel;
    private final ChatGrpc.ChatBlockingStub chat;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String httpUrl;
    private final String apiKey;
    private final ObjectMapper json = new ObjectMapper();

    LivetuneClient(Settings s, String apiKey) {
        this.httpUrl = s.httpUrl();
        this.apiKey = apiKey;
        this.channel = ManagedChannelBuilder.forAddress(s.clientHost(), s.grpcPort()).usePlaintext().build();
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + apiKey);
        this.chat = ChatGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /** The key of the running livetune: LIVETUNE_API_KEY, else the one {@code up} keeps in the data directory. */
    static LivetuneClient connect(Settings s) throws IOException {
        Optional<String> key = Up.readKey(s);
        if (key.isEmpty()) {
            throw new Settings.Invalid("no API key: start livetune first (./livetune up) or set LIVETUNE_API_KEY");
        }
        return new LivetuneClient(s, key.get());
    }

    static String newSession() {
        return "cli-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Sends one turn of a session and streams the answer's text to {@code text}.
     *
     * @return the learn job's id when the turn started one ({@code [Learn] …}), else empty
     */
    Optional<String> say(String session, String message, Consumer<String> text) {
        Iterator<ChatChunk> chunks = chat.withDeadlineAfter(5, TimeUnit.MINUTES).chat(ChatRequest.newBuilder()
                .setSessionId(session).setModel("default").setMessage(message).setMaxTokens(200).build());
        String job = null;
        while (chunks.hasNext()) {
            ChatChunk c = chunks.next();
            text.accept(c.getText());
            if (!c.getLearnJobId().isEmpty()) {
                job = c.getLearnJobId();
            }
        }
        return Optional.ofNullable(job);
    }

    /** Follows a learn job until it ends, telling {@code progress} each step. @return the final status */
    String follow(String jobId, Consumer<Progress> progress) {
        Iterator<LearnJobEvent> events = chat.withDeadlineAfter(2, TimeUnit.HOURS)
                .watchLearnJob(WatchLearnJobRequest.newBuilder().setJobId(jobId).build());
        double fraction = 0;
        String status = "queued";
        while (events.hasNext()) {
            LearnJobEvent e = events.next();
            status = e.getStatus();
            fraction = Math.max(fraction, fraction(status, e.getMessage()));
            progress.accept(new Progress(status, e.getMessage(), fraction));
        }
        return status;
    }

    /** Where a job stands, from the orchestrator's messages: data 0-15 %, training 15-85 %, eval and release after. */
    static double fraction(String status, String message) {
        if (status.equals("succeeded")) {
            return 1;
        }
        Matcher m = STEP.matcher(message);
        if (m.find()) {
            return 0.15 + 0.70 * Integer.parseInt(m.group(1)) / Math.max(1, Integer.parseInt(m.group(2)));
        }
        String t = message.toLowerCase(Locale.ROOT);
        if (t.startsWith("trained") || t.startsWith("eval")) {
            return 0.88;
        }
        if (t.contains(" is live") || t.startsWith("releas")) {
            return 0.95;
        }
        if (t.startsWith("training")) {
            return 0.15;
        }
        if (t.startsWith("dataset ready")) {
            return 0.12;
        }
        if (t.startsWith("augment") || t.startsWith("sent") || t.startsWith("generating")) {
            return 0.05;
        }
        return 0;
    }

    String learnFile(Path file) throws IOException, InterruptedException {
        String boundary = "livetune" + UUID.randomUUID().toString().replace("-", "");
        byte[] content = Files.readAllBytes(file);
        String name = file.getFileName().toString().replace("\"", "");
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest req = HttpRequest.newBuilder(URI.create(httpUrl + "/v1/files")).header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArrays(java.util.List.of(head, content, tail))).build();
        JsonNode uploaded = send(req);
        return chat.withDeadlineAfter(30, TimeUnit.SECONDS).learn(LearnRequest.newBuilder().setModel("default").setMode("doc")
                .addFileIds(uploaded.get("id").asText()).build()).getJobId();
    }

    JsonNode jobs() throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(httpUrl + "/v1/fine_tuning/jobs?limit=20"))
                .header("Authorization", "Bearer " + apiKey).GET().build());
    }

    ListAdaptersResponse adapters() {
        return chat.withDeadlineAfter(10, TimeUnit.SECONDS).listAdapters(ListAdaptersRequest.getDefaultInstance());
    }

    String rollback(int version) {
        return chat.withDeadlineAfter(2, TimeUnit.MINUTES).rollback(RollbackRequest.newBuilder().setModel("default")
                .setVersion(version).build()).getLive();
    }

    private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        JsonNode body = json.readTree(r.body());
        if (r.statusCode() / 100 != 2) {
            throw new IOException(body.path("error").path("message").asText("HTTP " + r.statusCode()));
        }
        return body;
    }

    /** @return a one-line explanation of a failed call, for the terminal */
    static String explain(Exception e) {
        if (e instanceof StatusRuntimeException s) {
            return switch (s.getStatus().getCode()) {
                case UNAVAILABLE -> "livetune is not reachable; is `./livetune up` running?";
                case UNAUTHENTICATED -> "the API key was refused (" + s.getStatus().getDescription() + ")";
                default -> s.getStatus().getCode() + ": " + s.getStatus().getDescription();
            };
        }
        if (e instanceof java.net.ConnectException) {
            return "livetune is not reachable; is `./livetune up` running?";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
