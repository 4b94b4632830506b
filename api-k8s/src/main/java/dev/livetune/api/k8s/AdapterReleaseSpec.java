package dev.livetune.api.k8s;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Which version of a tenant's alias every replica must serve. */
public class AdapterReleaseSpec {

    @PrinterColumn(name = "Tenant")
    @Required
    @Pattern(TrainingRunSpec.NAME)
    @JsonPropertyDescription("The tenant whose alias this releases.")
    public String tenant;

    @PrinterColumn(name = "Adapter")
    @Required
    @Pattern(TrainingRunSpec.NAME)
    @JsonPropertyDescription("The adapter alias, e.g. 'default'.")
    public String adapter;

    @PrinterColumn(name = "Version")
    @Required
    @Min(1)
    @JsonPropertyDescription("The version every inference replica must serve for the alias; an older one rolls back.")
    public int version;

    /** The version's directory in the artifact store. */
    @Required
    @JsonPropertyDescription("The version's directory, relative to the artifact store's root.")
    public String uri;

    /** The sha256 of its weights ({@code adapter_model.safetensors}). */
    @Required
    @Pattern(TrainingRunSpec.SHA256)
    @JsonPropertyDescription("The sha256 (hex) of the version's adapter_model.safetensors; a replica refuses weights that do not match.")
    public String sha256;
}
