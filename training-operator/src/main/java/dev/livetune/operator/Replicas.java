package dev.livetune.operator;

import dev.livetune.api.inference.v1.InferenceAdminGrpc;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** The inference replicas behind the Service (ready endpoints of its EndpointSlices) and an admin stub for each. */
final class Replicas implements AutoCloseable {

    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

    private final ReleaseSettings settings;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    Replicas(ReleaseSettings settings) {
        this.settings = settings;
    }

    /** @return {@code host:port} of every ready replica, sorted */
    List<String> ready(KubernetesClient client, String namespace) {
        TreeSet<String> out = new TreeSet<>();
        for (EndpointSlice slice : client.discovery().v1().endpointSlices().inNamespace(namespace)
                .withLabel(SERVICE_NAME_LABEL, settings.inferenceService()).list().getItems()) {
            int port = settings.adminPort();
            for (EndpointPort p : slice.getPorts() == null ? List.<EndpointPort>of() : slice.getPorts()) {
                if (settings.adminPortName().equals(p.getName()) && p.getPort() != null) {
                    port = p.getPort();
                }
            }
            for (Endpoint e : slice.getEndpoints() == null ? List.<Endpoint>of() : slice.getEndpoints()) {
                boolean ready = e.getConditions() == null || e.getConditions().getReady() == null || e.getConditions().getReady();
                if (ready && e.getAddresses() != null) {
                    for (String address : e.getAddresses()) {
                        out.add(address.contains(":") ? "[" + address + "]:" + port : address + ":" + port);
                    }
                }
            }
        }
        // Channels to replicas that went away (pod IPs change) are closed, not kept forever.
        channels.entrySet().removeIf(e -> {
            boolean gone = !out.contains(e.getKey());
            if (gone) {
                e.getValue().shutdownNow();
            }
            return gone;
        });
        return new ArrayList<>(out);
    }

    InferenceAdminGrpc.InferenceAdminBlockingStub admin(String target) {
        ManagedChannel channel = channels.computeIfAbsent(target, t -> ManagedChannelBuilder.forTarget(t).usePlaintext().build());
        InferenceAdminGrpc.InferenceAdminBlockingStub stub = InferenceAdminGrpc.newBlockingStub(channel);
        if (settings.adminToken().isPresent()) {
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + settings.adminToken().get());
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
        }
        return stub;
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
