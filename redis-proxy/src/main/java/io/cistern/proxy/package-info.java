/**
 * The read proxy: {@code CachedReader} answers reads from a local cache, then the Redis record hash, then
 * PostgreSQL, never older than what was written (DESIGN.md section 2).
 *
 * <p>Not built yet: issue 6 delivers it.
 */
package io.cistern.proxy;
