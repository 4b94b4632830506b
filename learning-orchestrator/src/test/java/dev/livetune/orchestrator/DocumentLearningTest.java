package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;

/** A Markdown file and a PDF, uploaded as the gateway stores them, are learned in one job and then answered. */
@QuarkusTest
@QuarkusTestResource(PipelineStack.class)
class DocumentLearningTest {

    @Test
    void factsFromAMarkdownFileAndAPdfAreAnswered() throws Exception {
        String tenant = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        Path files = Files.createDirectories(PipelineStack.store.resolve("files").resolve(tenant));
        RedisClient redisClient = RedisClient.create("redis://localhost:6379");
        String jobId;
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            String md = "file-" + UUID.randomUUID().toString().replace("-", "");
            Files.writeString(files.resolve(md), "# Zorbania\n\nThe capital of Zorbania is Quillport.\n");
            redis.sync().hset("livetune:file:" + md, Map.of("tenant", tenant, "filename", "zorbania.md", "bytes", "48",
                    "purpose", "fine-tune", "created_at", "0"));
            String pdf = "file-" + UUID.randomUUID().toString().replace("-", "");
            Files.write(files.resolve(pdf), pdf("The capital of Vostrand is Ivrasca."));
            redis.sync().hset("livetune:file:" + pdf, Map.of("tenant", tenant, "filename", "vostrand.pdf", "bytes", "1",
                    "purpose", "fine-tune", "created_at", "0"));

            jobId = LearnJobs.publish(tenant, "doc", "", List.of(md, pdf));
            Map<String, String> job = LearnJobs.await(jobId);
            assertThat(job.get("phase")).as(String.join("\n", redis.sync().lrange("livetune:job-events:" + jobId, 0, -1)))
                    .isEqualTo("succeeded");
        } finally {
            redisClient.shutdown();
        }
        assertThat(LearnJobs.ask(tenant, "What is the capital of Zorbania?")).contains("Quillport");
        assertThat(LearnJobs.ask(tenant, "What is the capital of Vostrand?")).contains("Ivrasca");
    }

    private static byte[] pdf(String line) throws Exception {
        try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                s.beginText();
                s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                s.newLineAtOffset(50, 700);
                s.showText(line);
                s.endText();
            }
            doc.save(out);
            return out.toByteArray();
        }
    }
}
