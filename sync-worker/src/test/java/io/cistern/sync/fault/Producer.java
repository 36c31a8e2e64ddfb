package io.cistern.sync.fault;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.writer.BatchReceipt;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One producer of the model-based fault test, and its part of the model: random puts, patches and deletes of documents
 * and their entities (composite keys), over a key set no other producer touches, so that per key the order of
 * acknowledgement is this producer's order.
 *
 * <p>The model holds, per key, the latest acknowledged write's effect: present with its columns and version, or
 * deleted with the delete's version. A patch refused as {@code RECORD_DELETED} is not a write; a patch accepted while
 * the model says the record is absent changes nothing and must come out as a "record absent" dead letter. A write that
 * failed otherwise (retryable: Redis restarting, backpressure, a timeout) may or may not have been stored, so its key
 * becomes <em>uncertain</em> until a later put or delete of it is acknowledged (its version is above anything the
 * failed write could have stored); the producer resolves uncertain keys before anything else. Foreign keys are
 * respected the way an application would: entities are put only while their document is present, and a document is
 * deleted only after its entities' deletes were acknowledged.
 *
 * <p>Confined: {@link #step()} runs on one thread at a time (a fixed-delay task), and the model is read after that
 * task has ended. The counters may be read at any time.
 */
final class Producer {
    static final String DOCS = "source_documents";
    static final String ENTITIES = "entities";
    private static final List<String> STATUSES = List.of("registered", "processing", "done", "failed");
    private static final List<String> TYPES = List.of("person", "organisation", "place", "date");

    /** A record: a document ({@code entity == null}) or one of its entities. */
    record Key(UUID document, UUID entity) {
        String table() {
            return entity == null ? DOCS : ENTITIES;
        }

        RecordKey recordKey() {
            return entity == null ? RecordKey.of(document) : RecordKey.of(document, entity);
        }

        /** The text PostgreSQL rows are matched by. */
        String text() {
            return entity == null ? document.toString() : document + "/" + entity;
        }
    }

    /** The expected state of a key: present with these columns (as PostgreSQL prints them), or deleted. */
    record Expected(boolean present, Map<String, String> columns, long version) {}

    /** An acknowledged write: its key, partition, change entry, and when the writer returned it (epoch ms). */
    record Ack(Key key, int partition, String entryId, long atMillis) {}

    /** How long {@link #recentAcks()} keeps an acknowledgement: far longer than a failover takes to settle. */
    private static final long RECENT_ACKS_MILLIS = 60_000;

    private final int id;
    private final Random random;
    private final RecordWriter writer;
    private final List<UUID> documents = new ArrayList<>();
    private final Map<UUID, List<UUID>> entitiesOf = new HashMap<>();
    private final Map<Key, Expected> model = new HashMap<>();
    private final Map<Key, List<String>> history = new HashMap<>();
    private final Set<Key> uncertain = new LinkedHashSet<>();
    private volatile boolean dataLost;
    private volatile boolean noticesLost;
    private final Set<String> expectedDeadLetters = new HashSet<>();
    private final Set<String> possibleDeadLetters = new HashSet<>();
    private final List<String> unexpected = new ArrayList<>();

    private final Deque<Ack> recentAcks = new ConcurrentLinkedDeque<>();
    private final Map<Key, Integer> partitionOf = new ConcurrentHashMap<>();
    private final Set<Key> appliedBeforePromotion = ConcurrentHashMap.newKeySet();

    final AtomicLong acknowledged = new AtomicLong();
    /** Writes acknowledged after a promotion to keys whose older version PostgreSQL held from the old master. */
    final AtomicLong overKeysAppliedBeforePromotion = new AtomicLong();

    final AtomicLong refusedAsDeleted = new AtomicLong();
    final AtomicLong failedRetryable = new AtomicLong();
    /** The failed writes by their failure's code ({@code REPLICA_WAIT_TIMEOUT}, ...) or exception class. */
    final Map<String, AtomicLong> failedByCode = new ConcurrentHashMap<>();
    /** The first failure of each code, for the summary. */
    final Map<String, String> firstFailureByCode = new ConcurrentHashMap<>();

    Producer(int id, long seed, RecordWriter writer, int documentCount, int entitiesPerDocument) {
        this.id = id;
        this.random = new Random(seed);
        this.writer = writer;
        for (int d = 0; d < documentCount; d++) {
            UUID doc = new UUID(seed ^ (0x5EED_0000L + id), d);
            documents.add(doc);
            List<UUID> entities = new ArrayList<>();
            for (int e = 0; e < entitiesPerDocument; e++) {
                entities.add(new UUID(seed ^ (0xE17E_0000L + id), (long) d * 1_000 + e));
            }
            entitiesOf.put(doc, entities);
        }
    }

    /**
     * Redis lost all its data: every write acknowledged so far may be gone unless it was synced, so every key written
     * becomes uncertain until a later put or delete settles it, and the dead letters written so far were lost with
     * Redis. Called from another thread; the producer applies it at its next step.
     */
    void redisLostItsData() {
        dataLost = true;
    }

    /**
     * A master was replaced by its replica: every key of {@code partitions} (those the old master served) that has a
     * row in PostgreSQL ({@code rowKeys}, by {@link Key#text()}) had its older versions applied from the old master, and
     * the next acknowledged write of each is counted in {@link #overKeysAppliedBeforePromotion}. Thread-safe.
     */
    void promoted(Set<Integer> partitions, Set<String> rowKeys) {
        partitionOf.forEach((key, partition) -> {
            if (partitions.contains(partition) && rowKeys.contains(key.text())) {
                appliedBeforePromotion.add(key);
            }
        });
    }

    /** The writes acknowledged in the last minute, oldest first. Thread-safe. */
    List<Ack> recentAcks() {
        return List.copyOf(recentAcks);
    }

    /**
     * A replica that lagged was promoted: the writes it lacks were covered by the replica wait (or are settled by
     * {@link #redisLostItsData()}), but the dead-letter notices the workers appended on the old master are not, so
     * those expected so far may be gone from Redis (PostgreSQL keeps the dead letters). Called from another thread;
     * applied at the producer's next step.
     */
    void deadLetterNoticesMayBeLost() {
        noticesLost = true;
    }

    /** One random step; never throws (a scheduled task that throws is silently cancelled). */
    void step() {
        try {
            applyLosses();
            if (!uncertain.isEmpty()) {
                resolveOne();
                return;
            }
            UUID doc = documents.get(random.nextInt(documents.size()));
            List<UUID> entities = entitiesOf.get(doc);
            Key docKey = new Key(doc, null);
            Key entityKey = new Key(doc, entities.get(random.nextInt(entities.size())));
            int dice = random.nextInt(100);
            if (dice < 22) {
                run(List.of(putDocument(docKey)));
            } else if (dice < 36) {
                run(List.of(patchDocument(docKey)));
            } else if (dice < 42) {
                deleteDocumentWithEntities(docKey);
            } else if (dice < 60) {
                if (present(docKey)) {
                    run(List.of(putEntity(entityKey)));
                } else {
                    run(List.of(putDocument(docKey)));
                }
            } else if (dice < 70) {
                run(List.of(patchEntity(entityKey)));
            } else if (dice < 76) {
                run(List.of(Write.delete(ENTITIES, entityKey.recordKey())));
            } else if (dice < 88) {
                threeWritesOfOneKey(docKey, entityKey);
            } else {
                documentWithItsEntities(docKey);
            }
        } catch (RuntimeException e) {
            synchronized (unexpected) {
                unexpected.add("producer " + id + ": step failed: " + e);
            }
        }
    }

    /** Put, delete and patch of one key in one pipeline, in a random one of the orders that matter. */
    private void threeWritesOfOneKey(Key docKey, Key entityKey) {
        boolean onDocument = !present(docKey) || random.nextBoolean() && entitiesAbsent(docKey.document());
        if (!onDocument && !present(docKey)) {
            return;
        }
        if (onDocument && !entitiesAbsent(docKey.document())) {
            return;
        }
        Key key = onDocument ? docKey : entityKey;
        Write put = onDocument ? putDocument(key) : putEntity(key);
        Write patch = onDocument ? patchDocument(key) : patchEntity(key);
        Write delete = Write.delete(key.table(), key.recordKey());
        List<Write> writes = switch (random.nextInt(4)) {
            case 0 -> List.of(put, delete, patch);
            case 1 -> List.of(put, patch, delete);
            case 2 -> List.of(delete, patch, put);
            default -> List.of(patch, delete, put);
        };
        run(writes);
    }

    /** A document put, then its entities put in one pipeline (only after the document's put was acknowledged). */
    private void documentWithItsEntities(Key docKey) {
        run(List.of(putDocument(docKey)));
        if (!present(docKey) || uncertain.contains(docKey)) {
            return;
        }
        List<Write> puts = new ArrayList<>();
        for (UUID entity : entitiesOf.get(docKey.document())) {
            if (random.nextBoolean()) {
                puts.add(putEntity(new Key(docKey.document(), entity)));
            }
        }
        if (!puts.isEmpty()) {
            run(puts);
        }
    }

    /** Deletes the present entities in one pipeline, then, once all are acknowledged, the document. */
    private void deleteDocumentWithEntities(Key docKey) {
        List<Write> deletes = new ArrayList<>();
        for (UUID entity : entitiesOf.get(docKey.document())) {
            Key e = new Key(docKey.document(), entity);
            if (present(e)) {
                deletes.add(Write.delete(ENTITIES, e.recordKey()));
            }
        }
        if (!deletes.isEmpty()) {
            run(deletes);
        }
        if (entitiesAbsent(docKey.document())) {
            run(List.of(Write.delete(DOCS, docKey.recordKey())));
        }
    }

    /** Applies what {@link #redisLostItsData()} and {@link #deadLetterNoticesMayBeLost()} announced. */
    private void applyLosses() {
        if (noticesLost) {
            noticesLost = false;
            possibleDeadLetters.addAll(expectedDeadLetters);
            expectedDeadLetters.clear();
        }
        if (dataLost) {
            dataLost = false;
            uncertain.addAll(model.keySet());
            possibleDeadLetters.addAll(expectedDeadLetters);
            expectedDeadLetters.clear();
            model.keySet().forEach(k -> history(k, "Redis lost its data: uncertain"));
        }
    }

    /** Makes one uncertain key certain again with a put (or, for an entity whose document is absent, a delete). */
    boolean resolveOne() {
        applyLosses();
        if (uncertain.isEmpty()) {
            return true;
        }
        Key key = uncertain.stream()
                .filter(k -> k.entity() == null)
                .findFirst()
                .orElse(uncertain.iterator().next());
        if (key.entity() == null) {
            run(List.of(putDocument(key)));
        } else {
            Key docKey = new Key(key.document(), null);
            run(List.of(present(docKey) ? putEntity(key) : Write.delete(ENTITIES, key.recordKey())));
        }
        return uncertain.isEmpty();
    }

    private void run(List<Write> writes) {
        for (Write w : writes) {
            if (uncertain.contains(keyOf(w)) && w.op() == Operation.PATCH) {
                throw new IllegalStateException("producer " + id + " patches an uncertain key " + keyOf(w));
            }
        }
        if (writes.size() == 1) {
            Write w = writes.getFirst();
            try {
                record(w, writer.write(w));
            } catch (InvalidRecordException e) {
                refused(w, e);
            } catch (RuntimeException e) {
                failed(w, e);
            }
            return;
        }
        BatchReceipt batch;
        try {
            batch = writer.writeAll(writes);
        } catch (InvalidRecordException e) {
            synchronized (unexpected) {
                unexpected.add("producer " + id + ": batch refused: " + e.getMessage() + " " + writes);
            }
            return;
        } catch (RuntimeException e) {
            writes.forEach(w -> failed(w, e));
            return;
        }
        for (int i = 0; i < writes.size(); i++) {
            Write w = writes.get(i);
            Optional<WriteReceipt> receipt = batch.receipts().get(i);
            if (receipt.isPresent()) {
                record(w, receipt.get());
            } else if (batch.failures().get(i) instanceof InvalidRecordException refusal) {
                refused(w, refusal);
            } else {
                failed(w, batch.failures().get(i));
            }
        }
    }

    private void record(Write w, WriteReceipt receipt) {
        Key key = keyOf(w);
        acknowledged.incrementAndGet();
        long now = System.currentTimeMillis();
        recentAcks.addLast(new Ack(key, receipt.partition(), receipt.entryId(), now));
        while (recentAcks.peekFirst().atMillis() < now - RECENT_ACKS_MILLIS) {
            recentAcks.pollFirst();
        }
        partitionOf.put(key, receipt.partition());
        if (appliedBeforePromotion.remove(key)) {
            overKeysAppliedBeforePromotion.incrementAndGet();
        }
        boolean wasUncertain = uncertain.contains(key);
        history(key, w.op().wire() + " v" + receipt.version() + " " + receipt.entryId() + " " + w.columns());
        switch (w.op()) {
            case PUT -> {
                model.put(key, new Expected(true, expectedColumns(key, w.columns()), receipt.version()));
                uncertain.remove(key);
            }
            case DELETE -> {
                model.put(key, new Expected(false, Map.of(), receipt.version()));
                uncertain.remove(key);
            }
            case PATCH -> {
                Expected before = model.get(key);
                if (wasUncertain) {
                    possibleDeadLetters.add(receipt.entryId());
                } else if (before != null && before.present()) {
                    Map<String, String> merged = new LinkedHashMap<>(before.columns());
                    w.columns().forEach((column, value) -> merged.put(column, text(value)));
                    model.put(key, new Expected(true, merged, receipt.version()));
                } else {
                    // A patch of an absent record: dead-lettered as "record absent" when applied; the row stays absent.
                    expectedDeadLetters.add(receipt.entryId());
                }
            }
        }
    }

    private void refused(Write w, InvalidRecordException e) {
        Key key = keyOf(w);
        if (w.op() == Operation.PATCH && e.reason() == InvalidRecordException.Reason.RECORD_DELETED) {
            refusedAsDeleted.incrementAndGet();
            history(key, "patch refused: deleted");
            Expected before = model.get(key);
            if (!uncertain.contains(key) && before != null && before.present()) {
                synchronized (unexpected) {
                    unexpected.add("producer " + id + ": patch of present " + key + " refused as deleted");
                }
            }
            return;
        }
        synchronized (unexpected) {
            unexpected.add("producer " + id + ": " + w.op().wire() + " of " + key + " refused: " + e.getMessage());
        }
    }

    private void failed(Write w, Throwable e) {
        Key key = keyOf(w);
        failedRetryable.incrementAndGet();
        String code = e instanceof CisternException c ? c.code() : e.getClass().getSimpleName();
        failedByCode.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
        firstFailureByCode.putIfAbsent(code, String.valueOf(e));
        history(key, w.op().wire() + " failed (uncertain): " + e);
        uncertain.add(key);
    }

    private Write putDocument(Key key) {
        Map<String, Object> columns = new LinkedHashMap<>();
        columns.put("filename", "p" + id + "-" + random.nextInt(1_000_000) + ".pdf");
        if (random.nextInt(10) < 7) {
            columns.put("status", STATUSES.get(random.nextInt(STATUSES.size())));
        }
        if (random.nextInt(10) < 6) {
            columns.put("page_count", random.nextInt(500));
        }
        return Write.put(DOCS, key.recordKey(), columns);
    }

    private Write patchDocument(Key key) {
        Map<String, Object> columns = new LinkedHashMap<>();
        if (random.nextInt(3) == 0) {
            columns.put("filename", "p" + id + "-patched-" + random.nextInt(1_000_000) + ".pdf");
        }
        if (random.nextBoolean()) {
            columns.put("page_count", random.nextInt(500));
        }
        if (columns.isEmpty() || random.nextBoolean()) {
            columns.put("status", STATUSES.get(random.nextInt(STATUSES.size())));
        }
        return Write.patch(DOCS, key.recordKey(), columns);
    }

    private Write putEntity(Key key) {
        Map<String, Object> columns = new LinkedHashMap<>();
        columns.put("entity_type", TYPES.get(random.nextInt(TYPES.size())));
        columns.put("value", "v" + random.nextInt(1_000_000));
        if (random.nextBoolean()) {
            columns.put("page_number", random.nextInt(500));
        }
        return Write.put(ENTITIES, key.recordKey(), columns);
    }

    private Write patchEntity(Key key) {
        Map<String, Object> columns = new LinkedHashMap<>();
        if (random.nextBoolean()) {
            columns.put("value", "v-patched-" + random.nextInt(1_000_000));
        }
        if (columns.isEmpty() || random.nextBoolean()) {
            columns.put("page_number", random.nextInt(500));
        }
        return Write.patch(ENTITIES, key.recordKey(), columns);
    }

    /** What a put leaves in the row: the given columns, and the defaults of those not given. */
    private static Map<String, String> expectedColumns(Key key, Map<String, ?> given) {
        Map<String, String> row = new LinkedHashMap<>();
        if (key.entity() == null) {
            row.put("filename", null);
            row.put("status", "registered");
            row.put("page_count", null);
        } else {
            row.put("entity_type", null);
            row.put("value", null);
            row.put("page_number", null);
        }
        given.forEach((column, value) -> row.put(column, text(value)));
        return row;
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private boolean present(Key key) {
        Expected e = model.get(key);
        return e != null && e.present() && !uncertain.contains(key);
    }

    private boolean entitiesAbsent(UUID doc) {
        for (UUID entity : entitiesOf.get(doc)) {
            Key e = new Key(doc, entity);
            if (uncertain.contains(e) || (model.get(e) != null && model.get(e).present())) {
                return false;
            }
        }
        return true;
    }

    private static Key keyOf(Write w) {
        List<Object> values = w.key().values();
        UUID doc = UUID.fromString(values.get(0).toString());
        return values.size() == 1
                ? new Key(doc, null)
                : new Key(doc, UUID.fromString(values.get(1).toString()));
    }

    private void history(Key key, String line) {
        history.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
    }

    /** Every key this producer owns, written or not. */
    List<Key> keys() {
        List<Key> keys = new ArrayList<>();
        for (UUID doc : documents) {
            keys.add(new Key(doc, null));
            entitiesOf.get(doc).forEach(e -> keys.add(new Key(doc, e)));
        }
        return keys;
    }

    /** The expected state of {@code key}, empty when it was never written. */
    Optional<Expected> expected(Key key) {
        return Optional.ofNullable(model.get(key));
    }

    List<String> history(Key key) {
        return history.getOrDefault(key, List.of());
    }

    boolean hasUncertainKeys() {
        return !uncertain.isEmpty();
    }

    Set<String> expectedDeadLetters() {
        return expectedDeadLetters;
    }

    Set<String> possibleDeadLetters() {
        return possibleDeadLetters;
    }

    List<String> unexpected() {
        synchronized (unexpected) {
            return List.copyOf(unexpected);
        }
    }
}
