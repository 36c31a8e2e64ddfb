package io.cistern.reader;

import io.cistern.schema.wire.RecordFields;
import io.cistern.schema.wire.WireScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Copies records read from PostgreSQL into Redis without ever overwriting newer state. Thread-safe (stateless over a
 * thread-safe connection).
 *
 * <p><b>Why a reservation.</b> A fill reads PostgreSQL at some moment and writes Redis later. In between, a write may
 * replace the hash, or replace it, be synced, and expire (the hash is gone again, so "the hash is absent" proves
 * nothing). Comparing versions cannot tell either: the Redis hash that would say "newer" no longer exists. So before
 * reading PostgreSQL the reader <em>reserves</em> the absent hash, atomically: it creates {@code {s: fill, f: token}}
 * with a TTL longer than any PostgreSQL read may take. Every write of the record removes the reservation: a put and a
 * delete replace the whole hash, and a patch adds a version {@code v} to it. The fill then writes the row only if the
 * hash is still exactly this reservation: same token, no version. A reservation that expired (the read took too long)
 * fails the fill the same way. So a fill can only land where no write happened since the reservation, and PostgreSQL,
 * read after the reservation, holds every write made before it (a hash expires only after its writes are synced).
 *
 * <p>The Function library {@code cistern_v1} needs no change for this: its put and delete replace the hash, and its
 * patch of a reservation leaves {@code s = fill} with a version, which {@link RecordHash} reads as partial. The scripts
 * run with {@code EVAL} (one key each, so Redis Cluster is fine); Redis caches them by SHA.
 */
final class RedisFills {
    /** KEYS[1] record hash; ARGV[1] token, ARGV[2] reservation TTL ms. Returns the hash, or {} once reserved. */
    private static final String RESERVE = WireScript.render("""
            local h = redis.call('HGETALL', KEYS[1])
            if #h > 0 then
              return h
            end
            redis.call('HSET', KEYS[1], '${RecordFields.STATE}', '${RecordFields.STATE_FILL}', '${RecordFields.FILL_TOKEN}', ARGV[1])
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {}
            """);

    /**
     * KEYS[1] record hash; ARGV[1] token, ARGV[2] TTL ms, ARGV[3] version ('' when the row is absent: release only),
     * ARGV[4..] 'c:column', json pairs. Returns 1 filled, 2 released, 0 superseded (a write came first).
     */
    private static final String FILL = WireScript.render("""
            local outcome = 0
            if redis.call('HGET', KEYS[1], '${RecordFields.FILL_TOKEN}') == ARGV[1]
                and redis.call('HEXISTS', KEYS[1], '${RecordFields.VERSION}') == 0 then
              redis.call('DEL', KEYS[1])
              outcome = 2
              if ARGV[3] ~= '' then
                local fields = { '${RecordFields.VERSION}', ARGV[3], '${RecordFields.STATE}', '${RecordFields.STATE_PUT}' }
                for i = 4, #ARGV do
                  fields[#fields + 1] = ARGV[i]
                end
                redis.call('HSET', KEYS[1], unpack(fields))
                redis.call('PEXPIRE', KEYS[1], ARGV[2])
                outcome = 1
              end
            end
            -- Our own changes (NOLOOP) made Redis forget that this connection tracks the key: a read, in the same
            -- atomic step, registers it again, so the next write of the key invalidates what the reader caches now.
            redis.call('EXISTS', KEYS[1])
            return outcome
            """);

    /**
     * KEYS[1] record hash; ARGV[1] version, ARGV[2..] 'c:column', json pairs: the database defaults of a synced put,
     * written only while the hash is still that put (same version, state put). Returns 1 written, 0 not.
     */
    private static final String COMPLETE = WireScript.render("""
            local outcome = 0
            if redis.call('HGET', KEYS[1], '${RecordFields.VERSION}') == ARGV[1]
                and redis.call('HGET', KEYS[1], '${RecordFields.STATE}') == '${RecordFields.STATE_PUT}' then
              local fields = {}
              for i = 2, #ARGV do
                fields[#fields + 1] = ARGV[i]
              end
              redis.call('HSET', KEYS[1], unpack(fields))
              outcome = 1
            end
            -- As in a fill: register the key again for this connection's invalidations (NOLOOP forgot it).
            redis.call('EXISTS', KEYS[1])
            return outcome
            """);

    enum Outcome {
        FILLED,
        RELEASED,
        SUPERSEDED
    }

    /** The hash found instead of a reservation, or the token of the reservation made. */
    record Reservation(String token, Map<String, String> found) {
        boolean reserved() {
            return token != null;
        }
    }

    private final Duration reservationTtl;
    private final Duration fillTtl;

    RedisFills(Duration reservationTtl, Duration fillTtl) {
        this.reservationTtl = reservationTtl;
        this.fillTtl = fillTtl;
    }

    Reservation reserve(RedisClusterCommands<String, String> redis, String recordKey) {
        String token = UUID.randomUUID().toString();
        List<Object> reply = redis.eval(
                RESERVE,
                ScriptOutputType.MULTI,
                new String[] {recordKey},
                token,
                Long.toString(reservationTtl.toMillis()));
        if (reply == null || reply.isEmpty()) {
            return new Reservation(token, Map.of());
        }
        Map<String, String> found = new LinkedHashMap<>();
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            found.put((String) reply.get(i), (String) reply.get(i + 1));
        }
        return new Reservation(null, found);
    }

    /**
     * Adds {@code defaults} (columns PostgreSQL filled with their defaults when it applied the put at {@code version})
     * to the record hash if it still holds that put; keeps its TTL. Returns whether they were written.
     */
    boolean completeDefaults(
            RedisClusterCommands<String, String> redis, String recordKey, long version, Map<String, String> defaults) {
        List<String> args = new ArrayList<>(1 + 2 * defaults.size());
        args.add(Long.toString(version));
        defaults.forEach((column, json) -> {
            args.add(RecordFields.column(column));
            args.add(json);
        });
        Long outcome =
                redis.eval(COMPLETE, ScriptOutputType.INTEGER, new String[] {recordKey}, args.toArray(String[]::new));
        return outcome != null && outcome == 1;
    }

    /** Writes {@code columns} at {@code version} if the reservation still stands; {@code version < 0}: release. */
    Outcome fill(
            RedisClusterCommands<String, String> redis,
            String recordKey,
            String token,
            long version,
            Map<String, String> columns) {
        List<String> args = new ArrayList<>(3 + 2 * columns.size());
        args.add(token);
        args.add(Long.toString(fillTtl.toMillis()));
        args.add(version < 0 ? "" : Long.toString(version));
        if (version >= 0) {
            columns.forEach((column, json) -> {
                args.add(RecordFields.column(column));
                args.add(json);
            });
        }
        Long outcome =
                redis.eval(FILL, ScriptOutputType.INTEGER, new String[] {recordKey}, args.toArray(String[]::new));
        return switch (outcome == null ? 0 : outcome.intValue()) {
            case 1 -> Outcome.FILLED;
            case 2 -> Outcome.RELEASED;
            default -> Outcome.SUPERSEDED;
        };
    }
}
