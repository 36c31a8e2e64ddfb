package io.cistern.reader;

/**
 * A snapshot of a {@link CachedReader}'s state, for health checks.
 *
 * @param trackingActive whether Redis is tracking this reader's keys now, so the local cache is in use (false while the
 *     tracking connection is down or re-establishing: reads then skip the local cache)
 * @param localEntries records in the local cache (an estimate)
 * @param invalidations invalidated keys received from Redis since the reader started
 * @param localCacheClears how often the whole local cache was cleared because invalidations may have been missed (a
 *     reconnect, a failover, a Redis flush)
 */
public record ReaderStatus(boolean trackingActive, long localEntries, long invalidations, long localCacheClears) {}
