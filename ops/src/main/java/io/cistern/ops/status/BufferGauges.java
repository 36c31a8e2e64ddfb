package io.cistern.ops.status;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long an outage the buffer can absorb ({@link BufferCapacity}), kept from the {@link StatusMonitor}'s snapshots:
 * at each one it records the write rate ({@link WriteRate}, a minute's window) and reads the buffer's room ({@link
 * PipelineStatus#readBuffer}) on a status reader of its own, so scrapes read memory only. A figure with no bound reads
 * {@code +Inf}; one unknown (no rate yet, nothing sampled, or a reading older than three refresh intervals) reads NaN.
 * Thread-safe; closes its reader.
 *
 * <table>
 *   <tr><th>meter</th><th>Prometheus</th><th>value</th></tr>
 *   <tr><td>{@value #ENTRIES_LEFT}</td><td>{@code cistern_buffer_capacity_entries}</td><td>entries Redis can still
 *       take before writes are refused with back-pressure</td></tr>
 *   <tr><td>{@value #BYTES_LEFT}</td><td>{@code cistern_buffer_capacity_bytes}</td><td>bytes before the memory
 *       guard refuses writes</td></tr>
 *   <tr><td>{@value #TIME_LEFT}</td><td>{@code cistern_buffer_capacity_time_seconds}</td><td>how long an outage of
 *       PostgreSQL that lasts at the current write rate</td></tr>
 *   <tr><td>{@value #MEMORY_LIMIT}</td><td>{@code cistern_buffer_memory_limit_bytes}</td><td>the memory guard in
 *       force; 0 when there is none</td></tr>
 * </table>
 */
public final class BufferGauges implements MeterBinder, AutoCloseable {
    public static final String ENTRIES_LEFT = "cistern.buffer.capacity.entries";
    public static final String BYTES_LEFT = "cistern.buffer.capacity";
    public static final String TIME_LEFT = "cistern.buffer.capacity.time";
    public static final String MEMORY_LIMIT = "cistern.buffer.memory.limit";

    private static final Logger LOG = LoggerFactory.getLogger(BufferGauges.class);

    private final StatusMonitor monitor;
    private final PipelineStatus reader;
    private final WriteRate rate = new WriteRate(WriteRate.DEFAULT_WINDOW);
    private volatile BufferCapacity latest;
    private volatile Instant latestAt;
    private volatile String failure;

    /**
     * @param monitor whose snapshots drive the readings
     * @param reader a status reader of this gauge's own (closed by {@link #close()})
     */
    public BufferGauges(StatusMonitor monitor, PipelineStatus reader) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.reader = Objects.requireNonNull(reader, "reader");
        monitor.onSnapshot(this::update);
    }

    /** Records {@code snapshot}'s rate and reads the buffer's room; what each new snapshot does. */
    void update(StatusSnapshot snapshot) {
        rate.record(snapshot);
        try {
            latest = BufferCapacity.of(reader.readBuffer(snapshot), rate.perSecond());
            latestAt = Instant.now();
            failure = null;
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            if (!why.equals(failure)) {
                LOG.warn("reading the buffer's capacity failed (next try with the next status): {}", why);
            }
            failure = why;
        }
    }

    /** The latest capacity, unless it is older than three refresh intervals. */
    public Optional<BufferCapacity> latest() {
        Instant at = latestAt;
        if (at == null
                || Duration.between(at, Instant.now())
                                .compareTo(monitor.interval().multipliedBy(3))
                        > 0) {
            return Optional.empty();
        }
        return Optional.ofNullable(latest);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(
                registry,
                ENTRIES_LEFT,
                null,
                "Entries Redis can take before writes are refused with back-pressure",
                c -> c.entriesLeft().isPresent()
                        ? c.entriesLeft().getAsLong()
                        : c.bounded() ? Double.NaN : Double.POSITIVE_INFINITY);
        gauge(
                registry,
                BYTES_LEFT,
                "bytes",
                "Bytes of Redis memory before the memory guard refuses writes",
                c -> c.bytesLeft().isPresent() ? c.bytesLeft().getAsLong() : Double.POSITIVE_INFINITY);
        gauge(
                registry,
                TIME_LEFT,
                "seconds",
                "How long an outage of PostgreSQL the buffer absorbs at the current write rate",
                c -> {
                    if (c.timeLeft().isPresent()) {
                        return c.timeLeft().get().toMillis() / 1000.0;
                    }
                    boolean idle = c.writeRate().isPresent() && c.writeRate().getAsDouble() == 0;
                    return !c.bounded() || idle ? Double.POSITIVE_INFINITY : Double.NaN;
                });
        gauge(
                registry,
                MEMORY_LIMIT,
                "bytes",
                "The Redis memory at which writes are refused; 0 when none",
                c -> c.limit().bytes());
    }

    private void gauge(
            MeterRegistry registry, String name, String unit, String description, ToDoubleFunction<BufferCapacity> f) {
        Gauge.builder(name, this, g -> g.latest().map(f::applyAsDouble).orElse(Double.NaN))
                .baseUnit(unit)
                .description(description)
                .register(registry);
    }

    @Override
    public void close() {
        reader.close();
    }
}
