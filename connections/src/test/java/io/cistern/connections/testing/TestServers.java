package io.cistern.connections.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/** Where the shared test servers are (see the package comment). Thread-safe; containers start once per JVM. */
public final class TestServers {
    private static final Logger LOG = LoggerFactory.getLogger(TestServers.class);
    private static volatile String redisUrl;
    private static volatile String databaseUrl;

    private TestServers() {}

    /** The Redis URL integration tests use. */
    public static synchronized String redisUrl() {
        if (redisUrl == null) {
            String env = System.getenv("CISTERN_TEST_REDIS_URL");
            if (env != null && !env.isBlank()) {
                redisUrl = env.strip();
            } else if (dockerAvailable()) {
                GenericContainer<?> redis = new GenericContainer<>("redis:7.0").withExposedPorts(6379);
                redis.start();
                redisUrl = "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379);
            } else {
                redisUrl = "redis://127.0.0.1:6379";
            }
            LOG.info("integration tests use Redis at {}", redisUrl);
        }
        return redisUrl;
    }

    /** The JDBC URL (with user) of a PostgreSQL database that may create and drop databases. */
    public static synchronized String adminDatabaseUrl() {
        if (databaseUrl == null) {
            String env = System.getenv("CISTERN_TEST_DATABASE_URL");
            if (env != null && !env.isBlank()) {
                databaseUrl = env.strip();
            } else if (dockerAvailable()) {
                GenericContainer<?> pg = new GenericContainer<>("postgres:15")
                        .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
                        .withExposedPorts(5432)
                        .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2));
                pg.start();
                databaseUrl =
                        "jdbc:postgresql://" + pg.getHost() + ":" + pg.getMappedPort(5432) + "/postgres?user=postgres";
            } else {
                databaseUrl = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
            }
            LOG.info("integration tests use PostgreSQL at {}", databaseUrl);
        }
        return databaseUrl;
    }

    /**
     * Whether a Docker engine is there. Checked cheaply first: with neither a socket nor DOCKER_HOST, Testcontainers is
     * not asked (it would spend seconds probing).
     */
    static boolean dockerAvailable() {
        if (System.getenv("DOCKER_HOST") == null && !Files.exists(Path.of("/var/run/docker.sock"))) {
            return false;
        }
        try {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }
}
