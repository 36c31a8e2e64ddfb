package io.cistern.writer;

import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A write was not known to be synced when the wait ended. Code {@code SYNC_TIMEOUT}. Nothing is lost: the write is
 * stored in Redis and reaches PostgreSQL once a sync worker can apply it; waiting again with the same receipt is safe.
 * Usual causes: no sync worker running, PostgreSQL unreachable, a backlog longer than the timeout.
 */
public final class SyncTimeoutException extends RetryableException {
    public static final String CODE = "SYNC_TIMEOUT";

    private final WriteReceipt receipt;
    private final String appliedWatermark;
    private final Duration waited;

    SyncTimeoutException(
            WriteReceipt receipt, String appliedWatermark, Duration waited, String message, Throwable cause) {
        super(CODE, message, Duration.ofSeconds(1), cause);
        this.receipt = Objects.requireNonNull(receipt, "receipt");
        this.appliedWatermark = appliedWatermark;
        this.waited = Objects.requireNonNull(waited, "waited");
    }

    /** The write awaited. */
    public WriteReceipt receipt() {
        return receipt;
    }

    /** The partition's applied watermark last read, empty when none is published (or it could not be read). */
    public Optional<String> appliedWatermark() {
        return Optional.ofNullable(appliedWatermark);
    }

    /** How long the wait took. */
    public Duration waited() {
        return waited;
    }
}
