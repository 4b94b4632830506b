package dev.livetune.api.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The CRDs committed under k8s/crds/ are the ones generated from these classes (run the build, copy them over). */
class CrdsTest {

    @Test
    void theCommittedCrdsAreTheGeneratedOnes() throws Exception {
        for (String crd : new String[] {"trainingruns.livetune.dev-v1.yml", "adapterreleases.livetune.dev-v1.yml"}) {
            Path generated = Path.of("target/classes/META-INF/fabric8", crd);
            Path committed = Path.of("../k8s/crds", crd);
            assertThat(Files.readString(committed)).as(committed + " is stale: copy " + generated + " over it")
                    .isEqualTo(Files.readString(generated));
            assertThat(Files.readString(committed)).contains("subresources:").contains("status: {}")
                    .contains("additionalPrinterColumns");
        }
    }
}
