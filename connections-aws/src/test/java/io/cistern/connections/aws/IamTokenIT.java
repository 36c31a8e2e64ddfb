package io.cistern.connections.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseCredentials;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestCertificates;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RDS IAM authentication against a private PostgreSQL that accepts {@code app} only over TLS, with a password (SCRAM):
 * the test plays RDS by setting each token the pool will use as the role's password ({@code ALTER ROLE}), and shows
 * that a new connection logs in with the current token, not an earlier one. Tokens are real presigned RDS tokens, made
 * locally by the SDK; their lifetime is shortened to three seconds ({@code DB_IAM_TOKEN_LIFETIME_MS}).
 */
class IamTokenIT {
    private static final Duration LIFETIME = Duration.ofSeconds(3);

    @Test
    void newConnections_logInWithTheCurrentToken_overTls(@TempDir Path dir) throws Exception {
        TestCertificates tls = TestCertificates.create(dir.resolve("tls"), "IP:127.0.0.1");
        try (CapturedLogs logs = new CapturedLogs();
                PrivatePostgres pg = PrivatePostgres.builder()
                        .tls(tls.serverCertificate(), tls.serverKey())
                        .hbaLine("hostssl all app 127.0.0.1/32 scram-sha-256")
                        .hbaLine("host all postgres 127.0.0.1/32 trust")
                        .start()) {
            pg.execute("SET password_encryption = 'scram-sha-256'", "CREATE ROLE app LOGIN PASSWORD 'not-a-token'");
            Map<String, String> env = new HashMap<>(Map.of(
                    "DB_IAM_AUTH", "true",
                    "DB_HOST", "127.0.0.1",
                    "DB_PORT", Integer.toString(pg.port()),
                    "DB_USER", "app",
                    "DB_SSL_MODE", "verify-full",
                    "DB_SSL_ROOT_CERT", tls.caCertificate().toString(),
                    "DB_IAM_TOKEN_LIFETIME_MS", Long.toString(LIFETIME.toMillis()),
                    "AWS_REGION", "eu-west-1",
                    "AWS_ACCESS_KEY_ID", "AKIDSTANDIN",
                    "AWS_SECRET_ACCESS_KEY", "stand-in-secret-key"));
            env.put("AWS_EC2_METADATA_DISABLED", "true");
            DatabaseSettings settings =
                    DatabaseSettings.fromEnvironment(env).mutate().poolSize(1).build();
            DatabaseCredentials credentials = settings.credentials().orElseThrow();

            String first = credentials.login(settings).password().reveal();
            pg.execute("ALTER ROLE app PASSWORD '" + first + "'");
            try (HikariDataSource pool = DataSources.create(settings, "iam-test")) {
                String[] firstSession = session(pool);
                assertThat(firstSession[0]).isEqualTo("app");
                assertThat(firstSession[1]).as("TLS").isEqualTo("t");

                await().atMost(LIFETIME.multipliedBy(3))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() ->
                                !credentials.login(settings).password().reveal().equals(first));
                String second = credentials.login(settings).password().reveal();
                pg.execute("ALTER ROLE app PASSWORD '" + second + "'");
                pool.getHikariPoolMXBean().softEvictConnections();

                String[] secondSession = session(pool);
                assertThat(secondSession[0]).isEqualTo("app");
                assertThat(secondSession[1]).isEqualTo("t");
                assertThat(secondSession[2]).as("a new connection").isNotEqualTo(firstSession[2]);
                assertThatThrownBy(() -> connectWith(settings, first))
                        .as("the first token is no longer the role's password: the new connection used the second")
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("password authentication failed");
                System.out.printf(
                        "IamTokenIT: tokens of %d and %d characters, renewed after %d ms; sessions %s then %s%n",
                        first.length(), second.length(), LIFETIME.toMillis(), firstSession[2], secondSession[2]);
            }

            // SQL_ECHO's pools open their connections through the same login.
            String current = credentials.login(settings).password().reveal();
            pg.execute("ALTER ROLE app PASSWORD '" + current + "'");
            try (HikariDataSource echoed =
                    DataSources.create(settings.mutate().sqlEcho(true).build(), "iam-echo")) {
                assertThat(session(echoed)[0]).isEqualTo("app");
            }
            assertThat(logs.lines()).anyMatch(line -> line.startsWith("[iam-echo] SELECT current_user"));
            assertThat(logs.lines()).noneMatch(line -> line.contains("X-Amz-Signature"));
        }
    }

    /** User, whether TLS is on, and backend PID of a session from the pool. */
    private static String[] session(HikariDataSource pool) throws SQLException {
        try (Connection c = pool.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_user, ssl, pid FROM pg_stat_ssl"
                        + " JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()")) {
            rs.next();
            return new String[] {rs.getString(1), rs.getString(2), rs.getString(3)};
        }
    }

    private static void connectWith(DatabaseSettings settings, String token) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "app");
        properties.setProperty("password", token);
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), properties)) {
            c.isValid(1);
        }
    }
}
