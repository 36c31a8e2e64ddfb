package io.cistern.schema.failure;

/**
 * What a failed Redis call means for its caller, as {@link RedisReplies#classify(Throwable)} decides it. Every
 * component turns a kind into its own exception and message, but never decides retryable-or-not itself: that is
 * {@link #retryable()}.
 */
public enum RedisFailureKind {
    /** The connection is lost or could not be made: nothing reached Redis. Retry when it is back. */
    RETRYABLE(true),
    /** Redis or the Function library refused the write to protect memory or a backlog ({@code OOM}, {@code
     * CISTERN_BACKPRESSURE}): nothing was written; retry after a wait. */
    BACK_PRESSURE(true),
    /**
     * The server cannot take the command yet: loading its data, a busy script, a failover in progress ({@code
     * LOADING}, {@code BUSY}, {@code MASTERDOWN}, {@code READONLY}, {@code TRYAGAIN}, {@code CLUSTERDOWN}), or a
     * partition whose version floor is missing or not confirmed by this server ({@code CISTERN_NOFLOOR}, {@code
     * CISTERN_UNCONFIRMED}). Nothing was applied; retry.
     */
    SERVER_NOT_READY(true),
    /**
     * The command was sent and no answer came in time: it may or may not have been applied. Retrying is safe for a
     * read, and for a write only if the write is idempotent for the caller.
     */
    OUTCOME_UNKNOWN(true),
    /**
     * The Cistern Function library is not loaded ({@code ERR Function not found}, {@code NOSCRIPT}): Redis lost its
     * data, and the first sync worker to re-seed it loads the library again, or it was never initialised ({@code
     * ops/cistern init}). Retryable, because the first case heals itself within seconds.
     */
    NOT_INITIALISED(true),
    /** Redis or the Function library refused the command and will refuse it again unchanged. */
    PERMANENT(false),
    /** Not a Redis failure at all: a bug or an unexpected exception. */
    INTERNAL(false);

    private final boolean retryable;

    RedisFailureKind(boolean retryable) {
        this.retryable = retryable;
    }

    /** Whether the same call may succeed later, unchanged. */
    public boolean retryable() {
        return retryable;
    }
}
