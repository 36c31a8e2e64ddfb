package io.cistern.sync;

import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What operators and workers record about a partition in its meta hash {@code {prefix}:{p}:m}, besides the version
 * floor and the applied watermark:
 *
 * <ul>
 *   <li>{@value #PAUSED_FIELD}: present while an operator has paused the partition ({@code ops/cistern pause}); its
 *       value says who paused it and when. No worker reads or applies a paused partition (each loop checks it before
 *       every read, at most {@link PauseGate#CHECK_INTERVAL} apart); its lease may stay, entries keep accumulating,
 *       and {@link #resume} lets the owner continue in stream order;
 *   <li>{@value #OWNER_FIELD}, {@value #OWNER_TOKEN_FIELD}, {@value #OWNER_SINCE_FIELD}: the worker that last took
 *       the partition, its fencing token and when it took it (Redis time, ms), written at each takeover. The lease key
 *       ({@link KeyLayout#lease(int)}) says whether that owner is still live.
 * </ul>
 *
 * Thread-safe when its {@code RedisCommands} are (Lettuce's are).
 */
public final class PartitionControl {
    /** Meta hash field: present while the partition is paused; the value names who paused it and when. */
    public static final String PAUSED_FIELD = "paused";
    /** Meta hash field: the applied watermark ({@link SyncedHashes}). */
    public static final String APPLIED_FIELD = SyncedHashes.APPLIED_FIELD;
    /** Meta hash field: the worker that last took the partition. */
    public static final String OWNER_FIELD = "owner";
    /** Meta hash field: the fencing token of the last takeover. */
    public static final String OWNER_TOKEN_FIELD = "owner-token";
    /** Meta hash field: when the partition was last taken, Redis time in ms since the epoch. */
    public static final String OWNER_SINCE_FIELD = "owner-since";

    private static final Logger LOG = LoggerFactory.getLogger(PartitionControl.class);
    /** KEYS[1] meta; ARGV[1] worker, ARGV[2] token. Stamps the takeover with Redis's own clock. */
    private static final String TAKEOVER = "local t = redis.call('TIME')"
            + " redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'owner-token', ARGV[2],"
            + " 'owner-since', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))"
            + " return 1";

    private final RedisCommands<String, String> redis;
    private final KeyLayout layout;

    public PartitionControl(RedisCommands<String, String> redis, KeyLayout layout) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.layout = Objects.requireNonNull(layout, "layout");
    }

    /**
     * Pauses {@code partition}: its owner finishes the batch in hand and then reads nothing until {@link #resume}.
     * Logged with {@code actor}.
     *
     * @param actor who pauses it, and why if they said (kept in the meta hash and shown by {@code ops/cistern lag})
     * @return false when it was already paused (nothing changed)
     */
    public boolean pause(int partition, String actor) {
        requireActor(actor);
        boolean set = Boolean.TRUE.equals(redis.hsetnx(layout.meta(partition), PAUSED_FIELD, actor));
        if (set) {
            LOG.warn("partition {}: paused by {}; no worker reads or applies it until it is resumed", partition, actor);
        } else {
            LOG.info("partition {}: pause by {} changed nothing: it was already paused", partition, actor);
        }
        return set;
    }

    /**
     * Resumes {@code partition}: its owner continues in stream order. Logged with {@code actor}.
     *
     * @return false when it was not paused (nothing changed)
     */
    public boolean resume(int partition, String actor) {
        requireActor(actor);
        boolean removed = redis.hdel(layout.meta(partition), PAUSED_FIELD) > 0;
        if (removed) {
            LOG.warn("partition {}: resumed by {}", partition, actor);
        } else {
            LOG.info("partition {}: resume by {} changed nothing: it was not paused", partition, actor);
        }
        return removed;
    }

    /** Who paused {@code partition} and when, while it is paused. */
    public Optional<String> pausedBy(int partition) {
        return Optional.ofNullable(redis.hget(layout.meta(partition), PAUSED_FIELD));
    }

    /** Records a takeover: who took {@code partition}, with which fencing token, and when (Redis time). */
    void recordTakeover(int partition, String workerId, long token) {
        redis.eval(
                TAKEOVER,
                ScriptOutputType.INTEGER,
                new String[] {layout.meta(partition)},
                workerId,
                Long.toString(token));
    }

    private static void requireActor(String actor) {
        if (actor == null || actor.isBlank()) {
            throw new IllegalArgumentException("actor must name who pauses or resumes the partition");
        }
    }
}
