package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StatusCommandsHelpTest {
    @ParameterizedTest
    @ValueSource(strings = {"lag", "leases", "partitions", "pause", "resume", "drain"})
    void everyStatusCommand_hasHelp_withTheConnectionOptions(String command) {
        StringWriter out = new StringWriter();

        int code = CisternCli.commandLine().setOut(new PrintWriter(out, true)).execute(command, "--help");

        assertThat(code).isZero();
        assertThat(out.toString())
                .contains("Usage: cistern " + command)
                .contains("--redis-url")
                .contains("--prefix");
    }

    @Test
    void durations_readAsOperatorsWriteThem() {
        StatusCli.DurationConverter c = new StatusCli.DurationConverter();

        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.convert("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.convert("5min")).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.convert("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(c.convert("PT2M")).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.convert("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(c.convert("P30D")).isEqualTo(Duration.ofDays(30));
    }

    @Test
    void aBadDuration_saysHowToWriteOne() {
        StringWriter err = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(new StringWriter(), true))
                .setErr(new PrintWriter(err, true))
                .execute("drain", "--timeout", "soon");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("'soon' is not a duration").contains("30s");
    }

    @Test
    void ages_readAsPeopleSayThem() {
        assertThat(StatusCli.age(Duration.ofMillis(800))).isEqualTo("0.8 s");
        assertThat(StatusCli.age(Duration.ofSeconds(42))).isEqualTo("42 s");
        assertThat(StatusCli.age(Duration.ofSeconds(185))).isEqualTo("3 min 05 s");
        assertThat(StatusCli.age(Duration.ofMinutes(127))).isEqualTo("2 h 07 min");
    }
}
