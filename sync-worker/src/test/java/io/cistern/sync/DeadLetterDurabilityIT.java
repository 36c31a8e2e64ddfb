package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dead letters kept in PostgreSQL outlive the Redis they were dead-lettered on. On a private redis-server, because the
 * test empties it with {@code FLUSHALL}.
 */
class DeadLetterDurabilityIT {
    private static final String DOCS = "source_documents";
    private static final KeyLayout LAYOUT = new KeyLayout("it-dlq-durable");
    private TestDatabase db;
    private HikariDataSource dataSource;
    private PrivateRedis redis;
    private RedisClient client;
    private TableRegistry registry;

    @BeforeEach
    void start() {
        db = TestDatabase.create(DeadLetterDurabilityIT.class.getSimpleName());
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setPoolName("test-dlq-durable");
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
        redis = PrivateRedis.start();
        client = RedisClients.create(RedisSettings.of(redis.url()));
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            registry = new Initializer(dataSource, c.sync())
                    .run(InitOptions.defaults(LAYOUT).withPartitions(4))
                    .registry();
        }
    }

    @AfterEach
    void stop() {
        client.shutdown();
        redis.close();
        dataSource.close();
        db.close();
    }

    @Test
    void deadLettersOnAFlushedRedis_areStillListedAndReplayed() {
        db.execute("ALTER TABLE source_documents ADD CONSTRAINT no_tmp CHECK (filename NOT LIKE '%.tmp')");
        List<UUID> poison = new ArrayList<>();
        List<String> entryIds = new ArrayList<>();
        SyncSettings settings = SyncSettings.defaults(LAYOUT)
                .mutate()
                .linger(Duration.ofMillis(10))
                .build();
        try (SyncWorker worker = new SyncWorker(settings, registry, dataSource, client);
                RecordWriter writer = RecordWriter.connect(WriterSettings.of(redis.url())
                        .mutate()
                        .prefix(LAYOUT.prefix())
                        .build())) {
            worker.start();
            for (int i = 0; i < 3; i++) {
                UUID doc = UUID.randomUUID();
                WriteReceipt r = writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "upload-" + i + ".tmp"));
                poison.add(doc);
                entryIds.add(r.entryId());
            }
            try (DeadLetterReplayer replayer = replayer()) {
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(replayer.recorded(DeadLetterFilter.all()))
                                .extracting(RecordedDeadLetter::entryId)
                                .containsExactlyInAnyOrderElementsOf(entryIds));
            }
        }

        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().flushall();
        }

        try (DeadLetterReplayer replayer = replayer()) {
            List<RecordedDeadLetter> listed =
                    replayer.recorded(DeadLetterFilter.all().withTable(DOCS).withSqlState("23514"));
            assertThat(listed).hasSize(3).allSatisfy(l -> assertThat(l.reason()).contains("no_tmp"));
            db.execute("ALTER TABLE source_documents DROP CONSTRAINT no_tmp");

            List<DeadLetterOutcome> outcomes = replayer.replayRecorded("test", DeadLetterFilter.all());

            assertThat(outcomes)
                    .extracting(DeadLetterOutcome::kind)
                    .containsOnly(DeadLetterOutcome.Kind.APPLIED)
                    .hasSize(3);
            assertThat(replayer.recorded(DeadLetterFilter.all())).isEmpty();
        }
        for (UUID doc : poison) {
            assertThat(scalar("SELECT filename FROM source_documents WHERE document_uuid = '" + doc + "'"))
                    .endsWith(".tmp");
        }
        assertThat(scalar("SELECT count(*) FROM cistern_dead_letter WHERE resolution = 'replayed'"))
                .isEqualTo("3");
    }

    @Test
    void workerKilledBetweenCommitAndAcknowledgement_leavesExactlyOneDeadLetterPerPoisonEntry() throws Exception {
        db.execute("ALTER TABLE source_documents ADD CONSTRAINT no_tmp CHECK (filename NOT LIKE '%.tmp')");
        List<WriteReceipt> receipts = new ArrayList<>();
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(LAYOUT.prefix()).build())) {
            for (int i = 0; i < 4; i++) {
                String name = i % 2 == 0 ? "poison-" + i + ".tmp" : "fine-" + i + ".pdf";
                receipts.add(writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", name)));
            }
        }
        // A first owner reads its batches, commits them (dead letters included) and dies before XACK: the entries stay
        // pending under the partition's consumer.
        BatchApplier firstOwner = new BatchApplier(dataSource, registry, "killed-worker");
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            var redisCommands = c.sync();
            for (int p :
                    receipts.stream().map(WriteReceipt::partition).distinct().toList()) {
                String stream = LAYOUT.stream(p);
                try {
                    redisCommands.xgroupCreate(
                            io.lettuce.core.XReadArgs.StreamOffset.from(stream, "0"),
                            PartitionLoop.GROUP,
                            io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
                } catch (io.lettuce.core.RedisBusyException e) {
                    // the group exists
                }
                List<io.cistern.schema.codec.ChangeEntry> entries = redisCommands
                        .xreadgroup(
                                io.lettuce.core.Consumer.from(PartitionLoop.GROUP, Integer.toString(p)),
                                io.lettuce.core.XReadArgs.StreamOffset.lastConsumed(stream))
                        .stream()
                        .map(m -> io.cistern.schema.codec.ChangeEntry.fromFields(m.getId(), m.getBody()))
                        .toList();
                DeadLetterStream letters = new DeadLetterStream(redisCommands, LAYOUT, "killed-worker");
                firstOwner.apply(
                        p,
                        new FenceTokens(dataSource).next(p),
                        entries,
                        List.of(),
                        1,
                        false,
                        d -> letters.append(p, d));
            }
        }
        List<String> poison = receipts.stream()
                .filter(r -> receipts.indexOf(r) % 2 == 0)
                .map(WriteReceipt::entryId)
                .toList();

        SyncSettings settings = SyncSettings.defaults(LAYOUT)
                .mutate()
                .linger(Duration.ofMillis(10))
                .build();
        try (SyncWorker next = new SyncWorker(settings, registry, dataSource, client);
                StatefulRedisConnection<String, String> c = client.connect()) {
            next.start();
            // The next owner re-reads the pending entries, applies them again and acknowledges them.
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                for (WriteReceipt r : receipts) {
                    assertThat(c.sync()
                                    .xpending(LAYOUT.stream(r.partition()), PartitionLoop.GROUP)
                                    .getCount())
                            .as("pending entries of partition %d", r.partition())
                            .isZero();
                }
            });
        }

        assertThat(scalar("SELECT count(*) FROM cistern_dead_letter")).isEqualTo("2");
        for (String entryId : poison) {
            assertThat(scalar("SELECT count(*) || ' ' || min(worker) FROM cistern_dead_letter WHERE entry_id = '"
                            + entryId + "'"))
                    .isEqualTo("1 killed-worker");
        }
    }

    private String scalar(String query) {
        try (java.sql.Connection c = dataSource.getConnection();
                java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(query + ": " + e.getMessage(), e);
        }
    }

    private DeadLetterReplayer replayer() {
        return new DeadLetterReplayer(LAYOUT, registry, dataSource, client, Duration.ofMinutes(1));
    }
}
