package dev.livetune.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.livetune.api.learn.ChatSamples;
import dev.livetune.state.FileIndex;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/**
 * {@code /v1/files}: documents to learn from (txt, md, html, pdf) and the tenant's own training data
 * (chat-format JSONL with {@code purpose: fine-tune}, checked line by line as it arrives), per tenant,
 * size-limited, in OpenAI's {@code file} shape. Another tenant's file is 404, never listed.
 */
@Path("/v1/files")
@Produces(MediaType.APPLICATION_JSON)
public class FilesResource {

    private static final Set<String> TYPES = Set.of("txt", "md", "markdown", "html", "htm", "pdf");
    /** The purpose of training data, as OpenAI names it. */
    static final String FINE_TUNE = "fine-tune";

    private final Caller caller;
    private final FileIndex index;
    private final GatewayConfig config;
    private final ObjectMapper json = new ObjectMapper();

    FilesResource(Caller caller, FileIndex index, GatewayConfig config) {
        this.caller = caller;
        this.index = index;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    public Response upload(@RestForm("file") FileUpload file,
            @RestForm("purpose") String purpose) {
        String tenant = caller.tenant();
        if (file == null) {
            throw OpenAiException.invalid("file", "'file' is required (multipart form field)");
        }
        if (purpose == null || purpose.isBlank()) {
            throw OpenAiException.invalid("purpose", "'purpose' is required");
        }
        String name = file.fileName() == null ? "" : file.fileName();
        String ext = name.contains(".") ? name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        boolean samples = ext.equals("jsonl");
        if (!TYPES.contains(ext) && !samples) {
            throw OpenAiException.invalid("file", "only .txt, .md, .html and .pdf documents and .jsonl training data can be"
                    + " learned from, not '" + name + "'");
        }
        if (samples && !purpose.equals(FINE_TUNE)) {
            throw OpenAiException.invalid("purpose", "a .jsonl file is training data: upload it with purpose 'fine-tune'");
        }
        if (file.size() > config.maxFileBytes()) {
            throw OpenAiException.tooLarge("file of " + file.size() + " bytes exceeds " + config.maxFileBytes());
        }
        if (file.size() == 0) {
            throw OpenAiException.invalid("file", "the file is empty");
        }
        if (samples) {
            try {
                ChatSamples.read(name, Files.readAllBytes(file.uploadedFile()));
            } catch (ChatSamples.InvalidSamplesException e) {
                throw OpenAiException.invalid("file", e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String id = "file-" + UUID.randomUUID().toString().replace("-", "");
        java.nio.file.Path dir = java.nio.file.Path.of(config.filesDir(), tenant);
        java.nio.file.Path kept = dir.resolve(id);
        try {
            Files.createDirectories(dir);
            java.nio.file.Path tmp = Files.createTempFile(dir, ".upload", ".tmp");
            Files.copy(file.uploadedFile(), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, kept, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long created = Instant.now().getEpochSecond();
        Map<String, String> f = new HashMap<>();
        f.put("tenant", tenant);
        f.put("filename", name);
        f.put("bytes", Long.toString(file.size()));
        f.put("purpose", purpose);
        f.put("created_at", Long.toString(created));
        FileIndex.Admission admitted;
        try {
            admitted = index.admit(id, f, System.currentTimeMillis(), config.maxFilesPerTenant(), config.maxFileBytesPerTenant());
        } catch (RuntimeException e) {
            deleteQuietly(kept);
            throw e;
        }
        if (!admitted.admitted()) {
            deleteQuietly(kept);
            throw OpenAiException.storageFull(admitted.cap().equals("files")
                    ? "this tenant already keeps " + admitted.held() + " files, the most it may; delete some (DELETE /v1/files/{id})"
                    : "this file of " + file.size() + " bytes would take this tenant's files past " + config.maxFileBytesPerTenant()
                            + " bytes (it keeps " + admitted.held() + "); delete some (DELETE /v1/files/{id})");
        }
        return Response.ok(shape(id, f).toString()).build();
    }

    @GET
    public String list() {
        String tenant = caller.tenant();
        ObjectNode root = json.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        List<String> ids = index.ofTenant(tenant);
        for (String id : ids) {
            Map<String, String> f = index.get(id);
            if (f != null && !f.isEmpty()) {
                data.add(shape(id, f));
            }
        }
        root.put("has_more", false);
        return root.toString();
    }

    @GET
    @Path("/{id}")
    public String get(@PathParam("id") String id) {
        String tenant = caller.tenant();
        return shape(id, owned(tenant, id)).toString();
    }

    /** The file's bytes as uploaded (OpenAI's {@code files.content}); 404 for another tenant's file. */
    @GET
    @Path("/{id}/content")
    public Response content(@PathParam("id") String id) {
        String tenant = caller.tenant();
        Map<String, String> f = owned(tenant, id);
        java.nio.file.Path file = java.nio.file.Path.of(config.filesDir(), tenant, id);
        if (!Files.isRegularFile(file)) {
            throw OpenAiException.notFound("file_not_found", "no such file: " + id);
        }
        String name = f.get("filename").replaceAll("[^A-Za-z0-9._-]", "_");
        return Response.ok(file.toFile(), MediaType.APPLICATION_OCTET_STREAM)
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }

    @DELETE
    @Path("/{id}")
    public String delete(@PathParam("id") String id) {
        String tenant = caller.tenant();
        owned(tenant, id);
        index.delete(tenant, id);
        try {
            Files.deleteIfExists(java.nio.file.Path.of(config.filesDir(), tenant, id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return json.createObjectNode().put("id", id).put("object", "file").put("deleted", true).toString();
    }

    private static void deleteQuietly(java.nio.file.Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // an orphan with no record: nothing lists or serves it
        }
    }

    /** @return the file's record if the tenant owns it; 404 otherwise (never 403: existence is not revealed) */
    Map<String, String> owned(String tenant, String id) {
        Map<String, String> f = index.get(id);
        if (f == null || f.isEmpty() || !tenant.equals(f.get("tenant"))) {
            throw OpenAiException.notFound("file_not_found", "no such file: " + id);
        }
        return f;
    }

    private ObjectNode shape(String id, Map<String, String> f) {
        ObjectNode o = json.createObjectNode();
        o.put("id", id);
        o.put("object", "file");
        o.put("bytes", Long.parseLong(f.get("bytes")));
        o.put("created_at", Long.parseLong(f.get("created_at")));
        o.put("filename", f.get("filename"));
        o.put("purpose", f.get("purpose"));
        o.put("status", "processed");
        return o;
    }
}
