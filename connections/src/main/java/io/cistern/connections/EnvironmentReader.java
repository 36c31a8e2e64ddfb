package io.cistern.connections;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads configuration variables: trims surrounding whitespace (and reports that it did), treats blank as unset, and
 * resolves {@code NAME_FILE} for secrets. Not thread-safe; one per resolution.
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
            try {
                String content = Files.readString(Path.of(file.get())).strip();
                return Optional.of(Secret.of(content));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        name + "_FILE names " + file.get() + ", which cannot be read: " + e.getMessage(), e);
            }
        }
        return direct.map(Secret::of);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }
}
