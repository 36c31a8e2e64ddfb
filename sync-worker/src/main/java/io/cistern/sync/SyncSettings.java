package io.cistern.sync;

import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.Objects;

/**
 * How a sync worker runs. Immutable; every value and combination is checked in the constructor.
 *
 * @param layout the Redis key layout (its prefix)
 * @param workerId this worker's name in leases and logs; unique among live workers
 * @param batchSize the most entries in one batch (one transaction)
 * @param linger how long a batch stays open for more entries after its first one arrived, when it is not full
 * @param leaseTime how long a partition lease lives without renewal; a dead worker's partitions are free after it
 * @param renewInterval how often leases are renewed and free partitions sought; well below {@code leaseTime}
 * @param parentMissingTimeout how long a batch is retried while a foreign-key parent is missing (it may be in flight on
 *     another partition) before the entry that needs it is dead-lettered
 * @param backoffInitial the first retry delay after a transient failure
 * @param backoffMax the cap of the exponential retry delay
 * @param drainTimeout how long {@link SyncWorker#close()} waits for the batches in hand to commit
 * @param limits the buffer limits the worker re-publishes with the registry when it re-seeds a partition whose meta
 *     hash lost its version floor (Redis lost its data); keep them equal to what {@code ops/cistern init} publishes
 * @param trimInterval how often each partition loop trims its stream ({@code XTRIM MINID}) up to what every consumer
 *     group has acknowledged
 * @param syncedHashTtl the time to live given to a record hash once its latest version is applied and acknowledged;
 *     zero keeps synced hashes forever
 */
public record SyncSettings(
        KeyLayout layout,
        String workerId,
        int batchSize,
        Duration linger,
        Duration leaseTime,
        Duration renewInterval,
        Duration parentMissingTimeout,
        Duration backoffInitial,
        Duration backoffMax,
        Duration drainTimeout,
        BufferLimits limits,
        Duration trimInterval,
        Duration syncedHashTtl) {
    public static final int DEFAULT_BATCH_SIZE = 1_000;
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(20);
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RENEW_INTERVAL = Duration.ofSeconds(3);
    public static final Duration DEFAULT_PARENT_MISSING_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(100);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TRIM_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SYNCED_HASH_TTL = Duration.ofHours(1);

    public SyncSettings {
        Objects.requireNonNull(layout, "layout must not be null");
        Objects.requireNonNull(workerId, "workerId must not be null");
        if (workerId.isBlank() || workerId.length() > 128) {
            throw new IllegalArgumentException("workerId must be 1 to 128 characters, was '" + workerId + "'");
        }
        if (batchSize < 1 || batchSize > 100_000) {
            throw new IllegalArgumentException("batchSize must be between 1 and 100000, was " + batchSize);
        }
        requirePositive("linger", linger, true);
        requirePositive("leaseTime", leaseTime, false);
        requirePositive("renewInterval", renewInterval, false);
        requirePositive("parentMissingTimeout", parentMissingTimeout, true);
        requirePositive("backoffInitial", backoffInitial, false);
        requirePositive("backoffMax", backoffMax, false);
        requirePositive("drainTimeout", drainTimeout, true);
        Objects.requireNonNull(limits, "limits must not be null");
        requirePositive("trimInterval", trimInterval, false);
        requirePositive("syncedHashTtl", syncedHashTtl, true);
        if (renewInterval.multipliedBy(2).compareTo(leaseTime) > 0) {
            throw new IllegalArgumentException("renewInterval (" + renewInterval.toMillis()
                    + " ms) must be at most half of leaseTime (" + leaseTime.toMillis()
                    + " ms), so one late renewal does not lose the lease");
        }
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException("backoffMax (" + backoffMax.toMillis()
                    + " ms) must not be below backoffInitial (" + backoffInitial.toMillis() + " ms)");
        }
    }

    /**
     * The settings of earlier releases, with the default {@link BufferLimits#DEFAULTS limits}, {@link
     * #DEFAULT_TRIM_INTERVAL trim interval} and {@link #DEFAULT_SYNCED_HASH_TTL synced-hash TTL}.
     */
    public SyncSettings(
            KeyLayout layout,
            String workerId,
            int batchSize,
            Duration linger,
            Duration leaseTime,
            Duration renewInterval,
            Duration parentMissingTimeout,
            Duration backoffInitial,
            Duration backoffMax,
            Duration drainTimeout) {
        this(
                layout,
                workerId,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                BufferLimits.DEFAULTS,
                DEFAULT_TRIM_INTERVAL,
                DEFAULT_SYNCED_HASH_TTL);
    }

    /** The defaults, with {@code layout} and a worker ID made of host, process and a random suffix. */
    public static SyncSettings defaults(KeyLayout layout) {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        String id = host + "-" + ProcessHandle.current().pid() + "-"
                + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 30), 36);
        return new SyncSettings(
                layout,
                id,
                DEFAULT_BATCH_SIZE,
                DEFAULT_LINGER,
                DEFAULT_LEASE_TIME,
                DEFAULT_RENEW_INTERVAL,
                DEFAULT_PARENT_MISSING_TIMEOUT,
                DEFAULT_BACKOFF_INITIAL,
                DEFAULT_BACKOFF_MAX,
                DEFAULT_DRAIN_TIMEOUT);
    }

    public SyncSettings withBatchSize(int size) {
        return new SyncSettings(
                layout,
                workerId,
                size,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                trimInterval,
                syncedHashTtl);
    }

    public SyncSettings withLinger(Duration value) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                value,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                trimInterval,
                syncedHashTtl);
    }

    public SyncSettings withLease(Duration time, Duration renewEvery) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                linger,
                time,
                renewEvery,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                trimInterval,
                syncedHashTtl);
    }

    public SyncSettings withParentMissingTimeout(Duration value) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                value,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                trimInterval,
                syncedHashTtl);
    }

    public SyncSettings withBackoff(Duration initial, Duration max) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                initial,
                max,
                drainTimeout,
                limits,
                trimInterval,
                syncedHashTtl);
    }

    public SyncSettings withLimits(BufferLimits value) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                value,
                trimInterval,
                syncedHashTtl);
    }

    public SyncSettings withTrimInterval(Duration value) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                value,
                syncedHashTtl);
    }

    public SyncSettings withSyncedHashTtl(Duration value) {
        return new SyncSettings(
                layout,
                workerId,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                trimInterval,
                value);
    }

    public SyncSettings withWorkerId(String value) {
        return new SyncSettings(
                layout,
                value,
                batchSize,
                linger,
                leaseTime,
                renewInterval,
                parentMissingTimeout,
                backoffInitial,
                backoffMax,
                drainTimeout,
                limits,
                trimInterval,
                syncedHashTtl);
    }

    private static void requirePositive(String name, Duration value, boolean zeroAllowed) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || (!zeroAllowed && value.isZero())) {
            throw new IllegalArgumentException(
                    name + " must be " + (zeroAllowed ? "zero or more" : "positive") + ", was " + value);
        }
    }
}
