package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link RecordWriter#writeAll} of large batches against a healthy Redis: a batch of the documented maximum is sent in
 * windows ({@link WriterSettings#maxInFlight()}) and accepted whole, even with a command timeout far shorter than the
 * time Redis takes for the whole batch; the order of each key's writes is kept; a batch over the maximum is refused
 * before anything is written.
 *
 * <p>Twice: with the default command timeout (2 s) and window, and with a short timeout (300 ms) and a window to match
 * it (50 writes). The short timeout is what makes the window matter: with {@code -Dcistern.window.maxInFlight=10000}
 * (the whole batch in flight at once, as before the window) that run fails with {@code REDIS_TIMEOUT} for the writes
 * at the back of the batch.
 */
class RecordWriterBatchWindowIT {
    private static final String DOCS = "source_documents";
    /** Overrides the window of both runs (the whole batch, 10000, shows what the window prevents). */
    private static final Integer MAX_IN_FLIGHT = Integer.getInteger("cistern.window.maxInFlight");

    private static TestDatabase db;
    private static TestRedis redis;

    @BeforeAll
    static void initialise() {
        db = TestDatabase.create(RecordWriterBatchWindowIT.class.getSimpleName());
        redis = TestRedis.create(RecordWriterBatchWindowIT.class.getSimpleName());
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(db.jdbcUrl());
        new Initializer(dataSource, redis.keyed(), redis::masters)
                .run(InitOptions.defaults(new KeyLayout(redis.prefix())));
    }

    @AfterAll
    static void cleanUp() {
        redis.close();
        db.close();
    }

    private static WriterSettings settings(long commandTimeoutMs, int maxInFlight) {
        RedisSettings timeout = RedisSettings.fromEnvironment(
                Map.of("REDIS_URL", redis.url(), "REDIS_COMMAND_TIMEOUT_MS", Long.toString(commandTimeoutMs)));
        return WriterSettings.of(redis.url())
                .mutate()
                .redis(timeout)
                .prefix(redis.prefix())
                .maxInFlight(MAX_IN_FLIGHT == null ? maxInFlight : MAX_IN_FLIGHT)
                .build();
    }

    @ParameterizedTest(name = "command timeout {0} ms, window {1}")
    @CsvSource({"2000, " + WriterSettings.DEFAULT_MAX_IN_FLIGHT, "300, 50"})
    void batchOfTheMaximum_isAcceptedWhole_eachKeysWritesInBatchOrder(long commandTimeoutMs, int maxInFlight) {
        // given a batch of the documented maximum: 1,000 documents written 10 times each, a key's writes spread over
        // the whole batch (write i is round i / 1000 of document i % 1000)
        int size = WriterSettings.DEFAULT_MAX_BATCH;
        int documents = 1_000;
        List<UUID> ids = new ArrayList<>();
        for (int d = 0; d < documents; d++) {
            ids.add(UUID.randomUUID());
        }
        List<Write> batch = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            batch.add(Write.put(
                    DOCS, RecordKey.of(ids.get(i % documents)), Map.of("filename", "round-" + (i / documents))));
        }

        // when it is written in one call
        WriterSettings settings = settings(commandTimeoutMs, maxInFlight);
        BatchReceipt receipt;
        long started = System.nanoTime();
        try (RecordWriter writer = RecordWriter.connect(settings)) {
            receipt = writer.writeAll(batch);
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf(
                "RecordWriterBatchWindowIT: %d writes, window %d, command timeout %d ms: %d failed (first %s), %d ms%n",
                size,
                settings.maxInFlight(),
                commandTimeoutMs,
                receipt.failures().size(),
                receipt.failures().entrySet().stream()
                        .min(Map.Entry.comparingByKey())
                        .map(e -> e.getKey() + " " + e.getValue().code())
                        .orElse("none"),
                tookMs);

        // then every write is accepted, no outcome unknown
        assertThat(receipt.failures()).as("failures of the batch").isEmpty();
        assertThat(receipt.receipts()).hasSize(size).allMatch(r -> r.isPresent());

        // and each key's receipts, in batch order, carry increasing versions
        Map<String, Long> lastVersion = new HashMap<>();
        Map<String, WriteReceipt> lastOfKey = new HashMap<>();
        for (int i = 0; i < size; i++) {
            WriteReceipt r = receipt.receipts().get(i).orElseThrow();
            assertThat(r.key())
                    .isEqualTo(
                            receipt.receipts().get(i % documents).orElseThrow().key());
            Long last = lastVersion.put(r.key(), r.version());
            assertThat(last == null || last < r.version())
                    .as("versions of %s in batch order: %s then %s", r.key(), last, r.version())
                    .isTrue();
            lastOfKey.put(r.key(), r);
        }

        // and each key's stream entries come in batch order (rounds 0..9), one entry per write (the prefix is shared
        // by the tests of this class: only this batch's keys are counted)
        RedisClusterCommands<String, String> cmd = redis.keyed();
        KeyLayout layout = new KeyLayout(redis.prefix());
        Map<String, List<String>> roundsOfKey = new TreeMap<>();
        int partitions = Integer.parseInt(cmd.hget(layout.config(), "partitions"));
        long entries = 0;
        for (int p = 0; p < partitions; p++) {
            String from = "-";
            while (true) {
                List<StreamMessage<String, String>> page =
                        cmd.xrange(layout.stream(p), Range.create(from, "+"), Limit.from(5_000));
                for (StreamMessage<String, String> m : page) {
                    if (m.getId().equals(from)) {
                        continue;
                    }
                    if (!lastOfKey.containsKey(m.getBody().get("k"))) {
                        continue;
                    }
                    entries++;
                    roundsOfKey
                            .computeIfAbsent(m.getBody().get("k"), k -> new ArrayList<>())
                            .add(m.getBody().get("c:filename"));
                }
                if (page.size() < 5_000) {
                    break;
                }
                from = page.getLast().getId();
            }
        }
        assertThat(entries).as("stream entries, one per write").isEqualTo(size);
        List<String> inOrder = new ArrayList<>();
        for (int round = 0; round < size / documents; round++) {
            inOrder.add("\"round-" + round + "\"");
        }
        assertThat(roundsOfKey).hasSize(documents);
        roundsOfKey.forEach((key, rounds) ->
                assertThat(rounds).as("stream order of %s", key).isEqualTo(inOrder));

        // and the last write of each key wins in its hash
        String lastRound = "\"round-" + (size / documents - 1) + "\"";
        lastOfKey.forEach((key, r) -> {
            Map<String, String> hash = cmd.hgetall(layout.record(r.partition(), DOCS, key));
            assertThat(hash.get("c:filename")).as("record hash of %s", key).isEqualTo(lastRound);
            assertThat(hash.get("v")).as("version of %s", key).isEqualTo(Long.toString(r.version()));
        });
    }

    @Test
    void batchOverTheMaximum_isRefusedWhole_beforeAnythingIsWritten() {
        // given a writer that accepts at most 100 writes a batch, and what Redis holds under the prefix
        WriterSettings settings = settings(2_000, WriterSettings.DEFAULT_MAX_IN_FLIGHT)
                .mutate()
                .maxBatch(100)
                .build();
        List<Write> batch = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            batch.add(Write.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "over-" + i)));
        }
        Map<String, Long> before = streamLengths();
        List<String> keysBefore = redis.keys();

        // when a batch of 101 writes is written
        InvalidRecordException refusal;
        try (RecordWriter writer = RecordWriter.connect(settings)) {
            refusal = catchThrowableOfType(InvalidRecordException.class, () -> writer.writeAll(batch));
            // then it is refused whole, naming the limit and the variable, on the async path too
            assertThat(catchThrowableOfType(InvalidRecordException.class, () -> writer.writeAllAsync(batch)))
                    .isNotNull();
            // and one of exactly the maximum is accepted
            assertThat(writer.writeAll(batch.subList(0, 100)).allSucceeded()).isTrue();
        }
        assertThat(refusal).isNotNull();
        assertThat(refusal.reason()).isEqualTo(InvalidRecordException.Reason.BATCH_TOO_LARGE);
        assertThat(refusal.field()).isEqualTo("writes");
        assertThat(refusal.getMessage()).contains("101", "100", WriterSettings.MAX_BATCH_VARIABLE);

        // and nothing of the refused batch was written: the streams grew only by the accepted batch of 100, and the
        // 101st record has no hash
        Map<String, Long> after = streamLengths();
        long grown = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            grown += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        assertThat(grown).isEqualTo(100);
        List<String> keysAfter = redis.keys();
        assertThat(keysAfter).containsAll(keysBefore);
        assertThat(keysAfter.stream().filter(k -> !keysBefore.contains(k) && k.contains(":r:")))
                .as("record hashes written")
                .hasSize(100);
    }

    private static Map<String, Long> streamLengths() {
        RedisClusterCommands<String, String> cmd = redis.keyed();
        KeyLayout layout = new KeyLayout(redis.prefix());
        int partitions = Integer.parseInt(cmd.hget(layout.config(), "partitions"));
        Map<String, Long> lengths = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            lengths.put(layout.stream(p), cmd.xlen(layout.stream(p)));
        }
        return lengths;
    }
}
