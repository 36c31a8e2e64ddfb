package io.cistern.writer;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.registry.TableRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The writer's meters, all in one place:
 *
 * <ul>
 *   <li>{@code cistern.writer.writes} (counter, tags {@code table}, {@code op}): writes Redis stored;
 *   <li>{@code cistern.writer.refusals} (counter, tags {@code table}, {@code reason}): writes refused, at the edge
 *       (validation) or by Redis (backpressure, no floor, unavailable...). {@code reason} is the exception's code in
 *       lower case ({@code backpressure}, {@code unknown_column}, ...), a fixed set.
 * </ul>
 *
 * Tags stay bounded: {@code table} is a registered table's name, or {@code unknown} for whatever a caller made up.
 * Thread-safe; counters are cached so that the hot path builds no tags.
 */
final class WriterMetrics {
    static final String WRITES = "cistern.writer.writes";
    static final String REFUSALS = "cistern.writer.refusals";
    static final String UNKNOWN_TABLE = "unknown";

    private final MeterRegistry registry;
    private final Supplier<TableRegistry> tables;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    WriterMetrics(MeterRegistry registry, Supplier<TableRegistry> tables) {
        this.registry = registry;
        this.tables = tables;
    }

    void written(String table, Operation op) {
        String t = tableTag(table);
        counters.computeIfAbsent(
                        WRITES + '\0' + t + '\0' + op.wire(),
                        k -> Counter.builder(WRITES)
                                .description("Writes stored in Redis, by table and operation")
                                .tag("table", t)
                                .tag("op", op.wire())
                                .register(registry))
                .increment();
    }

    void refused(String table, String code) {
        String t = tableTag(table);
        String reason = code == null ? "unknown" : code.toLowerCase(Locale.ROOT);
        counters.computeIfAbsent(
                        REFUSALS + '\0' + t + '\0' + reason,
                        k -> Counter.builder(REFUSALS)
                                .description("Writes refused, by table and reason")
                                .tag("table", t)
                                .tag("reason", reason)
                                .register(registry))
                .increment();
    }

    private String tableTag(String table) {
        return table != null && tables.get().table(table).isPresent() ? table : UNKNOWN_TABLE;
    }
}
