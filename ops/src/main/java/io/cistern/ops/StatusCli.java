package io.cistern.ops;

import io.cistern.connections.ConnectionFailureTranslator;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.ops.status.PipelineStatus;
import io.lettuce.core.RedisException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** What the status commands ({@code lag}, {@code leases}, {@code partitions}, {@code pause}, ...) share. */
final class StatusCli {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h|d)");

    private StatusCli() {}

    /**
     * Runs {@code action} with a status reader on the configured Redis, closing it after; its dead letters are counted
     * in the configured PostgreSQL ({@code cistern_dead_letter}), or, when the database settings are not usable, from
     * the notices in Redis. A Redis failure becomes an {@link IllegalStateException} with the translated explanation,
     * which the CLI prints without a trace.
     */
    static <T> T withStatus(ConnectionOptions connection, Function<PipelineStatus, T> action) {
        RedisSettings redis = connection.redis();
        DatabaseSettings database;
        try {
            database = connection.database();
        } catch (IllegalArgumentException e) {
            database = null; // the status is Redis's to tell; the database settings' own commands say what is wrong
        }
        try (PipelineStatus status = database == null
                ? PipelineStatus.connect(redis, connection.layout())
                : PipelineStatus.connect(redis, connection.layout(), database)) {
            return action.apply(status);
        } catch (RedisException e) {
            throw new IllegalStateException(
                    ConnectionFailureTranslator.translate(e, redis).getMessage(), e);
        }
    }

    /** Who acts, for the logs and the pause flag: the command, the OS user and the time. */
    static String actor(String command, String reason) {
        String user = System.getenv("USER");
        return "ops/cistern " + command + " (" + (user == null ? System.getProperty("user.name") : user) + ") at "
                + Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                + (reason == null || reason.isBlank() ? "" : ": " + reason.strip());
    }

    /** An age for people: {@code 0.8 s}, {@code 42 s}, {@code 3 min 05 s}, {@code 2 h 07 min}. */
    static String age(Duration d) {
        long ms = d.toMillis();
        if (ms < 10_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = d.toSeconds();
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 5m}/{@code 5min}, {@code 1h}, {@code 30d} (days of 24 hours), or
     * ISO-8601 ({@code PT5M}, {@code P30D}).
     */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            Matcher m = DURATION.matcher(v);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m", "min" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            try {
                return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
            } catch (java.time.format.DateTimeParseException e) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration: write it like 500ms, 30s, 5m, 1h or 30d");
            }
        }
    }
}
