package dev.livetune.api.k8s;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One training of one adapter version: the training-operator runs it as a Kubernetes Job (one per
 * attempt) and reports on it in {@code status}. {@code kubectl get trainingruns} shows tenant,
 * adapter, phase, attempts and age.
 */
@Group(TrainingRun.GROUP)
@AdditionalPrinterColumn(name = "Succeeded", jsonPath = ".status.conditions[?(@.type==\"Succeeded\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@Version("v1alpha1")
@Plural("trainingruns")
@ShortNames("tr")
public class TrainingRun extends CustomResource<TrainingRunSpec, TrainingRunStatus> implements Namespaced {

    public static final String GROUP = "livetune.dev";
}
