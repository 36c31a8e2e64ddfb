package io.cistern.ops;

/**
 * What a Redis {@code maxmemory-policy} means for Cistern's unsynced data (DESIGN.md invariant 5). Cistern never sets
 * a TTL on a key that holds unsynced state (record hashes before their sync, streams, meta hashes), so the {@code
 * volatile-*} policies, which evict only keys with a TTL, can only evict synced records, which the read proxy finds in
 * PostgreSQL. The {@code allkeys-*} policies may evict anything. Pure.
 */
enum EvictionPolicy {
    /** {@code noeviction}: writes fail with OOM (retryable) instead. */
    SAFE,
    /** {@code volatile-*}: evicts only keys with a TTL, that is, synced records. */
    SYNCED_ONLY,
    /** {@code allkeys-*}: may evict unsynced records and stream entries. */
    ENDANGERS_UNSYNCED_DATA;

    static EvictionPolicy of(String policy) {
        if (policy == null || policy.equals("noeviction")) {
            return SAFE;
        }
        if (policy.startsWith("volatile-")) {
            return SYNCED_ONLY;
        }
        return ENDANGERS_UNSYNCED_DATA;
    }
}
