package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resolved dead letters past their retention are deleted from {@code cistern_dead_letter}, in bounded chunks, by the
 * worker and by hand; newer resolved ones and every open one stay. Real PostgreSQL, with the index of migration V4.
 */
class DeadLetterRetentionIT {
    private static final Duration THIRTY_DAYS = Duration.ofDays(30);
    private static SyncFixture fx;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(DeadLetterRetentionIT.class.getSimpleName());
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @BeforeEach
    void emptyTable() {
        sql("DELETE FROM cistern_dead_letter");
    }

    @Test
    void purge_deletesResolvedOlderThanTheRetention_keepsNewerResolvedAndOpenOfAnyAge() {
        // given open and resolved dead letters of every age
        letter("open-ancient", "1000 days", null, null);
        letter("open-new", "1 minute", null, null);
        letter("replayed-40d", "41 days", "40 days", "replayed");
        letter("dropped-31d", "50 days", "31 days", "dropped");
        letter("superseded-29d", "60 days", "29 days", "superseded");
        letter("replayed-1min", "2 days", "1 minute", "replayed");

        // when the retention of 30 days runs
        DeadLetterRetention.Purged purged = new DeadLetterRetention(fx.dataSource).purge(THIRTY_DAYS);

        // then only the two resolved more than 30 days ago are gone
        assertThat(purged.byResolution()).isEqualTo(Map.of("replayed", 1L, "dropped", 1L));
        assertThat(purged.total()).isEqualTo(2);
        assertThat(purged.describe()).isEqualTo("dropped 1, replayed 1");
        assertThat(entryIds()).containsExactly("open-ancient", "open-new", "replayed-1min", "superseded-29d");
        assertThat(new DeadLetterRetention(fx.dataSource).purge(THIRTY_DAYS).total())
                .as("a second run finds nothing")
                .isZero();
    }

    @Test
    void purgeable_countsWhatAPurgeWouldDelete_andChangesNothing() {
        letter("open-ancient", "1000 days", null, null);
        letter("dropped-31d", "50 days", "31 days", "dropped");
        letter("dropped-90d", "91 days", "90 days", "dropped");
        letter("superseded-29d", "60 days", "29 days", "superseded");

        DeadLetterRetention.Purged wouldBe = new DeadLetterRetention(fx.dataSource).purgeable(THIRTY_DAYS);

        assertThat(wouldBe.byResolution()).isEqualTo(Map.of("dropped", 2L));
        assertThat(wouldBe.statements()).isZero();
        assertThat(entryIds()).hasSize(4);
    }

    @Test
    void manyResolvedRows_areDeletedInChunksOfTenThousand_throughThePartialIndex() {
        // given 25,000 dead letters resolved 40 days ago among 1,000 open ones of the same age
        sql(
                "INSERT INTO cistern_dead_letter (partition, entry_id, entry, reason, attempts, worker, created_at,"
                        + " resolved_at, resolution) SELECT 0, 'bulk-' || i, '\\x00000000'::bytea, 'bulk', 1, 'test',"
                        + " now() - interval '41 days', CASE WHEN i <= 25000 THEN now() - interval '40 days' END,"
                        + " CASE WHEN i <= 25000 THEN 'replayed' END FROM generate_series(1, 26000) i",
                "ANALYZE cistern_dead_letter");

        long started = System.nanoTime();
        DeadLetterRetention.Purged purged = new DeadLetterRetention(fx.dataSource).purge(THIRTY_DAYS);
        long took = (System.nanoTime() - started) / 1_000_000;

        System.out.println("purged " + purged.total() + " resolved dead letters in " + purged.statements()
                + " statements, " + took + " ms");
        assertThat(purged.total()).isEqualTo(25_000);
        assertThat(purged.statements()).as("10,000 + 10,000 + 5,000").isEqualTo(3);
        assertThat(fx.scalar("SELECT count(*) FROM cistern_dead_letter WHERE resolved_at IS NULL"))
                .isEqualTo("1000");
        assertThat(fx.scalar("SELECT count(*) FROM cistern_dead_letter")).isEqualTo("1000");
        assertThat(took).as("25,000 rows, ms").isLessThan(30_000);
    }

    @Test
    void thePurgesSelection_canUseTheResolvedIndexOfMigrationV4() throws SQLException {
        letter("replayed-40d", "41 days", "40 days", "replayed");
        String plan;
        try (Connection c = fx.dataSource.getConnection();
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL enable_seqscan = off");
            StringBuilder lines = new StringBuilder();
            try (var rs = s.executeQuery("EXPLAIN SELECT id FROM cistern_dead_letter"
                    + " WHERE resolved_at < now() - 2592000000 * interval '1 millisecond' LIMIT 10000"
                    + " FOR UPDATE SKIP LOCKED")) {
                while (rs.next()) {
                    lines.append(rs.getString(1)).append('\n');
                }
            }
            c.rollback();
            plan = lines.toString();
        }

        assertThat(plan).contains("cistern_dead_letter_resolved_idx");
    }

