package io.cistern.spring.boot;

import io.cistern.schema.keys.KeyLayout;
import io.cistern.writer.WriterSettings;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Cistern's Spring Boot properties, under the prefix {@code cistern}. Redis and PostgreSQL themselves are configured
 * the Spring Boot way ({@code spring.data.redis.*}, {@code spring.datasource.*}): Cistern uses the application's
 * {@code RedisConnectionFactory} (Lettuce) and {@code DataSource}. The defaults are those of the components' settings
 * records ({@link WriterSettings}, {@code ReaderSettings}, {@code SyncSettings}), which validate every value at
 * startup.
 *
 * <p>A reader or sync-worker property left unset is {@code null} here and takes the default of {@code
 * ReaderSettings.defaults()} or {@code SyncSettings.defaults(..)}: those records own their defaults, and this class
 * must not load them, because {@code cistern-reader} and {@code cistern-sync-worker} are optional. The defaults shown
 * in the IDE come from {@code additional-spring-configuration-metadata.json}, which {@code ConfigurationMetadataTest}
 * checks against the records.
 */
@ConfigurationProperties("cistern")
public class CisternProperties {

    /**
     * Prefix of every Redis key Cistern uses; the same as the CISTERN_PREFIX the pipeline was initialised with ({@code
     * ops/cistern init}).
     */
    private String keyPrefix = KeyLayout.DEFAULT_PREFIX;

    private final Redis redis = new Redis();
    private final Writer writer = new Writer();
    private final Reader reader = new Reader();
    private final Sync sync = new Sync();
    private final Health health = new Health();

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public Redis getRedis() {
        return redis;
    }

    public Writer getWriter() {
        return writer;
    }

    public Reader getReader() {
        return reader;
    }

    public Sync getSync() {
        return sync;
    }

    public Health getHealth() {
        return health;
    }

    /** How Cistern treats the application's Redis client. */
    public static class Redis {
        /**
         * Make the application's Lettuce client reject commands at once while it is disconnected instead of queueing
         * them in memory until it reconnects, so that a write fails fast with a retryable error rather than hang or be
         * lost with the process (applies to every user of the application's Redis connection factory).
         */
        private boolean rejectCommandsWhileDisconnected = true;

        public boolean isRejectCommandsWhileDisconnected() {
            return rejectCommandsWhileDisconnected;
        }

        public void setRejectCommandsWhileDisconnected(boolean rejectCommandsWhileDisconnected) {
            this.rejectCommandsWhileDisconnected = rejectCommandsWhileDisconnected;
        }
    }

    /** The RecordWriter bean. */
    public static class Writer {
        /** Whether to create a RecordWriter bean. */
        private boolean enabled = true;

        /**
         * How often, at most, a write naming an unknown table or column makes the writer re-read the table registry
         * from Redis before refusing the write.
         */
        private Duration registryRefresh = WriterSettings.DEFAULT_REGISTRY_REFRESH;

        /**
         * How many replicas of its master must hold a write before it counts as accepted (Redis WAIT); 0 = no wait.
         * See docs/durability.md for what each value promises.
         */
        private int waitReplicas = 0;

        /** How long a write waits for wait-replicas replicas at most; shorter than the Redis command timeout. */
        private Duration waitTimeout = WriterSettings.DEFAULT_WAIT_TIMEOUT;

        public int getWaitReplicas() {
            return waitReplicas;
        }

        public void setWaitReplicas(int waitReplicas) {
            this.waitReplicas = waitReplicas;
        }

        public Duration getWaitTimeout() {
            return waitTimeout;
        }

        public void setWaitTimeout(Duration waitTimeout) {
            this.waitTimeout = waitTimeout;
        }

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getRegistryRefresh() {
            return registryRefresh;
        }

        public void setRegistryRefresh(Duration registryRefresh) {
            this.registryRefresh = registryRefresh;
        }
    }

    /** The CachedReader bean. */
    public static class Reader {
        /** Whether to create a CachedReader bean (needs cistern-reader and a DataSource). */
        private boolean enabled = true;

