package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.wire.MetaFields;
import io.cistern.sync.PartitionControl;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PipelineStatus} against a real Redis, with a watermark the test controls; also against a Redis Cluster
 * ({@link TestRedis}), where each partition names its master.
 */
class PipelineStatusIT {
    private TestRedis redis;
    private KeyLayout layout;
    private PipelineStatus status;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("PipelineStatusIT");
        layout = new KeyLayout(redis.prefix());
        status = new PipelineStatus(redis.deployment(), layout);
    }

    @AfterEach
    void tearDown() {
        status.close();
        redis.close();
    }

    @Test
    void notInitialised_saysWhatToRun() {
        assertThatThrownBy(status::read)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ops/cistern init")
                .hasMessageContaining(redis.prefix());
    }

    @Test
    void trimsAndDeletes_confuseXinfo_butNotTheBacklog() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "2");
        String stream = layout.stream(1);
        r.xgroupCreate(
                XReadArgs.StreamOffset.from(stream, "0"), "sync", io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(r.xadd(stream, Map.of("i", Integer.toString(i))));
        }
        // given: the group read 6 entries and the watermark covers the first 4 of them, the trimmer removed 2
        r.xreadgroup(
                Consumer.from("sync", "1"), XReadArgs.Builder.count(6), XReadArgs.StreamOffset.lastConsumed(stream));
        r.xack(stream, "sync", ids.subList(0, 4).toArray(String[]::new));
        r.hset(layout.meta(1), MetaFields.APPLIED, ids.get(3));
        r.xtrim(stream, XTrimArgs.Builder.minId(ids.get(2)).exactTrimming());
        // and someone deleted an unapplied entry by hand, and an applied one
        r.xdel(stream, ids.get(7), ids.get(2));
        r.xadd(layout.deadLetters(1), Map.of("reason", "x"));
        r.set(layout.lease(1), "worker-a");
        r.pexpire(layout.lease(1), 9_000);
        new PartitionControl(redis.deployment().masterFor(layout.meta(1)).sync(), layout).pause(1, "test (alice)");

        StatusSnapshot snapshot = status.read();

        PartitionStatus p = snapshot.partition(1);
        // entries 4,5,6,8,9 are above the watermark and still in the stream
        assertThat(p.backlog()).isEqualTo(5);
        assertThat(p.oldestUnappliedId()).contains(ids.get(4));
        long expectedAge = snapshot.takenAt().toEpochMilli()
                - StreamEntryId.parse(ids.get(4)).millis();
        assertThat(p.oldestAge().toMillis()).isBetween(expectedAge - 50, expectedAge + 1_000);
        assertThat(p.appliedWatermark()).contains(ids.get(3));
        assertThat(p.lastEntryId()).contains(ids.get(9));
        assertThat(p.streamLength()).isEqualTo(6);
        assertThat(p.entriesAdded()).as("trims and deletes never lower it").isEqualTo(10);
        assertThat(snapshot.partition(0).entriesAdded()).as("no stream yet").isZero();
        assertThat(p.pending()).isEqualTo(2);
        assertThat(p.deadLetters()).isEqualTo(1);
        assertThat(p.paused()).isTrue();
        assertThat(p.pausedBy()).contains("test (alice)");
        assertThat(p.owner()).hasValueSatisfying(o -> {
            assertThat(o.worker()).isEqualTo("worker-a");
            assertThat(o.expiresIn()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(9));
        });
        assertThat(p.deletedBeforeApplied()).isTrue();
        assertThat(p.exact()).isTrue();
        assertThat(p.xinfoLag())
                .as("Redis cannot tell its lag after an XDEL in the unread range")
                .isEmpty();
        PartitionStatus empty = snapshot.partition(0);
        assertThat(empty.backlog()).isZero();
        assertThat(empty.oldestAge()).isZero();
        assertThat(empty.owner()).isEmpty();
        assertThat(empty.paused()).isFalse();
        assertThat(snapshot.backlog()).isEqualTo(5);
        assertThat(snapshot.mostBehind()).map(PartitionStatus::partition).contains(1);
    }

    @Test
    void eachPartition_namesTheMasterServingItsSlot_onAClusterOnly() {
        redis.keyed().hset(layout.config(), "partitions", "16");

        StatusSnapshot snapshot = status.read();

        for (PartitionStatus p : snapshot.partitions()) {
            if (TestRedis.onCluster()) {
                io.cistern.connections.testing.PrivateRedisCluster.Node master =
                        io.cistern.connections.testing.PrivateRedisCluster.shared()
                                .masterOfKey(layout.meta(p.partition()));
                assertThat(p.master()).contains("127.0.0.1:" + master.port());
                assertThat(StatusJson.toJson(p).get("master").asString()).isEqualTo("127.0.0.1:" + master.port());
            } else {
                assertThat(p.master()).isEmpty();
                assertThat(StatusJson.toJson(p).has("master")).isFalse();
            }
        }
        assertThat(snapshot.partitions().stream().map(PartitionStatus::master).distinct())
                .as("16 partitions spread over the 3 masters")
                .hasSize(TestRedis.onCluster() ? 3 : 1);
    }

    @Test
    void longAppliedHead_isCountedFromTheOtherEnd() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "1");
        String stream = layout.stream(0);
        int applied = PipelineStatus.COUNT_BUDGET + 5;
        r.eval(
                "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], i .. '-0', 'i', 'x') end",
                io.lettuce.core.ScriptOutputType.STATUS,
                new String[] {stream},
                Integer.toString(applied));
        String last = applied + "-0";
        r.hset(layout.meta(0), MetaFields.APPLIED, last);
        r.xadd(stream, Map.of("i", "new"));
        r.xadd(stream, Map.of("i", "new"));

        PartitionStatus p = status.read().partition(0);

        assertThat(p.backlog()).isEqualTo(2);
        assertThat(p.exact()).isTrue();
        assertThat(p.streamLength()).isEqualTo(applied + 2L);
        assertThat(p.entriesAdded()).isEqualTo(applied + 2L);
    }

    @Test
    void versionedEntries_areIndexedByVersion_untilAnXdelMakesAHole() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "1");
        String stream = layout.stream(0);
        addEntries(stream, 1, 5_000, true);
        r.hset(layout.meta(0), MetaFields.APPLIED, "4000-0");
        r.xtrim(stream, XTrimArgs.Builder.minId("1500-0").exactTrimming());

        PartitionStatus indexed = status.read().partition(0);
        r.xdel(stream, "4500-0");
        PartitionStatus holed = status.read().partition(0);

        assertThat(indexed.backlog()).isEqualTo(1_000);
        assertThat(indexed.oldestUnappliedId()).contains("4001-0");
        assertThat(indexed.exact()).isTrue();
        assertThat(holed.backlog()).isEqualTo(999);
        assertThat(holed.exact()).isTrue();
        assertThat(holed.deletedBeforeApplied()).isTrue();
    }

    @Test
    void formatTwoEntries_areIndexedByTheVersionInTheirPackedValue_pastTheCountBudget() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "1");
        String stream = layout.stream(0);
        // Change-entry format 2 (ChangeEntry's class comment): one field, the version first in its value.
        redis.keyed()
                .eval(
                        "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], i .. '-0', 'e2:delete:docs:',"
                                + " i .. ':1:k') end",
                        io.lettuce.core.ScriptOutputType.STATUS,
                        new String[] {stream},
                        Integer.toString(3 * PipelineStatus.COUNT_BUDGET + 500));
        r.hset(layout.meta(0), MetaFields.APPLIED, (PipelineStatus.COUNT_BUDGET + 200) + "-0");

        PartitionStatus p = status.read().partition(0);

        // Counted, it would be inexact past the budget (as below); indexed by versions it is exact.
        assertThat(p.backlog()).isEqualTo(2L * PipelineStatus.COUNT_BUDGET + 300);
        assertThat(p.exact()).isTrue();
    }

    @Test
    void bothSidesPastTheBudget_areCountedInPages_andFlaggedInexact() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "1");
        String stream = layout.stream(0);
        addEntries(stream, 1, 3 * PipelineStatus.COUNT_BUDGET + 500, false);
        r.hset(layout.meta(0), MetaFields.APPLIED, (PipelineStatus.COUNT_BUDGET + 200) + "-0");

        PartitionStatus p = status.read().partition(0);

        assertThat(p.backlog()).isEqualTo(2L * PipelineStatus.COUNT_BUDGET + 300);
        assertThat(p.exact()).isFalse();
    }

    @Test
    void lastError_publishedInTheMeta_isRead_withItsTime_andAbsentOnceRemoved() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "1");
        r.hset(
                layout.meta(0),
                Map.of(
                        MetaFields.LAST_ERROR,
                        "CONNECTION: Connection refused",
                        MetaFields.LAST_ERROR_AT,
                        "1700000000123"));

        PartitionStatus failing = status.read().partition(0);
        r.hdel(layout.meta(0), MetaFields.LAST_ERROR, MetaFields.LAST_ERROR_AT);
        PartitionStatus recovered = status.read().partition(0);

        assertThat(failing.lastError())
                .contains(new ApplyError(
                        "CONNECTION: Connection refused",
                        java.util.Optional.of(java.time.Instant.ofEpochMilli(1_700_000_000_123L))));
        assertThat(StatusJson.toJson(failing).get("lastError").get("message").asString())
                .isEqualTo("CONNECTION: Connection refused");
        assertThat(recovered.lastError()).isEmpty();
        assertThat(StatusJson.toJson(recovered).get("lastError").isNull()).isTrue();
    }

    @Test
    void monitor_reportsAStall_whileTheWatermarkStands_andClearsItWhenTheWatermarkMoves() {
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", "1");
        addEntries(layout.stream(0), 1, 10, true);
        r.hset(layout.meta(0), MetaFields.APPLIED, "3-0");
        try (StatusMonitor monitor = new StatusMonitor(
                new PipelineStatus(redis.deployment(), layout), Duration.ofMillis(100), Duration.ofMillis(300))) {
            monitor.refresh();
            assertThat(monitor.stalls()).isEmpty();

            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                monitor.refresh();
                assertThat(monitor.stalls())
                        .singleElement()
                        .satisfies(st -> assertThat(st.reason(monitor.maxStall()))
                                .startsWith("partition 0: applied nothing for ")
                                .endsWith(" s with 7 entries waiting, over the 0.3 s stall bound (no worker owns it)"));
            });
            r.hset(layout.meta(0), MetaFields.APPLIED, "4-0");
            monitor.refresh();

            assertThat(monitor.stalls()).isEmpty();
        }
    }

    /** Entries {@code from-0} to {@code to-0}, each with version {@code v} = its number when {@code versioned}. */
    private void addEntries(String stream, int from, int to, boolean versioned) {
        redis.keyed()
                .eval(
                        "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do"
                                + " if ARGV[3] == '1' then redis.call('XADD', KEYS[1], i .. '-0', 'v', i)"
                                + " else redis.call('XADD', KEYS[1], i .. '-0', 'i', 'x') end end",
                        io.lettuce.core.ScriptOutputType.STATUS,
                        new String[] {stream},
                        Integer.toString(from),
                        Integer.toString(to),
                        versioned ? "1" : "0");
    }
}
