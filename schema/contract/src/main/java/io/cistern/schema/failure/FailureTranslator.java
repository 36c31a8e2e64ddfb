package io.cistern.schema.failure;

import io.lettuce.core.RedisConnectionException;
import java.time.Duration;

/**
 * The one place that classifies failures into Cistern's exceptions: Redis errors by their error prefix (the first word
 * of the error reply, which the Function library sets to {@code CISTERN_<CODE>}).
 *
 * <p>Errors of the Function library:
 *
 * <ul>
 *   <li>{@code CISTERN_BACKPRESSURE}, {@code CISTERN_NOFLOOR}, {@code CISTERN_UNCONFIRMED}, {@code
 *       CISTERN_STALE_REGISTRY} (code {@value #STALE_REGISTRY}) — retryable;
 *   <li>{@code CISTERN_DELETED} — a patch of a deleted record, permanent, field {@code key};
 *   <li>{@code CISTERN_UNKNOWN_TABLE}, {@code CISTERN_UNKNOWN_COLUMN}, {@code CISTERN_CHECK}, {@code CISTERN_TOO_LARGE}, {@code
 *       CISTERN_BADKEY}, {@code CISTERN_BADARGS} — permanent.
 * </ul>
 *
 * Redis's own {@code OOM}, {@code LOADING}, {@code BUSY}, {@code TRYAGAIN}, {@code MASTERDOWN}, {@code CLUSTERDOWN},
 * a missing Function library (Redis lost its data; a sync worker reloads it) and connection failures or timeouts are
 * retryable; anything else is permanent. Which replies are retryable is {@link RedisReplies}'s decision, shared with
 * the reader; this class picks the exceptions and messages, the writer's ({@link #fromRedis}) and the reader's
 * ({@link #fromRedisRead}).
 */
public final class FailureTranslator {
    /** How long a producer should wait after a backpressure refusal, by default. */
    public static final Duration BACKPRESSURE_RETRY_AFTER = Duration.ofSeconds(1);

    /** How long a reader should wait before retrying a read that failed for want of a server. */
    public static final Duration READ_RETRY_AFTER = Duration.ofSeconds(1);

    /**
     * The code of the retryable refusal of a write judged by an older registration of its table than the partition
     * holds ({@code CISTERN_STALE_REGISTRY}): reload the registry and judge the write again.
     */
    public static final String STALE_REGISTRY = "STALE_REGISTRY";

    /** The code of a write refused because the Function library is not loaded on the server it reached. */
    public static final String NOT_INITIALISED = "NOT_INITIALISED";

    /**
     * The code of a write its master applied and acknowledged but fewer replicas than asked for acknowledged within the
     * writer's replica wait ({@code WAIT}): it may have been applied, and may be lost if the master fails over now.
     */
    public static final String REPLICA_WAIT_TIMEOUT = "REPLICA_WAIT_TIMEOUT";

    private FailureTranslator() {}

    /**
     * A write {@code what} that its master applied but whose {@code WAIT} for {@code wanted} replicas ended after
     * {@code timeout} with only {@code acknowledged} of them holding it: retryable, with {@link
     * RetryableException#outcomeUnknown()} true. Not a failure (the master holds it, and a worker applies it unless the
     * master fails over to a replica without it), and not an acceptance (that promise is what was asked for). {@code
     * waitFailure} is the failure of the {@code WAIT} itself (the connection dropped after the write was answered), or
     * null when it answered with too few replicas.
     */
    public static RetryableException replicaWaitShort(
            String what, String master, long acknowledged, int wanted, Duration timeout, Throwable waitFailure) {
        String how = waitFailure == null
                ? "only " + acknowledged + " of the " + wanted + " replicas asked for acknowledged it within "
                        + timeout.toMillis() + " ms (CISTERN_WRITER_WAIT_TIMEOUT_MS)"
                : "the wait for " + wanted + " replicas failed ("
                        + RedisReplies.classify(waitFailure).failure().getMessage() + ")";
        return new RetryableException(
                REPLICA_WAIT_TIMEOUT,
                what + " was applied on the Redis master " + master + " but " + how + ": it may have been applied,"
                        + " and is lost if that master fails over to a replica without it; retrying it is safe only if"
                        + " it is idempotent for you",
                Duration.ofSeconds(1),
                waitFailure,
                true);
    }

