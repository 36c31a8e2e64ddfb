package io.cistern.sync;

import io.cistern.connections.EnvironmentReader;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a sync worker runs. Immutable; every value and combination is checked in the constructor. Built by {@link
 * #defaults(KeyLayout)} or {@link #fromEnvironment(Map, KeyLayout)}, changed by {@link #mutate()}.
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
 * @param deadLetterRetention how long a resolved dead letter (replayed, superseded or dropped) is kept in {@code
 *     cistern_dead_letter} before the worker deletes it ({@link DeadLetterRetention}, at start and every {@link
 *     SyncWorker#RETENTION_INTERVAL}); zero keeps them forever. Open dead letters are never deleted. From {@link
 *     DeadLetterRetention#MINIMUM} to {@link DeadLetterRetention#MAXIMUM}
 * @param stallTimeout the shortest time a batch's statement may go without any answer from PostgreSQL before its
 *     connection is abandoned as dead (a path that stopped passing bytes sends no error, and the driver's socket
 *     timeout is a minute); the bound grows with the partition's recent batch times and doubles after each stall
 *     ({@link ResponseBound}); zero waits for the driver's socket timeout ({@code DB_SOCKET_TIMEOUT_MS})
 * @param entryFormat the newest change-entry format this worker lets the Function write ({@link
 *     ChangeEntry#NEWEST_FORMAT} by default, written only once every live worker reads it: {@link EntryFormatGate});
 *     {@link ChangeEntry#FORMAT_1} keeps every partition on format 1, for a rollback to a release that reads no other
 *     (docs/operations.md#upgrades-and-the-change-entry-format). The worker reads every format either way
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
        Duration syncedHashTtl,
        Duration deadLetterRetention,
        Duration stallTimeout,
        int entryFormat) {
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
    public static final Duration DEFAULT_DEAD_LETTER_RETENTION = Duration.ofDays(30);
    public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(5);
    /** Below this, a busy machine's pauses (GC, a loaded database) would pass for a dead path. */
    public static final Duration MIN_STALL_TIMEOUT = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(SyncSettings.class);

    public static final int MAX_BATCH_SIZE = 100_000;
    public static final int MAX_WORKER_ID_LENGTH = 128;

    /** {@link #workerId()}; default: host, process ID and a random suffix. */
    public static final String WORKER_ID_VARIABLE = "SYNC_WORKER_ID";
    /** {@link #batchSize()}, 1 to {@value #MAX_BATCH_SIZE}. */
    public static final String BATCH_SIZE_VARIABLE = "SYNC_BATCH_SIZE";
    /** {@link #linger()} in milliseconds, 0 or more. */
    public static final String LINGER_VARIABLE = "SYNC_LINGER_MS";
    /** {@link #leaseTime()} in milliseconds, at least twice {@link #RENEW_INTERVAL_VARIABLE}. */
    public static final String LEASE_VARIABLE = "SYNC_LEASE_MS";
    /** {@link #renewInterval()} in milliseconds, at most half of {@link #LEASE_VARIABLE}. */
    public static final String RENEW_INTERVAL_VARIABLE = "SYNC_RENEW_INTERVAL_MS";
    /** {@link #parentMissingTimeout()} in milliseconds, 0 or more. */
    public static final String PARENT_MISSING_TIMEOUT_VARIABLE = "SYNC_PARENT_MISSING_TIMEOUT_MS";
    /** {@link #backoffInitial()} in milliseconds, at least 1. */
    public static final String BACKOFF_INITIAL_VARIABLE = "SYNC_BACKOFF_INITIAL_MS";
    /** {@link #backoffMax()} in milliseconds, not below {@link #BACKOFF_INITIAL_VARIABLE}. */
    public static final String BACKOFF_MAX_VARIABLE = "SYNC_BACKOFF_MAX_MS";
    /** {@link #drainTimeout()} in milliseconds, 0 or more. */
    public static final String DRAIN_TIMEOUT_VARIABLE = "SYNC_DRAIN_TIMEOUT_MS";
    /** {@link #trimInterval()} in milliseconds, at least 1. */
    public static final String TRIM_INTERVAL_VARIABLE = "SYNC_TRIM_INTERVAL_MS";
    /** {@link #syncedHashTtl()} in milliseconds; 0 keeps synced hashes forever. */
    public static final String SYNCED_HASH_TTL_VARIABLE = "SYNC_SYNCED_HASH_TTL_MS";
    /**
     * {@link #deadLetterRetention()} in milliseconds: 0 keeps resolved dead letters forever, else from {@link
     * DeadLetterRetention#MINIMUM} to {@link DeadLetterRetention#MAXIMUM}.
     */
    public static final String DEAD_LETTER_RETENTION_VARIABLE = "SYNC_DEAD_LETTER_RETENTION_MS";
    /** {@link #stallTimeout()} in milliseconds; 0, or at least {@link #MIN_STALL_TIMEOUT}. */
    public static final String STALL_TIMEOUT_VARIABLE = "SYNC_STALL_TIMEOUT_MS";
    /** {@link #entryFormat()}: 1 or 2; 1 keeps the Function writing format 1 everywhere (a rollback). */
    public static final String ENTRY_FORMAT_VARIABLE = "CISTERN_ENTRY_FORMAT";

    public SyncSettings {
        Objects.requireNonNull(layout, "layout must not be null");
        Objects.requireNonNull(workerId, "workerId must not be null");
        if (workerId.isBlank() || workerId.length() > MAX_WORKER_ID_LENGTH) {
            throw new IllegalArgumentException(
                    "workerId must be 1 to " + MAX_WORKER_ID_LENGTH + " characters, was '" + workerId + "'");
        }
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException(
                    "batchSize must be between 1 and " + MAX_BATCH_SIZE + ", was " + batchSize);
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
        requireRetention("deadLetterRetention", deadLetterRetention);
        requireStallTimeout(stallTimeout, "stallTimeout");
        if (entryFormat < ChangeEntry.FORMAT_1 || entryFormat > ChangeEntry.NEWEST_FORMAT) {
            throw new IllegalArgumentException("entryFormat must be " + ChangeEntry.FORMAT_1 + " (keep format 1, for a"
                    + " rollback) or " + ChangeEntry.NEWEST_FORMAT + " (the newest, once every worker reads it), was "
                    + entryFormat);
        }
        requireCombinations(
                leaseTime,
                renewInterval,
                backoffInitial,
                backoffMax,
                "leaseTime",
                "renewInterval",
                "backoffInitial",
                "backoffMax");
    }

    /** The defaults, with {@code layout} and a worker ID made of host, process and a random suffix. */
    public static SyncSettings defaults(KeyLayout layout) {
        return new SyncSettings(
                layout,
                defaultWorkerId(),
                DEFAULT_BATCH_SIZE,
                DEFAULT_LINGER,
                DEFAULT_LEASE_TIME,
                DEFAULT_RENEW_INTERVAL,
                DEFAULT_PARENT_MISSING_TIMEOUT,
                DEFAULT_BACKOFF_INITIAL,
                DEFAULT_BACKOFF_MAX,
                DEFAULT_DRAIN_TIMEOUT,
                BufferLimits.DEFAULTS,
                DEFAULT_TRIM_INTERVAL,
                DEFAULT_SYNCED_HASH_TTL,
                DEFAULT_DEAD_LETTER_RETENTION,
                DEFAULT_STALL_TIMEOUT,
                ChangeEntry.NEWEST_FORMAT);
    }

    /**
     * The settings from environment variables, each unset or blank one taking its default (see {@link
     * #DEFAULT_BATCH_SIZE} and the other constants); the variable names are the {@code *_VARIABLE} constants, and
     * {@code docs/configuration.md} lists them with their units. The {@link #limits() buffer limits} are not among
     * them: they are what {@code ops/cistern init} recorded in PostgreSQL.
     *
     * @throws IllegalArgumentException naming the variable (or both variables of a combination), the value given and
     *     what is expected
     */
    public static SyncSettings fromEnvironment(Map<String, String> env, KeyLayout layout) {
        EnvironmentReader reader = new EnvironmentReader(env);
        String workerId = reader.get(WORKER_ID_VARIABLE, defaultWorkerId());
        if (workerId.length() > MAX_WORKER_ID_LENGTH) {
            throw new IllegalArgumentException(WORKER_ID_VARIABLE + " must be 1 to " + MAX_WORKER_ID_LENGTH
                    + " characters, got " + workerId.length() + " characters");
        }
        long none = EnvironmentReader.NO_MAX;
        SyncSettings.Builder builder = defaults(layout)
                .mutate()
                .workerId(workerId)
                .batchSize(reader.integer(BATCH_SIZE_VARIABLE, DEFAULT_BATCH_SIZE, 1, MAX_BATCH_SIZE))
                .linger(reader.millis(LINGER_VARIABLE, DEFAULT_LINGER, 0, none))
                .leaseTime(reader.millis(LEASE_VARIABLE, DEFAULT_LEASE_TIME, 1, none))
                .renewInterval(reader.millis(RENEW_INTERVAL_VARIABLE, DEFAULT_RENEW_INTERVAL, 1, none))
                .parentMissingTimeout(
                        reader.millis(PARENT_MISSING_TIMEOUT_VARIABLE, DEFAULT_PARENT_MISSING_TIMEOUT, 0, none))
                .backoffInitial(reader.millis(BACKOFF_INITIAL_VARIABLE, DEFAULT_BACKOFF_INITIAL, 1, none))
                .backoffMax(reader.millis(BACKOFF_MAX_VARIABLE, DEFAULT_BACKOFF_MAX, 1, none))
                .drainTimeout(reader.millis(DRAIN_TIMEOUT_VARIABLE, DEFAULT_DRAIN_TIMEOUT, 0, none))
                .trimInterval(reader.millis(TRIM_INTERVAL_VARIABLE, DEFAULT_TRIM_INTERVAL, 1, none))
                .syncedHashTtl(reader.millis(SYNCED_HASH_TTL_VARIABLE, DEFAULT_SYNCED_HASH_TTL, 0, none))
                .deadLetterRetention(retentionFromEnvironment(reader))
                .stallTimeout(reader.millis(STALL_TIMEOUT_VARIABLE, DEFAULT_STALL_TIMEOUT, 0, none))
                .entryFormat(reader.integer(
                        ENTRY_FORMAT_VARIABLE,
                        ChangeEntry.NEWEST_FORMAT,
                        ChangeEntry.FORMAT_1,
                        ChangeEntry.NEWEST_FORMAT));
        requireStallTimeout(builder.stallTimeout, STALL_TIMEOUT_VARIABLE);
        // The combinations in the variables' own names, before the constructor would name the fields.
        requireCombinations(
                builder.leaseTime,
                builder.renewInterval,
                builder.backoffInitial,
                builder.backoffMax,
                LEASE_VARIABLE,
                RENEW_INTERVAL_VARIABLE,
                BACKOFF_INITIAL_VARIABLE,
                BACKOFF_MAX_VARIABLE);
        SyncSettings settings = builder.build();
        reader.warnings().forEach(w -> LOG.warn("sync worker settings: {}", w));
        return settings;
    }

    /**
     * The settings as lines for the startup log, with the variable of each value: {@code "sync worker worker-7: batch
     * 1000 (SYNC_BATCH_SIZE), linger 20 ms (SYNC_LINGER_MS)"}, and so on. Pure.
     */
    public List<String> describe() {
        return List.of(
                "sync worker " + workerId + " (" + WORKER_ID_VARIABLE + "): batch " + batchSize + " ("
                        + BATCH_SIZE_VARIABLE + "), linger " + linger.toMillis() + " ms (" + LINGER_VARIABLE + ")",
                "sync leases: " + leaseTime.toMillis() + " ms (" + LEASE_VARIABLE + "), renewed every "
                        + renewInterval.toMillis() + " ms (" + RENEW_INTERVAL_VARIABLE + ")",
                "sync retries: backoff " + backoffInitial.toMillis() + " to " + backoffMax.toMillis() + " ms ("
                        + BACKOFF_INITIAL_VARIABLE + ", " + BACKOFF_MAX_VARIABLE + "), missing parent "
                        + parentMissingTimeout.toMillis() + " ms (" + PARENT_MISSING_TIMEOUT_VARIABLE + "), drain "
                        + drainTimeout.toMillis() + " ms (" + DRAIN_TIMEOUT_VARIABLE + ")",
                "sync streams: trimmed every " + trimInterval.toMillis() + " ms (" + TRIM_INTERVAL_VARIABLE
                        + "), synced hashes kept "
                        + (syncedHashTtl.isZero() ? "forever" : syncedHashTtl.toMillis() + " ms") + " ("
                        + SYNCED_HASH_TTL_VARIABLE + ")",
                "sync dead letters: resolved ones kept "
                        + (deadLetterRetention.isZero() ? "forever" : deadLetterRetention.toMillis() + " ms") + " ("
                        + DEAD_LETTER_RETENTION_VARIABLE + ")",
                "sync stalls: a statement unanswered for "
                        + (stallTimeout.isZero()
                                ? "the driver's socket timeout (DB_SOCKET_TIMEOUT_MS)"
                                : "at least " + stallTimeout.toMillis() + " ms")
                        + " abandons its connection (" + STALL_TIMEOUT_VARIABLE + ")",
                "sync change entries: format " + entryFormat + " at most, once every live worker reads it ("
                        + ENTRY_FORMAT_VARIABLE + ")");
    }

    /** A builder holding these settings, to change some of them: {@code settings.mutate().batchSize(10).build()}. */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * Changes some of a {@link SyncSettings}' values; {@link #build()} validates them all, as the constructor does.
     * Not thread-safe; one per change.
     */
    public static final class Builder {
        private KeyLayout layout;
        private String workerId;
        private int batchSize;
        private Duration linger;
        private Duration leaseTime;
        private Duration renewInterval;
        private Duration parentMissingTimeout;
        private Duration backoffInitial;
        private Duration backoffMax;
        private Duration drainTimeout;
        private BufferLimits limits;
        private Duration trimInterval;
        private Duration syncedHashTtl;
        private Duration deadLetterRetention;
        private Duration stallTimeout;
        private int entryFormat;

        private Builder(SyncSettings from) {
            layout = from.layout;
            workerId = from.workerId;
            batchSize = from.batchSize;
            linger = from.linger;
            leaseTime = from.leaseTime;
            renewInterval = from.renewInterval;
            parentMissingTimeout = from.parentMissingTimeout;
            backoffInitial = from.backoffInitial;
            backoffMax = from.backoffMax;
            drainTimeout = from.drainTimeout;
            limits = from.limits;
            trimInterval = from.trimInterval;
            syncedHashTtl = from.syncedHashTtl;
            deadLetterRetention = from.deadLetterRetention;
            stallTimeout = from.stallTimeout;
            entryFormat = from.entryFormat;
        }

        public Builder layout(KeyLayout value) {
            layout = value;
            return this;
        }

        public Builder workerId(String value) {
            workerId = value;
            return this;
        }

        public Builder batchSize(int value) {
            batchSize = value;
            return this;
        }

        public Builder linger(Duration value) {
            linger = value;
            return this;
        }

        public Builder leaseTime(Duration value) {
            leaseTime = value;
            return this;
        }

        public Builder renewInterval(Duration value) {
            renewInterval = value;
            return this;
        }

        public Builder parentMissingTimeout(Duration value) {
            parentMissingTimeout = value;
            return this;
        }

        public Builder backoffInitial(Duration value) {
            backoffInitial = value;
            return this;
        }

        public Builder backoffMax(Duration value) {
            backoffMax = value;
            return this;
        }

        public Builder drainTimeout(Duration value) {
            drainTimeout = value;
            return this;
        }

        public Builder limits(BufferLimits value) {
            limits = value;
            return this;
        }

        public Builder trimInterval(Duration value) {
            trimInterval = value;
            return this;
        }

        public Builder syncedHashTtl(Duration value) {
            syncedHashTtl = value;
            return this;
        }

        /** {@link SyncSettings#deadLetterRetention()}; {@link Duration#ZERO} keeps resolved dead letters forever. */
        public Builder deadLetterRetention(Duration value) {
            deadLetterRetention = value;
            return this;
        }

        /** {@link SyncSettings#stallTimeout()}; {@link Duration#ZERO} waits for the driver's socket timeout. */
        public Builder stallTimeout(Duration value) {
            stallTimeout = value;
            return this;
        }

        /** {@link SyncSettings#entryFormat()}: 1 keeps the Function writing format 1 on every partition. */
        public Builder entryFormat(int value) {
            entryFormat = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the value or combination that is wrong
         */
        public SyncSettings build() {
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
                    syncedHashTtl,
                    deadLetterRetention,
                    stallTimeout,
                    entryFormat);
        }
    }

    private static String defaultWorkerId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown-host";
        }
        return host + "-" + ProcessHandle.current().pid() + "-"
                + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong(1L << 30), 36);
    }

    /**
     * The rules between values, in the names of the caller's vocabulary: the record's fields, or the environment
     * variables.
     */
    private static void requireCombinations(
            Duration leaseTime,
            Duration renewInterval,
            Duration backoffInitial,
            Duration backoffMax,
            String leaseName,
            String renewName,
            String backoffInitialName,
            String backoffMaxName) {
        if (renewInterval.multipliedBy(2).compareTo(leaseTime) > 0) {
            throw new IllegalArgumentException(renewName + " (" + renewInterval.toMillis()
                    + " ms) must be at most half of " + leaseName + " (" + leaseTime.toMillis()
                    + " ms), so one late renewal does not lose the lease");
        }
        if (backoffMax.compareTo(backoffInitial) < 0) {
            throw new IllegalArgumentException(backoffMaxName + " (" + backoffMax.toMillis() + " ms) must not be below "
                    + backoffInitialName + " (" + backoffInitial.toMillis() + " ms)");
        }
    }

    /**
     * {@link #DEAD_LETTER_RETENTION_VARIABLE}: the reader's bounds, then the floor, each failure naming the variable,
     * what it got and the forms that work.
     */
    private static Duration retentionFromEnvironment(EnvironmentReader reader) {
        String hint =
                " (30 days is " + DEFAULT_DEAD_LETTER_RETENTION.toMillis() + "; 0 keeps resolved dead letters forever)";
        Duration value;
        try {
            value = reader.millis(
                    DEAD_LETTER_RETENTION_VARIABLE,
                    DEFAULT_DEAD_LETTER_RETENTION,
                    0,
                    DeadLetterRetention.MAXIMUM.toMillis());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + hint, e);
        }
        if (!value.isZero() && value.compareTo(DeadLetterRetention.MINIMUM) < 0) {
            throw new IllegalArgumentException(DEAD_LETTER_RETENTION_VARIABLE + " must be 0 or at least "
                    + DeadLetterRetention.MINIMUM.toMillis() + " (1 h), got '" + value.toMillis() + "'" + hint + ": "
                    + DeadLetterRetention.WHY_A_FLOOR);
        }
        return value;
    }

    /** Zero (keep forever), or a retention {@link DeadLetterRetention} accepts. */
    private static void requireRetention(String name, Duration value) {
        Objects.requireNonNull(value, name + " must not be null");
        if (!value.isZero() && !DeadLetterRetention.withinBounds(value)) {
            throw new IllegalArgumentException(name + " must be zero (keep resolved dead letters forever) or "
                    + DeadLetterRetention.BOUNDS + ", was " + value.toMillis() + " ms: "
                    + DeadLetterRetention.WHY_A_FLOOR);
        }
    }

    private static void requireStallTimeout(Duration value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || (!value.isZero() && value.compareTo(MIN_STALL_TIMEOUT) < 0)) {
            throw new IllegalArgumentException(name + " must be 0 (wait for the driver's socket timeout) or at least "
                    + MIN_STALL_TIMEOUT.toMillis() + " ms, was " + value.toMillis() + " ms: below that a busy"
                    + " machine's pause passes for a dead database path");
        }
    }

    private static void requirePositive(String name, Duration value, boolean zeroAllowed) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || (!zeroAllowed && value.isZero())) {
            throw new IllegalArgumentException(
                    name + " must be " + (zeroAllowed ? "zero or more" : "positive") + ", was " + value);
        }
    }
}
