package io.cistern.sync;

import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.RedisException;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether an operator paused a partition ({@link MetaFields#PAUSED}), asked of Redis at most once per
 * {@link #CHECK_INTERVAL}, so a busy loop pays one {@code HGET} per interval, not one per batch. When Redis cannot be
 * asked, the last answer stands (the loop's own read fails and retries anyway). Logs each change. Not thread-safe:
 * used by one partition loop on its own connection.
 */
final class PauseGate {
    static final Duration CHECK_INTERVAL = Duration.ofMillis(250);
    private static final Logger LOG = LoggerFactory.getLogger(PauseGate.class);

    private final RedisClusterCommands<String, String> redis;
    private final int partition;
    private final String meta;
    private final InstantSource clock;
    private Instant nextCheckAt = Instant.MIN;
    private boolean paused;

    PauseGate(RedisClusterCommands<String, String> redis, int partition, String meta, InstantSource clock) {
        this.redis = redis;
        this.partition = partition;
        this.meta = meta;
        this.clock = clock;
    }

    /** Whether the partition is paused, as Redis said at most {@link #CHECK_INTERVAL} ago. */
    boolean isPaused() {
        Instant now = clock.instant();
        if (now.isBefore(nextCheckAt)) {
            return paused;
        }
        nextCheckAt = now.plus(CHECK_INTERVAL);
        try {
            String by = redis.hget(meta, MetaFields.PAUSED);
            if (by != null && !paused) {
                LOG.warn("partition {}: paused by {}; reading nothing until it is resumed", partition, by);
            } else if (by == null && paused) {
                LOG.info("partition {}: resumed; reading on in stream order", partition);
            }
            paused = by != null;
        } catch (RedisException e) {
            LOG.debug("partition {}: cannot check whether it is paused: {}", partition, e.getMessage());
        }
        return paused;
    }
}
