package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Every refusal of {@link RecordWriter}: the right exception, naming the field, and nothing stored in Redis. */
class RecordWriterRefusalIT {
    private static final String DOCS = "source_documents";
    private static TestDatabase db;
    private static PGSimpleDataSource dataSource;

    private TestRedis redis;
    private RecordWriter writer;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(RecordWriterRefusalIT.class.getSimpleName());
        dataSource = new PGSimpleDataSource();
        dataSource.setURL(db.jdbcUrl());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void setUp() {
        redis = TestRedis.create(getClass().getSimpleName());
    }

    @AfterEach
    void tearDown() {
        if (writer != null) {
            writer.close();
        }
        redis.close();
    }

    private RecordWriter connect(BufferLimits limits) {
        new Initializer(dataSource, redis.keyed(), redis::masters)
                .run(InitOptions.defaults(new KeyLayout(redis.prefix())).withLimits(limits));
        writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build());
        return writer;
    }

    @Test
    void aWriterJudgingByAnOlderRegistration_isRefusedAsStale_reloads_andIsJudgedByTheNewOne() {
        // given a table with a text column, registered, and a writer that loaded that registration
        String table =
                "retyped_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        db.execute("CREATE TABLE " + table + " (id uuid PRIMARY KEY, n text)");
        Initializer init = new Initializer(dataSource, redis.keyed(), redis::masters);
        KeyLayout layout = new KeyLayout(redis.prefix());
        init.run(InitOptions.defaults(layout).withRegister(Map.of(table, "")));
        writer = RecordWriter.connect(WriterSettings.of(redis.url())
                .mutate()
                .prefix(redis.prefix())
                .registryRefresh(Duration.ofHours(1))
                .build());
        writer.put(table, RecordKey.of(UUID.randomUUID()), Map.of("n", "text while it is text"));

        // when the column is retyped and registered again, while the writer's copy still says text
        db.execute("DELETE FROM " + table, "ALTER TABLE " + table + " ALTER COLUMN n TYPE integer USING 0");
        init.run(InitOptions.defaults(layout).withRegister(Map.of(table, "")));
        UUID id = UUID.randomUUID();
        List<String> keys = redis.keys();

        // then a value only the old registration accepts is refused by the new one, naming the field, and nothing is
        // stored; a value of the new type is accepted at once
        assertThatThrownBy(() -> writer.put(table, RecordKey.of(id), Map.of("n", "no longer text")))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE);
                    assertThat(e.field()).isEqualTo("n");
                });
        assertThat(redis.keys()).isEqualTo(keys);
        assertThat(writer.put(table, RecordKey.of(id), Map.of("n", 7)).version())
                .isPositive();
    }

    /** Everything a write can leave in Redis: record hashes and stream entries (by key). */
    private static Map<String, Object> snapshot(RedisClusterCommands<String, String> redis, List<String> keys) {
        Map<String, Object> state = new TreeMap<>();
        for (String key : keys) {
            if (key.contains(":r:")) {
                state.put(key, redis.hgetall(key));
            } else if (key.endsWith(":s")) {
                state.put(
                        key,
                        redis.xrange(key, Range.create("-", "+")).stream()
                                .map(m -> m.getId() + m.getBody())
                                .toList());
            }
        }
        return state;
    }

    private Map<String, Object> snapshot() {
        return snapshot(redis.keyed(), redis.keys());
    }

    private static Map<String, Object> columns(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /** Asserts that {@code write} is refused as invalid with {@code reason} and {@code field}, storing nothing. */
    private void assertRefused(Supplier<?> write, Reason reason, String field) {
        Map<String, Object> before = snapshot();

        assertThatThrownBy(write::get).isInstanceOfSatisfying(InvalidRecordException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.retryable()).isFalse();
            assertThat(e.table()).as("the table of the refused write").isNotNull();
            if (!List.of("key", "columns", "table").contains(field)) {
                assertThat(e.getMessage()).contains("'" + field + "'");
            }
        });
        assertThat(snapshot()).as("Redis after the refused write").isEqualTo(before);
    }

    @Test
    void everyInvalidWrite_isRefusedNamingTheFieldAndStoresNothing() {
        // given a writer and one stored document
        connect(BufferLimits.DEFAULTS);
        UUID doc = UUID.randomUUID();
        writer.put(DOCS, RecordKey.of(doc), columns("filename", "a.pdf"));

        assertRefused(
                () -> writer.put("documents", RecordKey.of(doc), columns("filename", "a")),
                Reason.UNKNOWN_TABLE,
                "table");
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("colour", "red")), Reason.UNKNOWN_COLUMN, "colour");
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("page_count", "three")),
                Reason.WRONG_TYPE,
                "page_count");
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("page_count", 3_000_000_000L)),
                Reason.WRONG_TYPE,
                "page_count");
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("error_message", "e".repeat(1 << 20))),
                Reason.VALUE_TOO_LARGE,
                "error_message");
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("language", "x".repeat(17))),
                Reason.VALUE_TOO_LARGE,
                "language");
        assertRefused(() -> writer.delete("entities", RecordKey.of(doc)), Reason.MISSING_KEY, "entity_uuid");
        assertRefused(() -> writer.delete(DOCS, RecordKey.of("not-a-uuid")), Reason.MALFORMED_KEY, "document_uuid");
        assertRefused(() -> writer.delete(DOCS, RecordKey.of(doc, doc)), Reason.MALFORMED_KEY, "key");
        assertRefused(
                () -> writer.put(
                        "entities",
                        RecordKey.of(doc, UUID.randomUUID()),
                        columns("document_uuid", UUID.randomUUID(), "entity_type", "x")),
                Reason.MALFORMED_KEY,
                "document_uuid");
        assertRefused(
                () -> writer.put(DOCS, RecordKey.of(doc), columns("status", "done")), Reason.NOT_NULLABLE, "filename");
        assertRefused(
                () -> writer.put(DOCS, RecordKey.of(doc), columns("filename", null)), Reason.NOT_NULLABLE, "filename");
        assertRefused(() -> writer.patch(DOCS, RecordKey.of(doc), Map.of()), Reason.EMPTY_PATCH, "columns");
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("document_uuid", doc)),
                Reason.EMPTY_PATCH,
                "columns");
    }

    @Test
    void asyncInvalidWrite_failsTheFutureAndStoresNothing() {
        connect(BufferLimits.DEFAULTS);
        Map<String, Object> before = snapshot();

        assertThat(writer.putAsync(DOCS, RecordKey.of(UUID.randomUUID()), columns("colour", "red")))
                .failsWithin(Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause()
                .isInstanceOfSatisfying(
                        InvalidRecordException.class, e -> assertThat(e.field()).isEqualTo("colour"));
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void patchOfDeletedRecord_isRefusedAndStoresNothing() {
        // given a deleted document
        connect(BufferLimits.DEFAULTS);
        UUID doc = UUID.randomUUID();
        writer.put(DOCS, RecordKey.of(doc), columns("filename", "a.pdf"));
        WriteReceipt deleted = writer.delete(DOCS, RecordKey.of(doc));

        // when it is patched, then the patch is refused naming the key, and the tombstone stays as it was
        assertRefused(
                () -> writer.patch(DOCS, RecordKey.of(doc), columns("status", "done")), Reason.RECORD_DELETED, "key");
        assertThat(redis.keyed()
                        .hgetall(new KeyLayout(redis.prefix()).record(deleted.partition(), DOCS, deleted.key())))
                .isEqualTo(Map.of("v", Long.toString(deleted.version()), "s", "deleted"));

        // and a put brings it back
        assertThat(writer.put(DOCS, RecordKey.of(doc), columns("filename", "b.pdf"))
                        .version())
                .isGreaterThan(deleted.version());
    }

    @Test
    void batchWithOneInvalidWrite_sendsNothing() {
        connect(BufferLimits.DEFAULTS);
        Map<String, Object> before = snapshot();
        List<Write> batch = List.of(
                Write.put(DOCS, RecordKey.of(UUID.randomUUID()), columns("filename", "ok-1")),
                Write.put(DOCS, RecordKey.of(UUID.randomUUID()), columns("filename", "ok-2")),
                Write.patch(DOCS, RecordKey.of(UUID.randomUUID()), columns("page_count", "not a number")),
                Write.put(DOCS, RecordKey.of(UUID.randomUUID()), columns("filename", "ok-3")));

        assertThatThrownBy(() -> writer.writeAll(batch))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE);
                    assertThat(e.field()).isEqualTo("page_count");
                })
                .hasMessageContaining("write 2 of the batch");
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void batchWithAPatchOfADeletedRecord_failsOnlyThatWrite() {
        connect(BufferLimits.DEFAULTS);
        UUID deleted = UUID.randomUUID();
        writer.delete(DOCS, RecordKey.of(deleted));
        UUID fine = UUID.randomUUID();

        BatchReceipt receipt = writer.writeAll(List.of(
                Write.put(DOCS, RecordKey.of(fine), columns("filename", "a")),
                Write.patch(DOCS, RecordKey.of(deleted), columns("status", "done")),
                Write.patch(DOCS, RecordKey.of(fine), columns("status", "done"))));

        assertThat(receipt.allSucceeded()).isFalse();
        assertThat(receipt.failures()).containsOnlyKeys(1);
        assertThat(receipt.failures().get(1))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.RECORD_DELETED));
        assertThat(receipt.receipts().get(0)).isPresent();
        assertThat(receipt.receipts().get(1)).isEmpty();
        assertThat(receipt.receipts().get(2).orElseThrow().version())
                .isGreaterThan(receipt.receipts().get(0).orElseThrow().version());
    }

    @Test
    void backlogPastItsLimit_givesRetryableBackpressureAndStoresNothing() {
        // given a partition whose stream is at its limit of 2 entries
        connect(new BufferLimits(2, 0, 1 << 20));
        UUID doc = UUID.randomUUID();
        writer.put(DOCS, RecordKey.of(doc), columns("filename", "a"));
        writer.patch(DOCS, RecordKey.of(doc), columns("status", "processing"));
        Map<String, Object> before = snapshot();

        // when one more write to it comes, then it is refused as retryable backpressure
        assertThatThrownBy(() -> writer.patch(DOCS, RecordKey.of(doc), columns("status", "done")))
                .isInstanceOfSatisfying(RetryableException.class, e -> {
                    assertThat(e.code()).isEqualTo("BACKPRESSURE");
                    assertThat(e.retryAfter()).isPositive();
                })
                .hasMessageContaining("2 entries");
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void redisMemoryPastItsLimit_givesRetryableBackpressureAndStoresNothing() {
        connect(new BufferLimits(0, 1, 1 << 20));
        Map<String, Object> before = snapshot();

        assertThatThrownBy(() -> writer.put(DOCS, RecordKey.of(UUID.randomUUID()), columns("filename", "a")))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("BACKPRESSURE"));
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void redisDown_failsFastWithRetryableErrorAndBuffersNothing() {
        // On a server of its own: the same whichever topology the other tests of this class run on.
        org.junit.jupiter.api.Assumptions.assumeFalse(TestRedis.onCluster(), "a single server's test");
        // given a writer on a Redis of its own that persists every write
        try (PrivateRedis server = PrivateRedis.start("--appendonly", "yes", "--appendfsync", "always")) {
            RedisClient probeClient = RedisClients.create(RedisSettings.of(server.url()));
            StatefulRedisConnection<String, String> probe = probeClient.connect();
            try {
                new Initializer(dataSource, probe.sync()).run(InitOptions.defaults(KeyLayout.defaults()));
                WriterSettings settings = WriterSettings.of(server.url());
                try (RecordWriter w = RecordWriter.connect(settings)) {
                    UUID before = UUID.randomUUID();
                    WriteReceipt stored = w.put(DOCS, RecordKey.of(before), columns("filename", "before"));

                    // when Redis goes down
                    server.stop();
                    await().atMost(Duration.ofSeconds(5)).until(() -> !probe.isOpen());

                    // then a write fails fast, well under the command timeout, with a retryable error
                    UUID during = UUID.randomUUID();
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> w.put(DOCS, RecordKey.of(during), columns("filename", "during")))
                            .isInstanceOfSatisfying(
                                    RetryableException.class,
                                    e -> assertThat(e.code()).isEqualTo("REDIS_UNAVAILABLE"))
                            .hasMessageContaining("put " + DOCS + "/" + during);
                    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
                    assertThat(elapsed)
                            .isLessThan(settings.redis().commandTimeout().dividedBy(4));
                    BatchReceipt batch = w.writeAll(
                            List.of(Write.put(DOCS, RecordKey.of(during), columns("filename", "during batch"))));
                    assertThat(batch.failures().get(0)).isInstanceOf(RetryableException.class);

                    // and once Redis is back (and a sync worker confirmed the partitions' floors on the restarted
                    // server, as it does within a lease renewal), the writer reconnects by itself
                    server.startAgain();
                    await().atMost(Duration.ofSeconds(5)).until(probe::isOpen);
                    for (int p = 0; p < 16; p++) {
                        probe.sync()
                                .fcall(
                                        io.cistern.schema.function.FunctionLibrary.CONFIRM_FUNCTION,
                                        io.lettuce.core.ScriptOutputType.MULTI,
                                        new String[] {KeyLayout.defaults().meta(p)},
                                        "0");
                    }
                    UUID after = UUID.randomUUID();
                    WriteReceipt afterReceipt = await().atMost(Duration.ofSeconds(20))
                            .ignoreException(RetryableException.class)
                            .until(() -> w.put(DOCS, RecordKey.of(after), columns("filename", "after")), r -> true);

                    // and nothing of the failed writes was kept in memory and sent later
                    await().atMost(Duration.ofSeconds(5)).until(probe::isOpen);
                    RedisCommands<String, String> r = probe.sync();
                    KeyLayout layout = KeyLayout.defaults();
                    List<String> keysInStreams = new ArrayList<>();
                    for (int p = 0; p < 16; p++) {
                        r.xrange(layout.stream(p), Range.create("-", "+"))
                                .forEach(m -> keysInStreams.add(m.getBody().get("k")));
                    }
                    assertThat(keysInStreams).containsExactlyInAnyOrder(stored.key(), afterReceipt.key());
                    assertThat(r.keys(layout.prefix() + ":*:r:*"))
                            .containsExactlyInAnyOrder(
                                    layout.record(stored.partition(), DOCS, stored.key()),
                                    layout.record(afterReceipt.partition(), DOCS, afterReceipt.key()));
                }
            } finally {
                probe.close();
                probeClient.shutdown();
            }
        }
    }

    @Test
    void awaitSynced_withNoSyncWorkerRunning_timesOutNamingHowToStartOne() {
        // given a stored write and no sync worker anywhere
        connect(BufferLimits.DEFAULTS);
        WriteReceipt receipt = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "a.pdf"));

        // when the producer waits for it to reach PostgreSQL, then the timeout says how to get a worker running
        assertThatThrownBy(() -> writer.awaitSynced(receipt, Duration.ofMillis(300)))
                .isInstanceOfSatisfying(
                        SyncTimeoutException.class,
                        e -> assertThat(e.getMessage())
                                .contains("was not synced within", receipt.entryId())
                                .contains("ops/cistern sync-worker")
                                .contains("cistern.sync.embedded.enabled=true"));
    }
}
