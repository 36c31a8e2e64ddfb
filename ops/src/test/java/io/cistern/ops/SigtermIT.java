package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A sync worker process stopped with SIGTERM releases its leases and exits 0 within a bounded time. */
class SigtermIT {
    private TestRedis redis;
    private TestDatabase database;
    private Process process;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("SigtermIT");
        database = TestDatabase.create("SigtermIT");
    }

    @AfterEach
    void tearDown() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        redis.close();
        database.close();
    }

    @Test
    void syncWorkerStoppedWithSigterm_releasesItsLeases_andExitsZero() throws Exception {
        String[] servers = {"--redis-url", redis.url(), "--database-url", database.jdbcUrl(), "--prefix", redis.prefix()
        };
        assertThat(CisternCli.commandLine()
                        .setOut(new PrintWriter(new StringWriter(), true))
                        .execute(concat("init", servers)))
                .isZero();
        Path log = Files.createTempFile("cistern-sigterm", ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CisternCli.class.getName(),
                "sync-worker",
                "--port",
                "0"));
        command.addAll(List.of(servers));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        await().atMost(Duration.ofSeconds(60))
                .until(() ->
                        !redis.commands().keys(redis.prefix() + ":{*}:lease").isEmpty());

        process.destroy(); // SIGTERM

        assertThat(process.waitFor(30, TimeUnit.SECONDS))
                .as(Files.readString(log))
                .isTrue();
        assertThat(process.exitValue()).as(Files.readString(log)).isZero();
        assertThat(redis.commands().keys(redis.prefix() + ":{*}:lease"))
                .as("leases released on shutdown")
                .isEmpty();
        Files.deleteIfExists(log);
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
