package io.cistern.connections.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A running sync worker survives two rotations of its database password, made the way Secrets Manager's rotation makes
 * them, with writes flowing throughout and every accepted write ending up in PostgreSQL. The worker's pool gets its
 * login from the secret (through a local stand-in for Secrets Manager); the database is a private PostgreSQL that
 * checks passwords with SCRAM. After each change the test ends the worker's sessions (pg_terminate_backend), so that
 * new connections must log in.
 *
 * <ol>
 *   <li>The database first: {@code ALTER ROLE ... PASSWORD} while the secret still has the old password. New logins are
 *       refused; the pool fetches the secret again, gets the old password again and retries with backoff, until the
 *       worker's own wait for a connection times out and it keeps its batch to try again. Then the secret is updated,
 *       and the next fetch brings the password that works.
 *   <li>The secret first: the secret gets a new password while the database still has the current one. New logins go
 *       on working with the cached password; then the database changes, a login is refused, the secret is fetched again
 *       and the new password works at once.
 * </ol>
 */
class SecretRotationIT {
    private static final String DOCS = "source_documents";
    private static final String SECRET = "prod/cistern/rotation";
    private static final int PARTITIONS = 2;
    private static final Duration WRITE_EVERY = Duration.ofMillis(20);

    private static final String[] PASSWORDS = {
        "first-Pa55-" + UUID.randomUUID(), "second-Pa55-" + UUID.randomUUID(), "third-Pa55-" + UUID.randomUUID()
    };

    private final Map<UUID, String> accepted = new ConcurrentHashMap<>();
    private volatile boolean writing = true;

