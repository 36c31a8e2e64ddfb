package io.cistern.sync;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * How long one partition's batch may wait for any answer from PostgreSQL before its connection is abandoned as dead.
 * Pure; confined to the partition loop's thread.
 *
 * <p>Why a bound of its own: a path that stops passing bytes (a NAT entry dropped, a tunnel or relay wedged) sends no
 * error and no reset. The driver then waits for its socket timeout ({@code DB_SOCKET_TIMEOUT_MS}, a minute by
 * default, and necessarily longer than the statement timeout), and {@code Statement.setQueryTimeout} does not help:
 * pgjdbc enforces it by sending a cancel request on a new connection, and even when that reaches the server, the answer
 * to the stalled statement travels back on the dead path. So the loop gives the batch's connection a shorter network
 * timeout ({@code Connection.setNetworkTimeout}, which pgjdbc applies as the socket's read timeout; a read that times
 * out makes pgjdbc close the socket, and HikariCP evicts the connection on the SQLSTATE 08006 that follows).
 *
 * <p>How long: a server that is alive answers a statement within the time it needs, and never later than the
 * statement timeout, at which it cancels the statement itself. What a batch needs is known from this partition's last
 * batches. So the bound is {@code max(stallTimeout, 4 × expected)}, where {@code expected} is the longest recent
 * batch that committed at its first attempt (decaying by a quarter at each, so one slow batch is not remembered for
 * ever), doubled
 * after each attempt that stalled, up to the connection's own socket timeout: a batch that is merely slow (a table
 * grown, a database under load) gets more time at each try, and after a few tries as much as the driver would have
 * given it, so the bound never turns a slow batch into one that can never commit.
 */
final class ResponseBound {
    /** How many times a partition's recent batch time a statement may take before it counts as stalled. */
    static final int EXPECTED_MULTIPLE = 4;
    /** Doubling stops here (2^10 times the base is far beyond any socket timeout). */
    private static final int MAX_DOUBLINGS = 10;

    private final Duration stallTimeout;
    private Duration expected = Duration.ZERO;
    private int stalls;

    /** @param stallTimeout the least bound; zero turns the bound off ({@link #current()} is then zero) */
    ResponseBound(Duration stallTimeout) {
        if (stallTimeout.isNegative()) {
            throw new IllegalArgumentException("stallTimeout must not be negative, was " + stallTimeout);
        }
        this.stallTimeout = stallTimeout;
    }

    /** The bound for the next attempt; zero for none (wait for the driver's socket timeout). */
    Duration current() {
        if (stallTimeout.isZero()) {
            return Duration.ZERO;
        }
        Duration base = expected.multipliedBy(EXPECTED_MULTIPLE);
        if (base.compareTo(stallTimeout) < 0) {
            base = stallTimeout;
        }
        return base.multipliedBy(1L << Math.min(stalls, MAX_DOUBLINGS));
    }

    /**
     * An attempt committed after {@code took}: stalls are forgotten, and the expected time follows a batch's first
     * attempt. A retry's time is not learned from: it includes waiting for the database or for a new connection after
     * an outage, which says nothing of how long a batch needs, and would leave the bound long just when the path may
     * fail again.
     */
    void succeeded(Duration took, boolean firstAttempt) {
        if (firstAttempt) {
            Duration decayed = expected.minus(expected.dividedBy(4));
            expected = took.compareTo(decayed) > 0 ? took : decayed;
        }
        stalls = 0;
    }

    /** An attempt got no answer within {@link #current()}: the next one waits twice as long. */
    void stalled() {
        stalls = Math.min(stalls + 1, MAX_DOUBLINGS);
    }

    /**
     * Gives {@code connection} a network timeout of {@code bound}, capped at its own (the driver's socket timeout,
     * {@code DB_SOCKET_TIMEOUT_MS}; zero there means none); zero {@code bound} leaves it alone. HikariCP restores the
     * pool's value when the connection is returned.
     */
    static void limit(Connection connection, Duration bound) throws SQLException {
        if (bound.isZero()) {
            return;
        }
        int socketTimeout = connection.getNetworkTimeout();
        long millis = Math.min(bound.toMillis(), Integer.MAX_VALUE);
        if (socketTimeout > 0 && socketTimeout <= millis) {
            return;
        }
        // pgjdbc applies it to the socket at once and needs no executor; JDBC asks for one all the same.
        connection.setNetworkTimeout(Runnable::run, (int) millis);
    }

    /** Stalls in a row since the last success. */
    int stalls() {
        return stalls;
    }
}