    /** Translates a failure of a Redis call made for {@code what} (for example "put source_documents/42"). */
    public static CisternException fromRedis(String what, Throwable failure) {
        RedisFailure f = RedisReplies.classify(failure);
        Throwable t = f.failure();
        if (t instanceof CisternException ce) {
            return ce;
        }
        return switch (f.kind()) {
            case OUTCOME_UNKNOWN ->
                new RetryableException(
                        "REDIS_TIMEOUT",
                        what + " timed out waiting for Redis: " + t.getMessage()
                                + "; the write may or may not have been applied, and retrying it is safe only if it is idempotent for you",
                        Duration.ofSeconds(1),
                        t,
                        true);
            case RETRYABLE ->
                t instanceof RedisConnectionException || hasIoCause(t)
                        ? new RetryableException(
                                "REDIS_UNAVAILABLE",
                                what + " failed: Redis is unreachable (" + t.getMessage()
                                        + "); nothing was written, retry when Redis is back",
                                Duration.ofSeconds(1),
                                t)
                        : new RetryableException(
                                "REDIS_UNAVAILABLE", what + " failed: " + t.getMessage(), Duration.ofSeconds(1), t);
            case INTERNAL -> new PermanentException("INTERNAL", what + " failed: " + t, t);
            default -> fromErrorReply(what, f.reply(), t);
        };
    }

    /**
     * Translates a failure of a Redis <em>read</em> made for {@code what} (for example "reading record K of table
     * 'T'"), with the reader's codes: a read changes nothing, so a timeout is {@code REDIS_TIMEOUT} with no doubt about
     * an outcome, and Redis's "not now" replies (out of memory, loading its data, a busy script, a failover) are {@code
     * REDIS_UNAVAILABLE}. Whether it is retryable is {@link RedisReplies}'s decision, as for writes.
     */
    public static CisternException fromRedisRead(String what, Throwable failure) {
        RedisFailure f = RedisReplies.classify(failure);
        Throwable t = f.failure();
        if (t instanceof CisternException ce) {
            return ce;
        }
        return switch (f.kind()) {
            case OUTCOME_UNKNOWN ->
                new RetryableException(
                        "REDIS_TIMEOUT",
                        what + " timed out waiting for Redis (" + t.getMessage() + "); retry",
                        READ_RETRY_AFTER,
                        t);
            case RETRYABLE ->
                new RetryableException(
                        "REDIS_UNAVAILABLE",
                        what + " failed: Redis is unreachable (" + t.getMessage()
                                + "); the reader answers nothing, not even from its local cache, until Redis is back",
                        READ_RETRY_AFTER,
                        t);
            case BACK_PRESSURE, SERVER_NOT_READY ->
                new RetryableException(
                        "REDIS_UNAVAILABLE",
                        what + " failed: Redis replied " + f.reply() + "; retry",
                        READ_RETRY_AFTER,
                        t);
            case NOT_INITIALISED ->
                new RetryableException(
                        NOT_INITIALISED,
                        what + " failed: Redis replied " + f.reply() + "; the Cistern Function library is not loaded"
                                + " (a sync worker reloads it after a data loss, otherwise run `ops/cistern init`)",
                        READ_RETRY_AFTER,
                        t);
            case PERMANENT -> new PermanentException("REDIS_ERROR", what + " failed: Redis replied " + f.reply(), t);
            case INTERNAL -> new PermanentException("INTERNAL", what + " failed: " + t, t);
        };
    }

