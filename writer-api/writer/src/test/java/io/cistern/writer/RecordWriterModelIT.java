package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A model-based test of the write path: many random puts, patches and deletes from several threads through {@link
 * RecordWriter}, then every record hash and every stream entry in Redis compared with what a model of the contract
 * expects.
 *
 * <p>Each thread owns a disjoint set of keys (documents and their entities), so the model of each key is sequential
 * and deterministic for a given seed, whatever the interleaving of threads.
 */
class RecordWriterModelIT {
    private static final int THREADS = 4;
    private static final int WRITES_PER_THREAD = 25_000;
    private static final int DOCUMENTS_PER_THREAD = 1_250;
    private static final int ENTITIES_PER_THREAD = 1_250;
    private static final long SEED = Long.getLong("cistern.model.seed", System.nanoTime());
    private static final String DOCS = "source_documents";
    private static final String ENTITIES = "entities";

    private static TestDatabase db;
    private static TestRedis redis;

    @BeforeAll
    static void initialise() {
        db = TestDatabase.create(RecordWriterModelIT.class.getSimpleName());
        redis = TestRedis.create(RecordWriterModelIT.class.getSimpleName());
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

    /** What the contract says one record looks like after the writes so far. */
    static final class RecordModel {
        final String table;
        final RecordKey key;
        String encodedKey;
        int partition = -1;
        /** null (never written), put, patch (partial, never put) or deleted. */
        String state;

        final Map<String, String> columns = new HashMap<>();
        long version;

        RecordModel(String table, RecordKey key) {
            this.table = table;
            this.key = key;
        }
    }

    /** One expected stream entry. */
    record ExpectedEntry(String table, String key, Operation op, long version, Map<String, String> columns) {}

    /** What one thread did and expects. */
    static final class ThreadOutcome {
        final List<RecordModel> records = new ArrayList<>();
        final Map<String, ExpectedEntry> entries = new HashMap<>();
        int succeeded;
        int refusedAsDeleted;
        int batches;
    }

    @Test
    void concurrentRandomWrites_leaveExactlyWhatTheModelExpects() throws Exception {
        System.out.println("RecordWriterModelIT seed " + SEED + " (rerun with -Dcistern.model.seed=" + SEED + ")");
        List<ThreadOutcome> outcomes = new ArrayList<>();
        try (RecordWriter writer = RecordWriter.connect(WriterSettings.of(redis.url())
                        .mutate()
                        .prefix(redis.prefix())
                        .build());
                ExecutorService pool = Executors.newFixedThreadPool(THREADS)) {
            List<Future<ThreadOutcome>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long threadSeed = SEED * 31 + t;
                futures.add(pool.submit(() -> runThread(writer, writer.registry(), new Random(threadSeed))));
            }
            long start = System.nanoTime();
            for (Future<ThreadOutcome> f : futures) {
                outcomes.add(f.get());
            }
            long written = System.nanoTime();
            checkAgainstModel(outcomes);
            System.out.printf(
                    "RecordWriterModelIT: writes took %d ms, the check %d ms%n",
                    (written - start) / 1_000_000, (System.nanoTime() - written) / 1_000_000);
        }
    }

    // ------------------------------------------------------------------------------------------------- the writers

