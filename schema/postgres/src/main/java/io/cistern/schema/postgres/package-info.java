/**
 * Cistern's side of PostgreSQL: the Flyway migrations for its own tables and the demo tables, the catalog reader that
 * builds the table registry, and {@link io.cistern.schema.postgres.Initializer}, which {@code ops/cistern init} runs to
 * migrate, register tables, publish the registry to Redis, install the Function library and seed the version floors.
 */
package io.cistern.schema.postgres;
