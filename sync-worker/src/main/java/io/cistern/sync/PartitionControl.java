package io.cistern.sync;

import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What operators and workers record about a partition in its meta hash {@code {prefix}:{p}:m}, besides the version
 * floor and the applied watermark:
 *
 * <ul>
 *   <li>{@value MetaFields#PAUSED}: present while an operator has paused the partition ({@code ops/cistern pause}); its
 *       value says who paused it and when. No worker reads or applies a paused partition (each loop checks it before
 *       every read, at most {@link PauseGate#CHECK_INTERVAL} apart); its lease may stay, entries keep accumulating,
 *       and {@link #resume} lets the owner continue in stream order;
 *   <li>{@value MetaFields#OWNER}, {@value MetaFields#OWNER_TOKEN}, {@value MetaFields#OWNER_SINCE}: the worker that last took
 *       the partition, its fencing token and when it took it (Redis time, ms), written at each takeover. The lease key
 *       ({@link KeyLayout#lease(int)}) says whether that owner is still live.
 * </ul>
 *
 * Thread-safe when its {@code RedisClusterCommands} are (Lettuce's are).
 */
public final class PartitionControl {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionControl.class);
    /** KEYS[1] meta; ARGV[1] worker, ARGV[2] token. Stamps the takeover with Redis's own clock. */
    private static final String TAKEOVER = "local t = redis.call('TIME')"
            + " redis.call('HSET', KEYS[1], '" + MetaFields.OWNER + "', ARGV[1], '" + MetaFields.OWNER_TOKEN
            + "', ARGV[2], '" + MetaFields.OWNER_SINCE
            + "', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))"
            + " return 1";

    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;

    public PartitionControl(RedisClusterCommands<String, String> redis, KeyLayout layout) {
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
        boolean set = Boolean.TRUE.equals(redis.hsetnx(layout.meta(partition), MetaFields.PAUSED, actor));
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
        boolean removed = redis.hdel(layout.meta(partition), MetaFields.PAUSED) > 0;
        if (removed) {
            LOG.warn("partition {}: resumed by {}", partition, actor);
        } else {
            LOG.info("partition {}: resume by {} changed nothing: it was not paused", partition, actor);
        }
        return removed;
    }

    /** Who paused {@code partition} and when, while it is paused. */
    public Optional<String> pausedBy(int partition) {
        return Optional.ofNullable(redis.hget(layout.meta(partition), MetaFields.PAUSED));
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
