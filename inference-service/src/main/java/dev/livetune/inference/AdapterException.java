package dev.livetune.inference;

import io.grpc.Status;

/** Why an adapter cannot be used, as the gRPC status a caller gets. */
public final class AdapterException extends RuntimeException {

    private final Status.Code code;

    AdapterException(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    AdapterException(Status.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** @return the status for this failure */
    public Status status() {
        return Status.fromCode(code).withDescription(getMessage());
    }
}
