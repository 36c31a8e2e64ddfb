/**
 * The contract every Cistern component shares. Sub-packages: {@link io.cistern.schema.registry} (which tables sync and
 * their columns), {@link io.cistern.schema.keys} (Redis key layout, composite-key encoding, partitioning), {@link
 * io.cistern.schema.codec} (value and change-entry codecs), {@link io.cistern.schema.function} (the Redis Function
 * library) and {@link io.cistern.schema.failure} (the operational exception hierarchy and its one translator).
 */
package io.cistern.schema;
