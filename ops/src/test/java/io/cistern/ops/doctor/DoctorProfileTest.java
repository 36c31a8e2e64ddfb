package io.cistern.ops.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DoctorProfileTest {
    private final CheckReport findings = new CheckReport(List.of(
            Check.ok("redis.auth", "PING answered"),
            Check.fail("redis.persistence", "AOF is off", "set appendonly yes"),
            Check.fail("redis.maxmemory-policy", "allkeys-lru may evict", "set maxmemory-policy noeviction"),
            Check.fail("postgres.auth", "password authentication failed", "check DB_PASSWORD")));

    @Test
    void production_keepsEveryVerdict() {
        assertThat(DoctorProfile.PRODUCTION.judge(findings)).isEqualTo(findings);
    }

    @Test
    void dev_warnsAboutDurability_keepsTheFix_andStillFailsTheRest() {
        CheckReport judged = DoctorProfile.DEV.judge(findings);

        assertThat(judged.checks())
                .extracting(Check::name, Check::status)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("redis.auth", Check.Status.OK),
                        org.assertj.core.groups.Tuple.tuple("redis.persistence", Check.Status.WARN),
                        org.assertj.core.groups.Tuple.tuple("redis.maxmemory-policy", Check.Status.WARN),
                        org.assertj.core.groups.Tuple.tuple("postgres.auth", Check.Status.FAIL));
        assertThat(judged.checks().get(1).fix()).isEqualTo("set appendonly yes");
        assertThat(judged.passed()).isFalse();
    }

    @Test
    void dev_passesAReportWhoseOnlyFailuresAreAboutDurability() {
        CheckReport onlyDurability = new CheckReport(findings.checks().subList(0, 3));

        assertThat(DoctorProfile.DEV.judge(onlyDurability).passed()).isTrue();
    }
}
