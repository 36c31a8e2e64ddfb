package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.failure.RedisReplies;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.cistern.schema.wire.WireScript;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What follows a committed batch in Redis, in one atomic script call per batch (one round trip, one script run):
 *
 * <ol>
 *   <li>the batch's entries are acknowledged ({@code XACK} in group {@value PartitionLoop#GROUP}): only ever after
 *       their transaction committed;
 *   <li>the partition's applied watermark is published to the meta hash field {@value MetaFields#APPLIED} ({@code
 *       {prefix}:{p}:m}), forward only (stream IDs compared as numbers): every entry of the partition stream up to it is
 *       applied or dead-lettered. Flush barriers ({@code awaitSynced}) and producers in other languages read it there;
 *   <li>each record hash the batch synced gets a time to live, only if its version {@code v} is still the version the
 *       batch applied (no newer write is waiting to be synced) and the key is not in the partition's set of keys with
 *       an open dead letter ({@link KeyLayout#deadLetterKeys(int)}). A hash holding unsynced state never gets a TTL
 *       (invariant 5); a later write replaces or {@code PERSIST}s the hash, so it loses the TTL again.
 * </ol>
 *
 * Every part is idempotent ({@code XACK} of acknowledged entries, a forward-only watermark, a TTL under the same
 * conditions), so the caller sends the call again until it succeeds. Every key is the partition's (hash tag {@code
 * {p}}), so on a Redis Cluster the call runs on the partition's master. The script is sent by its SHA1 ({@code
 * EVALSHA}); a server that does not hold it ({@code NOSCRIPT}: new, restarted, failed over) gets it whole once with
 * {@code EVAL}, which caches it there.
 *
 * <p>Not thread-safe: used by one partition loop on its own connection.
 */
final class BatchAcknowledgement {
    /** How many IDs one {@code XACK} of the script names: Lua's stack holds a few thousand values. */
    static final int IDS_PER_XACK = 1000;

    /*
     * KEYS[1] stream, KEYS[2] meta hash, KEYS[3] dead-lettered keys set, KEYS[4..] record hashes;
     * ARGV[1] group, ARGV[2] watermark ('': none), ARGV[3] TTL in ms (0: none), ARGV[4] n, ARGV[5..4+n] entry IDs,
     * ARGV[5+n..] the version applied for KEYS[4..].
     */
    static final String SCRIPT = WireScript.render("""
            local function later(a, b)
              local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
              local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
              if not bms then return true end
              ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
              return ams > bms or (ams == bms and aseq > bseq)
            end
            local n = tonumber(ARGV[4])
            for i = 5, 4 + n, IDS_PER_XACK do
              redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, math.min(i + IDS_PER_XACK - 1, 4 + n)))
            end
            if ARGV[2] ~= '' then
              local current = redis.call('HGET', KEYS[2], '${MetaFields.APPLIED}')
              if not current or later(ARGV[2], current) then
                redis.call('HSET', KEYS[2], '${MetaFields.APPLIED}', ARGV[2])
              end
            end
            local ttl = tonumber(ARGV[3])
            local expiring = 0
            if ttl > 0 and #KEYS > 3 then
              -- Usually no key has an open dead letter: then one SCARD saves a SISMEMBER per key.
              local open = redis.call('SCARD', KEYS[3]) > 0
              for i = 4, #KEYS do
                if redis.call('HGET', KEYS[i], '${RecordFields.VERSION}') == ARGV[i + 1 + n]
                    and (not open or redis.call('SISMEMBER', KEYS[3], KEYS[i]) == 0) then
                  redis.call('PEXPIRE', KEYS[i], ttl)
                  expiring = expiring + 1
                end
              end
            end
            return expiring
            """.replace("IDS_PER_XACK", Integer.toString(IDS_PER_XACK)));

    private final RedisClusterCommands<String, String> redis;
    private final KeyLayout layout;
    private final Duration ttl;
    private final String sha;

    BatchAcknowledgement(RedisClusterCommands<String, String> redis, KeyLayout layout, Duration ttl) {
        this.redis = redis;
        this.layout = layout;
        this.ttl = ttl;
        this.sha = redis.digest(SCRIPT);
    }

    /**
     * Acknowledges {@code ids}, publishes {@code watermark} (if any) and lets the hashes of {@code entries} expire
     * where that is safe; returns how many hashes got a TTL.
     *
     * @param ids the entry IDs of the committed batch, every one of them (also those with no entry to apply)
     * @param watermark the applied watermark the batch committed; empty when it committed nothing
     * @param entries the batch's entries, in stream order
     * @param deadLettered the entry IDs of the batch that were dead-lettered: their keys never get a TTL here
     * @throws RedisException when the call failed; it may have run, and may be sent again
     */
    long acknowledge(
            int partition,
            List<String> ids,
            java.util.Optional<String> watermark,
            List<ChangeEntry> entries,
            Set<String> deadLettered) {
        // The latest version per record hash in this batch; a key with a dead-lettered entry is left out entirely.
        Map<String, Long> latest = new LinkedHashMap<>();
        if (!ttl.isZero()) {
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
        }
        List<String> keys = new ArrayList<>(latest.size() + 3);
        List<String> args = new ArrayList<>(ids.size() + latest.size() + 4);
        keys.add(layout.stream(partition));
        keys.add(layout.meta(partition));
        keys.add(layout.deadLetterKeys(partition));
        args.add(PartitionLoop.GROUP);
        args.add(watermark.orElse(""));
        args.add(Long.toString(ttl.toMillis()));
        args.add(Integer.toString(ids.size()));
        args.addAll(ids);
        latest.forEach((key, version) -> {
            keys.add(key);
            args.add(Long.toString(version));
        });
        String[] k = keys.toArray(String[]::new);
        String[] a = args.toArray(String[]::new);
        Long expiring;
        try {
            expiring = redis.evalsha(sha, ScriptOutputType.INTEGER, k, a);
        } catch (RedisException e) {
            if (!RedisReplies.isScriptNotCached(e)) {
                throw e;
            }
            expiring = redis.eval(SCRIPT, ScriptOutputType.INTEGER, k, a);
        }
        return expiring == null ? 0 : expiring;
    }
}
