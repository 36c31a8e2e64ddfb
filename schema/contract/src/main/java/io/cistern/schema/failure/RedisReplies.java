package io.cistern.schema.failure;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one classifier of Redis failures, for every component that talks to Redis (the writer through {@link
 * FailureTranslator}, the reader through its own translator): like Lettuce's {@code ExceptionFactory}, it goes by
 * exception type and by the error reply's <em>prefix</em>, the first word of the reply, never by the prose after it.
 *
 * <table>
 *   <caption>Error prefixes</caption>
 *   <tr><th>prefix</th><th>kind</th></tr>
 *   <tr><td>{@code CISTERN_BACKPRESSURE}, {@code OOM}</td><td>{@link RedisFailureKind#BACK_PRESSURE}</td></tr>
 *   <tr><td>{@code CISTERN_NOFLOOR}, {@code CISTERN_UNCONFIRMED}, {@code CISTERN_STALE_REGISTRY}, {@code LOADING}, {@code BUSY}, {@code
 *       MASTERDOWN}, {@code READONLY}, {@code TRYAGAIN}, {@code MOVED}, {@code ASK}, {@code CLUSTERDOWN}</td>
 *       <td>{@link RedisFailureKind#SERVER_NOT_READY}</td></tr>
 *   <tr><td>{@code NOSCRIPT}, {@code ERR Function not found}</td><td>{@link RedisFailureKind#NOT_INITIALISED}</td></tr>
 *   <tr><td>{@code CISTERN_DELETED}, {@code CISTERN_UNKNOWN_TABLE}, {@code CISTERN_UNKNOWN_COLUMN}, {@code CISTERN_CHECK}, {@code
 *       CISTERN_TOO_LARGE}, {@code CISTERN_BADKEY}, {@code CISTERN_BADARGS}, {@code WRONGTYPE}, {@code NOPERM},
 *       {@code WRONGPASS}, any other {@code ERR}, anything else</td><td>{@link RedisFailureKind#PERMANENT}</td></tr>
 * </table>
 *
 * Failures that are not error replies: a {@link RedisCommandTimeoutException} is {@link
 * RedisFailureKind#OUTCOME_UNKNOWN} (Lettuce cannot tell whether the command left this process, so it may have been
 * applied); a {@link RedisConnectionException}, an {@link IOException} anywhere in the cause chain or any other
 * {@link RedisException} is {@link RedisFailureKind#RETRYABLE}; anything else is {@link RedisFailureKind#INTERNAL}.
 *
 * <p>Thread-safe: no state.
 */
public final class RedisReplies {
    /**
     * Redis 7's reply to {@code FCALL} of a function that is not loaded. Its prefix is the generic {@code ERR}, so this
     * one reply shape is recognised by its whole text, here and nowhere else.
     */
    static final String FUNCTION_NOT_FOUND = "ERR Function not found";

    private RedisReplies() {}

    /** Classifies a failure of a Redis call. */
    public static RedisFailure classify(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof RedisCommandTimeoutException) {
            return new RedisFailure(RedisFailureKind.OUTCOME_UNKNOWN, "", "", t);
        }
        if (t instanceof RedisConnectionException || hasIoCause(t)) {
            return new RedisFailure(RedisFailureKind.RETRYABLE, "", "", t);
        }
        if (t instanceof RedisCommandExecutionException e) {
            String reply = e.getMessage() == null ? "" : e.getMessage();
            return new RedisFailure(kindOfReply(reply), prefix(reply), reply, t);
        }
        if (t instanceof RedisException) {
            return new RedisFailure(RedisFailureKind.RETRYABLE, "", "", t);
        }
        return new RedisFailure(RedisFailureKind.INTERNAL, "", "", t);
    }

    /**
     * The failure of a caller that stopped waiting for Redis's answer after {@code waited}: classified like Lettuce's own
     * command timeout, {@link RedisFailureKind#OUTCOME_UNKNOWN}, because the command may have been sent and applied.
     */
    public static RuntimeException noReplyWithin(java.time.Duration waited) {
        return new RedisCommandTimeoutException("no reply within " + waited.toMillis() + " ms");
    }

    /** Classifies an error reply text such as {@code "CISTERN_BACKPRESSURE partition 3 ..."} by its prefix. */
    public static RedisFailureKind kindOfReply(String reply) {
        if (isFunctionNotFound(reply)) {
            return RedisFailureKind.NOT_INITIALISED;
        }
        return switch (prefix(reply)) {
            case "CISTERN_BACKPRESSURE", "OOM" -> RedisFailureKind.BACK_PRESSURE;
            case "CISTERN_NOFLOOR",
                    "CISTERN_UNCONFIRMED",
                    "CISTERN_STALE_REGISTRY",
                    "LOADING",
                    "BUSY",
                    "MASTERDOWN",
                    "READONLY",
                    "TRYAGAIN",
                    "MOVED",
                    "ASK",
                    "CLUSTERDOWN" -> RedisFailureKind.SERVER_NOT_READY;
            case "NOSCRIPT" -> RedisFailureKind.NOT_INITIALISED;
            default -> RedisFailureKind.PERMANENT;
        };
    }

    /** The prefix of an error reply: its first word, upper-case; empty for an empty reply. */
    public static String prefix(String reply) {
        int space = reply.indexOf(' ');
        return (space < 0 ? reply : reply.substring(0, space)).toUpperCase(Locale.ROOT);
    }

    /**
     * Whether {@code failure} is a Redis Cluster redirect: another node serves the key's slot ({@code MOVED}) or is
     * importing it ({@code ASK}), for a caller that sent a command on one node's own connection and may send it again
     * through the cluster connection, which follows redirects.
     */
    public static boolean isRedirect(Throwable failure) {
        String prefix = classify(failure).prefix();
        return prefix.equals("MOVED") || prefix.equals("ASK");
    }

    /**
     * Whether {@code failure} is Redis's {@code NOSCRIPT} reply to an {@code EVALSHA}: the server does not hold the
     * script (restarted, failed over, {@code SCRIPT FLUSH}), for a caller that then sends it whole with {@code EVAL},
     * which also caches it there.
     */
    public static boolean isScriptNotCached(Throwable failure) {
        return classify(failure).prefix().equals("NOSCRIPT");
    }

    /** Whether an error reply says the called Function is not loaded ({@code ERR Function not found}). */
    public static boolean isFunctionNotFound(String reply) {
        return reply != null && reply.regionMatches(true, 0, FUNCTION_NOT_FOUND, 0, FUNCTION_NOT_FOUND.length());
    }

    private static boolean hasIoCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExecutionException || c instanceof CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
