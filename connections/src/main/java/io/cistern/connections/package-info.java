/**
 * How Cistern's components connect to Redis and PostgreSQL: one immutable settings record per server, resolved from
 * the usual environment variables, with secrets that never print, and the factories that turn settings into clients.
 *
 * <p>{@link io.cistern.connections.DatabaseSettings} and {@link io.cistern.connections.RedisSettings} resolve and
 * validate configuration ({@code describe()} gives the effective configuration to log at startup); {@link
 * io.cistern.connections.DataSources} and {@link io.cistern.connections.RedisClients} build pools and clients; {@link
 * io.cistern.connections.RedisDeployment} is the one connection to Redis of any topology (server, Sentinel, Cluster),
 * with the per-node operations a cluster needs; {@link
 * io.cistern.connections.StartupWaiter} waits for a server that is not up yet, following a {@link
 * io.cistern.connections.Backoff}; {@link io.cistern.connections.ConnectionFailureTranslator} explains every
 * connection failure as a {@link io.cistern.connections.ConnectionFailure}. {@code docs/configuration.md} lists every
 * variable.
 */
package io.cistern.connections;
