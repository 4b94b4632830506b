package dev.livetune.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** AdapterRelease names: valid object names, one per tenant alias, even where sanitizing alone would merge two. */
class KubernetesNamesTest {

    @Test
    void everyAliasGetsItsOwnValidName() {
        assertThat(KubernetesReleaser.name("a-b", "c")).isNotEqualTo(KubernetesReleaser.name("a", "b-c"));
        assertThat(KubernetesReleaser.name("acme.eu", "default")).isNotEqualTo(KubernetesReleaser.name("acme_eu", "default"));
        assertThat(KubernetesReleaser.name("acme", "default")).isEqualTo(KubernetesReleaser.name("acme", "default"))
                .startsWith("acme-default-");
        String longest = KubernetesReleaser.name("t".repeat(63), "a".repeat(63));
        for (String n : new String[] {KubernetesReleaser.name("a-b", "c"), KubernetesReleaser.name("acme.eu", "x_y."), longest}) {
            assertThat(n).hasSizeLessThanOrEqualTo(63).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
        }
    }
}