        /** Most records the in-process cache holds; 0 turns the local cache off (every read goes to Redis). */
        private Long localCacheEntries;

        /** How long a record stays in the local cache at most (Redis invalidations remove changed records sooner). */
        private Duration localCacheTtl;

        /** How long "absent" answered by PostgreSQL stays in the local cache; 0 never caches such answers. */
        private Duration negativeCacheTtl;

        /**
         * How long a record read from PostgreSQL is kept in Redis for the other instances; 0 never fills Redis, else at
         * least 1s.
         */
        private Duration redisFillTtl;

        /** Most PostgreSQL reads in flight at once in this process; at most the connection pool size, so reads cannot take every connection. */
        private Integer maxConcurrentFills;

        /** How long a read that needs PostgreSQL may take in total before it fails with a retryable error. */
        private Duration databaseTimeout;

        /** Most keys one getAll call may ask for. */
        private Integer maxBatchKeys;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Long getLocalCacheEntries() {
            return localCacheEntries;
        }

        public void setLocalCacheEntries(Long localCacheEntries) {
            this.localCacheEntries = localCacheEntries;
        }

        public Duration getLocalCacheTtl() {
            return localCacheTtl;
        }

        public void setLocalCacheTtl(Duration localCacheTtl) {
            this.localCacheTtl = localCacheTtl;
        }

        public Duration getNegativeCacheTtl() {
            return negativeCacheTtl;
        }

        public void setNegativeCacheTtl(Duration negativeCacheTtl) {
            this.negativeCacheTtl = negativeCacheTtl;
        }

        public Duration getRedisFillTtl() {
            return redisFillTtl;
        }

        public void setRedisFillTtl(Duration redisFillTtl) {
            this.redisFillTtl = redisFillTtl;
        }

        public Integer getMaxConcurrentFills() {
            return maxConcurrentFills;
        }

        public void setMaxConcurrentFills(Integer maxConcurrentFills) {
            this.maxConcurrentFills = maxConcurrentFills;
        }

        public Duration getDatabaseTimeout() {
            return databaseTimeout;
        }

        public void setDatabaseTimeout(Duration databaseTimeout) {
            this.databaseTimeout = databaseTimeout;
        }

        public Integer getMaxBatchKeys() {
            return maxBatchKeys;
        }

        public void setMaxBatchKeys(Integer maxBatchKeys) {
            this.maxBatchKeys = maxBatchKeys;
        }
    }

    /** The sync worker embedded in the application (off by default: run ops/cistern sync-worker beside it instead). */
    public static class Sync {
        private final Embedded embedded = new Embedded();

        /** Name of the embedded worker in leases and logs; unique among live workers. Default: host-pid-random. */
        private String workerId;

        /** Most change entries applied in one PostgreSQL transaction. */
        private Integer batchSize;

        /** How long a batch that is not full waits for more entries after its first one arrived. */
        private Duration linger;

        /** How long a partition lease lives without renewal; a dead worker's partitions are free after it. */
        private Duration leaseTime;

        /** How often leases are renewed and free partitions sought; at most half the lease time. */
        private Duration renewInterval;

        /**
         * How long a batch is retried while a foreign-key parent is missing (it may be in flight on another partition)
         * before the entry that needs it is dead-lettered.
         */
        private Duration parentMissingTimeout;

        /** First retry delay after a transient failure (PostgreSQL down, a dropped connection). */
        private Duration backoffInitial;

        /** Cap of the exponential retry delay. */
        private Duration backoffMax;

        /** How long shutdown waits for the batches in hand to commit and be acknowledged. */
        private Duration drainTimeout;

        /** How often each partition's stream is trimmed up to what every consumer group has acknowledged. */
        private Duration trimInterval;

        /** Time to live given to a record hash once its latest version is synced; 0 keeps synced hashes forever. */
        private Duration syncedHashTtl;

        /**
         * How long a batch's statement may go without any answer from PostgreSQL before its connection is abandoned as
         * dead and the batch retried on a fresh one (the least bound: it grows with the partition's batch times and
         * after each stall); 0 waits for the driver's socket timeout.
         */
        private Duration stallTimeout;

