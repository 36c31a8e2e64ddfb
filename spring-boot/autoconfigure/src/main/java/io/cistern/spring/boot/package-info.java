/**
 * Cistern for Spring Boot: auto-configuration of a {@link io.cistern.writer.RecordWriter}, a {@link
 * io.cistern.reader.CachedReader}, Actuator health contributors and an optional embedded sync worker, built on the
 * application's Lettuce {@code RedisConnectionFactory} and {@code DataSource} (docs/spring-boot.md). Public: the
 * properties, the auto-configuration classes and {@link io.cistern.spring.boot.EmbeddedSyncWorker}; the rest is
 * package-private.
 */
package io.cistern.spring.boot;
