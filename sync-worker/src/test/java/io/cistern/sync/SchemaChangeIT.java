package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tables changed while a worker and a writer run: a table registered, a column dropped. No restart, and nothing
 * dead-lettered that PostgreSQL would now accept.
 */
class SchemaChangeIT {
    private SyncFixture fx;
    private RecordWriter writer;
    private SyncWorker worker;

    @BeforeEach
    void start() {
        fx = new SyncFixture(SchemaChangeIT.class.getSimpleName());
        writer = RecordWriter.connect(WriterSettings.of(fx.redis.url())
                .mutate()
                .prefix(fx.redis.prefix())
                .registryRefresh(Duration.ofMillis(100))
                .build());
        worker = new SyncWorker(
                SyncSettings.defaults(fx.layout)
                        .mutate()
                        .linger(Duration.ofMillis(10))
                        .backoffInitial(Duration.ofMillis(20))
                        .backoffMax(Duration.ofMillis(200))
                        .build(),
                fx.registry,
                fx.dataSource,
                fx.redis.client());
        worker.start();
    }

    @AfterEach
    void stop() {
        worker.close();
        writer.close();
        fx.close();
    }

    @Test
    void aTableRegisteredWhileTheWorkerRuns_isSynced_withoutARestart_andNothingIsDeadLettered() {
        fx.db.execute("CREATE TABLE notes (note_id bigint PRIMARY KEY, body text NOT NULL)");
        register("notes");

        firstPut("notes", RecordKey.of(1L), Map.of("body", "note 1"));
        for (long id = 2; id <= 20; id++) {
            writer.put("notes", RecordKey.of(id), Map.of("body", "note " + id));
        }

        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(fx.rows("SELECT * FROM notes")).hasSize(20));
        assertThat(fx.row("notes", "note_id = 7"))
                .hasValueSatisfying(r -> assertThat(r).containsEntry("body", "note 7"));
        assertThat(deadLetters()).isZero();
    }

    @Test
    void aDroppedColumn_validPutsStillReachPostgreSQL_andWritesNamingItAreRefusedWithTheField() {
        fx.db.execute("CREATE TABLE memos (memo_id bigint PRIMARY KEY, body text, extra text)");
        register("memos");
        firstPut("memos", RecordKey.of(1L), Map.of("body", "before", "extra", "x"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(fx.row("memos", "memo_id = 1")).isPresent());

        fx.db.execute("ALTER TABLE memos DROP COLUMN extra");
        // The worker's upsert named every registered column, "extra" among them: PostgreSQL answers 42703, the worker
        // reloads the registry from the catalog and applies the put, without dead-lettering it.
        writer.put("memos", RecordKey.of(2L), Map.of("body", "after"));

        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(fx.row("memos", "memo_id = 2"))
                        .hasValueSatisfying(r -> assertThat(r).containsEntry("body", "after")));
        assertThat(deadLetters()).isZero();
        // The worker published the reloaded registry: the Function, then the writer's reloaded registry, refuse the
        // dropped column by name.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThatThrownBy(
                                () -> writer.put("memos", RecordKey.of(3L), Map.of("body", "b", "extra", "y")))
                        .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                            assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.UNKNOWN_COLUMN);
                            assertThat(e.field()).isEqualTo("extra");
                        }));
        assertThat(fx.row("memos", "memo_id = 3")).isEmpty();
    }

    @Test
    void entriesBufferedUnderTheOldShape_endAsDocumented_theOneNamingADroppedColumnDeadLetteredByName()
            throws Exception {
        fx.db.execute("CREATE TABLE drafts (draft_id bigint PRIMARY KEY, body text, extra text)");
        register("drafts");
        // Entries buffered while nothing applies them (every partition paused), under the old shape.
        PartitionControl control = new PartitionControl(fx.redis.commands(), fx.layout);
        for (int p = 0; p < fx.registry.partitions(); p++) {
            control.pause(p, "SchemaChangeIT");
        }
        firstPut("drafts", RecordKey.of(1L), Map.of("body", "plain"));
        WriteReceipt naming = writer.put("drafts", RecordKey.of(2L), Map.of("body", "b", "extra", "x"));

        fx.db.execute("ALTER TABLE drafts DROP COLUMN extra");
        register("drafts");
        for (int p = 0; p < fx.registry.partitions(); p++) {
            control.resume(p, "SchemaChangeIT");
        }

        // The entry that does not name the column is applied by the new shape; the one that does is dead-lettered,
        // its reason naming the column, and kept whole for a replay after the table is fixed (or a drop).
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () -> assertThat(fx.row("drafts", "draft_id = 1")).isPresent());
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(new DeadLetterTable(fx.dataSource).newestOpen(10))
                        .anySatisfy(d -> {
                            assertThat(d.entryId()).isEqualTo(naming.entryId());
                            assertThat(d.reason()).contains("extra");
                            assertThat(d.entry()).containsEntry("c:extra", "\"x\"");
                        }));
        assertThat(fx.row("drafts", "draft_id = 2")).isEmpty();
    }

    @Test
    void aRetypedColumn_reRegistered_isWrittenAndSyncedWithItsNewType_withoutARestart() {
        fx.db.execute("CREATE TABLE parts (part_id bigint PRIMARY KEY, qty text)");
        register("parts");
        firstPut("parts", RecordKey.of(1L), Map.of("qty", "12"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(fx.row("parts", "part_id = 1")).isPresent());

        fx.db.execute("ALTER TABLE parts ALTER COLUMN qty TYPE integer USING qty::integer");
        register("parts");
        // The writer's registry still says text and refuses a number (WRONG_TYPE); the table's published generation
        // says it was registered again, so the writer reloads at once, judges the write again and sends it: accepted
        // on the first try. The worker's statements still cast to text: PostgreSQL answers 42804, the worker reloads
        // from the catalog and applies it as an integer.
        assertThat(writer.put("parts", RecordKey.of(2L), Map.of("qty", 7)).version())
                .isPositive();

        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(fx.row("parts", "part_id = 2"))
                        .hasValueSatisfying(r -> assertThat(r).containsEntry("qty", "7")));
        assertThat(deadLetters()).isZero();
    }

    @Test
    void afterRedisLostItsData_theWorkerRepublishesTheCatalogsRegistry_notTheOneItStartedWith() {
        fx.db.execute("CREATE TABLE notes (note_id bigint PRIMARY KEY, body text NOT NULL)");
        register("notes");

        fx.redis.clear(); // every key of this prefix: registry, meta hashes, streams, leases

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(fx.redis.commands().hexists(fx.layout.registry(), "notes"))
                        .isTrue());
        firstPut("notes", RecordKey.of(1L), Map.of("body", "after the loss"));
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(fx.row("notes", "note_id = 1")).isPresent());
    }

    /**
     * The first write to a table registered after the writer started. The writer notices the registration on its
     * first miss, so the write is accepted at once, unless Redis is still being re-seeded after a data loss: then it is
     * refused as retryable (no version floor yet) and tried again, as a producer would.
     */
    private void firstPut(String table, RecordKey key, Map<String, ?> columns) {
        await().atMost(Duration.ofSeconds(10))
                .ignoreException(RetryableException.class)
                .until(() -> writer.put(table, key, columns) != null);
    }

    private void register(String table) {
        new Initializer(fx.dataSource, fx.redis.commands())
                .run(InitOptions.defaults(fx.layout).withDemoTables(false).withRegister(Map.of(table, "")));
    }

    private long deadLetters() {
        long n = 0;
        for (int p = 0; p < fx.registry.partitions(); p++) {
            n += fx.redis.commands().xlen(fx.layout.deadLetters(p));
        }
        return n;
    }
}
