package io.cistern.ops.doctor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.ExactJson;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckReportTest {
    @Test
    void warningsPass_butOneFailureFailsTheReport() {
        CheckReport warned = new CheckReport(List.of(Check.ok("a", "fine"), Check.warn("b", "risky", "do this")));
        CheckReport failed = new CheckReport(List.of(Check.ok("a", "fine"), Check.fail("c", "broken", "fix it")));

        assertThat(warned.passed()).isTrue();
        assertThat(failed.passed()).isFalse();
    }

    @Test
    void text_printsOneLinePerCheck_andTheFixUnderEachProblem() {
        CheckReport report = new CheckReport(List.of(
                Check.ok("redis.tcp", "127.0.0.1:6379 accepts connections"),
                Check.fail("redis.persistence", "AOF is off", "set appendonly yes")));

        assertThat(report.text()).isEqualTo("""
                        [ OK ] redis.tcp: 127.0.0.1:6379 accepts connections
                        [FAIL] redis.persistence: AOF is off
                               fix: set appendonly yes
                        2 checks: 1 ok, 0 warnings, 1 failed
                        """);
    }

    @Test
    void json_carriesTheVerdictAndEveryCheck() {
        CheckReport report =
                new CheckReport(List.of(Check.fail("redis.persistence", "AOF is off", "set appendonly yes")));

        var json = ExactJson.mapper().readTree(report.json());

        assertThat(json.get("passed").booleanValue()).isFalse();
        assertThat(json.get("checks").get(0).get("status").stringValue()).isEqualTo("fail");
        assertThat(json.get("checks").get(0).get("fix").stringValue()).isEqualTo("set appendonly yes");
    }

    @Test
    void aProblemWithoutAFix_isAProgrammingError() {
        assertThatThrownBy(() -> Check.fail("x", "broken", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names no fix");
    }
}