    private static ThreadOutcome runThread(RecordWriter writer, TableRegistry registry, Random random) {
        ThreadOutcome out = new ThreadOutcome();
        List<UUID> documents = new ArrayList<>();
        for (int i = 0; i < DOCUMENTS_PER_THREAD; i++) {
            UUID doc = new UUID(random.nextLong(), random.nextLong());
            documents.add(doc);
            out.records.add(new RecordModel(DOCS, RecordKey.of(doc)));
        }
        for (int i = 0; i < ENTITIES_PER_THREAD; i++) {
            UUID doc = documents.get(random.nextInt(documents.size()));
            UUID entity = new UUID(random.nextLong(), random.nextLong());
            // the key in several spellings: Java values, upper-case text, the encoded form
            RecordKey key = switch (i % 3) {
                case 0 -> RecordKey.of(doc, entity);
                case 1 -> RecordKey.of(doc.toString().toUpperCase(Locale.ROOT), entity);
                default -> RecordKey.parse(doc + "," + entity);
            };
            out.records.add(new RecordModel(ENTITIES, key));
        }
        int done = 0;
        while (done < WRITES_PER_THREAD) {
            if (random.nextInt(4) == 0) {
                int size = Math.min(1 + random.nextInt(64), WRITES_PER_THREAD - done);
                List<RecordModel> targets = new ArrayList<>(size);
                List<Write> batch = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    RecordModel r = out.records.get(random.nextInt(out.records.size()));
                    targets.add(r);
                    batch.add(randomWrite(r, random));
                }
                BatchReceipt receipt = writer.writeAll(batch);
                for (int i = 0; i < size; i++) {
                    apply(
                            registry,
                            out,
                            targets.get(i),
                            batch.get(i),
                            receipt.receipts().get(i),
                            receipt.failures().get(i));
                }
                out.batches++;
                done += size;
            } else {
                RecordModel r = out.records.get(random.nextInt(out.records.size()));
                Write w = randomWrite(r, random);
                WriteReceipt receipt = null;
                CisternException failure = null;
                try {
                    receipt = writer.write(w);
                } catch (CisternException e) {
                    failure = e;
                }
                apply(registry, out, r, w, Optional.ofNullable(receipt), failure);
                done++;
            }
        }
        return out;
    }

    private static Write randomWrite(RecordModel r, Random random) {
        int dice = random.nextInt(100);
        if (dice < 45) {
            return Write.put(r.table, r.key, randomColumns(r.table, random, true));
        }
        if (dice < 80) {
            return Write.patch(r.table, r.key, randomColumns(r.table, random, false));
        }
        return Write.delete(r.table, r.key);
    }

    private static Map<String, Object> randomColumns(String table, Random random, boolean put) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (table.equals(DOCS)) {
            if (put || random.nextBoolean()) {
                c.put("filename", "file " + random.nextInt(1000) + (random.nextBoolean() ? " é😀,%.pdf" : ".pdf"));
            }
            if (random.nextBoolean()) {
                c.put(
                        "status",
                        List.of("registered", "processing", "done", "failed").get(random.nextInt(4)));
            }
            if (random.nextBoolean()) {
                c.put("size_bytes", random.nextBoolean() ? (Object) random.nextLong() : null);
            }
            if (random.nextBoolean()) {
                c.put("page_count", random.nextInt(500));
            }
            if (random.nextInt(4) == 0) {
                c.put("metadata", "{\"pages\":" + random.nextInt(100) + ",\"big\":12345678901234567890.50}");
            }
            if (random.nextInt(4) == 0) {
                c.put(
                        "processed_at",
                        Instant.ofEpochSecond(
                                        1_700_000_000L + random.nextInt(100_000_000), random.nextInt(1_000_000) * 1000L)
                                .truncatedTo(ChronoUnit.MICROS));
            }
            if (random.nextInt(4) == 0) {
                c.put("language", random.nextBoolean() ? "en" : null);
            }
            if (c.isEmpty()) {
                c.put("error_message", "e" + random.nextInt());
            }
        } else {
            if (put || random.nextBoolean()) {
                c.put(
                        "entity_type",
                        List.of("person", "place", "date", "amount").get(random.nextInt(4)));
            }
            if (random.nextBoolean()) {
                c.put("value", "v" + random.nextInt(10_000));
            }
            if (random.nextBoolean()) {
                c.put("confidence", BigDecimal.valueOf(random.nextInt(10_000), 4));
            }
            if (random.nextBoolean()) {
                c.put("page_number", random.nextInt(100));
            }
            if (c.isEmpty()) {
                c.put("normalized", "n" + random.nextInt());
            }
        }
        return c;
    }

    /** Checks one write's outcome against the model, then applies it to the model. */
    private static void apply(
            TableRegistry registry,
            ThreadOutcome out,
            RecordModel r,
            Write w,
            Optional<WriteReceipt> receipt,
            CisternException failure) {
        if (w.op() == Operation.PATCH && "deleted".equals(r.state)) {
            // refused by design: Redis knows the record is deleted
            assertThat(receipt).as("patch of deleted %s %s", r.table, r.key).isEmpty();
            assertThat(failure).isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.RECORD_DELETED);
                assertThat(e.field()).isEqualTo("key");
                assertThat(e.table()).isEqualTo(r.table);
            });
            out.refusedAsDeleted++;
            return;
        }
        if (failure != null) {
            throw new AssertionError("write " + w + " failed unexpectedly", failure);
        }
        WriteReceipt rc = receipt.orElseThrow();
        assertThat(rc.op()).isEqualTo(w.op());
        assertThat(rc.table()).isEqualTo(r.table);
        assertThat(rc.version()).as("version of %s %s", r.table, rc.key()).isGreaterThan(r.version);
        if (r.encodedKey == null) {
            r.encodedKey = rc.key();
            r.partition = rc.partition();
        }
        assertThat(rc.key()).isEqualTo(r.encodedKey);
        assertThat(rc.partition()).isEqualTo(r.partition);

        Map<String, String> encoded = new LinkedHashMap<>();
        TableDef table = registry.table(r.table).orElseThrow();
        w.columns()
                .forEach((name, value) -> encoded.put(
                        name, ValueCodec.encode(r.table, table.column(name).orElseThrow(), value)));
        switch (w.op()) {
            case PUT -> {
                r.columns.clear();
                r.state = "put";
            }
            case PATCH -> {
                if (r.state == null) {
                    r.state = "patch";
                }
            }
            case DELETE -> {
                r.columns.clear();
                r.state = "deleted";
            }
        }
        r.columns.putAll(encoded);
        r.version = rc.version();
        ExpectedEntry previous = out.entries.put(
                rc.partition() + "/" + rc.entryId(), // entry IDs are unique within one partition's stream only
                new ExpectedEntry(r.table, r.encodedKey, w.op(), rc.version(), encoded));
        assertThat(previous).as("entry id %s given twice", rc.entryId()).isNull();
        out.succeeded++;
    }

    // ------------------------------------------------------------------------------------------------- the check

    private static void checkAgainstModel(List<ThreadOutcome> outcomes) {
        RedisClusterCommands<String, String> cmd = redis.keyed();
        KeyLayout layout = new KeyLayout(redis.prefix());
        Map<String, ExpectedEntry> expected = new HashMap<>();
        int succeeded = 0;
        int refused = 0;
        int batches = 0;
        for (ThreadOutcome o : outcomes) {
            expected.putAll(o.entries);
            succeeded += o.succeeded;
            refused += o.refusedAsDeleted;
            batches += o.batches;
        }
        System.out.printf(
                "RecordWriterModelIT: %d writes accepted, %d patches of deleted records refused, %d batches%n",
                succeeded, refused, batches);
        assertThat(succeeded + refused).isEqualTo(THREADS * WRITES_PER_THREAD);
        assertThat(refused).as("the mix must exercise refused patches").isPositive();
        assertThat(expected).hasSize(succeeded);

        // every stream entry is one accepted write, with its fields, and versions increase per key in stream order
        int partitions = redis.keyed().hget(layout.config(), "partitions") == null
                ? 16
                : Integer.parseInt(redis.keyed().hget(layout.config(), "partitions"));
        long seen = 0;
        for (int p = 0; p < partitions; p++) {
            Map<String, Long> lastVersion = new HashMap<>();
            String from = "-";
            while (true) {
                List<StreamMessage<String, String>> page =
                        cmd.xrange(layout.stream(p), Range.create(from, "+"), Limit.from(5_000));
                for (StreamMessage<String, String> m : page) {
                    if (m.getId().equals(from)) {
                        continue;
                    }
                    seen++;
                    ExpectedEntry e = expected.get(p + "/" + m.getId());
                    assertThat(e)
                            .as("stream entry %s of partition %d %s", m.getId(), p, m.getBody())
                            .isNotNull();
                    Map<String, String> fields = new HashMap<>();
                    fields.put("t", e.table());
                    fields.put("k", e.key());
                    fields.put("o", e.op().wire());
                    fields.put("v", Long.toString(e.version()));
                    e.columns().forEach((c, json) -> fields.put("c:" + c, json));
                    assertThat(m.getBody()).as("entry %s", m.getId()).isEqualTo(fields);
                    String id = e.table() + "/" + e.key();
                    Long last = lastVersion.put(id, e.version());
                    assertThat(last == null || last < e.version())
                            .as("versions of %s in stream order: %s then %s", id, last, e.version())
                            .isTrue();
                }
                if (page.size() < 5_000) {
                    break;
                }
                from = page.getLast().getId();
            }
        }
        assertThat(seen).as("stream entries, one per accepted write").isEqualTo(succeeded);

        // every record hash holds the latest state of its key
        int written = 0;
        for (ThreadOutcome o : outcomes) {
            for (RecordModel r : o.records) {
                if (r.state == null) {
                    continue;
                }
                written++;
                Map<String, String> hash = new HashMap<>();
                hash.put("v", Long.toString(r.version));
                hash.put("s", r.state);
                r.columns.forEach((c, json) -> hash.put("c:" + c, json));
                assertThat(cmd.hgetall(layout.record(r.partition, r.table, r.encodedKey)))
                        .as("record hash of %s %s", r.table, r.encodedKey)
                        .isEqualTo(hash);
            }
        }
        assertThat(redis.keys().stream().filter(k -> k.contains(":r:")).count())
                .as("record hashes, one per written key")
                .isEqualTo(written);
    }
}
