package io.cistern.ops.doctor;

import java.util.List;
import java.util.Set;

/**
 * What a doctor run holds a deployment to. {@link #PRODUCTION} (the default) fails every finding that can lose an
 * acknowledged write; {@link #DEV} is for a laptop or a trial ({@code ops/cistern up} reusing a Redis that keeps
 * nothing on disk): a Redis without persistence or with an evicting policy is worth a warning there, not a failure,
 * because nothing of value is buffered. Every other check keeps its verdict in both profiles.
 */
public enum DoctorProfile {
    PRODUCTION,
    DEV;

    /** The checks whose failures {@link #DEV} turns into warnings: they endanger buffered data, nothing else. */
    static final Set<String> DURABILITY_CHECKS = Set.of("redis.persistence", "redis.maxmemory-policy");

    /** The report as this profile judges it. Pure: the checks' details and fixes are kept, only statuses change. */
    public CheckReport judge(CheckReport report) {
        if (this == PRODUCTION) {
            return report;
        }
        List<Check> judged = report.checks().stream()
                .map(c -> c.status() == Check.Status.FAIL && DURABILITY_CHECKS.contains(c.name())
                        ? Check.warn(c.name(), c.detail() + " (a warning in the dev profile)", c.fix())
                        : c)
                .toList();
        return new CheckReport(judged);
    }
}
