package io.cistern.reader;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a read does next, decided from what each tier said. Pure: no Redis, no PostgreSQL, no clock, no threads; the
 * engine ({@link LettuceCachedReader}) does the I/O a {@link Step} names and comes back with what it found.
 *
 * <p>The rules, in the order a read meets them:
 *
 * <ol>
 *   <li><b>Local cache.</b> A cached answer serves a read that asks for at least its version ({@link #fromLocal}).
 *   <li><b>Redis record hash.</b> A full hash or a delete marker answers; the key columns come from the key, and a
 *       full hash that lacks a database-defaulted column reads the row for it once the sync worker released the
 *       hash to a TTL ({@link #afterTtl}), else answers with those columns pending. No hash: reserve it for a fill (when fills
 *       are on), then read PostgreSQL. A partial hash or another reader's reservation: read PostgreSQL without
 *       reserving ({@link #afterHash}).
 *   <li><b>Reservation refused.</b> A write or another reader came between {@code HGETALL} and the reservation: judge
 *       the hash the reservation found, as above, but never reserve again ({@link #afterReservation}).
 *   <li><b>PostgreSQL.</b> The row answers, with a partial hash merged over it (its columns win, the higher version
 *       counts); no row answers absent at the tombstone's version ({@link #fromDatabase}).
 *   <li><b>Cache the answer</b> unless a fill found that a write came first ({@link #cacheAfterFill}). An answer from
 *       PostgreSQL that says absent is cached as a negative entry ({@link #negative}).
 * </ol>
 *
 * <p>Thread-safe (immutable).
 */
final class TierPolicy {
    private final boolean fillsRedis;

    /** @param fillsRedis whether a read that finds no hash reserves it and copies the row into Redis */
    TierPolicy(boolean fillsRedis) {
        this.fillsRedis = fillsRedis;
    }

    /** The next step of a read after a tier answered nothing final. */
    sealed interface Step {
        /** The read is answered. */
        record Answer(ReadResult result) implements Step {}

        /** No hash: reserve the record hash for a fill, then read PostgreSQL. */
        record Reserve() implements Step {}

        /**
         * Read PostgreSQL; complete the row with {@code hash} when it is partial, or the full hash with the row's
         * database defaults.
         *
         * @param filledElsewhere the hash is another reader's fill reservation (counted, not waited for)
         */
        record ReadDatabase(RecordHash hash, boolean filledElsewhere) implements Step {}
    }

    /** The local cache's answer, as answered by {@link Tier#LOCAL}, or null when it has none at least {@code minVersion}. */
    static ReadResult fromLocal(LocalCache.Entry cached, long minVersion) {
        if (cached == null || cached.result().version() < minVersion) {
            return null;
        }
        return withTier(cached.result(), Tier.LOCAL);
    }

    /** Whether a load of the same key another read started answers a read that needs {@code minVersion}. */
    static boolean sharedAnswers(ReadResult shared, long minVersion) {
        // A load that began before the caller's own write may answer older than it: the caller loads again, unshared.
        return shared.version() >= minVersion;
    }

    /** What to do with the record hash {@code HGETALL} returned. */
    Step afterHash(TableDef def, String key, RecordHash hash) {
        return switch (hash.kind()) {
            case FULL -> full(def, key, hash);
            case DELETED -> new Step.Answer(fromRedis(def, key, hash));
            case NONE -> fillsRedis ? new Step.Reserve() : new Step.ReadDatabase(hash, false);
            case PARTIAL -> new Step.ReadDatabase(hash, false);
            case RESERVED -> new Step.ReadDatabase(hash, true);
        };
    }

    /** What to do when the reservation was refused because the record hash held {@code found}. */
    Step afterReservation(TableDef def, String key, RecordHash found) {
        return switch (found.kind()) {
            case FULL -> full(def, key, found);
            case DELETED -> new Step.Answer(fromRedis(def, key, found));
            case NONE, PARTIAL -> new Step.ReadDatabase(found, false);
            case RESERVED -> new Step.ReadDatabase(found, true);
        };
    }

    /**
     * A full hash answers, unless it lacks a column PostgreSQL fills with its default: then the row is read, and
     * supplies those columns if it is at the hash's version (the put is synced), see {@link #fromDatabase}.
     */
    private static Step full(TableDef def, String key, RecordHash hash) {
        return hash.lacksDefaults(def, keyColumns(def, key))
                ? new Step.ReadDatabase(hash, false)
                : new Step.Answer(fromRedis(def, key, hash));
    }

    /**
     * What to do with a full hash that lacks database defaults, given its time to live ({@code PTTL}, in ms): a hash
     * with a TTL was released by the sync worker, so its put is in PostgreSQL and the row supplies the defaults; a hash
     * without one holds unsynced state (the worker never gives such a hash a TTL), so the answer says the defaults are
     * pending without asking PostgreSQL.
     */
    static Step afterTtl(TableDef def, String key, RecordHash hash, long pttlMillis) {
        return pttlMillis > 0
                ? new Step.ReadDatabase(hash, false)
                : new Step.Answer(fromDatabase(def, key, hash, null, 0));
    }

    /**
     * The answer from the PostgreSQL row, completed by a partial hash when there is one. A full hash that lacks
     * database-defaulted columns answers as {@link Tier#REDIS}, with those columns from the row when the row is at the
     * hash's version (the put is synced, so PostgreSQL assigned them), else without them ({@link
     * ReadResult.Found#pending()}).
     *
     * @param row the record's row, or null when PostgreSQL has none
     * @param tombstone the version of the record's delete in PostgreSQL's tombstones, or 0 when it has none
     */
    static ReadResult fromDatabase(TableDef def, String key, RecordHash hash, DatabaseRows.Row row, long tombstone) {
        if (hash.kind() == RecordHash.Kind.FULL) {
            Map<String, String> columns = hash.recordColumns(def, keyColumns(def, key));
            if (row != null && row.version() == hash.version()) {
                Map<String, String> completed = new LinkedHashMap<>();
                for (ColumnDef c : def.columns()) {
                    String json = columns.containsKey(c.name())
                            ? columns.get(c.name())
                            : row.columns().get(c.name());
                    if (json != null) {
                        completed.put(c.name(), json);
                    }
                }
                columns = completed;
            }
            return new ReadResult.Found(def, key, hash.version(), Tier.REDIS, columns);
        }
        if (row == null) {
            // A partial hash over no row: patches of an absent record, which the sync worker dead-letters.
            return new ReadResult.Absent(def.name(), key, tombstone, Tier.DATABASE);
        }
        if (hash.kind() == RecordHash.Kind.PARTIAL) {
            return new ReadResult.Found(
                    def,
                    key,
                    Math.max(hash.version(), row.version()),
                    Tier.DATABASE,
                    hash.mergeOver(def, row.columns()));
        }
        return new ReadResult.Found(def, key, row.version(), Tier.DATABASE, row.columns());
    }

    /**
     * Whether an answer read from PostgreSQL goes into the local cache: always, unless the read held a fill
     * reservation and the fill found that a write came first (or could not tell).
     */
    static boolean cacheAfterFill(boolean reserved, RedisFills.Outcome fill) {
        return !reserved || fill != RedisFills.Outcome.SUPERSEDED;
    }

    /** Whether an answer goes into the local cache as a negative entry (with the shorter negative TTL). */
    static boolean negative(ReadResult answer) {
        return answer.tier() == Tier.DATABASE && !answer.found();
    }

    /**
     * The columns a read of a full hash took from the PostgreSQL row (database defaults of a synced put), to be written
     * into the hash so the next read needs no query; empty when there are none.
     */
    static Map<String, String> completedDefaults(RecordHash hash, ReadResult answer) {
        if (hash.kind() != RecordHash.Kind.FULL || !(answer instanceof ReadResult.Found found)) {
            return Map.of();
        }
        Map<String, String> added = new LinkedHashMap<>();
        for (ColumnDef c : found.definition().columns()) {
            if (c.hasDefault()
                    && !hash.columns().containsKey(c.name())
                    && found.columns().containsKey(c.name())) {
                added.put(c.name(), found.columns().get(c.name()));
            }
        }
        for (ColumnDef k : found.definition().keyColumns()) {
            added.remove(k.name());
        }
        return added;
    }

    /**
     * The key columns of a record, from its encoded key ({@link RecordAddress#parse}), as canonical JSON: the JSON
     * PostgreSQL's row gives for them, so every tier answers them alike (the record hash holds no key column).
     */
    static Map<String, String> keyColumns(TableDef def, String key) {
        List<Comparable<?>> values = RecordAddress.parse(def, key).values();
        List<ColumnDef> keyColumns = def.keyColumns();
        Map<String, String> json = new LinkedHashMap<>();
        for (int i = 0; i < keyColumns.size(); i++) {
            ColumnDef c = keyColumns.get(i);
            json.put(c.name(), ValueCodec.canonical(def.name(), c, ValueCodec.encode(def.name(), c, values.get(i))));
        }
        return json;
    }

    private static ReadResult fromRedis(TableDef def, String key, RecordHash hash) {
        return hash.kind() == RecordHash.Kind.FULL
                ? new ReadResult.Found(
                        def, key, hash.version(), Tier.REDIS, hash.recordColumns(def, keyColumns(def, key)))
                : new ReadResult.Absent(def.name(), key, hash.version(), Tier.REDIS);
    }

    static ReadResult withTier(ReadResult r, Tier tier) {
        return switch (r) {
            case ReadResult.Found f -> f.withTier(tier);
            case ReadResult.Absent a ->
                a.tier() == tier ? a : new ReadResult.Absent(a.table(), a.key(), a.version(), tier);
        };
    }
}
