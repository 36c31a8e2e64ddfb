package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.ConnectionFailure.Problem;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestCertificates;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each failure the translator knows, produced for real against a private PostgreSQL with scram-sha-256, a restrictive
 * pg_hba.conf and TLS (certificate for {@code localhost} only, signed by a CA made by the test).
 */
class PostgresConnectionFailuresIT {
    private static final String APP_PASSWORD = "app-s3cret-pw";
    private static final String WRONG_PASSWORD = "not-the-pw-9431";

    private static Path dir;
    private static TestCertificates certificates;
    private static TestCertificates otherCa;
    private static PrivatePostgres pg;

    @BeforeAll
    static void startServer() throws IOException {
        dir = Files.createTempDirectory("cistern-pg-tls");
        certificates = TestCertificates.create(dir.resolve("good"), "DNS:localhost");
        otherCa = TestCertificates.create(dir.resolve("other"), "DNS:localhost");
        pg = PrivatePostgres.builder()
                .hbaLine("hostssl all tls_only 127.0.0.1/32 scram-sha-256")
                .hbaLine("host all app 127.0.0.1/32 scram-sha-256")
                .tls(certificates.serverCertificate(), certificates.serverKey())
                .maxConnections(6)
                .start();
        pg.execute(
                "CREATE ROLE app LOGIN PASSWORD '" + APP_PASSWORD + "'",
                "CREATE ROLE tls_only LOGIN PASSWORD '" + APP_PASSWORD + "'",
                "CREATE ROLE stranger LOGIN PASSWORD '" + APP_PASSWORD + "'",
                "CREATE TABLE orders (id int PRIMARY KEY)");
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (pg != null) {
            pg.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void rightPassword_connectsWithTheConfiguredSessionSettings() throws SQLException {
        DatabaseSettings settings = settings(Map.of("DB_APPLICATION_NAME", "cistern-test"));

        try (HikariDataSource pool = DataSources.create(settings, "it-pool");
                Connection c = pool.getConnection();
                Statement s = c.createStatement()) {
            assertThat(value(s, "SHOW statement_timeout")).isEqualTo("30s");
            assertThat(value(s, "SHOW idle_in_transaction_session_timeout")).isEqualTo("1min");
            assertThat(value(s, "SHOW application_name")).isEqualTo("cistern-test");
            assertThat(value(s, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                    .as("sslmode=prefer uses TLS when the server offers it")
                    .isEqualTo("true");
        }
    }

    @Test
    void wrongPassword_saysSoAndNamesTheVariable_withoutShowingThePassword() {
        ConnectionFailure failure = connectFails(settings(Map.of("DB_PASSWORD", WRONG_PASSWORD)));

        assertThat(failure.problem()).isEqualTo(Problem.WRONG_PASSWORD);
        assertThat(failure.getMessage())
                .contains("rejected the password", "28P01", "DB_PASSWORD")
                .doesNotContain(WRONG_PASSWORD, APP_PASSWORD);
    }

    @Test
    void wrongPasswordThroughThePool_isTranslatedTheSameWay() {
        DatabaseSettings settings = settings(Map.of("DB_PASSWORD", WRONG_PASSWORD, "DB_CONNECT_TIMEOUT_MS", "1000"));

        try (HikariDataSource pool = DataSources.create(settings, "it-wrong-password")) {
            SQLException e = catchThrowableOfType(SQLException.class, pool::getConnection);
            ConnectionFailure failure = ConnectionFailureTranslator.translate(e, settings);

            assertThat(failure.problem()).isEqualTo(Problem.WRONG_PASSWORD);
            assertThat(failure.getMessage()).doesNotContain(WRONG_PASSWORD);
        }
    }

    @Test
    void noPgHbaEntry_namesTheClientAddressAndThatTlsWasUsed() {
        ConnectionFailure failure = connectFails(settings(Map.of("DB_USER", "stranger", "DB_SSL_MODE", "require")));

        assertThat(failure.problem()).isEqualTo(Problem.NO_PG_HBA_ENTRY);
        assertThat(failure.getMessage())
                .contains(
                        "client address 127.0.0.1",
                        "user stranger",
                        "with TLS",
                        "hostssl postgres stranger" + " 127.0.0.1/32 scram-sha-256")
                .doesNotContain(APP_PASSWORD);
    }

    @Test
    void tlsOnlyServerWithTlsDisabled_saysTlsIsRequired() {
        ConnectionFailure failure = connectFails(settings(Map.of("DB_USER", "tls_only", "DB_SSL_MODE", "disable")));

        assertThat(failure.problem()).isEqualTo(Problem.TLS_REQUIRED);
        assertThat(failure.getMessage()).contains("without TLS", "DB_SSL_MODE=verify-full", "127.0.0.1");
    }

    @Test
    void unknownDatabase_saysWhichAndHowToCreateIt() {
        ConnectionFailure failure = connectFails(settings(Map.of("DB_NAME", "nosuchdb")));

        assertThat(failure.problem()).isEqualTo(Problem.UNKNOWN_DATABASE);
        assertThat(failure.getMessage()).contains("database nosuchdb", "3D000", "DB_NAME", "CREATE DATABASE nosuchdb");
    }

    @Test
    void unknownHost_givesTheTypoAndWhitespaceHint() {
        ConnectionFailure failure = connectFails(settings(Map.of("DB_HOST", "no-such-host.invalid")));

        assertThat(failure.problem()).isEqualTo(Problem.UNKNOWN_HOST);
        assertThat(failure.retryable()).isTrue();
        assertThat(failure.getMessage()).contains("'no-such-host.invalid' does not resolve", "stray spaces");
    }

    @Test
    void nothingListening_saysConnectionRefused() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }

        ConnectionFailure failure = connectFails(settings(Map.of("DB_PORT", Integer.toString(closedPort))));

        assertThat(failure.problem()).isEqualTo(Problem.CONNECTION_REFUSED);
        assertThat(failure.getMessage()).contains("refused the connection", "127.0.0.1:" + closedPort);
    }

    @Test
    void serverThatNeverAnswers_timesOutWithinTheConnectTimeout() throws IOException {
        try (ServerSocket silent = new ServerSocket(0)) {
            DatabaseSettings settings = settings(
                    Map.of("DB_PORT", Integer.toString(silent.getLocalPort()), "DB_CONNECT_TIMEOUT_MS", "1000"));

            ConnectionFailure failure = connectFails(settings);

            assertThat(failure.problem()).isEqualTo(Problem.TIMEOUT);
            assertThat(failure.getMessage()).contains("did not answer within 1000 ms", "DB_CONNECT_TIMEOUT_MS");
        }
    }

    @Test
    void verifyFull_withTheRightCaAndHostName_connects() throws SQLException {
        DatabaseSettings settings = settings(Map.of(
                "DB_HOST", "localhost",
                "DB_SSL_MODE", "verify-full",
                "DB_SSL_ROOT_CERT", certificates.caCertificate().toString()));

        try (Connection c = connect(settings)) {
            assertThat(c.isValid(2)).isTrue();
        }
    }

    @Test
    void verifyCa_acceptsAnAddressTheCertificateDoesNotName() throws SQLException {
        DatabaseSettings settings = settings(Map.of(
                "DB_SSL_MODE",
                "verify-ca",
                "DB_SSL_ROOT_CERT",
                certificates.caCertificate().toString()));

        try (Connection c = connect(settings)) {
            assertThat(c.isValid(2)).isTrue();
        }
    }

    @Test
    void verifyFull_withAnotherCa_saysTheCertificateIsNotTrusted() {
        ConnectionFailure failure = connectFails(settings(Map.of(
                "DB_HOST", "localhost",
                "DB_SSL_MODE", "verify-full",
                "DB_SSL_ROOT_CERT", otherCa.caCertificate().toString())));

        assertThat(failure.problem()).isEqualTo(Problem.CERTIFICATE_NOT_TRUSTED);
        assertThat(failure.getMessage()).contains("not signed by a trusted CA", "DB_SSL_ROOT_CERT");
    }

    @Test
    void verifyFull_withAHostNameTheCertificateDoesNotList_saysHostNameMismatch() {
        ConnectionFailure failure = connectFails(settings(Map.of(
                "DB_HOST", "127.0.0.1",
                "DB_SSL_MODE", "verify-full",
                "DB_SSL_ROOT_CERT", certificates.caCertificate().toString())));

        assertThat(failure.problem()).isEqualTo(Problem.HOST_NAME_MISMATCH);
        assertThat(failure.getMessage()).contains("does not name the host 127.0.0.1", "verify-ca");
    }

    @Test
    void allSlotsTaken_saysTooManyConnectionsAndNamesThePoolSize() throws SQLException {
        DatabaseSettings settings = settings(Map.of());
        List<Connection> held = new ArrayList<>();
        try {
            // max_connections 6 minus 3 reserved for superusers leaves 3.
            for (int i = 0; i < 3; i++) {
                held.add(connect(settings));
            }

            ConnectionFailure failure = connectFails(settings);

            assertThat(failure.problem()).isEqualTo(Problem.TOO_MANY_CONNECTIONS);
            assertThat(failure.retryable()).isTrue();
            assertThat(failure.getMessage()).contains("53300", "DB_POOL_SIZE (now 4)", "max_connections");
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    @Test
    void tableWithoutGrant_saysPermissionDeniedAndWhatToGrant() throws SQLException {
        DatabaseSettings settings = settings(Map.of());
        try (Connection c = connect(settings);
                Statement s = c.createStatement()) {
            SQLException e = catchThrowableOfType(SQLException.class, () -> s.executeQuery("SELECT * FROM orders"));

            ConnectionFailure failure = ConnectionFailureTranslator.translate(e, settings);

            assertThat(failure.problem()).isEqualTo(Problem.PERMISSION_DENIED);
            assertThat(failure.getMessage()).contains("permission denied for table orders", "GRANT", "TO app");
        }
    }

    private static DatabaseSettings settings(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DB_HOST", "127.0.0.1",
                "DB_PORT", Integer.toString(pg.port()),
                "DB_NAME", "postgres",
                "DB_USER", "app",
                "DB_PASSWORD", APP_PASSWORD));
        env.putAll(overrides);
        return DatabaseSettings.fromEnvironment(env);
    }

    private static Connection connect(DatabaseSettings settings) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", settings.user());
        settings.password().ifPresent(pw -> p.setProperty("password", pw.reveal()));
        return DriverManager.getConnection(settings.jdbcUrl(), p);
    }

    private static ConnectionFailure connectFails(DatabaseSettings settings) {
        SQLException e =
                catchThrowableOfType(SQLException.class, () -> connect(settings).close());
        assertThat((Throwable) e).as("connecting should fail").isNotNull();
        return ConnectionFailureTranslator.translate(e, settings);
    }

    private static String value(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
