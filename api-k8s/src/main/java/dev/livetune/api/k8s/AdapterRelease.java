package dev.livetune.api.k8s;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * An adapter version to serve: the training-operator loads it on every inference replica and
 * switches the alias only once all of them have it. One per tenant alias; rollback is a spec change
 * to an older version.
 */
@Group(TrainingRun.GROUP)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Version("v1alpha1")
@Plural("adapterreleases")
@ShortNames("ar")
public class AdapterRelease extends CustomResource<AdapterReleaseSpec, AdapterReleaseStatus> implements Namespaced {
}
