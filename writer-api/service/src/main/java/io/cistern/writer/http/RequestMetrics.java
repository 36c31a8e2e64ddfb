package io.cistern.writer.http;

import io.cistern.writer.RecordWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Counts requests in {@code cistern.writer.requests}, tagged {@code table}, {@code op} and {@code outcome}. Tags stay
 * bounded: {@code table} is the table's name only when it is registered (anything a client makes up counts as {@code
 * unknown}), {@code op} is one of put, patch, delete, batch, and {@code outcome} is {@code accepted}, {@code partial}
 * or an error code. Thread-safe.
 */
final class RequestMetrics {
    static final String REQUESTS = "cistern.writer.requests";
    static final String UNKNOWN_TABLE = "unknown";

    private final MeterRegistry registry;
    private final RecordWriter writer;

    RequestMetrics(MeterRegistry registry, RecordWriter writer) {
        this.registry = registry;
        this.writer = writer;
    }

    void count(String table, String op, String outcome) {
        String tableTag = table != null && writer.registry().table(table).isPresent() ? table : UNKNOWN_TABLE;
        Counter.builder(REQUESTS)
                .description("HTTP write requests by table, operation and outcome")
                .tag("table", tableTag)
                .tag("op", op)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }
}