    /**
     * Translates a Redis error reply text such as {@code "CISTERN_BACKPRESSURE partition 3 ..."}: whether it is
     * retryable is {@link RedisReplies#kindOfReply(String)}'s decision; this picks the exception and the message.
     */
    public static CisternException fromErrorReply(String what, String reply, Throwable cause) {
        String prefix = RedisReplies.prefix(reply);
        int space = reply.indexOf(' ');
        String detail = space < 0 ? "" : reply.substring(space + 1);
        return switch (RedisReplies.kindOfReply(reply)) {
            case BACK_PRESSURE ->
                prefix.equals("OOM")
                        ? new RetryableException(
                                "BACKPRESSURE",
                                what + " refused: Redis is out of memory (" + reply + ")",
                                BACKPRESSURE_RETRY_AFTER,
                                cause)
                        : new RetryableException(
                                "BACKPRESSURE",
                                what + " refused under backpressure: " + detail,
                                BACKPRESSURE_RETRY_AFTER,
                                cause);
            case SERVER_NOT_READY ->
                switch (prefix) {
                    case "CISTERN_NOFLOOR" ->
                        new RetryableException(
                                "NO_FLOOR", what + " refused for now: " + detail, Duration.ofSeconds(2), cause);
                    case "CISTERN_UNCONFIRMED" ->
                        new RetryableException(
                                "UNCONFIRMED_FLOOR",
                                what + " refused for now: " + detail,
                                Duration.ofSeconds(1),
                                cause);
                    case "CISTERN_STALE_REGISTRY" ->
                        // A RecordWriter reloads and sends the write again itself; others retry at once.
                        new RetryableException(
                                STALE_REGISTRY, what + " refused for now: " + detail, Duration.ZERO, cause);
                    case "TRYAGAIN", "ASK", "MOVED" ->
                        // Lettuce follows MOVED and ASK itself; one surfaces after too many redirects, or on a node
                        // connection. TRYAGAIN: some of the call's keys moved already, the others not yet.
                        new RetryableException(
                                "SLOT_MIGRATING",
                                what + " refused for now: its partition's slot is moving between Redis Cluster masters"
                                        + " (a reshard or a failover); nothing was applied, retry (" + reply + ")",
                                Duration.ofMillis(200),
                                cause);
                    case "CLUSTERDOWN" ->
                        new RetryableException(
                                "REDIS_UNAVAILABLE",
                                what + " failed: the Redis Cluster serves no master for its partition's slot right now"
                                        + " (a failover under way, or the cluster lost a master and its replicas); retry ("
                                        + reply + ")",
                                Duration.ofSeconds(1),
                                cause);
                    default ->
                        new RetryableException(
                                "REDIS_UNAVAILABLE",
                                what + " failed: Redis is not accepting writes right now (" + reply + ")",
                                Duration.ofSeconds(1),
                                cause);
                };
            case NOT_INITIALISED ->
                // Retryable: a Redis that lost its data mid-flight gets the library back from the first sync worker
                // that re-seeds it; a Redis never initialised needs `ops/cistern init`.
                new RetryableException(
                        NOT_INITIALISED,
                        what + " failed: the Cistern Function library is not loaded in this Redis (it lost its"
                                + " data, or was never initialised); a sync worker reloads it after a data loss,"
                                + " otherwise run `ops/cistern init` (" + reply + ")",
                        Duration.ofSeconds(2),
                        cause);
            case RETRYABLE, OUTCOME_UNKNOWN ->
                new RetryableException("REDIS_UNAVAILABLE", what + " failed: " + reply, Duration.ofSeconds(1), cause);
            case PERMANENT, INTERNAL -> permanentReply(what, prefix, reply, detail, cause);
        };
    }

    private static CisternException permanentReply(
            String what, String prefix, String reply, String detail, Throwable cause) {
        return switch (prefix) {
            case "CISTERN_DELETED" ->
                new InvalidRecordException(
                        InvalidRecordException.Reason.RECORD_DELETED, null, "key", what + " refused: " + detail, cause);
            case "CISTERN_UNKNOWN_TABLE" ->
                new InvalidRecordException(
                        InvalidRecordException.Reason.UNKNOWN_TABLE,
                        null,
                        "table",
                        what + " refused: " + detail,
                        cause);
            case "CISTERN_UNKNOWN_COLUMN" ->
                new InvalidRecordException(
                        InvalidRecordException.Reason.UNKNOWN_COLUMN, null, null, what + " refused: " + detail, cause);
            case "CISTERN_CHECK" ->
                new InvalidRecordException(
                        InvalidRecordException.Reason.CHECK_VIOLATION, null, null, what + " refused: " + detail, cause);
            case "CISTERN_TOO_LARGE" ->
                new InvalidRecordException(
                        InvalidRecordException.Reason.VALUE_TOO_LARGE, null, null, what + " refused: " + detail, cause);
            case "CISTERN_BADKEY" ->
                new InvalidRecordException(
                        InvalidRecordException.Reason.MALFORMED_KEY, null, "key", what + " refused: " + detail, cause);
            case "CISTERN_BADARGS" -> new PermanentException("BAD_ARGUMENTS", what + " refused: " + detail, cause);
            default -> new PermanentException("REDIS_ERROR", what + " failed: " + reply, cause);
        };
    }

    private static boolean hasIoCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }
}
