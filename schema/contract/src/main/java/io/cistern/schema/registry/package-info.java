/**
 * The table registry: which tables Cistern syncs, their primary key, routing columns and column types. Built from the
 * PostgreSQL catalog by {@code ops/cistern init} and published to Redis so that writers never need the database.
 */
package io.cistern.schema.registry;
