package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.cistern.schema.wire.WireScript;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What follows a committed and acknowledged batch in Redis, in one atomic script per batch:
 *
 * <ol>
 *   <li>the partition's applied watermark is published to the meta hash field {@value MetaFields#APPLIED} ({@code
 *       {prefix}:{p}:m}), forward only (stream IDs compared as numbers): every entry of the partition stream up to it is
 *       applied or dead-lettered. Flush barriers ({@code awaitSynced}) and producers in other languages read it there;
 *   <li>each record hash the batch synced gets a time to live, only if its version {@code v} is still the version the
 *       batch applied (no newer write is waiting to be synced) and the key is not in the partition's set of keys with
 *       an open dead letter ({@link KeyLayout#deadLetterKeys(int)}). A hash holding unsynced state never gets a TTL
 *       (invariant 5); a later write replaces or {@code PERSIST}s the hash, so it loses the TTL again.
 * </ol>
 *
 * Not thread-safe: used by one partition loop on its own connection.
 */
final class SyncedHashes {
    /*
     * KEYS[1] meta hash, KEYS[2] dead-lettered keys set, KEYS[3..] record hashes;
     * ARGV[1] watermark, ARGV[2] TTL in ms (0: none), ARGV[3..] the version applied for KEYS[3..].
     */
    private static final String SCRIPT = WireScript.render("""
            local function later(a, b)
              local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
              local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
              if not bms then return true end
              ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
              return ams > bms or (ams == bms and aseq > bseq)
            end
            local current = redis.call('HGET', KEYS[1], '${MetaFields.APPLIED}')
            if not current or later(ARGV[1], current) then
              redis.call('HSET', KEYS[1], '${MetaFields.APPLIED}', ARGV[1])
            end
            local ttl = tonumber(ARGV[2])
            local expiring = 0
            if ttl > 0 then
              -- Usually no key has an open dead letter: then one SCARD saves a SISMEMBER per key.
              local open = redis.call('SCARD', KEYS[2]) > 0
              for i = 3, #KEYS do
                if redis.call('HGET', KEYS[i], '${RecordFields.VERSION}') == ARGV[i]
                    and (not open or redis.call('SISMEMBER', KEYS[2], KEYS[i]) == 0) then
                  redis.call('PEXPIRE', KEYS[i], ttl)
                  expiring = expiring + 1
                end
              end
            end
            return expiring
            """);

    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;
    private final Duration ttl;

    SyncedHashes(RedisClusterCommands<String, String> redis, KeyLayout layout, Duration ttl) {
        this.redis = redis;
        this.layout = layout;
        this.ttl = ttl;
    }

    /**
     * Publishes {@code watermark} and lets the hashes of {@code entries} expire where that is safe; returns how many
     * hashes got a TTL.
     *
     * @param entries the batch's entries, in stream order
     * @param deadLettered the entry IDs of the batch that were dead-lettered: their keys never get a TTL here
     */
    long release(int partition, String watermark, List<ChangeEntry> entries, Set<String> deadLettered) {
        // The latest version per record hash in this batch; a key with a dead-lettered entry is left out entirely.
        Map<String, Long> latest = new LinkedHashMap<>();
        List<String> excluded = new ArrayList<>();
        for (ChangeEntry e : entries) {
            String key = layout.record(partition, e.table(), e.key());
            if (deadLettered.contains(e.id())) {
                excluded.add(key);
            } else {
                latest.merge(key, e.version(), Math::max);
            }
        }
        excluded.forEach(latest::remove);
        List<String> keys = new ArrayList<>(latest.size() + 2);
        List<String> args = new ArrayList<>(latest.size() + 2);
        keys.add(layout.meta(partition));
        keys.add(layout.deadLetterKeys(partition));
        args.add(watermark);
        args.add(Long.toString(ttl.toMillis()));
        if (!ttl.isZero()) {
            latest.forEach((key, version) -> {
                keys.add(key);
                args.add(Long.toString(version));
            });
        }
        Long expiring =
                redis.eval(SCRIPT, ScriptOutputType.INTEGER, keys.toArray(String[]::new), args.toArray(String[]::new));
        return expiring == null ? 0 : expiring;
    }
}