    @Test
    void databaseFirstThenSecret_andSecretFirstThenDatabase_workerLosesNoWrite() throws Exception {
        try (CapturedLogs logs = new CapturedLogs();
                PrivatePostgres pg = PrivatePostgres.builder()
                        .hbaLine("host all app 127.0.0.1/32 scram-sha-256")
                        .hbaLine("host all postgres 127.0.0.1/32 trust")
                        .start();
                SecretsManagerStandIn standIn = SecretsManagerStandIn.start();
                TestRedis redis = TestRedis.create("rotation")) {
            pg.execute(
                    "SET password_encryption = 'scram-sha-256'",
                    "CREATE ROLE app LOGIN SUPERUSER PASSWORD '" + PASSWORDS[0] + "'",
                    "CREATE DATABASE cistern OWNER app");
            putSecret(standIn, pg, PASSWORDS[0]);
            Map<String, String> env = new HashMap<>(standIn.environment(SECRET));
            env.put("DB_APPLICATION_NAME", "cistern-rotation");
            DatabaseSettings settings = DatabaseSettings.fromEnvironment(env);
            assertThat(settings.user()).isEqualTo("app");
            assertThat(settings.database()).isEqualTo("cistern");

            KeyLayout layout = new KeyLayout(redis.prefix());
            try (HikariDataSource admin = DataSources.create(
                            DatabaseSettings.ofJdbcUrl(pg.jdbcUrl("cistern") + "?user=postgres")
                                    .mutate()
                                    .poolSize(2)
                                    .build(),
                            "rotation-admin");
                    HikariDataSource pool = DataSources.create(settings, "rotation-sync")) {
                TableRegistry registry = new Initializer(admin, redis.commands())
                        .run(InitOptions.defaults(layout).withPartitions(PARTITIONS))
                        .registry();
                SyncSettings syncSettings = SyncSettings.defaults(layout)
                        .mutate()
                        .linger(Duration.ofMillis(10))
                        .build();
                try (RecordWriter writer = RecordWriter.connect(WriterSettings.of(redis.url())
                                .mutate()
                                .prefix(redis.prefix())
                                .build());
                        SyncWorker worker = new SyncWorker(syncSettings, registry, pool, redis.client())) {
                    worker.start();
                    Thread producer =
                            Thread.ofPlatform().name("rotation-producer").start(() -> write(writer));
                    await().atMost(Duration.ofSeconds(30)).until(() -> rows(admin) >= 50);

                    // 1. The database first; the secret still returns the old password.
                    pg.execute("ALTER ROLE app PASSWORD '" + PASSWORDS[1] + "'");
                    long windowOpened = System.nanoTime();
                    int acceptedBefore = accepted.size();
                    terminateAppSessions(pg);
                    long fetches = standIn.fetches(SECRET);
                    await().atMost(Duration.ofSeconds(30))
                            .alias("refused logins fetch the secret again (still the old one), with backoff")
                            .until(() -> standIn.fetches(SECRET) >= fetches + 2);
                    await().atMost(Duration.ofSeconds(30))
                            .alias("the worker's wait for a connection times out (connect timeout, 5 s): it keeps its"
                                    + " batch to try again")
                            .until(() -> logs.lines().stream().anyMatch(SecretRotationIT::batchKeptForWantOfLogin));
                    long stalledRows = rows(admin);
                    int acceptedInWindow = accepted.size() - acceptedBefore;
                    putSecret(standIn, pg, PASSWORDS[1]);
                    long windowClosed = System.nanoTime();
                    await().atMost(Duration.ofSeconds(30))
                            .pollInterval(Duration.ofMillis(50))
                            .alias("the worker applies again once the secret has the database's password")
                            .until(() -> rows(admin) > stalledRows);
                    long appliedAgain = System.nanoTime();
                    await().atMost(Duration.ofSeconds(30)).until(() -> rows(admin) > stalledRows + 20);

                    // 2. The secret first; the database still has the current password.
                    putSecret(standIn, pg, PASSWORDS[2]);
                    terminateAppSessions(pg);
                    long rowsBefore = rows(admin);
                    await().atMost(Duration.ofSeconds(30))
                            .alias("new logins keep working with the cached password")
                            .until(() -> rows(admin) > rowsBefore + 20);
                    pg.execute("ALTER ROLE app PASSWORD '" + PASSWORDS[2] + "'");
                    terminateAppSessions(pg);
                    long rowsAtSecondChange = rows(admin);
                    await().atMost(Duration.ofSeconds(30))
                            .alias("a refused login fetches the new password, which works at once")
                            .until(() -> rows(admin) > rowsAtSecondChange + 20);

                    writing = false;
                    producer.join(Duration.ofSeconds(5));
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(200))
                            .untilAsserted(() -> assertThat(rows(admin)).isEqualTo(accepted.size()));
                    assertThat(keys(admin)).isEqualTo(accepted.keySet());
                    assertThat(count(admin, "SELECT count(*) FROM cistern_dead_letter"))
                            .isZero();
                    System.out.printf(
                            "SecretRotationIT: %d writes accepted, %d of them in the %d ms the database refused the"
                                    + " secret's password; applying again %d ms after the secret was updated; %d"
                                    + " fetches of the secret; all %d rows in PostgreSQL%n",
                            accepted.size(),
                            acceptedInWindow,
                            (windowClosed - windowOpened) / 1_000_000,
                            (appliedAgain - windowClosed) / 1_000_000,
                            standIn.fetches(SECRET),
                            rows(admin));
                    assertThat(acceptedInWindow)
                            .as("writes accepted while logins were refused (a window that saw no writes proves"
                                    + " nothing)")
                            .isPositive();
                } finally {
                    writing = false;
                }
            }
            assertThat(logs.lines())
                    .as("the pool logged the refused logins")
                    .anyMatch(line -> line.contains("[rotation-sync] login as app refused (28P01)"));

            for (String password : PASSWORDS) {
                assertThat(logs.lines()).noneMatch(line -> line.contains(password));
            }
        }
    }

    /** The worker's log line for a batch that failed because no connection could be had, and is to be retried. */
    private static boolean batchKeptForWantOfLogin(String line) {
        return line.contains("entries failed; retry")
                && (line.contains("rotation-sync - Connection is not available")
                        || line.contains("(SQLSTATE 28P01): FATAL: password authentication failed"));
    }

    private void write(RecordWriter writer) {
        long next = System.nanoTime();
        for (int i = 0; writing; i++) {
            UUID key = UUID.randomUUID();
            String filename = "write-" + i + ".pdf";
            writer.put(DOCS, RecordKey.of(key), Map.of("filename", filename));
            accepted.put(key, filename);
            next += WRITE_EVERY.toNanos();
            LockSupport.parkNanos(next - System.nanoTime());
        }
    }

    private static void putSecret(SecretsManagerStandIn standIn, PrivatePostgres pg, String password) {
        standIn.put(SECRET, SecretsManagerStandIn.rdsSecret("app", password, "127.0.0.1", pg.port(), "cistern"));
    }

    /** Ends every session of {@code app}, so that the pool's next connections must log in. */
    private static void terminateAppSessions(PrivatePostgres pg) {
        pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'");
    }

    private static long rows(HikariDataSource admin) throws SQLException {
        return count(admin, "SELECT count(*) FROM " + DOCS);
    }

    private static Set<UUID> keys(HikariDataSource admin) throws SQLException {
        Set<UUID> keys = new HashSet<>();
        try (Connection c = admin.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT document_uuid FROM " + DOCS)) {
            while (rs.next()) {
                keys.add(UUID.fromString(rs.getString(1)));
            }
        }
        return keys;
    }

    private static long count(HikariDataSource admin, String query) throws SQLException {
        try (Connection c = admin.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
