package io.cistern.reader;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The reader's meters, all named {@code cistern.proxy.*}, in base units, with small fixed tag sets (no table or key
 * tags: a proxy may serve many tables, and keys are unbounded). Thread-safe.
 *
 * <ul>
 *   <li>{@code cistern.proxy.lookups} (counter; {@code tier} = local|redis, {@code result} = hit|miss) — a local miss
 *       goes on to Redis; a Redis miss (no hash, a partial hash, a reservation) goes on to PostgreSQL;
 *   <li>{@code cistern.proxy.reads} (counter; {@code tier} = local|redis|database) — which tier answered each read;
 *   <li>{@code cistern.proxy.database.queries} (timer; {@code outcome} = ok|failed|timeout|rejected) — PostgreSQL
 *       reads: {@code rejected} when no fill slot freed within the database timeout;
 *   <li>{@code cistern.proxy.fills} (counter; {@code outcome} = filled|released|superseded|elsewhere) — copies of
 *       PostgreSQL rows into Redis: {@code superseded} when a write came first, {@code elsewhere} when another reader
 *       held the reservation;
 *   <li>{@code cistern.proxy.invalidations} (counter) — keys Redis told this reader to drop;
 *   <li>{@code cistern.proxy.local.clears} (counter; {@code reason} = disconnect|reconnect|flush|silence) — whole-cache
 *       clears;
 *   <li>{@code cistern.proxy.local.entries} (gauge) — records in the local cache;
 *   <li>{@code cistern.proxy.coalesced} (counter) — reads that waited for another read's load of the same key instead
 *       of loading it again.
 * </ul>
 */
final class ReaderMetrics {
    private final MeterRegistry registry;
    private final Counter localHit;
    private final Counter localMiss;
    private final Counter redisHit;
    private final Counter redisMiss;
    private final Map<Tier, Counter> reads = new EnumMap<>(Tier.class);
    private final Map<String, Timer> queries = new ConcurrentHashMap<>();
    private final Map<RedisFills.Outcome, Counter> fills = new EnumMap<>(RedisFills.Outcome.class);
    private final Counter fillElsewhere;
    private final Counter invalidations;
    private final Map<String, Counter> clears = new ConcurrentHashMap<>();
    private final Counter coalesced;
    private final AtomicLong invalidatedKeys = new AtomicLong();
    private final AtomicLong clearCount = new AtomicLong();

    ReaderMetrics(MeterRegistry registry, Supplier<Number> localEntries) {
        this.registry = registry;
        localHit = lookups("local", "hit");
        localMiss = lookups("local", "miss");
        redisHit = lookups("redis", "hit");
        redisMiss = lookups("redis", "miss");
        for (Tier t : Tier.values()) {
            reads.put(
                    t,
                    Counter.builder("cistern.proxy.reads")
                            .description("Reads answered, by the tier that answered")
                            .tag("tier", t.label())
                            .register(registry));
        }
        for (RedisFills.Outcome o : RedisFills.Outcome.values()) {
            fills.put(o, fillCounter(o.name().toLowerCase(java.util.Locale.ROOT)));
        }
        fillElsewhere = fillCounter("elsewhere");
        invalidations = Counter.builder("cistern.proxy.invalidations")
                .description("Keys Redis told this reader to drop from its local cache")
                .register(registry);
        coalesced = Counter.builder("cistern.proxy.coalesced")
                .description("Reads that shared another read's load of the same key")
                .register(registry);
        Gauge.builder("cistern.proxy.local.entries", localEntries)
                .description("Records in the local cache (estimate)")
                .register(registry);
        for (String reason : new String[] {"disconnect", "reconnect", "flush", "silence", "topology"}) {
            clear(reason);
        }
        for (String outcome : new String[] {"ok", "failed", "timeout", "rejected"}) {
            query(outcome);
        }
    }

    private Counter lookups(String tier, String result) {
        return Counter.builder("cistern.proxy.lookups")
                .description("Cache lookups by tier and result")
                .tag("tier", tier)
                .tag("result", result)
                .register(registry);
    }

    private Counter fillCounter(String outcome) {
        return Counter.builder("cistern.proxy.fills")
                .description("Copies of PostgreSQL rows into Redis, by outcome")
                .tag("outcome", outcome)
                .register(registry);
    }

    private Counter clear(String reason) {
        return clears.computeIfAbsent(
                reason,
                r -> Counter.builder("cistern.proxy.local.clears")
                        .description("Whole local-cache clears because invalidations may have been missed")
                        .tag("reason", r)
                        .register(registry));
    }

    private Timer query(String outcome) {
        return queries.computeIfAbsent(
                outcome,
                o -> Timer.builder("cistern.proxy.database.queries")
                        .description("PostgreSQL reads, by outcome")
                        .tag("outcome", o)
                        .register(registry));
    }

    void localLookup(boolean hit) {
        (hit ? localHit : localMiss).increment();
    }

    void redisLookup(boolean hit) {
        (hit ? redisHit : redisMiss).increment();
    }

    void answered(Tier tier) {
        reads.get(tier).increment();
    }

    void query(String outcome, Duration elapsed) {
        query(outcome).record(elapsed);
    }

    void fill(RedisFills.Outcome outcome) {
        fills.get(outcome).increment();
    }

    void fillElsewhere() {
        fillElsewhere.increment();
    }

    void invalidated(int keys) {
        invalidations.increment(keys);
        invalidatedKeys.addAndGet(keys);
    }

    void cleared(String reason) {
        clear(reason).increment();
        clearCount.incrementAndGet();
    }

    long invalidatedKeys() {
        return invalidatedKeys.get();
    }

    long clearCount() {
        return clearCount.get();
    }

    void coalesced() {
        coalesced.increment();
    }
}
