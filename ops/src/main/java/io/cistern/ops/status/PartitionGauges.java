package io.cistern.ops.status;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Per-partition gauges read from the {@link StatusMonitor}'s latest snapshot, never from Redis, so a scrape costs
 * nothing however many partitions and scrapers there are (DESIGN.md section 7). Tag {@code partition}. A gauge is
 * registered for each partition once the first snapshot says how many there are. While the snapshot is older than
 * three refresh intervals (Redis unreachable) the per-partition gauges read NaN rather than stale numbers; {@value
 * #READ_AGE} says how old it is. Thread-safe.
 *
 * <table>
 *   <tr><th>meter</th><th>Prometheus</th><th>value</th></tr>
 *   <tr><td>{@value #BACKLOG}</td><td>{@code cistern_partition_backlog_entries}</td><td>entries not yet applied</td></tr>
 *   <tr><td>{@value #OLDEST_AGE}</td><td>{@code cistern_partition_oldest_age_seconds}</td><td>age of the oldest
 *       unapplied entry</td></tr>
 *   <tr><td>{@value #PENDING}</td><td>{@code cistern_partition_pending_entries}</td><td>PEL of group sync</td></tr>
 *   <tr><td>{@value #DEAD_LETTERS}</td><td>{@code cistern_partition_deadletters_entries}</td><td>open dead letters,
 *       as {@code cistern_dead_letter} counts them</td></tr>
 *   <tr><td>{@value #PAUSED}</td><td>{@code cistern_partition_paused}</td><td>1 while paused</td></tr>
 *   <tr><td>{@value #OWNED}</td><td>{@code cistern_partition_owned}</td><td>1 while a worker holds the lease</td></tr>
 *   <tr><td>{@value #STALLED}</td><td>{@code cistern_partition_stalled}</td><td>1 while entries wait and nothing has
 *       been applied for longer than the stall bound ({@link StatusMonitor#stalls()})</td></tr>
 *   <tr><td>{@value #READ_AGE}</td><td>{@code cistern_status_read_age_seconds}</td><td>age of the snapshot</td></tr>
 * </table>
 */
public final class PartitionGauges implements MeterBinder {
    public static final String BACKLOG = "cistern.partition.backlog.entries";
    public static final String OLDEST_AGE = "cistern.partition.oldest.age";
    public static final String PENDING = "cistern.partition.pending.entries";
    public static final String DEAD_LETTERS = "cistern.partition.deadletters.entries";
    public static final String PAUSED = "cistern.partition.paused";
    public static final String OWNED = "cistern.partition.owned";
    public static final String STALLED = "cistern.partition.stalled";
    public static final String READ_AGE = "cistern.status.read.age";
    /**
     * On a Redis Cluster: 1 for the master (tag {@code master}) serving the partition's slot, 0 for a master that served
     * it before (a failover or reshard moved it); one gauge per partition and master seen.
     */
    public static final String MASTER = "cistern.partition.master";

    private final StatusMonitor monitor;
    private MeterRegistry registry;
    private int registered;
    /** The (partition, master) pairs with a {@link #MASTER} gauge. */
    private final java.util.Set<String> mastersRegistered = new java.util.HashSet<>();

    public PartitionGauges(StatusMonitor monitor) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        monitor.onSnapshot(s -> {
            ensure(s.partitions().size());
            ensureMasters(s);
        });
    }

    private synchronized void ensureMasters(StatusSnapshot s) {
        if (registry == null) {
            return;
        }
        for (PartitionStatus p : s.partitions()) {
            if (p.master().isEmpty()
                    || !mastersRegistered.add(p.partition() + " " + p.master().get())) {
                continue;
            }
            int partition = p.partition();
            String master = p.master().get();
            Gauge.builder(
                            MASTER,
                            this,
                            g -> g.fresh(partition)
                                    .map(f -> f.master().filter(master::equals).isPresent() ? 1.0 : 0.0)
                                    .orElse(Double.NaN))
                    .tag("partition", Integer.toString(partition))
                    .tag("master", master)
                    .description("1 while this Redis Cluster master serves the partition's slot")
                    .register(registry);
        }
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder(
                        READ_AGE,
                        monitor,
                        m -> m.latestReadAt()
                                .map(at -> Duration.between(at, Instant.now()).toMillis() / 1000.0)
                                .orElse(Double.NaN))
                .baseUnit("seconds")
                .description("How old the pipeline status behind the cistern.partition gauges is")
                .register(registry);
        registered = 0;
        mastersRegistered.clear();
        monitor.latest().ifPresent(s -> {
            ensure(s.partitions().size());
            ensureMasters(s);
        });
    }

    private synchronized void ensure(int partitions) {
        if (registry == null) {
            return;
        }
        for (int p = registered; p < partitions; p++) {
            gauge(BACKLOG, p, null, "Entries not yet applied to PostgreSQL", s -> s.backlog());
            gauge(
                    OLDEST_AGE,
                    p,
                    "seconds",
                    "Age of the oldest entry not yet applied",
                    PartitionStatus::oldestAgeSeconds);
            gauge(PENDING, p, null, "Entries delivered to the sync group and not yet acknowledged", s -> s.pending());
            gauge(
                    DEAD_LETTERS,
                    p,
                    null,
                    "Open dead letters of the partition (cistern_dead_letter)",
                    s -> s.deadLetters());
            gauge(PAUSED, p, null, "1 while an operator has paused the partition", s -> s.paused() ? 1 : 0);
            gauge(
                    OWNED,
                    p,
                    null,
                    "1 while a sync worker holds the partition's lease",
                    s -> s.owner().isPresent() ? 1 : 0);
            gauge(
                    STALLED,
                    p,
                    null,
                    "1 while entries wait and the partition has applied nothing for longer than the stall bound",
                    s -> monitor.stalls().stream().anyMatch(st -> st.partition() == s.partition()) ? 1 : 0);
        }
        registered = Math.max(registered, partitions);
    }

    private void gauge(
            String name, int partition, String unit, String description, ToDoubleFunction<PartitionStatus> f) {
        Gauge.builder(name, this, g -> g.fresh(partition).map(f::applyAsDouble).orElse(Double.NaN))
                .tag("partition", Integer.toString(partition))
                .baseUnit(unit)
                .description(description)
                .register(registry);
    }

    private Optional<PartitionStatus> fresh(int partition) {
        Optional<Instant> at = monitor.latestReadAt();
        if (at.isEmpty()
                || Duration.between(at.get(), Instant.now())
                                .compareTo(monitor.interval().multipliedBy(3))
                        > 0) {
            return Optional.empty();
        }
        return monitor.latest().filter(s -> partition < s.partitions().size()).map(s -> s.partition(partition));
    }
}
