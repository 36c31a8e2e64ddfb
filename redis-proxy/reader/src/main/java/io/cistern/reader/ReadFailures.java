package io.cistern.reader;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.failure.SqlFailure;
import io.cistern.schema.failure.SqlFailureKind;
import io.cistern.schema.failure.SqlStates;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place where the reader's Redis and PostgreSQL failures become {@link CisternException}s: Redis failures as
 * {@link FailureTranslator#fromRedisRead} translates them (classified by the same {@code RedisReplies} as the
 * writer's), PostgreSQL ones as {@link SqlStates} classifies them. Messages say what was being read and what to do; never a secret.
 */
final class ReadFailures {
    /** What a caller should wait before retrying a read that failed for want of a server. */
    static final Duration RETRY_AFTER = FailureTranslator.READ_RETRY_AFTER;

    private ReadFailures() {}

    /** A Redis failure, as {@link FailureTranslator#fromRedisRead} translates every read's. */
    static CisternException redis(String what, Throwable failure) {
        return FailureTranslator.fromRedisRead(what, failure);
    }

    /** A PostgreSQL failure: retryable unless the SQLSTATE says the table does not match the registry. */
    static CisternException database(String what, Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof CisternException ce) {
            return ce;
        }
        SqlFailure f = SqlStates.classify(t);
        String state = f.sqlState();
        if (f.kind() == SqlFailureKind.ROW_MISMATCH || f.kind() == SqlFailureKind.SCHEMA_MISMATCH) {
            return new PermanentException(
                    "DATABASE_SCHEMA",
                    what + " failed: PostgreSQL refused the query (SQLSTATE " + state + ": " + rootMessage(t)
                            + "); the table no longer matches Cistern's registry: run `ops/cistern init` again",
                    t);
        }
        String why = t instanceof SQLTransientConnectionException
                ? "no database connection became free"
                : "PostgreSQL failed" + (state.isEmpty() ? "" : " (SQLSTATE " + state + ")");
        return unavailable(what + " failed: " + why + ": " + rootMessage(t), t);
    }

    /** A read of a closed reader. */
    static PermanentException closed() {
        return new PermanentException("READER_CLOSED", "the reader is closed", null);
    }

    static RetryableException unavailable(String message, Throwable cause) {
        return new RetryableException(
                "DATABASE_UNAVAILABLE",
                message + "; records in Redis and in the local cache are still served, retry this one later",
                RETRY_AFTER,
                cause);
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
