package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.wire.MetaFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A rolling upgrade to change-entry format 2 (issue 22, DESIGN.md 3.2) against a real Redis and PostgreSQL: a stream
 * holding both formats, interleaved per key, converges to the latest write per key; the Function writes format 2 only
 * while every live worker reads it (an older worker announces itself only in the heartbeat set), and {@code
 * CISTERN_ENTRY_FORMAT=1} keeps it on format 1; a format-2 entry's dead letter is recorded and replayed like any, also
 * the one an older worker records for an entry it cannot read.
 */
class EntryFormatUpgradeIT {
    private static final String DOCS = "source_documents";
    /** The heartbeat of today's (format-1) workers, exactly as they send it: ZADD of the worker ID to the workers set. */
    private static final String OLD_HEARTBEAT = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
            redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
            return redis.call('ZCARD', KEYS[1])
            """;

    private static SyncFixture fx;
    private static RecordWriter writer;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(EntryFormatUpgradeIT.class.getSimpleName());
        writer = RecordWriter.connect(WriterSettings.of(fx.redisUrl())
                .mutate()
                .prefix(fx.layout.prefix())
                .build());
    }

    @AfterAll
    static void stop() {
        writer.close();
        fx.close();
    }

    @AfterEach
    void leaveNoWorker() {
        // One key a command: on a Redis Cluster the two sets may live on different masters.
        fx.commands().del(fx.layout.workers());
        fx.commands().del(fx.layout.entryFormatReaders(ChangeEntry.FORMAT_2));
    }

    private static SyncSettings settings(int entryFormat) {
        return SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(20))
                .leaseTime(Duration.ofSeconds(2))
                .renewInterval(Duration.ofMillis(250))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .entryFormat(entryFormat)
                .trimInterval(Duration.ofHours(1))
                .build();
    }

    @Test
    void formatOneAndFormatTwoEntriesOfTheSameKeys_interleaved_areAppliedInOrder_andNothingIsDeadLettered() {
        List<UUID> keys = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            keys.add(UUID.randomUUID());
        }
        Map<UUID, WriteReceipt> last = new HashMap<>();
        Map<UUID, Map<String, String>> expected = new HashMap<>();
        // Rounds alternate the gate: format 1, 2, 1, 2, so every key has entries of both formats, in both orders.
        for (int round = 0; round < 4; round++) {
            setGate(round % 2 == 0 ? ChangeEntry.FORMAT_1 : ChangeEntry.FORMAT_2);
            for (int i = 0; i < keys.size(); i++) {
                UUID k = keys.get(i);
                RecordKey key = RecordKey.of(k);
                String file = "r" + round + "-" + i + "-é.pdf";
                WriteReceipt r;
                if (round == 0 || (round == 3 && i % 3 == 0)) {
                    r = writer.put(DOCS, key, Map.of("filename", file, "page_count", round));
                    expected.put(k, Map.of("filename", file, "status", "registered"));
                } else if (round == 2 && i % 3 == 0) {
                    r = writer.delete(DOCS, key);
                    expected.remove(k);
                } else if (i % 3 == 0) {
                    continue; // left alone in round 1; deleted in round 2, put again in round 3
                } else if ((round + i) % 2 == 0) {
                    String status = round == 1 ? "processing" : "done";
                    r = writer.patch(DOCS, key, Map.of("status", status));
                    expected.put(k, Map.of("filename", expected.get(k).get("filename"), "status", status));
                } else {
                    r = writer.put(DOCS, key, Map.of("filename", file));
                    expected.put(k, Map.of("filename", file, "status", "registered"));
                }
                last.put(k, r);
            }
        }
        List<Map<String, String>> fieldsOnStreams = new ArrayList<>();
        for (int p = 0; p < SyncFixture.PARTITIONS; p++) {
            fx.commands()
                    .xrange(fx.layout.stream(p), Range.create("-", "+"))
                    .forEach(m -> fieldsOnStreams.add(m.getBody()));
        }
        assertThat(fieldsOnStreams).anyMatch(EntryFormatUpgradeIT::isFormatTwo);
        assertThat(fieldsOnStreams).anyMatch(f -> f.containsKey(ChangeEntry.VERSION));

        try (SyncWorker worker = new SyncWorker(settings(2), fx.registry, fx.dataSource, fx.client())) {
            worker.start();

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (UUID k : keys) {
                    var row = fx.row(DOCS, "document_uuid = '" + k + "'");
                    if (expected.containsKey(k)) {
                        assertThat(row).hasValueSatisfying(r -> {
                            assertThat(r).containsAllEntriesOf(expected.get(k));
                            assertThat(r)
                                    .containsEntry(
                                            "cistern_version",
                                            Long.toString(last.get(k).version()));
                        });
                    } else {
                        assertThat(row).isEmpty();
                    }
                }
            });
        }
        assertThat(fx.scalar("SELECT count(*) FROM cistern_dead_letter")).isEqualTo("0");
    }

    @Test
    void theGate_staysClosedWhileALiveWorkerDoesNotReadFormatTwo_opensWhenItLeaves_andTheOverrideClosesItAgain() {
        // A worker of the previous release: it heartbeats, and announces nothing else.
        fx.commands()
                .eval(
                        OLD_HEARTBEAT,
                        ScriptOutputType.INTEGER,
                        new String[] {fx.layout.workers()},
                        "old-worker",
                        "60000");
        try (SyncWorker worker = new SyncWorker(settings(2), fx.registry, fx.dataSource, fx.client())) {
            worker.start();
            // The old worker counts in the fair share: this one takes half the partitions, and closes every gate.
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> !worker.ownedPartitions().isEmpty());
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(gates()).containsOnly("1"));

            WriteReceipt closed = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "closed.pdf"));

            assertThat(entry(closed)).containsKey(ChangeEntry.VERSION);

            // The old worker leaves (stopped, or its heartbeat expired).
            fx.commands().zrem(fx.layout.workers(), "old-worker");
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(gates()).containsOnly("2"));

            WriteReceipt open = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "open.pdf"));

            assertThat(isFormatTwo(entry(open))).isTrue();
            assertThat(entry(open).keySet().iterator().next()).startsWith("e2:put:");

            // A worker started with CISTERN_ENTRY_FORMAT=1 (a rollback under way) closes every gate, the other's too.
            try (SyncWorker rollback = new SyncWorker(settings(1), fx.registry, fx.dataSource, fx.client())) {
                rollback.start();
                await().atMost(Duration.ofSeconds(5))
                        .untilAsserted(() -> assertThat(gates()).containsOnly("1"));
                WriteReceipt overridden =
                        writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "override.pdf"));

                assertThat(entry(overridden)).containsKey(ChangeEntry.VERSION);
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    for (WriteReceipt r : List.of(closed, open, overridden)) {
                        assertThat(fx.row(DOCS, "document_uuid = '" + r.key() + "'"))
                                .hasValueSatisfying(row ->
                                        assertThat(row.get("cistern_version")).isEqualTo(Long.toString(r.version())));
                    }
                });
                assertThat(gates()).containsOnly("1");
            }
        }
    }

    @Test
    void aFormatTwoPoisonEntry_isDeadLetteredAsAnyIs_andReplayed_asIsTheOneAnOlderWorkerCouldNotRead()
            throws Exception {
        setGate(ChangeEntry.FORMAT_2);
        fx.db.execute("ALTER TABLE source_documents ADD CONSTRAINT e2_poison CHECK (filename <> 'e2-poison.pdf')");
        UUID poison = UUID.randomUUID();
        WriteReceipt bad = writer.put(DOCS, RecordKey.of(poison), Map.of("filename", "e2-poison.pdf"));
        assertThat(isFormatTwo(entry(bad))).isTrue();
        try (DeadLetterReplayer replayer =
                new DeadLetterReplayer(fx.layout, fx.registry, fx.dataSource, fx.client(), Duration.ofHours(1))) {
            String deadLetterId;
            try (SyncWorker worker = new SyncWorker(settings(2), fx.registry, fx.dataSource, fx.client())) {
                worker.start();
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(openFor(replayer, bad))
                                .singleElement()
                                .satisfies(d -> {
                                    assertThat(d.sqlState()).isEqualTo("23514");
                                    assertThat(d.table()).isEqualTo(DOCS);
                                    assertThat(d.key()).isEqualTo(poison.toString());
                                    assertThat(d.version()).hasValue(bad.version());
                                }));
                deadLetterId = openFor(replayer, bad).getFirst().id();
            }
            fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT e2_poison");

            assertThat(replayer.replay("ops@test", bad.partition(), List.of(deadLetterId)))
                    .extracting(DeadLetterOutcome::kind)
                    .containsExactly(DeadLetterOutcome.Kind.APPLIED);
            assertThat(fx.row(DOCS, "document_uuid = '" + poison + "'"))
                    .hasValueSatisfying(
                            r -> assertThat(r).containsEntry("cistern_version", Long.toString(bad.version())));

            // An older worker reads a format-2 entry as malformed (no field 'v') and dead-letters its raw fields, as
            // PartitionLoop does: a worker of this release replays it.
            UUID unread = UUID.randomUUID();
            ChangeEntry e2 = fx.entry(
                    DOCS,
                    unread.toString(),
                    io.cistern.schema.codec.Operation.PUT,
                    bad.version() + 1,
                    Map.of("filename", "\"unread.pdf\""));
            int p = bad.partition();
            DeadLetter malformed = new DeadLetter(
                    e2.id(),
                    Map.of(e2.packedField(), e2.packedValue()),
                    "entry " + e2.id() + " has no field 'v'",
                    "",
                    1);
            DeadLetterStream stream = new DeadLetterStream(fx.commands(), fx.layout, "old-worker");
            new BatchApplier(fx.dataSource, fx.registry)
                    .apply(
                            p,
                            new FenceTokens(fx.dataSource).next(p),
                            List.of(),
                            List.of(malformed),
                            1,
                            false,
                            d -> stream.append(p, d));
            OpenDeadLetter recorded = replayer.list(p, DeadLetterFilter.all()).stream()
                    .filter(d -> d.entryId().equals(e2.id()))
                    .findFirst()
                    .orElseThrow();

            assertThat(replayer.replay("ops@test", p, List.of(recorded.id())))
                    .extracting(DeadLetterOutcome::kind)
                    .containsExactly(DeadLetterOutcome.Kind.APPLIED);
            assertThat(fx.row(DOCS, "document_uuid = '" + unread + "'"))
                    .hasValueSatisfying(r -> assertThat(r).containsEntry("filename", "unread.pdf"));
        }
    }

    private static List<OpenDeadLetter> openFor(DeadLetterReplayer replayer, WriteReceipt r) {
        return replayer.list(r.partition(), DeadLetterFilter.all()).stream()
                .filter(d -> d.entryId().equals(r.entryId()))
                .toList();
    }

    private static boolean isFormatTwo(Map<String, String> fields) {
        return fields.size() == 1 && fields.keySet().iterator().next().startsWith(ChangeEntry.PACKED_PREFIX);
    }

    /** What every partition's meta hash says of the entry format (null where it says nothing). */
    private static List<String> gates() {
        List<String> gates = new ArrayList<>();
        for (int p = 0; p < SyncFixture.PARTITIONS; p++) {
            gates.add(fx.commands().hget(fx.layout.meta(p), MetaFields.ENTRY_FORMAT));
        }
        return gates;
    }

    private static void setGate(int format) {
        for (int p = 0; p < SyncFixture.PARTITIONS; p++) {
            fx.commands().hset(fx.layout.meta(p), MetaFields.ENTRY_FORMAT, Integer.toString(format));
        }
    }

    /** The raw fields of the stream entry a write appended. */
    private static Map<String, String> entry(WriteReceipt r) {
        List<StreamMessage<String, String>> m = fx.commands()
                .xrange(fx.layout.stream(r.partition()), Range.create(r.entryId(), r.entryId()), Limit.from(1));
        assertThat(m).as("entry %s of partition %d", r.entryId(), r.partition()).hasSize(1);
        return m.getFirst().getBody();
    }
}
