/**
 * Test fixtures shared by every module's integration tests (published as this module's test-jar).
 *
 * <p>Where the servers come from: {@code CISTERN_TEST_REDIS_URL} and {@code CISTERN_TEST_DATABASE_URL} when set;
 * otherwise Testcontainers when a Docker engine answers; otherwise the local servers ({@code redis://127.0.0.1:6379},
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}), which {@code ops/test} starts. Each test class
 * isolates itself: {@link io.cistern.connections.testing.TestRedis} gives it its own key prefix and {@link
 * io.cistern.connections.testing.TestDatabase} its own database, so the suite can run against shared servers, again
 * and in any order. Tests that must kill or reconfigure a server start a {@link
 * io.cistern.connections.testing.PrivateRedis} instead, never touching the shared ones.
 *
 * <p>{@link io.cistern.connections.testing.PrivateRedisCluster#shared()} is the Redis Cluster of the test JVM (3 masters,
 * 3 replicas, random ports, started on first use), shared by prefix like the test Redis, with the topology changes
 * cluster tests need: SIGKILL a master and wait for its replica's promotion, a manual failover, a slot migration (whole
 * or step by step), restarting what was killed.
 *
 * <p>{@link io.cistern.connections.testing.PrivatePostgres} is the same for PostgreSQL: a fresh cluster on a random
 * port with the pg_hba lines, passwords, {@code max_connections} and TLS certificate a test asks for, which it can stop
 * and start again. {@link io.cistern.connections.testing.TestCertificates} makes a CA and a server certificate with
 * {@code openssl} for TLS tests of either server ({@code PrivateRedis.startWithTls}).
 *
 * <p>{@link io.cistern.connections.testing.PrivatePgBouncer} puts a PgBouncer in transaction mode in front of either
 * server. With the system property {@code cistern.test.pooler=pgbouncer} (the failsafe plugin's second execution in
 * {@code sync-worker} and {@code redis-proxy/reader}), {@link io.cistern.connections.testing.TestDatabase#poolConfig}
 * sends the components under test through the JVM's shared one, so the same test classes run directly and behind a
 * pooler.
 */
package io.cistern.connections.testing;
