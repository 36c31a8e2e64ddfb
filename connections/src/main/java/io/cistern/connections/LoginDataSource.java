package io.cistern.connections;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens pgjdbc connections for a pool with the login that is current at each connection ({@link
 * DatabaseSettings#driverProperties()}), so that a rotated secret or a renewed IAM token is used from the next new
 * connection on. Used by {@link DataSources} when the settings have {@link DatabaseCredentials}; without them the pool
 * opens its connections itself, with the fixed user and password, as always.
 *
 * <p>When the server refuses the login (28P01, 28000) the credentials are renewed ({@link DatabaseCredentials#renew}:
 * an AWS secret is fetched again) and the login is tried again: at once when the renewed login differs, else after a
 * capped, jittered {@link Backoff}, for at most the connect timeout. The wait covers the window of a rotation in which
 * the database already has the new password and the secret still returns the old one; past it the refusal goes to the
 * pool, whose connection adder keeps trying (with its own backoff) while anything waits for a connection. Thread-safe.
 */
final class LoginDataSource extends OpeningDataSource {
    private static final Logger LOG = LoggerFactory.getLogger(LoginDataSource.class);

    private final DatabaseSettings settings;
    private final DatabaseCredentials credentials;
    private final String pool;
    private final Backoff backoff;

    LoginDataSource(DatabaseSettings settings, String pool) {
        this.settings = settings;
        this.credentials = settings.credentials().orElseThrow();
        this.pool = pool;
        this.backoff = new Backoff(
                Backoff.DEFAULT.initialDelay(),
                Backoff.DEFAULT.maxDelay(),
                settings.connectTimeout().compareTo(Backoff.DEFAULT.initialDelay()) > 0
                        ? settings.connectTimeout()
                        : Backoff.DEFAULT.initialDelay());
    }

    @Override
    public Connection getConnection() throws SQLException {
        long start = System.nanoTime();
        for (int retry = 1; ; retry++) {
            Properties properties;
            try {
                properties = settings.driverProperties();
            } catch (IllegalStateException e) {
                // The source could not be reached: a connection failure the pool retries, not a programming error.
                throw new SQLTransientConnectionException(
                        "[" + pool + "] no login for a new connection: " + e.getMessage(), "08001", e);
            }
            DatabaseCredentials.Login login = new DatabaseCredentials.Login(
                    properties.getProperty("user"), Secret.of(properties.getProperty("password")));
            try {
                return DriverManager.getConnection(settings.jdbcUrl(), properties);
            } catch (SQLException e) {
                String refusal = ConnectionFailureTranslator.loginRefusal(e);
                if (refusal == null) {
                    throw e;
                }
                Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                if (elapsed.compareTo(backoff.maxWait()) >= 0) {
                    // The pool's adder calls again, and renews then: no fetch whose answer nobody would use.
                    throw e;
                }
                boolean changed = renew(login);
                Duration delay = changed
                        ? Duration.ZERO
                        : backoff.nextDelay(retry, ThreadLocalRandom.current().nextDouble(), elapsed);
                if (delay == null) {
                    throw e;
                }
                LOG.warn(
                        "[{}] login as {} refused ({}); {}: retry {} in {} ms",
                        pool,
                        login.user(),
                        refusal,
                        changed
                                ? credentials.describe() + " has a new login"
                                : credentials.describe() + " has no newer login yet",
                        retry,
                        delay.toMillis());
                if (!delay.isZero()) {
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
    }

    private boolean renew(DatabaseCredentials.Login refused) {
        try {
            return credentials.renew(refused);
        } catch (RuntimeException e) {
            // Keep the login there was; the next refusal tries again.
            LOG.warn("[{}] could not renew the login from {}: {}", pool, credentials.describe(), e.getMessage());
            return false;
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException(
                "[" + pool + "] the login comes from " + credentials.describe() + ": call getConnection()");
    }

    @Override
    String name() {
        return "LoginDataSource";
    }
}
