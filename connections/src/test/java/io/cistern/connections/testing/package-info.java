/**
 * Test fixtures shared by every module's integration tests (published as this module's test-jar).
 *
 * <p>Where the servers come from: {@code CISTERN_TEST_REDIS_URL} and {@code CISTERN_TEST_DATABASE_URL} when set;
 * otherwise Testcontainers when a Docker engine answers; otherwise the local servers ({@code redis://127.0.0.1:6379},
 * {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}), which {@code .ci/run} starts. Each test class
 * isolates itself: {@link io.cistern.connections.testing.TestRedis} gives it its own key prefix and {@link
 * io.cistern.connections.testing.TestDatabase} its own database, so the suite can run against shared servers, again
 * and in any order. Tests that must kill or reconfigure a server start a {@link
 * io.cistern.connections.testing.PrivateRedis} instead, never touching the shared ones.
 */
package io.cistern.connections.testing;
