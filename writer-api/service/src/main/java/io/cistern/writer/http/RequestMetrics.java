package io.cistern.writer.http;

import io.cistern.writer.RecordWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Counts requests in {@code cistern.writer.requests}, tagged {@code table}, {@code op} and {@code outcome}. Tags stay
 * bounded: {@code table} is the table's name only when it is registered (anything a client makes up counts as {@code
 * unknown}), {@code op} is one of put, patch, delete, batch, and {@code outcome} is {@code accepted}, {@code partial}
 * or an error code. Each counter is built and registered once and then looked up by its tags, so a request costs a map
 * lookup, not a meter registration. Thread-safe.
 */
final class RequestMetrics {
    static final String REQUESTS = "cistern.writer.requests";
    static final String UNKNOWN_TABLE = "unknown";

    private final MeterRegistry registry;
    private final RecordWriter writer;
    private final ConcurrentMap<Tags, Counter> counters = new ConcurrentHashMap<>();

    private record Tags(String table, String op, String outcome) {}

    RequestMetrics(MeterRegistry registry, RecordWriter writer) {
        this.registry = registry;
        this.writer = writer;
    }

    void count(String table, String op, String outcome) {
        String tableTag = table != null && writer.registry().table(table).isPresent() ? table : UNKNOWN_TABLE;
        counters.computeIfAbsent(new Tags(tableTag, op, outcome), this::register)
                .increment();
    }

    private Counter register(Tags tags) {
        return Counter.builder(REQUESTS)
                .description("HTTP write requests by table, operation and outcome")
                .tag("table", tags.table())
                .tag("op", tags.op())
                .tag("outcome", tags.outcome())
                .register(registry);
    }
}
