package io.cistern.connections;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What stands between Cistern and PostgreSQL ({@code DB_POOLER}): nothing, or a pooler that hands each transaction to
 * whichever server connection is free (PgBouncer's {@code pool_mode = transaction}, RDS Proxy).
 *
 * <p>Behind such a pooler a session is not Cistern's: two transactions of one JDBC connection may run on two server
 * connections, and a server connection serves other clients between them. So with {@link #PGBOUNCER} nothing Cistern
 * relies on may live in the session. The statement and idle-in-transaction timeouts are not sent as startup {@code
 * options} (PgBouncer refuses them, or with {@code ignore_startup_parameters} drops them without a word) but with
 * {@code SET LOCAL} in every transaction, in the same round trip as its first statement where the driver allows ({@link
 * DataSources}); pgjdbc never names a server-side prepared statement ({@code prepareThreshold=0}: PgBouncer before
 * 1.21 cannot follow one from one server connection to the next); and the sync worker does not end an abandoned
 * session by its backend process ID, which behind a pooler names PgBouncer's client, not a server session.
 */
public enum Pooler {
    /** Cistern's connections are PostgreSQL sessions of their own (directly, or through a session-mode pooler). */
    NONE("none"),
    /** A transaction-mode pooler: PgBouncer with {@code pool_mode = transaction}, or RDS Proxy. */
    PGBOUNCER("pgbouncer");

    private final String value;

    Pooler(String value) {
        this.value = value;
    }

    /** The value as {@code DB_POOLER} spells it. */
    public String value() {
        return value;
    }

    /** Whether two transactions of one connection may run in different server sessions. */
    public boolean poolsTransactions() {
        return this != NONE;
    }

    /** Parses {@code text} (any case; {@code rds-proxy} and {@code transaction} mean {@link #PGBOUNCER}). */
    static Pooler parse(String variable, String text) {
        String wanted = text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        if (wanted.equals("rds-proxy") || wanted.equals("transaction")) {
            return PGBOUNCER;
        }
        for (Pooler pooler : values()) {
            if (pooler.value.equals(wanted)) {
                return pooler;
            }
        }
        throw new IllegalArgumentException(variable + " must be one of "
                + Arrays.stream(values()).map(Pooler::value).collect(Collectors.joining(", "))
                + " (rds-proxy and transaction mean pgbouncer), was '" + text + "'");
    }

    @Override
    public String toString() {
        return value;
    }
}
