package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.Backoff;
import io.cistern.schema.wire.MetaFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.models.stream.PendingMessages;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The partition loop reads batch N+1 while batch N's transaction runs, and still commits and acknowledges in stream
 * order: N+1 is read ahead (pending under the partition's consumer) but neither applied nor acknowledged while N is
 * retried, and stays pending, unacknowledged, for the next owner when N is fenced out.
 *
 * <p>A PostgreSQL trigger gates each batch: a row named {@code gate-*.pdf} takes attempt number {@code a} from a
 * sequence, waits for advisory lock {@code a} (which the test holds to keep that attempt in its transaction while it
 * looks), and fails with SQLSTATE 40001 (retryable) while {@code a} is at most {@code gate_failing.attempts}. Every row
 * applied is logged with a sequence number in the same transaction, so the log holds committed rows in commit order.
 */
class ReadAheadOrderIT {
    private static final String DOCS = "source_documents";
    private static final int PARTITION = 0;
    private static final int BATCH = 4;

    private SyncFixture fx;
    private RecordWriter writer;
    private Connection locks;
    private String stream;
    private final List<PartitionLoop> loops = new ArrayList<>();

    @BeforeEach
    void start(TestInfo test) throws SQLException {
        fx = new SyncFixture(
                "ReadAhead" + test.getTestMethod().orElseThrow().getName().substring(0, 12), 1);
        writer = RecordWriter.connect(WriterSettings.of(fx.redisUrl())
                .mutate()
                .prefix(fx.layout.prefix())
                .build());
        stream = fx.layout.stream(PARTITION);
        try (Connection c = fx.dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE SEQUENCE gate_attempts");
            s.execute("CREATE TABLE gate_failing (attempts int NOT NULL)");
            s.execute("INSERT INTO gate_failing VALUES (0)");
            s.execute("CREATE TABLE apply_log (seq bigserial PRIMARY KEY, filename text NOT NULL)");
            s.execute("CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE a bigint; BEGIN"
                    + " INSERT INTO apply_log (filename) VALUES (NEW.filename);"
                    + " IF NEW.filename LIKE 'gate-%' THEN"
                    + "   a := nextval('gate_attempts');"
                    + "   PERFORM pg_advisory_xact_lock_shared(a);"
                    + "   IF a <= (SELECT attempts FROM gate_failing) THEN"
                    + "     RAISE EXCEPTION 'gate: attempt % fails', a USING ERRCODE = '40001';"
                    + "   END IF;"
                    + " END IF; RETURN NEW; END $$");
            s.execute("CREATE TRIGGER gate BEFORE INSERT OR UPDATE ON source_documents FOR EACH ROW"
                    + " EXECUTE FUNCTION gate()");
        }
        // Session-level locks need a session of their own: directly, never through a pooler in transaction mode.
        locks = fx.db.connect();
        fx.commands()
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(stream, "0"),
                        PartitionLoop.GROUP,
                        XGroupCreateArgs.Builder.mkstream());
    }

    @AfterEach
    void stop() throws Exception {
        for (PartitionLoop loop : loops) {
            loop.stop();
            loop.awaitFinished(Duration.ofSeconds(10));
        }
        locks.close();
        writer.close();
        fx.close();
    }

    @Test
    void retryableFailureOfBatchN_leavesTheBatchReadAheadUnappliedAndUnacknowledged_untilNCommitted() throws Exception {
        // given batch N fails twice (attempts 1 and 2), then commits (attempt 3); N+1's gate is attempt 4
        sql("UPDATE gate_failing SET attempts = 2");
        for (int attempt = 1; attempt <= 4; attempt++) {
            hold(attempt);
        }
        List<String> n = write("n");
        List<String> next = write("m");

        // when one owner drains the partition
        start(new FenceTokens(fx.dataSource).grant(PARTITION));

        // then during every attempt of N: N+1 is read ahead (all 8 entries pending), nothing of N+1 is committed
        for (int attempt = 1; attempt <= 3; attempt++) {
            awaitWaitingOn(attempt);
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(pending().getCount()).isEqualTo(2L * BATCH));
            assertThat(committed()).isEmpty();
            release(attempt);
        }
        // and once N committed, while N+1 is in its transaction: N is acknowledged and published, N+1 still pending
        awaitWaitingOn(4);
        assertCommittedInOrder(names("n"));
        PendingMessages whileNextApplies = pending();
        assertThat(whileNextApplies.getCount()).isEqualTo(BATCH);
        assertThat(whileNextApplies.getMessageIds().getLower().getValue()).isEqualTo(next.getFirst());
        assertThat(fx.commands().hget(fx.layout.meta(PARTITION), MetaFields.APPLIED))
                .isEqualTo(n.getLast());
        release(4);

        // and at the end every entry is applied once, N before N+1, and acknowledged
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(pending().getCount()).isZero());
        assertCommittedInOrder(names("n"), names("m"));
        assertThat(watermark()).isEqualTo(next.getLast());
    }

    @Test
    void fenceChangeDuringBatchN_leavesNAndTheBatchReadAheadPendingForTheNextOwner_whichAppliesThemInOrder()
            throws Exception {
        // given batch N's first attempt is held in its transaction
        hold(1);
        List<String> n = write("n");
        List<String> next = write("m");
        PartitionLoop first = start(new FenceTokens(fx.dataSource).grant(PARTITION));
        awaitWaitingOn(1);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(pending().getCount()).isEqualTo(2L * BATCH));

        // when another owner takes the partition's token meanwhile, and N's attempt goes on to its fence check
        FenceTokens.Grant takeover = new FenceTokens(fx.dataSource).grant(PARTITION);
        release(1);

        // then the first owner's loop ends: nothing committed, nothing acknowledged, N and N+1 all pending
        assertThat(first.awaitFinished(Duration.ofSeconds(15))).isTrue();
        assertThat(committed()).isEmpty();
        PendingMessages left = pending();
        assertThat(left.getCount()).isEqualTo(2L * BATCH);
        assertThat(left.getMessageIds().getLower().getValue()).isEqualTo(n.getFirst());
        assertThat(left.getMessageIds().getUpper().getValue()).isEqualTo(next.getLast());
        assertThat(fx.commands().hget(fx.layout.meta(PARTITION), MetaFields.APPLIED))
                .isNull();

        // and the next owner applies both, N before N+1, and acknowledges them
        start(takeover);
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(pending().getCount()).isZero());
        assertCommittedInOrder(names("n"), names("m"));
        assertThat(watermark()).isEqualTo(next.getLast());
    }

    private PartitionLoop start(FenceTokens.Grant grant) {
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .batchSize(BATCH)
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(100))
                .stallTimeout(Duration.ZERO)
                .build();
        PartitionLoop loop = new PartitionLoop(
                PARTITION,
                grant.token(),
                grant.versionFloor(),
                grant.appliedWatermark(),
                settings,
                new BatchApplier(fx.dataSource, fx.registry),
                RedisLink.open(fx.client(), StreamReplyCodec.INSTANCE),
                InstantSource.system(),
                new Backoff(settings.backoffInitial(), settings.backoffMax(), Duration.ZERO),
                SyncMetrics.none(fx.registry));
        loops.add(loop);
        Thread.ofPlatform().name("read-ahead-test-p" + PARTITION).start(loop);
        return loop;
    }

    /** Writes one batch: {@code gate-<name>.pdf}, then {@code <name>-2.pdf} to {@code <name>-4.pdf}; its entry IDs. */
    private List<String> write(String name) {
        List<String> ids = new ArrayList<>();
        for (String filename : names(name)) {
            WriteReceipt r = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", filename));
            assertThat(r.partition()).isEqualTo(PARTITION);
            ids.add(r.entryId());
        }
        return ids;
    }

    private static List<String> names(String name) {
        List<String> names = new ArrayList<>(List.of("gate-" + name + ".pdf"));
        for (int i = 2; i <= BATCH; i++) {
            names.add(name + "-" + i + ".pdf");
        }
        return names;
    }

    /**
     * That the committed rows are exactly {@code batches}' rows, batch after batch (within a batch rows are applied in
     * primary-key order).
     */
    @SafeVarargs
    private void assertCommittedInOrder(List<String>... batches) {
        List<String> committed = committed();
        assertThat(committed).hasSize(batches.length * BATCH);
        for (int b = 0; b < batches.length; b++) {
            assertThat(committed.subList(b * BATCH, (b + 1) * BATCH))
                    .as("batch %d of the commit order", b)
                    .containsExactlyInAnyOrderElementsOf(batches[b]);
        }
    }

    /** The filenames of the committed rows, in commit order. */
    private List<String> committed() {
        return fx.rows("SELECT filename FROM apply_log ORDER BY seq").stream()
                .map(r -> r.get("filename"))
                .toList();
    }

    private String watermark() {
        return fx.scalar("SELECT applied_watermark FROM cistern_partition WHERE partition = " + PARTITION);
    }

    private PendingMessages pending() {
        return fx.commands().xpending(stream, PartitionLoop.GROUP);
    }

    private void hold(int attempt) throws SQLException {
        try (Statement s = locks.createStatement()) {
            s.execute("SELECT pg_advisory_lock(" + attempt + ")");
        }
    }

    private void release(int attempt) throws SQLException {
        try (Statement s = locks.createStatement()) {
            s.execute("SELECT pg_advisory_unlock(" + attempt + ")");
        }
    }

    /** Waits until a batch's transaction waits for advisory lock {@code attempt}, held by the test. */
    private void awaitWaitingOn(int attempt) {
        await().atMost(Duration.ofSeconds(15))
                .until(() -> fx.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                                + " AND objid = " + attempt + " AND database = (SELECT oid FROM pg_database WHERE"
                                + " datname = current_database())")
                        .equals("1"));
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = fx.dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
