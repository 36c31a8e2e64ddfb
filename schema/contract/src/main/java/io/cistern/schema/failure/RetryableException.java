package io.cistern.schema.failure;

import java.time.Duration;
import java.util.Objects;

/**
 * The request was not carried out, nothing was lost, and the same request may succeed later: Redis is unreachable,
 * the buffer is past its backpressure threshold, or a partition's version floor is being re-seeded.
 */
public non-sealed class RetryableException extends CisternException {
    private final Duration retryAfter;
    private final boolean outcomeUnknown;

    public RetryableException(String code, String message, Duration retryAfter, Throwable cause) {
        this(code, message, retryAfter, cause, false);
    }

    /**
     * @param outcomeUnknown true when the request may have been carried out although it failed (a Redis command that
     *     timed out after it was sent); false when nothing was done
     */
    public RetryableException(
            String code, String message, Duration retryAfter, Throwable cause, boolean outcomeUnknown) {
        super(code, message, cause);
        this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
        this.outcomeUnknown = outcomeUnknown;
    }

    /**
     * Whether the request may have been carried out although it failed: a write that timed out after it was sent may
     * be in Redis. Retrying it is safe only if it is idempotent for the caller (a put or a delete is; a patch that
     * depends on what it overwrites may not be). False for every other retryable failure: nothing was done.
     */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
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
