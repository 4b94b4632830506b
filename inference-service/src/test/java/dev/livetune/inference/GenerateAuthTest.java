package dev.livetune.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.livetune.api.auth.CallerTokens;
import dev.livetune.api.inference.v1.InferenceGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 #12: {@code Generate} answered any caller with any tenant's adapter (an augmentation pod
 * parsing hostile pages; in standalone, anyone when it listened on every address). With a Generate
 * secret it needs a caller token, and a token of one tenant reaches that tenant's adapters and the
 * base model only.
 */
@QuarkusTest
@QuarkusTestResource(ServedModel.class)
@TestProfile(GenerateAuthTest.WithSecret.class)
class GenerateAuthTest {

    static final String SECRET = "inference-test-generate-secret";

    /** The service with a Generate secret. */
    public static class WithSecret implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("livetune.inference.generate-secret", SECRET);
        }
    }

    @BeforeEach
    void serving() throws InterruptedException {
        Serving.await();
    }

    private static InferenceGrpc.InferenceBlockingStub as(String token) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of(CallerTokens.HEADER, Metadata.ASCII_STRING_MARSHALLER), token);
        return Clients.inference().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    private static Status.Code refusal(InferenceGrpc.InferenceBlockingStub stub, String adapter) {
        try {
            Clients.collect(stub.generate(Clients.greedy(adapter, "Hi", 2)));
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void aCallerReachesItsOwnTenantsAdaptersAndTheBaseModelOnly() {
        String acme = new CallerTokens(SECRET).mint("acme", Duration.ofMinutes(5));
        assertThat(Clients.collect(as(acme).generate(Clients.greedy("acme/support", "Hi", 2))).servedBy())
                .startsWith("acme/support@v");
        assertThat(refusal(as(acme), "")).as("the base model").isEqualTo(Status.Code.OK);
        assertThat(refusal(as(acme), "globex/default")).as("another tenant's adapter").isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refusal(as(acme), "acme.eu/default")).as("a tenant whose name starts alike")
                .isEqualTo(Status.Code.PERMISSION_DENIED);

        assertThat(refusal(Clients.inference(), "")).as("no token").isEqualTo(Status.Code.UNAUTHENTICATED);
        String forged = new CallerTokens("another-secret-entirely").mint("globex", Duration.ofMinutes(5));
        assertThat(refusal(as(forged), "globex/default")).as("a token of another secret").isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThatThrownBy(() -> Clients.collect(as(forged).generate(Clients.greedy("", "Hi", 2))))
                .hasMessageContaining("not signed");
    }
}
