package io.cistern.sync;

import io.cistern.schema.failure.RedisFailure;
import io.cistern.schema.failure.RedisReplies;
import io.cistern.schema.failure.SqlFailure;
import io.cistern.schema.failure.SqlFailureKind;
import io.cistern.schema.failure.SqlStates;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes why a partition's batches fail where operators can read it: fields {@link MetaFields#LAST_ERROR} and
 * {@link MetaFields#LAST_ERROR_AT} of the partition meta hash. The error lives in the worker process, but what watches
 * the pipeline (readiness, the dashboard, {@code ops/cistern lag}) reads Redis only; without this, a stalled partition
 * could be named but not explained.
 *
 * <p>Cheap on purpose: one {@code HSET} per failed attempt (the retry loop backs off between attempts), one {@code
 * HDEL} at the first commit after a failure, and nothing at all while batches commit. Best effort: when Redis cannot
 * take it, the loop's own retry goes on and the next failure tries again.
 *
 * <p>The text is the failure taxonomy's reading ({@link SqlStates}, {@link RedisReplies}): the kind, the SQLSTATE or
 * reply prefix, and the first line of the message, at most {@value #MAX_CHARS} characters, with any URL's credentials
 * and any {@code password=} value masked. Not thread-safe: used by one partition loop on its own connection.
 */
final class ApplyErrorReport {
    /** The longest text published. */
    static final int MAX_CHARS = 300;

    private static final Logger LOG = LoggerFactory.getLogger(ApplyErrorReport.class);
    private static final Pattern URL_CREDENTIALS = Pattern.compile("(://)[^/@\\s]*@");
    private static final Pattern PASSWORD_VALUE = Pattern.compile("(?i)(password\\s*[=:]\\s*)[^&;,\\s]*");

    private final RedisClusterCommands<String, String> redis;
    private final String meta;
    /** Whether a published error may still stand in Redis. */
    private boolean published;

    ApplyErrorReport(RedisClusterCommands<String, String> redis, String meta) {
        this.redis = redis;
        this.meta = meta;
    }

    /** Records that a batch attempt failed with {@code failure} at {@code at}. */
    void failed(RuntimeException failure, Instant at) {
        // Set before the write: a write whose reply was lost may have landed, and the next commit must remove it.
        published = true;
        try {
            redis.hset(
                    meta,
                    Map.of(
                            MetaFields.LAST_ERROR,
                            describe(failure),
                            MetaFields.LAST_ERROR_AT,
                            Long.toString(at.toEpochMilli())));
        } catch (RedisException e) {
            LOG.debug("cannot publish the last error to {}: {}", meta, e.getMessage());
        }
    }

    /** Records that a batch committed: a published error no longer stands. */
    void succeeded() {
        if (!published) {
            return;
        }
        try {
            redis.hdel(meta, MetaFields.LAST_ERROR, MetaFields.LAST_ERROR_AT);
            published = false;
        } catch (RedisException e) {
            LOG.debug("cannot remove the last error from {}: {}", meta, e.getMessage());
        }
    }

    /**
     * One line for operators: {@code CONNECTION (SQLSTATE 08006): An I/O error occurred while sending to the backend.}
     * A Redis failure reads {@code Redis RETRYABLE: ...}.
     */
    static String describe(Throwable failure) {
        String text;
        if (failure instanceof RedisException) {
            RedisFailure f = RedisReplies.classify(failure);
            text = "Redis " + f.kind() + ": "
                    + (f.isErrorReply() ? f.reply() : String.valueOf(f.failure().getMessage()));
        } else {
            SqlFailure f = SqlStates.classify(failure);
            // A batch the worker itself put off (waiting to reload its registry) carries no database failure: its own
            // message says why, and no kind is claimed for it.
            boolean fromDatabase =
                    f.kind() != SqlFailureKind.UNEXPECTED || !f.sqlState().isEmpty();
            String message =
                    failure instanceof BatchFailedException b ? b.classified().message() : f.message();
            text = (fromDatabase
                            ? f.kind() + (f.sqlState().isEmpty() ? "" : " (SQLSTATE " + f.sqlState() + ")") + ": "
                            : "")
                    + message;
        }
        return cut(mask(text));
    }

    static String mask(String text) {
        String masked = URL_CREDENTIALS.matcher(text).replaceAll("$1****@");
        return PASSWORD_VALUE.matcher(masked).replaceAll("$1****");
    }

    private static String cut(String text) {
        int end = text.indexOf('\n');
        String line = (end < 0 ? text : text.substring(0, end)).strip();
        return line.length() <= MAX_CHARS ? line : line.substring(0, MAX_CHARS - 1) + "…";
    }
}
