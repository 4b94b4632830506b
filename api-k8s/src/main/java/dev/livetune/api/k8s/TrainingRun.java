package dev.livetune.api.k8s;

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
@Version("v1alpha1")
@Plural("trainingruns")
@ShortNames("tr")
public class TrainingRun extends CustomResource<TrainingRunSpec, TrainingRunStatus> implements Namespaced {

    public static final String GROUP = "livetune.dev";
}
