package dev.livetune.inference;

import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Every meter of the service carries {@code model_name}: the base model's directory name. */
final class MetricTags {

    private MetricTags() {
    }

    @Produces
    @Singleton
    static MeterFilter modelName(InferenceConfig config) {
        return MeterFilter.commonTags(java.util.List.of(io.micrometer.core.instrument.Tag.of("model_name",
                config.modelDir().getFileName().toString())));
    }
}
