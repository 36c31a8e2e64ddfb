/**
 * The HTTP read service over {@link io.cistern.reader.CachedReader} (Spring Boot web MVC; standalone on port 8082, and
 * inside {@code ops/cistern up}).
 */
package io.cistern.reader.http;
