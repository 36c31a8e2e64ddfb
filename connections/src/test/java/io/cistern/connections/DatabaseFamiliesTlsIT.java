package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each family of variables (issue 20) reaches a PostgreSQL that accepts only TLS with a password ({@code hostssl ...
 * scram-sha-256}, no {@code host} line), checking the server's certificate and name ({@code verify-full}) with the
 * root certificate the family names: {@code DATABASE_URL} (libpq's and SQLAlchemy's forms), {@code DB_*}, {@code
 * DATABASE_*}, {@code AWS_DB_*} with {@code AWS_REQUIRE_SSL} and {@code AWS_SSLROOTCERT}, and libpq's {@code PG*}. The
 * server itself says the session is encrypted ({@code pg_stat_ssl}) and whose it is. One server for the class.
 */
class DatabaseFamiliesTlsIT {
    private static final String DATABASE = "families";

    private static Path dir;
    private static TestCertificates certificates;
    private static PrivatePostgres pg;

    @BeforeAll
    static void startServer() throws IOException {
        dir = Files.createTempDirectory("cistern-families-tls");
        certificates = TestCertificates.create(dir, "DNS:localhost");
        PrivatePostgres.Builder builder =
                PrivatePostgres.builder().tls(certificates.serverCertificate(), certificates.serverKey());
        for (String family : families()) {
            builder.hbaLine("hostssl " + DATABASE + " " + user(family) + " 127.0.0.1/32 scram-sha-256");
        }
        pg = builder.start();
        for (String family : families()) {
            pg.execute("CREATE ROLE " + user(family) + " LOGIN PASSWORD '" + password(family) + "'");
        }
        pg.execute("CREATE DATABASE " + DATABASE);
    }

    @AfterAll
    static void stopServer() throws IOException {
        if (pg != null) {
            pg.close();
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static String[] families() {
        return new String[] {"url", "asyncpg_url", "db", "db_file", "database", "aws_db", "pg"};
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"url", "asyncpg_url", "db", "db_file", "database", "aws_db", "pg"})
    void family_connectsOverVerifiedTls_withItsPassword_asItsUser(String family) throws Exception {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(env(family));

        assertThat(settings.sslMode())
                .as("the certificate and the host name are checked")
                .isEqualTo(SslMode.VERIFY_FULL);
        assertThat(settings.sslRootCert()).contains(certificates.caCertificate());
        assertThat(session(settings)).isEqualTo("true|" + user(family) + "|" + DATABASE);
    }

    /** The variables a team of that family would have, for this server. */
    private static Map<String, String> env(String family) throws IOException {
        String port = Integer.toString(pg.port());
        String ca = certificates.caCertificate().toString();
        String user = user(family);
        String password = password(family);
        return switch (family) {
            case "url" ->
                Map.of(
                        "DATABASE_URL",
                        "postgresql://" + user + ":" + password + "@localhost:" + port + "/" + DATABASE
                                + "?sslmode=verify-full&sslrootcert=" + ca);
            // A gateway's: SQLAlchemy's asyncpg URL says ?ssl=, and the CA bundle comes from the CRM's variable.
            case "asyncpg_url" ->
                Map.of(
                        "DATABASE_URL",
                        "postgresql+asyncpg://" + user + ":" + password + "@localhost:" + port + "/" + DATABASE
                                + "?ssl=verify-full",
                        "DB_SSL_CERT_PATH",
                        ca);
            // A CRM's: the bundle alone means verify-full.
            case "db" ->
                Map.of(
                        "DB_HOST", "localhost",
                        "DB_PORT", port,
                        "DB_NAME", DATABASE,
                        "DB_USER", user,
                        "DB_PASSWORD", password,
                        "DB_SSL_CERT_PATH", ca);
            case "db_file" ->
                Map.of(
                        "DB_HOST", "localhost",
                        "DB_PORT", port,
                        "DB_NAME", DATABASE,
                        "DB_USER", user,
                        "DB_PASSWORD_FILE",
                                Files.writeString(dir.resolve(family + ".pw"), password + "\n")
                                        .toString(),
                        "DB_SSL_MODE", "verify-full",
                        "DB_SSL_ROOT_CERT", ca);
            case "database" ->
                Map.of(
                        "DATABASE_HOST", "localhost",
                        "DATABASE_PORT", port,
                        "DATABASE_NAME", DATABASE,
                        "DATABASE_USER", user,
                        "DATABASE_PASSWORD", password,
                        "DB_SSL_CERT_PATH", ca);
            case "aws_db" ->
                Map.of(
                        "AWS_DB_HOST", "localhost",
                        "AWS_DB_PORT", port,
                        "AWS_DB_NAME", DATABASE,
                        "AWS_DB_USER", user,
                        "AWS_DB_PASSWORD", password,
                        "AWS_REQUIRE_SSL", "true",
                        "AWS_SSLROOTCERT", ca);
            case "pg" ->
                Map.of(
                        "PGHOST", "localhost",
                        "PGPORT", port,
                        "PGDATABASE", DATABASE,
                        "PGUSER", user,
                        "PGPASSWORD", password,
                        "PGSSLMODE", "verify-full",
                        "PGSSLROOTCERT", ca);
            default -> throw new IllegalArgumentException(family);
        };
    }

    private static String user(String family) {
        return "app_" + family;
    }

    private static String password(String family) {
        return family + "-Pw-" + family.length() + "x9";
    }

    /** Whether the server encrypts this session, whose it is, and which database: from the server. */
    private static String session(DatabaseSettings settings) throws SQLException {
        try (HikariDataSource pool = DataSources.create(settings, "families-tls-it");
                Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT ssl, current_user, current_database()"
                        + " FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            assertThat(rs.next()).isTrue();
            return rs.getBoolean(1) + "|" + rs.getString(2) + "|" + rs.getString(3);
        }
    }
}
