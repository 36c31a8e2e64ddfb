package io.cistern.connections;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads configuration variables the one way every Cistern component reads them, so that each settings record's {@code
 * fromEnvironment} is a list of names and defaults rather than parsing code.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li>Surrounding whitespace is removed, and that it was is recorded in {@link #warnings()}.
 *   <li>A blank value counts as unset: the default applies.
 *   <li>A secret {@code NAME} may instead come from the file named by {@code NAME_FILE}; setting both is an error.
 *   <li>Every error is an {@link IllegalArgumentException} whose message names the variable, the value given and the
 *       form expected, for example {@code "SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got 'ten'"}; a
 *       secret's value is never part of a message.
 *   <li>A value out of range is refused, never clamped.
 * </ul>
 *
 * <p>Readers without a range ({@link #longValue}, {@link #millis(String)}) leave the range to the settings record's
 * constructor, whose message then names the variable. Not thread-safe; one per resolution.
 *
 * <p>A reader built on a {@link RecordingEnvironment} reports to it every variable it is asked for, with the value it
 * returned and where that came from (a secret's value never), and every variable it was told lost to another ({@link
 * #ignored}): that is how {@code ops/cistern config} lists every effective setting without a second list of names.
 */
public final class EnvironmentReader {
    /** Used as {@code max} when a number has no upper bound. */
    public static final long NO_MAX = Long.MAX_VALUE;

    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();
    private final RecordingEnvironment recording;

    /**
     * A reader of {@code env} (typically {@code System.getenv()}, or a map in tests); the map is not copied. When it is
     * a {@link RecordingEnvironment}, what this reader reads is recorded there.
     */
    public EnvironmentReader(Map<String, String> env) {
        this.env = Objects.requireNonNull(env, "env");
        this.recording = env instanceof RecordingEnvironment r ? r : null;
    }

    /** The value of {@code name} without surrounding whitespace, or empty when unset or blank. */
    public Optional<String> get(String name) {
        Optional<String> value = value(name);
        record(name, value.isPresent(), value.orElse(""));
        return value;
    }

    /** As {@link #get(String)}, without recording: for the readers below, which record the value they return. */
    private Optional<String> value(String name) {
        String raw = env.get(name);
        if (raw == null) {
            return Optional.empty();
        }
        String trimmed = raw.strip();
        if (!trimmed.equals(raw) && !trimmed.isEmpty()) {
            warn(name + " had surrounding whitespace, which was removed");
        }
        return trimmed.isEmpty() ? Optional.empty() : Optional.of(trimmed);
    }

    /** The value of {@code name}, or {@code fallback} when unset or blank. */
    public String get(String name, String fallback) {
        Optional<String> value = value(name);
        record(name, value.isPresent(), value.orElse(fallback));
        return value.orElse(fallback);
    }

    /**
     * A secret from {@code name} or from the file named by {@code name_FILE} (its content without surrounding
     * whitespace, so the final newline of an editor or {@code echo} is not part of it).
     *
     * @throws IllegalArgumentException when both are set, or the file cannot be read or is empty (naming the file,
     *     never its content)
     */
    public Optional<Secret> secret(String name) {
        Optional<String> direct = value(name);
        Optional<String> file = value(name + "_FILE");
        if (recording != null) {
            recording.record(new RecordingEnvironment.Reading(
                    name,
                    direct.isPresent() || file.isPresent(),
                    true,
                    direct.isPresent() || file.isPresent() ? "****" : "",
                    file.isPresent() && direct.isEmpty()
                            ? name + "_FILE (" + file.get() + ")"
                            : direct.isPresent() ? name : "default"));
        }
        if (direct.isPresent() && file.isPresent()) {
            throw new IllegalArgumentException("both " + name + " and " + name + "_FILE are set: keep one of them");
        }
        if (file.isPresent()) {
            String content;
            try {
                content = Files.readString(Path.of(file.get()));
            } catch (IOException e) {
                // The exception text names only the file, never its content.
                throw new IllegalArgumentException(
                        name + "_FILE names " + file.get() + ", which cannot be read ("
                                + e.getClass().getSimpleName() + "): check the path and that this process may read it",
                        e);
            }
            String stripped = content.strip();
            if (stripped.isEmpty()) {
                throw new IllegalArgumentException(name + "_FILE names " + file.get() + ", which is empty");
            }
            return Optional.of(Secret.of(stripped));
        }
        return direct.map(Secret::of);
    }

    /** Whether {@code name} or {@code name_FILE} is set (without reading the file). */
    public boolean secretIsSet(String name) {
        boolean set = present(name) || present(name + "_FILE");
        if (recording != null) {
            recording.record(new RecordingEnvironment.Reading(name, set, true, "", set ? name : "default"));
        }
        return set;
    }

    /** Whether {@code name} is set to something other than blank. */
    public boolean isSet(String name) {
        boolean set = present(name);
        record(name, set, "");
        return set;
    }

    private boolean present(String name) {
        String raw = env.get(name);
        return raw != null && !raw.isBlank();
    }

    /**
     * A whole number of at least {@code min}, or {@code fallback} when unset.
     *
     * @throws IllegalArgumentException {@code "DB_POOL_SIZE must be a whole number, was 'ten'"} or {@code
     *     "DB_POOL_SIZE must be at least 1, was 0"}
     */
    public int integer(String name, int fallback, int min) {
        Optional<String> value = value(name);
        int result = value.isEmpty() ? fallback : parseInteger(name, value.get(), min);
        record(name, value.isPresent(), Integer.toString(result));
        return result;
    }

    /**
     * A whole number from {@code min} to {@code max}, or {@code fallback} when unset.
     *
     * @throws IllegalArgumentException {@code "SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got 'ten'"}
     */
    public int integer(String name, int fallback, int min, int max) {
        int result = Math.toIntExact(bounded(name, fallback, min, max, ""));
        record(name, present(name), Integer.toString(result));
        return result;
    }

    /**
     * A whole number of {@code unit} from {@code min} to {@code max}, or {@code fallback} when unset.
     *
     * @throws IllegalArgumentException {@code "CISTERN_WRITER_MAX_BODY_BYTES must be a whole number of bytes from 1 to
     *     1073741824, got '8MB'"}
     */
    public int integer(String name, int fallback, int min, int max, String unit) {
        int result = Math.toIntExact(bounded(name, fallback, min, max, " of " + unit));
        record(name, present(name), result + " " + unit);
        return result;
    }

    /**
     * A whole number, or {@code fallback} when unset; its range is left to the settings record.
     *
     * @throws IllegalArgumentException {@code "PROXY_LOCAL_CACHE_ENTRIES must be a whole number, was 'many'"}
     */
    public long longValue(String name, long fallback) {
        Optional<String> value = value(name);
        long result;
        try {
            result = value.isEmpty() ? fallback : Long.parseLong(value.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + value.get() + "'", e);
        }
        record(name, value.isPresent(), Long.toString(result));
        return result;
    }

    /** {@code value} (which came from {@code name}) as a whole number of at least {@code min}. */
    public static int parseInteger(String name, String value, int min) {
        int parsed;
        try {
            parsed = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, was '" + value + "'", e);
        }
        if (parsed < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", was " + parsed);
        }
        return parsed;
    }

    /**
     * A duration in milliseconds (the variable's name ends in {@code _MS}) of any sign, when set; its range is left to
     * the settings record.
     *
     * @throws IllegalArgumentException {@code "X_MS must be a whole number of milliseconds (for example 5000), was
     *     '5s'"}
     */
    public Optional<Duration> millis(String name) {
        Optional<Duration> result = value(name).map(value -> Duration.ofMillis(parseMillis(name, value)));
        record(name, result.isPresent(), result.map(EnvironmentReader::text).orElse(""));
        return result;
    }

    /**
     * A duration in milliseconds of any sign, or {@code fallback} when unset; its range is left to the settings record.
     *
     * @throws IllegalArgumentException as {@link #millis(String)}
     */
    public Duration millisOrDefault(String name, Duration fallback) {
        Optional<Duration> value = millis(name);
        record(name, value.isPresent(), text(value.orElse(fallback)));
        return value.orElse(fallback);
    }

    /**
     * A duration in milliseconds of zero or more, or {@code fallback} when unset.
     *
     * @throws IllegalArgumentException as {@link #millis(String)}, or {@code "X_MS must not be negative, was -1"}
     */
    public Duration millis(String name, Duration fallback) {
        Optional<Duration> value = millis(name);
        if (value.isPresent() && value.get().isNegative()) {
            throw new IllegalArgumentException(
                    name + " must not be negative, was " + value.get().toMillis());
        }
        record(name, value.isPresent(), text(value.orElse(fallback)));
        return value.orElse(fallback);
    }

    /**
     * A duration in milliseconds from {@code minMillis} to {@code maxMillis} ({@link #NO_MAX} for no upper bound), or
     * {@code fallback} when unset.
     *
     * @throws IllegalArgumentException {@code "SYNC_LEASE_MS must be a whole number of milliseconds (at least 1), got
     *     '10s'"}
     */
    public Duration millis(String name, Duration fallback, long minMillis, long maxMillis) {
        Duration result =
                Duration.ofMillis(bounded(name, fallback.toMillis(), minMillis, maxMillis, " of milliseconds"));
        record(name, present(name), text(result));
        return result;
    }

    /**
     * A duration in seconds, when set: a whole or decimal number ({@code 30}, {@code 2.5}), the form of the pool
     * variables Python services already have ({@code DB_POOL_TIMEOUT}, {@code DB_POOL_RECYCLE}, {@code
     * DB_READ_TIMEOUT}); rounded to the millisecond. Any sign; the range is left to the caller.
     *
     * @throws IllegalArgumentException {@code "DB_POOL_TIMEOUT must be a number of seconds (for example 30), was
     *     '30s'"}
     */
    public Optional<Duration> seconds(String name) {
        Optional<Duration> result = value(name).map(value -> {
            try {
                return Duration.ofMillis(new java.math.BigDecimal(value)
                        .movePointRight(3)
                        .setScale(0, java.math.RoundingMode.HALF_UP)
                        .longValueExact());
            } catch (NumberFormatException | ArithmeticException e) {
                throw new IllegalArgumentException(
                        name + " must be a number of seconds (for example 30), was '" + value + "'", e);
            }
        });
        record(name, result.isPresent(), result.map(EnvironmentReader::text).orElse(""));
        return result;
    }

    /**
     * {@code true}/{@code false} (also {@code yes}/{@code no}, {@code on}/{@code off}, {@code 1}/{@code 0}, in any
     * case), or {@code fallback} when unset.
     *
     * @throws IllegalArgumentException {@code "DB_TCP_KEEPALIVE must be true or false, was 'maybe'"}
     */
    public boolean bool(String name, boolean fallback) {
        Optional<String> value = value(name);
        boolean result = value.isEmpty()
                ? fallback
                : switch (value.get().toLowerCase(Locale.ROOT)) {
                    case "true", "yes", "on", "1" -> true;
                    case "false", "no", "off", "0" -> false;
                    default ->
                        throw new IllegalArgumentException(name + " must be true or false, was '" + value.get() + "'");
                };
        record(name, value.isPresent(), Boolean.toString(result));
        return result;
    }

    /** Records a warning to report with the others once the settings are resolved. */
    public void warn(String warning) {
        warnings.add(warning);
        if (recording != null) {
            recording.recordWarning(warning);
        }
    }

    /**
     * Records that {@code loser} was set but {@code winner}, of higher precedence, gives the {@code part} instead, with
     * the warning that says so; {@code ops/cistern config} names the loser next to the winner's value.
     */
    public void ignored(String part, String winner, String loser, String warning) {
        warn(warning);
        if (recording != null) {
            recording.recordOverride(new RecordingEnvironment.Overridden(part, winner, loser));
        }
    }

    private void record(String name, boolean set, String value) {
        if (recording != null) {
            recording.record(new RecordingEnvironment.Reading(name, set, false, value, set ? name : "default"));
        }
    }

    private static String text(Duration d) {
        return d.toMillis() + " ms";
    }

    /** What was accepted but deserves a line in the log, such as a value that had surrounding whitespace. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    private static long parseMillis(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a whole number of milliseconds (for example 5000), was '" + value + "'", e);
        }
    }

    private long bounded(String name, long fallback, long min, long max, String unit) {
        Optional<String> value = value(name);
        if (value.isEmpty()) {
            return fallback;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(expected(name, min, max, unit) + ", got '" + value.get() + "'", e);
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(expected(name, min, max, unit) + ", got '" + value.get() + "'");
        }
        return parsed;
    }

    private static String expected(String name, long min, long max, String unit) {
        String range = max == NO_MAX ? " (at least " + min + ")" : " from " + min + " to " + max;
        return name + " must be a whole number" + unit + range;
    }
}
