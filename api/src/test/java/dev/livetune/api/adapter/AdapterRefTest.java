package dev.livetune.api.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class AdapterRefTest {

    @Test
    void parsesAliasesAndPinnedVersionsAndPrintsThemBack() {
        AdapterRef alias = AdapterRef.parse("acme/default");
        assertThat(alias.isAlias()).isTrue();
        assertThat(alias.toString()).isEqualTo("acme/default");
        AdapterRef pinned = AdapterRef.parse("acme/support-bot@v12");
        assertThat(pinned.version()).isEqualTo(OptionalInt.of(12));
        assertThat(pinned.modelName()).isEqualTo("support-bot@v12");
        assertThat(AdapterRef.parse(pinned.toString())).isEqualTo(pinned);
        assertThat(alias.at(3)).isEqualTo(AdapterRef.pinned("acme", "default", 3));
    }

    @Test
    void clientModelNamesGetTheCallersTenant() {
        assertThat(AdapterRef.parseModel("t1", "default@v2")).isEqualTo(AdapterRef.pinned("t1", "default", 2));
        assertThat(AdapterRef.parseModel("t1", "default")).isEqualTo(AdapterRef.alias("t1", "default"));
        // A client cannot reach another tenant by writing its name into the model field.
        assertThatThrownBy(() -> AdapterRef.parseModel("t1", "t2/default")).hasMessageContaining("t2/default");
    }

    @Test
    void refusesMalformedReferencesWithTheReason() {
        for (String bad : new String[] {"", "acme", "acme/", "/x", "Acme/x", "acme/x@v0", "acme/x@3", "acme/x@v",
                "a/b/c", "acme/../etc", "acme/x@v1234567890"}) {
            assertThatThrownBy(() -> AdapterRef.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tenant/name");
        }
        assertThatThrownBy(() -> AdapterRef.alias("ok", "-bad")).hasMessageContaining("adapter name '-bad'");
        assertThatThrownBy(() -> AdapterRef.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Issue 19 #18: a tenant (or alias) named {@code acme-} was accepted but could never train in a
     * cluster, because its TrainingRun and Job carry it as a Kubernetes label value, which must end
     * with a letter or digit.
     */
    @Test
    void everyAcceptedNameIsAKubernetesLabelValue() {
        java.util.regex.Pattern label = java.util.regex.Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
        for (String bad : new String[] {"acme-", "acme.", "acme_", "-acme", "a".repeat(64)}) {
            assertThatThrownBy(() -> AdapterRef.alias(bad, "default")).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ending with a letter or digit");
        }
        for (String good : new String[] {"a", "7", "acme-eu", "acme.eu_1", "a".repeat(63), "a-" .repeat(31) + "a"}) {
            AdapterRef ref = AdapterRef.alias(good, good);
            assertThat(ref.tenant()).as(good).hasSizeLessThanOrEqualTo(63).matches(label);
        }
    }
}
