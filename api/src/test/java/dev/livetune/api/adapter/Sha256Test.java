package dev.livetune.api.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Sha256Test {

    @Test
    void matchesTheKnownDigestsForBytesAndFiles(@TempDir Path dir) throws Exception {
        // FIPS 180-2 test vector.
        String abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assertThat(Sha256.of("abc".getBytes(StandardCharsets.US_ASCII))).isEqualTo(abc);
        Path f = Files.writeString(dir.resolve("f"), "abc");
        assertThat(Sha256.of(f)).isEqualTo(abc);
    }
}
