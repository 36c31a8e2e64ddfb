package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.PrivateRedis;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Invariant 9: passwords reach the servers, never a log line, an error message or the doctor's output — whether the
 * command succeeds or the password is wrong.
 */
class SecretsNeverLeakIT {
    private static final String DB_PASSWORD = "s3cret-Db-Pass";
    private static final String REDIS_PASSWORD = "s3cret-Redis-Pass";

    private static PrivatePostgres postgres;
    private static PrivateRedis redis;

    private ListAppender<ILoggingEvent> logs;

    @BeforeAll
    static void startServers() {
        postgres = PrivatePostgres.builder()
                .hbaLine("host all app 127.0.0.1/32 scram-sha-256")
                .start();
        postgres.execute(
                "CREATE ROLE app LOGIN SUPERUSER PASSWORD '" + DB_PASSWORD + "'", "CREATE DATABASE app OWNER app");
        redis = PrivateRedis.start("--requirepass", REDIS_PASSWORD, "--appendonly", "yes");
    }

    @AfterAll
    static void stopServers() {
        redis.close();
        postgres.close();
    }

    @BeforeEach
    void captureLogs() {
        logs = new ListAppender<>();
        logs.start();
        root().addAppender(logs);
    }

    @AfterEach
    void stopCapturing() {
        root().detachAppender(logs);
    }

    @Test
    void initAndDoctorWithTheRightPasswords_logAndPrintNoSecret() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int init = run(out, err, "init", DB_PASSWORD);
        int doctor = run(out, err, "doctor", DB_PASSWORD);

        assertThat(init).as(err.toString()).isZero();
        assertThat(doctor).as(out.toString()).isZero();
        assertThat(logLines()).as("the commands logged their settings").anyMatch(l -> l.contains("app"));
        assertNoSecretIn(out.toString() + err + String.join("\n", logLines()));
    }

    @Test
    void aWrongDatabasePassword_isReportedWithoutEitherPassword() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = run(out, err, "init", "wrong-" + DB_PASSWORD);

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).containsIgnoringCase("password");
        assertNoSecretIn(out.toString() + err + String.join("\n", logLines()));
        assertThat(out.toString() + err + String.join("\n", logLines())).doesNotContain("wrong-" + DB_PASSWORD);
    }

    private static int run(StringWriter out, StringWriter err, String command, String dbPassword) {
        return CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        command,
                        "--redis-url",
                        "redis://:" + REDIS_PASSWORD + "@127.0.0.1:" + redis.port(),
                        "--database-url",
                        "postgres://app:" + dbPassword + "@127.0.0.1:" + postgres.port() + "/app");
    }

    private List<String> logLines() {
        return logs.list.stream()
                .map(e -> e.getFormattedMessage()
                        + (e.getThrowableProxy() == null
                                ? ""
                                : " " + e.getThrowableProxy().getMessage()))
                .toList();
    }

    private static void assertNoSecretIn(String text) {
        assertThat(text).doesNotContain(DB_PASSWORD).doesNotContain(REDIS_PASSWORD);
    }

    private static Logger root() {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