        /**
         * The newest change-entry format the embedded worker lets the Function write (2, once every live worker reads
         * it); 1 keeps every partition on format 1, for a rollback ({@code CISTERN_ENTRY_FORMAT}).
         */
        private Integer entryFormat;

        public Embedded getEmbedded() {
            return embedded;
        }

        public String getWorkerId() {
            return workerId;
        }

        public void setWorkerId(String workerId) {
            this.workerId = workerId;
        }

        public Integer getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(Integer batchSize) {
            this.batchSize = batchSize;
        }

        public Duration getLinger() {
            return linger;
        }

        public void setLinger(Duration linger) {
            this.linger = linger;
        }

        public Duration getLeaseTime() {
            return leaseTime;
        }

        public void setLeaseTime(Duration leaseTime) {
            this.leaseTime = leaseTime;
        }

        public Duration getRenewInterval() {
            return renewInterval;
        }

        public void setRenewInterval(Duration renewInterval) {
            this.renewInterval = renewInterval;
        }

        public Duration getParentMissingTimeout() {
            return parentMissingTimeout;
        }

        public void setParentMissingTimeout(Duration parentMissingTimeout) {
            this.parentMissingTimeout = parentMissingTimeout;
        }

        public Duration getBackoffInitial() {
            return backoffInitial;
        }

        public void setBackoffInitial(Duration backoffInitial) {
            this.backoffInitial = backoffInitial;
        }

        public Duration getBackoffMax() {
            return backoffMax;
        }

        public void setBackoffMax(Duration backoffMax) {
            this.backoffMax = backoffMax;
        }

        public Duration getDrainTimeout() {
            return drainTimeout;
        }

        public void setDrainTimeout(Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
        }

        public Duration getTrimInterval() {
            return trimInterval;
        }

        public void setTrimInterval(Duration trimInterval) {
            this.trimInterval = trimInterval;
        }

        public Duration getSyncedHashTtl() {
            return syncedHashTtl;
        }

        public void setSyncedHashTtl(Duration syncedHashTtl) {
            this.syncedHashTtl = syncedHashTtl;
        }

        public Duration getStallTimeout() {
            return stallTimeout;
        }

        public void setStallTimeout(Duration stallTimeout) {
            this.stallTimeout = stallTimeout;
        }

        public Integer getEntryFormat() {
            return entryFormat;
        }

        public void setEntryFormat(Integer entryFormat) {
            this.entryFormat = entryFormat;
        }

        /** Switching the embedded worker on. */
        public static class Embedded {
            /**
             * Run a sync worker inside this application (needs cistern-sync-worker and a DataSource). It shares the
             * partitions with any other worker through leases, starts once PostgreSQL answers, and drains its batches
             * in hand when the application stops.
             */
            private boolean enabled = false;

            public boolean isEnabled() {
                return enabled;
            }

            public void setEnabled(boolean enabled) {
                this.enabled = enabled;
            }
        }
    }

    /** The Actuator health contributors cisternRedis, cisternBacklog and cisternDatabase. */
    public static class Health {
        /**
         * Age of the oldest change entry not yet applied to PostgreSQL past which cisternBacklog reports itself
         * degraded (in its details; it stays UP while writes are accepted).
         */
        private Duration backlogAgeWarning = Duration.ofMinutes(1);

        /** How long the cisternDatabase check may wait for a connection and its query. */
        private Duration databaseTimeout = Duration.ofSeconds(2);

        public Duration getBacklogAgeWarning() {
            return backlogAgeWarning;
        }

        public void setBacklogAgeWarning(Duration backlogAgeWarning) {
            this.backlogAgeWarning = backlogAgeWarning;
        }

        public Duration getDatabaseTimeout() {
            return databaseTimeout;
        }

        public void setDatabaseTimeout(Duration databaseTimeout) {
            this.databaseTimeout = databaseTimeout;
        }
    }
}
