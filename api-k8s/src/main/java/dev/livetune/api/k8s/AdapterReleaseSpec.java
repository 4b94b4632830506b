package dev.livetune.api.k8s;

import io.fabric8.crd.generator.annotation.PrinterColumn;

/** Which version of a tenant's alias every replica must serve. */
public class AdapterReleaseSpec {

    @PrinterColumn(name = "Tenant")
    public String tenant;

    @PrinterColumn(name = "Adapter")
    public String adapter;

    @PrinterColumn(name = "Version")
    public int version;

    /** The version's directory in the artifact store. */
    public String uri;

    /** The sha256 of its weights ({@code adapter_model.safetensors}). */
    public String sha256;
}