    @Test
    void concurrentPurges_splitTheRows_andDeleteEachOnce() throws Exception {
        // given 20,000 dead letters past the retention, and two purges of 1,000 rows per statement
        sql("INSERT INTO cistern_dead_letter (partition, entry_id, entry, reason, attempts, worker, resolved_at,"
                + " resolution) SELECT i % 4, 'c-' || i, '\\x00000000'::bytea, 'bulk', 1, 'test',"
                + " now() - interval '40 days', 'dropped' FROM generate_series(1, 20000) i");
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<DeadLetterRetention.Purged>> purges = List.of(1, 2).stream()
                .map(n -> CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return new DeadLetterRetention(fx.dataSource, 1_000).purge(THIRTY_DAYS);
                }))
                .toList();

        // when both run at once
        go.countDown();
        long total = 0;
        for (CompletableFuture<DeadLetterRetention.Purged> p : purges) {
            total += p.get(60, java.util.concurrent.TimeUnit.SECONDS).total();
        }

        // then every row was deleted once, by one of them
        assertThat(total).isEqualTo(20_000);
        assertThat(fx.scalar("SELECT count(*) FROM cistern_dead_letter")).isEqualTo("0");
    }

    @Test
    void retentionBelowAnHour_isRefusedBeforeAnythingIsDeleted() {
        letter("dropped-31d", "50 days", "31 days", "dropped");

        assertThatThrownBy(() -> new DeadLetterRetention(fx.dataSource).purge(Duration.ofMinutes(5)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the retention of resolved dead letters must be from 3600000 ms (1 h) to"
                        + " 3153600000000 ms (36500 days), was 300000 ms");

        assertThat(entryIds()).containsExactly("dropped-31d");
    }

    @Test
    void worker_purgesAtStart_andCountsWhatItPurged() {
        // given resolved dead letters past the default retention (30 days), and open ones as old
        letter("open-ancient", "1000 days", null, null);
        letter("replayed-40d", "41 days", "40 days", "replayed");
        letter("superseded-35d", "41 days", "35 days", "superseded");
        letter("dropped-29d", "41 days", "29 days", "dropped");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        SyncSettings settings = SyncSettings.defaults(fx.layout);
        assertThat(settings.deadLetterRetention()).isEqualTo(THIRTY_DAYS);

        // when a worker starts
        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.redis.client(), meters)) {
            worker.start();

            // then it deletes them at once, keeps the rest, and counts what it deleted by resolution
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(entryIds()).containsExactly("dropped-29d", "open-ancient"));
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(
                                    meters.find(SyncMetrics.DEAD_LETTERS_PURGED).counters())
                            .extracting(c -> c.getId().getTag("resolution"), c -> c.count())
                            .containsExactlyInAnyOrder(
                                    org.assertj.core.groups.Tuple.tuple("replayed", 1.0),
                                    org.assertj.core.groups.Tuple.tuple("superseded", 1.0)));
        }
    }

    @Test
    void workerWithRetentionZero_keepsResolvedDeadLettersForever() {
        letter("replayed-400d", "401 days", "400 days", "replayed");
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .deadLetterRetention(Duration.ZERO)
                .build();

        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.redis.client())) {
            worker.start();
            // the lease thread takes partitions meanwhile; a purge at start would have run by the time it owns them
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> worker.ownedPartitions().size() == SyncFixture.PARTITIONS);
        }

        assertThat(entryIds()).containsExactly("replayed-400d");
    }

    /** A dead letter recorded {@code age} ago, resolved {@code resolvedAgo} ago (null: open). */
    private static void letter(String entryId, String age, String resolvedAgo, String resolution) {
        sql("INSERT INTO cistern_dead_letter (partition, entry_id, entry, reason, attempts, worker, created_at,"
                + " resolved_at, resolution) VALUES (0, '" + entryId + "', '\\x00000000'::bytea, 'test', 1, 'test',"
                + " now() - interval '" + age + "', "
                + (resolvedAgo == null ? "NULL, NULL" : "now() - interval '" + resolvedAgo + "', '" + resolution + "'")
                + ")");
    }

    private static List<String> entryIds() {
        return fx.rows("SELECT entry_id FROM cistern_dead_letter ORDER BY entry_id").stream()
                .map(r -> r.get("entry_id"))
                .toList();
    }

    private static void sql(String... statements) {
        try (Connection c = fx.dataSource.getConnection();
                Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
