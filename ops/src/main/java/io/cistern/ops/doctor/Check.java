package io.cistern.ops.doctor;

import java.util.Objects;

/**
 * The outcome of one check.
 *
 * @param name what was checked, for example {@code redis.persistence}
 * @param status passed, a warning (works, but risky), or failed
 * @param detail what was found, never a secret
 * @param fix what to do, when the check did not pass
 */
public record Check(String name, Status status, String detail, String fix) {
    public enum Status {
        OK,
        WARN,
        FAIL
    }

    public Check {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
        fix = fix == null ? "" : fix;
        if (status != Status.OK && fix.isBlank()) {
            throw new IllegalArgumentException("check '" + name + "' did not pass but names no fix");
        }
    }

    public static Check ok(String name, String detail) {
        return new Check(name, Status.OK, detail, "");
    }

    public static Check warn(String name, String detail, String fix) {
        return new Check(name, Status.WARN, detail, fix);
    }

    public static Check fail(String name, String detail, String fix) {
        return new Check(name, Status.FAIL, detail, fix);
    }
}
