package dev.livetune.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.livetune.state.KnowledgeIndex;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an alias learned, through the API: the items learning-orchestrator indexes are listed to their
 * own tenant only; deleting a live one, or a {@code [Forget]} chat message, starts a forget job (a
 * learn request in mode {@code forget}); an unknown item is 404 and a retired one 400, with nothing
 * published; after a rollback, the items learned after the live version are rolled back, not live.
 */
@QuarkusTest
@QuarkusTestResource(GatewayStack.class)
class KnowledgeApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private RedisClient redisClient;
    private StatefulRedisConnection<String, String> redis;
    private Connection mq;
    private Channel ch;

    @BeforeEach
    void connect() throws Exception {
        redisClient = RedisClient.create("redis://localhost:6379");
        redis = redisClient.connect();
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@localhost:5672/%2F");
        mq = f.newConnection();
        ch = mq.createChannel();
        ch.queueDeclare(GatewayStack.QUEUE, true, false, false, dev.livetune.broker.WorkQueues.arguments(GatewayStack.QUEUE));
    }

    @AfterEach
    void close() throws Exception {
        ch.close();
        mq.close();
        redis.close();
        redisClient.shutdown();
    }

    private List<JsonNode> published(String tenant) throws Exception {
        return GatewayStack.drain(ch, tenant);
    }

    private void index(String tenant, String id, String text, String status, int version) {
        new KnowledgeIndex(redis::sync).put(tenant, "default", id, "{\"id\": \"" + id + "\", \"kind\": \"fact\", \"text\": \""
                + text + "\", \"status\": \"" + status + "\", \"version\": " + version + ", \"job_id\": \"ftjob-x\","
                + " \"source\": \"message\", \"samples\": 20, \"probes\": 2}");
    }

    private static Response get(String key, String path) {
        return given().header("Authorization", "Bearer " + key).get(path);
    }

    @Test
    void listsTheLiveItemsOfTheCallersAliasOnly() throws Exception {
        String tenant = Keys.tenant();
        String other = Keys.tenant();
        index(tenant, "ftjob-b-0", "The capital of Zorbania is Quillport.", "live", 2);
        index(tenant, "ftjob-a-0", "The currency of Zorbania is the Zorb.", "live", 1);
        index(tenant, "ftjob-c-0", "The capital of Zorbania is Brightwater.", "retired", 1);
        index(other, "ftjob-d-0", "A secret of another tenant.", "live", 1);

        Response live = get(Keys.keyFor(tenant), "/v1/adapters/default/items");
        assertThat(live.statusCode()).as(live.asString()).isEqualTo(200);
        JsonNode data = JSON.readTree(live.asString()).get("data");
        assertThat(data).extracting(n -> n.get("id").asText()).containsExactly("ftjob-a-0", "ftjob-b-0");
        JsonNode all = JSON.readTree(get(Keys.keyFor(tenant), "/v1/adapters/default/items?status=all").asString()).get("data");
        assertThat(all).extracting(n -> n.get("id").asText()).containsExactly("ftjob-a-0", "ftjob-c-0", "ftjob-b-0");
        assertThat(get(Keys.keyFor(tenant), "/v1/adapters/default/items?status=nope").statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(get(Keys.keyFor(other), "/v1/adapters/default/items").asString()).get("data"))
                .extracting(n -> n.get("id").asText()).containsExactly("ftjob-d-0");
        assertThat(get(Keys.keyFor(tenant), "/v1/adapters/default/items").statusCode()).isEqualTo(200);
    }

    @Test
    void deletingALiveItemStartsAForgetJobAndBadDeletesPublishNothing() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        index(tenant, "ftjob-e-0", "The capital of Zorbania is Quillport.", "live", 1);
        index(tenant, "ftjob-f-0", "The capital of Zorbania is Brightwater.", "retired", 1);

        Response unknown = given().header("Authorization", "Bearer " + key).delete("/v1/adapters/default/items/ftjob-zz-0");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.asString()).at("/error/code").asText()).isEqualTo("item_not_found");
        Response retired = given().header("Authorization", "Bearer " + key).delete("/v1/adapters/default/items/ftjob-f-0");
        assertThat(retired.statusCode()).isEqualTo(400);
        assertThat(retired.asString()).contains("retired");
        Response otherTenant = given().header("Authorization", "Bearer " + Keys.keyFor(Keys.tenant()))
                .delete("/v1/adapters/default/items/ftjob-e-0");
        assertThat(otherTenant.statusCode()).as("another tenant's item does not exist for it").isEqualTo(404);
        assertThat(published(tenant)).isEmpty();

        Response ok = given().header("Authorization", "Bearer " + key).delete("/v1/adapters/default/items/ftjob-e-0");
        assertThat(ok.statusCode()).as(ok.asString()).isEqualTo(200);
        String jobId = JSON.readTree(ok.asString()).get("job_id").asText();
        List<JsonNode> sent = published(tenant);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).get("jobId").asText()).isEqualTo(jobId);
        assertThat(sent.get(0).get("mode").asText()).isEqualTo("forget");
        assertThat(sent.get(0).get("text").asText()).isEqualTo("ftjob-e-0");
    }

    @Test
    void itemsLearnedAfterTheVersionARollbackWentBackToAreNotListedAsLive() throws Exception {
        String tenant = Keys.tenant();
        String key = Keys.keyFor(tenant);
        index(tenant, "ftjob-g-0", "The capital of Zorbania is Quillport.", "live", 1);
        index(tenant, "ftjob-h-0", "The currency of Zorbania is the Zorb.", "live", 3);
        redis.sync().set("livetune:tenant-live:" + tenant + ":default", "3");
        assertThat(JSON.readTree(get(key, "/v1/adapters/default/items").asString()).get("data"))
                .extracting(n -> n.get("id").asText()).containsExactly("ftjob-g-0", "ftjob-h-0");

        // rolled back to v2: the item v3 learned is not served any more
        redis.sync().set("livetune:tenant-live:" + tenant + ":default", "2");
        assertThat(JSON.readTree(get(key, "/v1/adapters/default/items").asString()).get("data"))
                .extracting(n -> n.get("id").asText()).containsExactly("ftjob-g-0");
        JsonNode all = JSON.readTree(get(key, "/v1/adapters/default/items?status=all").asString()).get("data");
        assertThat(all).extracting(n -> n.get("id").asText() + " " + n.get("status").asText())
                .containsExactly("ftjob-g-0 live", "ftjob-h-0 rolled_back");
        Response forget = given().header("Authorization", "Bearer " + key).delete("/v1/adapters/default/items/ftjob-h-0");
        assertThat(forget.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(forget.asString()).at("/error/message").asText()).contains("rolled_back", "default@v2");
        assertThat(published(tenant)).isEmpty();
    }

    @Test
    void aForgetChatMessageStartsAForgetJob() throws Exception {
        String tenant = Keys.tenant();
        Response r = given().header("Authorization", "Bearer " + Keys.keyFor(tenant)).contentType("application/json")
                .body("{\"model\": \"default\", \"messages\": [{\"role\": \"user\", \"content\":"
                        + " \"[Forget] The capital of Zorbania is Quillport.\"}]}")
                .post("/v1/chat/completions");
        assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
        assertThat(JSON.readTree(r.asString()).at("/choices/0/message/content").asText()).startsWith("Forgetting started");
        List<JsonNode> sent = published(tenant);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).get("mode").asText()).isEqualTo("forget");
        assertThat(sent.get(0).get("text").asText()).isEqualTo("The capital of Zorbania is Quillport.");

        Response empty = given().header("Authorization", "Bearer " + Keys.keyFor(tenant)).contentType("application/json")
                .body("{\"model\": \"default\", \"messages\": [{\"role\": \"user\", \"content\": \"[Forget]  \"}]}")
                .post("/v1/chat/completions");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(empty.asString()).contains("nothing to forget");
        assertThat(published(tenant)).isEmpty();
    }
}
