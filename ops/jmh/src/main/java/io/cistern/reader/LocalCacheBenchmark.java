package io.cistern.reader;

import com.github.benmanes.caffeine.cache.Ticker;
import io.cistern.jmh.Fixtures;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.TableDef;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The read proxy's local tier ({@link LocalCache}, Caffeine plus the invalidation stamps): a hit, a miss, a load's
 * install (begin, put, re-check) and an invalidation, over 100,000 cached records of the bench payload. In the package
 * {@code io.cistern.reader} because the class is package-private; this module is never on the reader's classpath.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LocalCacheBenchmark {
    private static final int KEYS = 100_000;

    private LocalCache cache;
    private String[] keys;
    private String[] absentKeys;
    private LocalCache.Entry entry;
    private int next;

    @Setup
    public void setUp() {
        cache = new LocalCache(200_000, Duration.ofMinutes(10), Duration.ofSeconds(2), Ticker.systemTicker());
        cache.active(true);
        TableDef table = Fixtures.table();
        KeyLayout layout = new KeyLayout("cistern");
        keys = new String[KEYS];
        absentKeys = new String[KEYS];
        Map<String, String> columns = new LinkedHashMap<>();
        Fixtures.benchColumns(7)
                .forEach((name, value) ->
                        columns.put(name, value instanceof String s ? "\"" + s + "\"" : String.valueOf(value)));
        for (int i = 0; i < KEYS; i++) {
            String key = Fixtures.key(i).toString();
            keys[i] = layout.record(i % 16, Fixtures.TABLE, key);
            absentKeys[i] = layout.record(i % 16, Fixtures.TABLE, "absent-" + key);
            ReadResult.Found found = new ReadResult.Found(table, key, i + 1, Tier.REDIS, columns);
            cache.install(keys[i], new LocalCache.Entry(found, false), cache.begin());
        }
        entry = new LocalCache.Entry(
                new ReadResult.Found(table, Fixtures.key(0).toString(), 1, Tier.REDIS, columns), false);
    }

    private int nextIndex() {
        int i = next + 1;
        next = i == KEYS ? 0 : i;
        return next;
    }

    @Benchmark
    public LocalCache.Entry hit() {
        return cache.get(keys[nextIndex()]);
    }

    @Benchmark
    @Threads(2)
    public LocalCache.Entry hitTwoThreads() {
        return cache.get(keys[nextIndex()]);
    }

    @Benchmark
    public LocalCache.Entry miss() {
        return cache.get(absentKeys[nextIndex()]);
    }

    /** A load installing its result: the clock before the read, the put, the re-check. */
    @Benchmark
    public boolean install() {
        return cache.install(keys[nextIndex()], entry, cache.begin());
    }

    @Benchmark
    public void invalidate() {
        cache.invalidate(keys[nextIndex()]);
    }
}
