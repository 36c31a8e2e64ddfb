package io.cistern.connections;

import java.util.Objects;

/**
 * A failure to connect to (or to be allowed to use) PostgreSQL or Redis, with a message that says what happened and
 * what to check. Made only by {@link ConnectionFailureTranslator}; the original exception is the cause. The message
 * never contains a password.
 */
public final class ConnectionFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong; each says whether trying again can help. */
    public enum Problem {
        /** The server rejected the password (PostgreSQL 28P01, Redis WRONGPASS). */
        WRONG_PASSWORD(false),
        /** The server wants a password and none is configured (pgjdbc, Redis NOAUTH). */
        PASSWORD_MISSING(false),
        /** The user does not exist (PostgreSQL 28000 with trust or peer authentication). */
        UNKNOWN_USER(false),
        /** pg_hba.conf has no line for this client address, user, database and encryption (28000). */
        NO_PG_HBA_ENTRY(false),
        /** The server accepts only TLS connections and TLS is turned off (28000 without encryption). */
        TLS_REQUIRED(false),
        /** TLS is demanded by the client and the server does not offer it. */
        TLS_NOT_SUPPORTED(false),
        /** The server's certificate is not signed by the configured root certificate. */
        CERTIFICATE_NOT_TRUSTED(false),
        /** The server's certificate does not name the host connected to. */
        HOST_NAME_MISMATCH(false),
        /** Another TLS failure. */
        TLS_FAILED(false),
        /** The database does not exist (3D000). */
        UNKNOWN_DATABASE(false),
        /** The host name does not resolve. Retried: DNS entries of containers appear when they start. */
        UNKNOWN_HOST(true),
        /** Nothing listens on the host and port (yet). */
        CONNECTION_REFUSED(true),
        CONNECTION_RESET(true),
        /** No answer in time. */
        TIMEOUT(true),
        /** The server is starting up or shutting down (57P03). */
        SERVER_STARTING(true),
        /** All connection slots are taken (53300). */
        TOO_MANY_CONNECTIONS(true),
        /**
         * A pooler refused a startup parameter (PgBouncer's "unsupported startup parameter: options": {@code DB_POOLER}
         * is not set).
         */
        POOLER_REFUSED_STARTUP(false),
        /** The user may not do this (PostgreSQL 42501, Redis NOPERM). */
        PERMISSION_DENIED(false),
        /** Anything else: the cause says what. */
        OTHER(true);

        private final boolean retryable;

        Problem(boolean retryable) {
            this.retryable = retryable;
        }

        /** Whether waiting and trying again can help (a wrong password stays wrong). */
        public boolean retryable() {
            return retryable;
        }
    }

    private final Problem problem;

    ConnectionFailure(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    public Problem problem() {
        return problem;
    }

    /** Whether waiting and trying again can help. */
    public boolean retryable() {
        return problem.retryable();
    }
}
