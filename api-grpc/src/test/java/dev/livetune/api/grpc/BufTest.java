package dev.livetune.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gRPC contract passes {@code buf lint} (buf.yaml: STANDARD, but for the v1 names that are on
 * the wire) and {@code buf breaking} against the v1 contract as published (src/test/proto-v1): a
 * change that would break a client on the wire or in JSON fails the build. buf comes from npm
 * ({@code @bufbuild/buf}, pinned in src/test/node), installed into target/buf by this test.
 */
class BufTest {

    private static final Path WORK = Path.of("target/buf").toAbsolutePath();

    @BeforeAll
    static void install() throws Exception {
        Files.createDirectories(WORK);
        Files.copy(Path.of("src/test/node/package.json"), WORK.resolve("package.json"), StandardCopyOption.REPLACE_EXISTING);
        if (!Files.isExecutable(WORK.resolve("node_modules/.bin/buf"))) {
            run(WORK, List.of("npm", "install", "--no-audit", "--no-fund", "--loglevel=error"));
        }
    }

    @Test
    void theProtosPassBufLint() throws Exception {
        assertThat(buf("lint")).isEmpty();
    }

    @Test
    void nothingBreaksTheV1Contract() throws Exception {
        assertThat(buf("breaking", "--against", "src/test/proto-v1")).isEmpty();
    }

    @Test
    void aBreakingChangeIsFound(@org.junit.jupiter.api.io.TempDir Path changed) throws Exception {
        // the check can fail: the same protos with one field's type changed break v1
        copyTree(Path.of("src/main/proto"), changed);
        Path chat = changed.resolve("livetune/chat/v1/chat.proto");
        Files.writeString(chat, Files.readString(chat).replaceFirst("string model = 1;", "int32 model = 1;"));
        Files.writeString(changed.resolve("buf.yaml"), "version: v2\nbreaking:\n  use:\n    - WIRE_JSON\n");
        Process p = new ProcessBuilder(WORK.resolve("node_modules/.bin/buf").toString(), "breaking", changed.toString(),
                "--against", Path.of("src/test/proto-v1").toAbsolutePath().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isNotZero();
        assertThat(out).contains("changed type from \"string\" to \"int32\"");
    }

    /** @return what buf printed; fails the test when it exits non-zero */
    private static String buf(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(WORK.resolve("node_modules/.bin/buf").toString()));
        command.addAll(List.of(args));
        return run(Path.of("").toAbsolutePath(), command);
    }

    private static String run(Path dir, List<String> command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " is not installed (Node.js and npm are needed to install buf)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
        return out.strip();
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
