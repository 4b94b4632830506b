package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livetune.api.inference.v1.ChatPrompt;
import dev.livetune.api.inference.v1.FinishReason;
import dev.livetune.api.inference.v1.GenerateRequest;
import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import dev.livetune.api.inference.v1.ListAdaptersRequest;
import dev.livetune.api.inference.v1.LoadAdapterRequest;
import dev.livetune.api.inference.v1.SamplingParams;
import dev.livetune.api.inference.v1.TokenPrompt;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input gets the right status and disturbs nothing: a corrupted adapter is refused and the alias
 * keeps its version, unknown adapters are NOT_FOUND, malformed requests INVALID_ARGUMENT, the admin
 * API needs its token, and a long stream running meanwhile finishes whole.
 */
@QuarkusTest
@QuarkusTestResource(ServedModel.class)
class ErrorsTest {

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("the call succeeded");
    }

    private static Status.Code generate(GenerateRequest r) {
        return code(() -> Clients.collect(Clients.inference().generate(r)));
    }

    @Test
    void badInputGetsTheRightStatusAndDisturbsNoOtherStream() throws Exception {
        CompletableFuture<Clients.Reply> longStream = CompletableFuture.supplyAsync(
                () -> Clients.collect(Clients.inference().generate(Clients.greedy("globex/default", "Tell me everything.", 150))));

        // A corrupted adapter (one flipped byte) is refused; the alias keeps serving what it served.
        String liveBefore = Clients.admin().listAdapters(ListAdaptersRequest.getDefaultInstance()).getAliasesMap()
                .get("acme/support");
        Path good = ServedModel.adapterDir(ServedModel.root.resolve("store"), "acme", "support", 3);
        Path bad = ServedModel.adapterDir(ServedModel.root.resolve("store"), "acme", "support", 9);
        copy(good, bad);
        byte[] weights = Files.readAllBytes(bad.resolve("adapter_model.safetensors"));
        weights[weights.length / 2] ^= 0x01;
        Files.write(bad.resolve("adapter_model.safetensors"), weights);
        assertThat(code(() -> Clients.admin().loadAdapter(LoadAdapterRequest.newBuilder().setTenant("acme")
                .setName("support").setVersion(9).setActivate(true).build()))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(Clients.admin().listAdapters(ListAdaptersRequest.getDefaultInstance()).getAliasesMap()
                .get("acme/support")).isEqualTo(liveBefore);
        assertThat(generate(Clients.greedy("acme/support@v9", "Hi", 4))).isEqualTo(Status.Code.FAILED_PRECONDITION);
        Clients.Reply stillServing = Clients.collect(Clients.inference().generate(Clients.greedy("acme/support", "Hi", 4)));
        assertThat(stillServing.servedBy()).isEqualTo(liveBefore);

        // A release naming other weights than the version's is refused, resident or not; the alias stays.
        Path v2 = ServedModel.adapterDir(ServedModel.root.resolve("store"), "acme", "support", 2);
        String v2Weights = dev.livetune.api.artifact.AdapterManifest.read(v2).weightsSha256();
        assertThat(code(() -> Clients.admin().loadAdapter(LoadAdapterRequest.newBuilder().setTenant("acme").setName("support")
                .setVersion(2).setActivate(true).setExpectedSha256("0".repeat(64)).build())))
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(Clients.admin().listAdapters(ListAdaptersRequest.getDefaultInstance()).getAliasesMap()
                .get("acme/support")).isEqualTo(liveBefore);
        assertThat(Clients.admin().loadAdapter(LoadAdapterRequest.newBuilder().setTenant("acme").setName("support")
                .setVersion(2).setExpectedSha256(v2Weights).build()).getAdapter()).isEqualTo("acme/support@v2");

        // Unknown adapters and versions.
        assertThat(generate(Clients.greedy("nobody/nothing", "Hi", 4))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(generate(Clients.greedy("acme/support@v77", "Hi", 4))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(code(() -> Clients.admin().loadAdapter(LoadAdapterRequest.newBuilder().setTenant("acme")
                .setName("support").setVersion(78).build()))).isEqualTo(Status.Code.NOT_FOUND);

        // Malformed requests.
        GenerateRequest ok = Clients.greedy("", "Hi", 4);
        assertThat(generate(ok.toBuilder().clearChat().build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(ok.toBuilder().setChat(ChatPrompt.getDefaultInstance()).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(ok.toBuilder().setTokens(TokenPrompt.getDefaultInstance()).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(withSampling(ok, SamplingParams.newBuilder().setMaxTokens(-1)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(withSampling(ok, SamplingParams.newBuilder().setTemperature(-0.5f)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(withSampling(ok, SamplingParams.newBuilder().setTopP(1.5f)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(withSampling(ok, SamplingParams.newBuilder().setTopK(-3)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(withSampling(ok, SamplingParams.newBuilder().addStop("")))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(withSampling(ok, SamplingParams.newBuilder().addStopTokenIds(100_000)))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        TokenPrompt tooLong = TokenPrompt.newBuilder().addAllIds(IntStream.range(0, 300).map(i -> 65).boxed().toList()).build();
        assertThat(generate(ok.toBuilder().setTokens(tooLong).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(ok.toBuilder().setTokens(TokenPrompt.newBuilder().addIds(5000)).build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(generate(ok.toBuilder().setAdapter("Not A Name").build())).isEqualTo(Status.Code.INVALID_ARGUMENT);
        GenerateRequest badRole = ok.toBuilder().setChat(ChatPrompt.newBuilder().addMessages(
                dev.livetune.api.inference.v1.ChatMessage.newBuilder().setRole("wizard").setContent("hi"))).build();
        assertThat(generate(badRole)).isEqualTo(Status.Code.INVALID_ARGUMENT);

        // The admin API needs its token.
        assertThat(code(() -> InferenceAdminGrpc.newBlockingStub(Clients.CHANNEL)
                .listAdapters(ListAdaptersRequest.getDefaultInstance()))).isEqualTo(Status.Code.UNAUTHENTICATED);

        // Meanwhile the long stream ran undisturbed.
        Clients.Reply reply = longStream.get();
        assertThat(reply.tokens()).hasSize(150);
        assertThat(reply.last().getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(reply.servedBy()).isEqualTo("globex/default@v1");
    }

    /**
     * Issue 19 #5: a startup adapter that failed verification marked the whole model failed, so one
     * tenant's bad artifact took the replica from every tenant. ServedModel lists a tampered
     * initech/default@v1 between two good ones: the replica serves, the good ones are live, the bad
     * one is not.
     */
    @Test
    void aTamperedStartupAdapterIsSkippedAndEverythingElseServed() {
        assertThat(Clients.collect(Clients.inference().generate(Clients.greedy("globex/default", "Hi", 3))).servedBy())
                .isEqualTo("globex/default@v1");
        assertThat(Clients.admin().listAdapters(ListAdaptersRequest.getDefaultInstance()).getAliasesMap())
                .containsKey("acme/support").doesNotContainKey("initech/default");
        assertThat(generate(Clients.greedy("initech/default", "Hi", 3))).as("no live version").isEqualTo(Status.Code.NOT_FOUND);
        assertThat(generate(Clients.greedy("initech/default@v1", "Hi", 3))).as("its weights are not what its manifest says")
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void prometheusShowsTheServingMetricsWithoutTenantLabels() throws Exception {
        Clients.collect(Clients.inference().generate(Clients.greedy("acme/support@v2", "Hi", 3)));
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:8101/q/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("livetune_time_to_first_token_seconds_bucket", "livetune_inter_token_latency_seconds_bucket",
                "livetune_e2e_request_latency_seconds_bucket", "livetune_requests_running", "livetune_requests_waiting",
                "livetune_prompt_tokens_total", "livetune_generation_tokens_total", "livetune_adapter_loads_total",
                "livetune_adapter_load_seconds_bucket", "livetune_request_queue_time_seconds_bucket",
                "livetune_kv_cache_positions", "livetune_kv_cache_capacity", "livetune_adapters_resident");
        assertThat(metrics).containsPattern("livetune_request_finished_total\\{finished_reason=\"length\",model_name=\"[^\"]+\"\\} [1-9]");
        assertThat(metrics.lines().filter(l -> l.startsWith("livetune_")).toList()).as("every meter names the model")
                .allSatisfy(l -> assertThat(l).contains("model_name=\""));
        assertThat(metrics).doesNotContain("acme").doesNotContain("globex");
        assertThatThrownBy(() -> Clients.inference().generate(Clients.greedy("acme/support@v0", "Hi", 3)).next())
                .isInstanceOf(StatusRuntimeException.class);
    }

    private static GenerateRequest withSampling(GenerateRequest r, SamplingParams.Builder s) {
        return r.toBuilder().setSampling(s).build();
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
