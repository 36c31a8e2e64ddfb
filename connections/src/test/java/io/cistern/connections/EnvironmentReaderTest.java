package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentReaderTest {
    private static EnvironmentReader reader(String... pairs) {
        java.util.HashMap<String, String> env = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return new EnvironmentReader(env);
    }

    @Test
    void unsetOrBlank_takesTheDefault() {
        EnvironmentReader env = reader("BLANK", "  ");

        assertThat(env.get("UNSET")).isEmpty();
        assertThat(env.get("BLANK", "fallback")).isEqualTo("fallback");
        assertThat(env.integer("BLANK", 7, 1, 10)).isEqualTo(7);
        assertThat(env.millis("UNSET", Duration.ofSeconds(3), 1, EnvironmentReader.NO_MAX))
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(env.bool("BLANK", true)).isTrue();
        assertThat(env.isSet("BLANK")).isFalse();
    }

    @Test
    void surroundingWhitespace_isRemovedWithAWarningNamingTheVariable() {
        EnvironmentReader env = reader("SYNC_BATCH_SIZE", " 50\n");

        assertThat(env.integer("SYNC_BATCH_SIZE", 1000, 1, 100_000)).isEqualTo(50);
        assertThat(env.warnings()).containsExactly("SYNC_BATCH_SIZE had surrounding whitespace, which was removed");
    }

    @Test
    void boundedWholeNumber_namesTheVariableTheValueAndTheRange() {
        assertThatThrownBy(() -> reader("SYNC_BATCH_SIZE", "ten").integer("SYNC_BATCH_SIZE", 1000, 1, 100_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got 'ten'");
        assertThatThrownBy(() -> reader("SYNC_BATCH_SIZE", "0").integer("SYNC_BATCH_SIZE", 1000, 1, 100_000))
                .hasMessage("SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got '0'");
        assertThatThrownBy(() -> reader("SYNC_BATCH_SIZE", "100001").integer("SYNC_BATCH_SIZE", 1000, 1, 100_000))
                .hasMessage("SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got '100001'");
    }

    @Test
    void boundedWholeNumberOfAUnit_namesTheUnit() {
        String name = "CISTERN_WRITER_MAX_BODY_BYTES";

        assertThatThrownBy(() -> reader(name, "8MB").integer(name, 1024, 1, 1 << 30, "bytes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(name + " must be a whole number of bytes from 1 to 1073741824, got '8MB'");
        assertThat(reader(name, "2048").integer(name, 1024, 1, 1 << 30, "bytes"))
                .isEqualTo(2048);
        assertThat(reader(name, " ").integer(name, 1024, 1, 1 << 30, "bytes")).isEqualTo(1024);
    }

    @Test
    void boundedMillis_namesTheUnit_andAMissingMaximumIsNotPrinted() {
        assertThatThrownBy(() -> reader("SYNC_LEASE_MS", "10s")
                        .millis("SYNC_LEASE_MS", Duration.ofSeconds(10), 1, EnvironmentReader.NO_MAX))
                .hasMessage("SYNC_LEASE_MS must be a whole number of milliseconds (at least 1), got '10s'");
        assertThatThrownBy(() -> reader("SYNC_LINGER_MS", "-5").millis("SYNC_LINGER_MS", Duration.ZERO, 0, 60_000))
                .hasMessage("SYNC_LINGER_MS must be a whole number of milliseconds from 0 to 60000, got '-5'");
        assertThat(reader("SYNC_LINGER_MS", "60000").millis("SYNC_LINGER_MS", Duration.ZERO, 0, 60_000))
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void unboundedReaders_leaveTheRangeToTheRecord_butNameTheVariableWhenNotANumber() {
        assertThat(reader("X_MS", "-1").millis("X_MS")).contains(Duration.ofMillis(-1));
        assertThat(reader("N", "-3").longValue("N", 5)).isEqualTo(-3);
        assertThatThrownBy(() -> reader("X_MS", "5m").millis("X_MS"))
                .hasMessage("X_MS must be a whole number of milliseconds (for example 5000), was '5m'");
        assertThatThrownBy(() -> reader("N", "many").longValue("N", 5))
                .hasMessage("N must be a whole number, was 'many'");
    }

    @Test
    void millisWithADefault_refusesNegativeValues_namingTheVariable() {
        assertThatThrownBy(() -> reader("X_MS", "-1").millis("X_MS", Duration.ZERO))
                .hasMessage("X_MS must not be negative, was -1");
    }

    @Test
    void bool_acceptsTheUsualSpellings_andNamesTheVariableOtherwise() {
        assertThat(reader("B", "Yes").bool("B", false)).isTrue();
        assertThat(reader("B", "off").bool("B", true)).isFalse();
        assertThatThrownBy(() -> reader("B", "maybe").bool("B", true))
                .hasMessage("B must be true or false, was 'maybe'");
    }

    @Test
    void secret_comesFromTheVariableOrItsFile_neverBoth(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("token"), "from-file\n");

        assertThat(reader("T_FILE", file.toString()).secret("T"))
                .hasValueSatisfying(s -> assertThat(s.reveal()).isEqualTo("from-file"));
        assertThatThrownBy(
                        () -> reader("T", "s3cret", "T_FILE", file.toString()).secret("T"))
                .hasMessage("both T and T_FILE are set: keep one of them")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> new EnvironmentReader(
                                Map.of("T_FILE", dir.resolve("missing").toString()))
                        .secret("T"))
                .hasMessageStartingWith("T_FILE names " + dir.resolve("missing") + ", which cannot be read");
    }

    @Test
    void seconds_takeWholeAndDecimalNumbers_andNameTheVariableWhenWrong() {
        EnvironmentReader env =
                new EnvironmentReader(Map.of("A", "30", "B", "2.5", "C", "0.0004", "D", "30s", "E", "-1"));

        assertThat(env.seconds("A")).contains(Duration.ofSeconds(30));
        assertThat(env.seconds("B")).contains(Duration.ofMillis(2500));
        assertThat(env.seconds("C")).contains(Duration.ZERO);
        assertThat(env.seconds("E")).contains(Duration.ofSeconds(-1));
        assertThat(env.seconds("UNSET")).isEmpty();
        assertThatThrownBy(() -> env.seconds("D"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("D must be a number of seconds (for example 30), was '30s'");
    }
}
