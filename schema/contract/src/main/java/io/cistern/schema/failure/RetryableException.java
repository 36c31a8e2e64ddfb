package io.cistern.schema.failure;

import java.time.Duration;
import java.util.Objects;

/**
 * The request was not carried out, nothing was lost, and the same request may succeed later: Redis is unreachable,
 * the buffer is past its backpressure threshold, or a partition's version floor is being re-seeded.
 */
public non-sealed class RetryableException extends CisternException {
    private final Duration retryAfter;

    public RetryableException(String code, String message, Duration retryAfter, Throwable cause) {
        super(code, message, cause);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    }

    /** A suggested wait before retrying. */
    public Duration retryAfter() {
        return retryAfter;
    }

    @Override
    public final boolean retryable() {
        return true;
    }
}
