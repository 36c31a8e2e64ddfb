package io.cistern.connections;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads configuration variables: trims surrounding whitespace (and reports that it did), treats blank as unset,
 * resolves {@code NAME_FILE} for secrets, and parses numbers with messages that name the variable. Not thread-safe;
 * one per resolution.
 */
final class EnvironmentReader {
    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();

    EnvironmentReader(Map<String, String> env) {
        this.env = env;
    }

    Optional<String> get(String name) {
        String raw = env.get(name);
        if (raw == null) {
            return Optional.empty();
        }
        String trimmed = raw.strip();
        if (!trimmed.equals(raw) && !trimmed.isEmpty()) {
            warnings.add(name + " had surrounding whitespace, which was removed");
        }
        return trimmed.isEmpty() ? Optional.empty() : Optional.of(trimmed);
    }

    /** A secret from {@code name} or from the file named by {@code name_FILE}; setting both is an error. */
    Optional<Secret> secret(String name) {
        Optional<String> direct = get(name);
        Optional<String> file = get(name + "_FILE");
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
            // Files written by editors and `echo` end with a newline, which is never part of a password.
            String stripped = content.strip();
            if (stripped.isEmpty()) {
                throw new IllegalArgumentException(name + "_FILE names " + file.get() + ", which is empty");
            }
            return Optional.of(Secret.of(stripped));
        }
        return direct.map(Secret::of);
    }

    /** Whether {@code name} or {@code name_FILE} is set (without reading the file). */
    boolean secretIsSet(String name) {
        return isSet(name) || isSet(name + "_FILE");
    }

    boolean isSet(String name) {
        String raw = env.get(name);
        return raw != null && !raw.isBlank();
    }

    /** A whole number of at least {@code min}, or {@code fallback} when unset. */
    int integer(String name, int fallback, int min) {
        Optional<String> value = get(name);
        if (value.isEmpty()) {
            return fallback;
        }
        return parseInteger(name, value.get(), min);
    }

    static int parseInteger(String name, String value, int min) {
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

    /** A duration in milliseconds (the variable's name ends in {@code _MS}), or {@code fallback} when unset. */
    Duration millis(String name, Duration fallback) {
        Optional<String> value = get(name);
        if (value.isEmpty()) {
            return fallback;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value.get());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a whole number of milliseconds (for example 5000), was '" + value.get() + "'", e);
        }
        if (parsed < 0) {
            throw new IllegalArgumentException(name + " must not be negative, was " + parsed);
        }
        return Duration.ofMillis(parsed);
    }

    /** {@code true}/{@code false} (also {@code yes}/{@code no}, {@code on}/{@code off}, {@code 1}/{@code 0}). */
    boolean bool(String name, boolean fallback) {
        Optional<String> value = get(name);
        if (value.isEmpty()) {
            return fallback;
        }
        return switch (value.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException(name + " must be true or false, was '" + value.get() + "'");
        };
    }

    void warn(String warning) {
        warnings.add(warning);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }
}
