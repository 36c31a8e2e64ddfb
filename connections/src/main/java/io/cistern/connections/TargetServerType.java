package io.cistern.connections;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which server of a multi-host URL to use (pgjdbc's {@code targetServerType}). The sync worker writes and must use
 * {@link #PRIMARY}; reads that tolerate replication lag (the proxy's cache misses) may use a replica.
 */
public enum TargetServerType {
    /** Whichever answers first. */
    ANY("any"),
    /** Only a server that accepts writes. */
    PRIMARY("primary"),
    /** Only a read-only replica. */
    SECONDARY("secondary"),
    /** A replica if one answers, otherwise the primary. */
    PREFER_SECONDARY("preferSecondary"),
    /** The primary if it answers, otherwise a replica. */
    PREFER_PRIMARY("preferPrimary");

    private final String value;

    TargetServerType(String value) {
        this.value = value;
    }

    /** The value as pgjdbc spells it, for example {@code preferSecondary}. */
    public String value() {
        return value;
    }

    /**
     * Parses pgjdbc's spelling ({@code primary}, {@code preferSecondary}, ...) or libpq's {@code
     * target_session_attrs} ({@code read-write}, {@code standby}, {@code prefer-standby}, ...), any case.
     */
    static TargetServerType parse(String variable, String text) {
        String wanted = text.strip().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
        return switch (wanted) {
            case "any" -> ANY;
            case "primary", "master", "readwrite" -> PRIMARY;
            case "secondary", "standby", "slave", "readonly", "replica" -> SECONDARY;
            case "prefersecondary", "preferstandby", "preferslave", "preferreplica" -> PREFER_SECONDARY;
            case "preferprimary" -> PREFER_PRIMARY;
            default ->
                throw new IllegalArgumentException(variable + " must be one of "
                        + Arrays.stream(values()).map(TargetServerType::value).collect(Collectors.joining(", "))
                        + ", was '" + text + "'");
        };
    }

    @Override
    public String toString() {
        return value;
    }
}
