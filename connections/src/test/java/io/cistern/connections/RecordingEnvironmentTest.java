package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the readers of a {@link RecordingEnvironment} record, and the effective settings built from it: each value, the
 * variable or file it came from, the variables it overrode, and never a secret.
 */
class RecordingEnvironmentTest {
    private static final String SECRET = "Rec0rded-Never-9";

    @TempDir
    Path tmp;

    @Test
    void reader_recordsTheValueItReturned_andWhetherItCameFromTheVariableOrTheDefault() {
        RecordingEnvironment env = RecordingEnvironment.of(Map.of("SYNC_BATCH_SIZE", "500", "X_MS", " 70 "));
        EnvironmentReader reader = new EnvironmentReader(env);

        reader.integer("SYNC_BATCH_SIZE", 1000, 1, 100000);
        reader.integer("SYNC_OTHER", 7, 1, 100);
        reader.millis("X_MS", Duration.ofSeconds(1));
        reader.millisOrDefault("Y_MS", Duration.ofSeconds(2));
        reader.bool("B", true);

        assertThat(env.readings())
                .containsExactly(
                        new RecordingEnvironment.Reading("SYNC_BATCH_SIZE", true, false, "500", "SYNC_BATCH_SIZE"),
                        new RecordingEnvironment.Reading("SYNC_OTHER", false, false, "7", "default"),
                        new RecordingEnvironment.Reading("X_MS", true, false, "70 ms", "X_MS"),
                        new RecordingEnvironment.Reading("Y_MS", false, false, "2000 ms", "default"),
                        new RecordingEnvironment.Reading("B", false, false, "true", "default"));
        assertThat(env.warnings()).containsExactly("X_MS had surrounding whitespace, which was removed");
    }

    @Test
    void secret_isRecordedAsStars_withTheFileItCameFrom_andBothNamesAreKnown() throws IOException {
        Path file = Files.writeString(tmp.resolve("pw"), SECRET + "\n");
        RecordingEnvironment env = RecordingEnvironment.of(Map.of("DB_PASSWORD_FILE", file.toString()));

        new EnvironmentReader(env).secret("DB_PASSWORD");

        assertThat(env.reading("DB_PASSWORD"))
                .contains(new RecordingEnvironment.Reading(
                        "DB_PASSWORD", true, true, "****", "DB_PASSWORD_FILE (" + file + ")"));
        assertThat(env.namesRead()).containsExactly("DB_PASSWORD", "DB_PASSWORD_FILE");
        assertThat(env.readings().toString()).doesNotContain(SECRET);
    }

    @Test
    void emptyEnvironment_databaseAndRedisReadEveryVariableTheyKnow() {
        RecordingEnvironment env = RecordingEnvironment.of(Map.of());

        EffectiveSetting.database(env);
        EffectiveSetting.redis(env);

        assertThat(env.namesRead())
                .contains(
                        "DATABASE_URL",
                        "DB_HOST",
                        "DATABASE_HOST",
                        "AWS_DB_HOST",
                        "PGHOST",
                        "DB_PASSWORD_FILE",
                        "AWS_DB_PASSWORD_FILE",
                        "PGPASSWORD_FILE",
                        "DB_SSL_CERT_PATH",
                        "AWS_REQUIRE_SSL",
                        "AWS_SSLROOTCERT",
                        "DB_MAX_OVERFLOW",
                        "DB_POOL_PRE_PING",
                        "DB_TCP_KEEPALIVE",
                        "SQL_ECHO",
                        "REDIS_URL",
                        "REDIS_HOST",
                        "REDIS_PORT",
                        "REDIS_PASSWORD_FILE",
                        "REDIS_TLS_VERIFY");
    }

    @Test
    void database_eachPartNamesItsSource_andTheVariablesItOverrode() throws IOException {
        Path file = Files.writeString(tmp.resolve("pw"), SECRET);
        RecordingEnvironment env = RecordingEnvironment.of(Map.of(
                "DB_HOST", "db.internal",
                "DATABASE_HOST", "api.internal",
                "PGHOST", "pg.internal",
                "AWS_DB_PORT", "5433",
                "DB_PASSWORD_FILE", file.toString(),
                "PGPASSWORD", "other-" + SECRET,
                "DB_POOL_SIZE", "5",
                "DB_MAX_OVERFLOW", "10",
                "DB_READ_TIMEOUT", "90"));

        List<EffectiveSetting> rows = EffectiveSetting.database(env);

        assertThat(rows)
                .contains(
                        new EffectiveSetting("host", "db.internal", "DB_HOST", List.of("DATABASE_HOST", "PGHOST")),
                        new EffectiveSetting("port", "5433", "AWS_DB_PORT", List.of()),
                        new EffectiveSetting("database", "postgres", "default", List.of()),
                        new EffectiveSetting(
                                "password", "****", "DB_PASSWORD_FILE (" + file + ")", List.of("PGPASSWORD")),
                        new EffectiveSetting("pool size", "15", "DB_POOL_SIZE + DB_MAX_OVERFLOW", List.of()),
                        new EffectiveSetting("socket timeout", "90000 ms", "DB_READ_TIMEOUT", List.of()),
                        new EffectiveSetting("statement timeout", "30000 ms", "default", List.of()));
        assertThat(rows.toString() + env.warnings() + env.readings()).doesNotContain(SECRET);
        assertThat(env.warnings()).contains("PGPASSWORD is ignored: DB_PASSWORD_FILE is set, which wins");
    }

    @Test
    void redis_urlNamesTheAliasesItOverrode_andHidesThePassword() {
        RecordingEnvironment env = RecordingEnvironment.of(Map.of(
                "REDIS_URL", "redis://app:" + SECRET + "@cache.internal:6380/2",
                "REDIS_HOST", "other",
                "REDIS_COMMAND_TIMEOUT_MS", "1500"));

        List<EffectiveSetting> rows = EffectiveSetting.redis(env);

        assertThat(rows)
                .contains(
                        new EffectiveSetting(
                                "url", "redis://app:****@cache.internal:6380/2", "REDIS_URL", List.of("REDIS_HOST")),
                        new EffectiveSetting("user", "app", "REDIS_URL", List.of()),
                        new EffectiveSetting("password", "****", "REDIS_URL", List.of()),
                        new EffectiveSetting(
                                "REDIS_COMMAND_TIMEOUT_MS", "1500 ms", "REDIS_COMMAND_TIMEOUT_MS", List.of()),
                        new EffectiveSetting("REDIS_CONNECT_TIMEOUT_MS", "2000 ms", "default", List.of()));
        assertThat(rows.toString()).doesNotContain(SECRET);
    }

    @Test
    void aWrongValue_failsWithTheMessageTheSettingsRecordGives() {
        Map<String, String> env = Map.of("DATABASE_HOST", "a", "AWS_DB_HOST", "b");

        String expected = org.assertj.core.api.Assertions.catchThrowable(() -> DatabaseSettings.fromEnvironment(env))
                .getMessage();

        assertThatThrownBy(() -> EffectiveSetting.database(RecordingEnvironment.of(env)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expected)
                .hasMessageContaining("DATABASE_HOST and AWS_DB_HOST");
    }
}
