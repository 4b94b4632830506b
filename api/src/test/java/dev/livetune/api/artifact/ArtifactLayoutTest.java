package dev.livetune.api.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ArtifactLayoutTest {

    private final ArtifactLayout layout = new ArtifactLayout(Path.of("/store"));

    @Test
    void everyPlaceOfATenantLiesBelowItsDirectory() {
        assertThat(layout.version("acme", "support", 3)).isEqualTo(Path.of("/store/tenants/acme/adapters/support/v3"));
        assertThat(ArtifactLayout.versionUri("acme", "support", 3)).isEqualTo("tenants/acme/adapters/support/v3");
        assertThat(layout.dataset("acme", "ftjob-1")).isEqualTo(Path.of("/store/tenants/acme/datasets/ftjob-1"));
        assertThat(layout.datasets("acme")).isEqualTo(Path.of("/store/tenants/acme/datasets"));
        assertThat(layout.knowledge("acme", "support")).isEqualTo(Path.of("/store/tenants/acme/knowledge/support"));
    }

    @Test
    void aNameThatCouldLeaveItsDirectoryIsRefused() {
        for (String bad : new String[] {"..", ".", "", "a/b", "a\\b", "x\0y"}) {
            assertThatThrownBy(() -> layout.dataset("acme", bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("job id");
            assertThatThrownBy(() -> layout.version(bad, "support", 1)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tenant");
            assertThatThrownBy(() -> layout.knowledge("acme", bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("alias");
        }
        assertThatThrownBy(() -> layout.version("acme", null, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> layout.version("acme", "support", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("start at 1");
    }
}
