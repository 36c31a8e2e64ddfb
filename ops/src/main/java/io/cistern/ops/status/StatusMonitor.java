package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the pipeline's status every {@code interval} on its own thread ({@code cistern-status}) and keeps the latest
 * snapshot, so that gauges, readiness and the dashboard answer from memory: one Redis read per interval, however often
 * they are scraped. A failed read (Redis down, Cistern not initialised yet) keeps the last snapshot and records why;
 * the next interval tries again. Each new snapshot also goes through a {@link StallDetector}, the one place that
 * remembers reads across intervals, so that readiness, gauges and the dashboard agree on which partitions apply
 * nothing while entries wait ({@link #stalls()}). Owns its {@link PipelineStatus} and closes it. Thread-safe.
 */
public final class StatusMonitor implements AutoCloseable {
    /** The default refresh interval. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

    private static final Logger LOG = LoggerFactory.getLogger(StatusMonitor.class);

    private final PipelineStatus status;
    private final Duration interval;
    private final ScheduledExecutorService thread;
    /** Guarded by this: only {@link #refresh()}, synchronized, uses it (the schedule, or a caller in tests). */
    private final StallDetector stallDetector;

    private volatile List<PartitionStall> stalls = List.of();
    private final List<Consumer<StatusSnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile StatusSnapshot latest;
    private volatile Instant latestReadAt;
    private volatile String failure;
    private boolean started;

    /** A monitor with the default stall bound, {@link StatusSettings#DEFAULT_READY_MAX_STALL}. */
    public StatusMonitor(PipelineStatus status, Duration interval) {
        this(status, interval, StatusSettings.DEFAULT_READY_MAX_STALL);
    }

    /**
     * @param maxStall a partition with entries waiting whose applied watermark has not moved for longer than this is
     *     {@linkplain #stalls() stalled}; zero turns the check off
     */
    public StatusMonitor(PipelineStatus status, Duration interval, Duration maxStall) {
        this.status = Objects.requireNonNull(status, "status");
        this.stallDetector = new StallDetector(maxStall);
        this.interval = Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("status refresh interval must be positive, was " + interval);
        }
        this.thread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("cistern-status").daemon(true).factory());
    }

    /** Starts refreshing: the first read at once, then every interval. Idempotent. */
    public synchronized StatusMonitor start() {
        if (!started) {
            started = true;
            thread.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** The refresh interval. */
    public Duration interval() {
        return interval;
    }

    /** The latest snapshot read, if any read succeeded yet. */
    public Optional<StatusSnapshot> latest() {
        return Optional.ofNullable(latest);
    }

    /** When the latest snapshot was read (this machine's clock), if any read succeeded yet. */
    public Optional<Instant> latestReadAt() {
        return Optional.ofNullable(latestReadAt);
    }

    /** The stall bound: how long a partition may apply nothing while entries wait; zero when the check is off. */
    public Duration maxStall() {
        return stallDetector.maxStall();
    }

    /**
     * The partitions that applied nothing for longer than {@link #maxStall()} while entries waited, as of the latest
     * snapshot, by number; empty before the first snapshot and while the check is off.
     */
    public List<PartitionStall> stalls() {
        return stalls;
    }

    /** Why the last read failed; empty when it succeeded. */
    public Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Calls {@code listener} with every new snapshot, on the monitor's thread (keep it short; an exception it throws
     * is logged and does not stop the others).
     */
    public void onSnapshot(Consumer<StatusSnapshot> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Reads once, now, on the caller's thread; what the schedule does every interval. */
    public synchronized void refresh() {
        try {
            StatusSnapshot s = status.read();
            stalls = stallDetector.observe(s);
            latest = s;
            latestReadAt = Instant.now();
            if (failure != null) {
                LOG.info("pipeline status readable again");
            }
            failure = null;
            for (Consumer<StatusSnapshot> l : listeners) {
                try {
                    l.accept(s);
                } catch (RuntimeException e) {
                    LOG.warn("a pipeline status listener failed: {}", e.toString());
                }
            }
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            if (!why.equals(failure)) {
                LOG.warn("reading the pipeline status failed (next try in {} ms): {}", interval.toMillis(), why);
            }
            failure = why;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        status.close();
    }
}
