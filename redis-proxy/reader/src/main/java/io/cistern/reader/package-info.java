/**
 * The reader library: {@link io.cistern.reader.CachedReader} answers reads from a local cache, then the Redis
 * record hash, then PostgreSQL, never older than what was written (DESIGN.md section 2, docs/read-proxy.md). Public:
 * the reader, its settings, its results; the engine is package-private.
 */
package io.cistern.reader;
