package io.cistern.reader;

import io.cistern.schema.registry.TableDef;

/**
 * What a read does next, decided from what each tier said. Pure: no Redis, no PostgreSQL, no clock, no threads; the
 * engine ({@link LettuceCachedReader}) does the I/O a {@link Step} names and comes back with what it found.
 *
 * <p>The rules, in the order a read meets them:
 *
 * <ol>
 *   <li><b>Local cache.</b> A cached answer serves a read that asks for at least its version ({@link #fromLocal}).
 *   <li><b>Redis record hash.</b> A full hash or a delete marker answers. No hash: reserve it for a fill (when fills
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
         * Read PostgreSQL; complete the row with {@code hash} when it is partial.
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
            case FULL, DELETED -> new Step.Answer(fromRedis(def, key, hash));
            case NONE -> fillsRedis ? new Step.Reserve() : new Step.ReadDatabase(hash, false);
            case PARTIAL -> new Step.ReadDatabase(hash, false);
            case RESERVED -> new Step.ReadDatabase(hash, true);
        };
    }

    /** What to do when the reservation was refused because the record hash held {@code found}. */
    Step afterReservation(TableDef def, String key, RecordHash found) {
        return switch (found.kind()) {
            case FULL, DELETED -> new Step.Answer(fromRedis(def, key, found));
            case NONE, PARTIAL -> new Step.ReadDatabase(found, false);
            case RESERVED -> new Step.ReadDatabase(found, true);
        };
    }

    /**
     * The answer from the PostgreSQL row, completed by a partial hash when there is one.
     *
     * @param row the record's row, or null when PostgreSQL has none
     * @param tombstone the version of the record's delete in PostgreSQL's tombstones, or 0 when it has none
     */
    static ReadResult fromDatabase(TableDef def, String key, RecordHash hash, DatabaseRows.Row row, long tombstone) {
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

    private static ReadResult fromRedis(TableDef def, String key, RecordHash hash) {
        return hash.kind() == RecordHash.Kind.FULL
                ? new ReadResult.Found(def, key, hash.version(), Tier.REDIS, hash.recordColumns(def))
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
