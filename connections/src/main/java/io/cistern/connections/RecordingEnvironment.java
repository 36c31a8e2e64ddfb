package io.cistern.connections;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * An environment that remembers what the {@link EnvironmentReader}s built on it read: every variable asked for, whether
 * it was set, the value the reader returned (the default when unset, {@code ****} for a secret), every variable that
 * was set but lost to one of higher precedence, and the readers' warnings. Pass it to any {@code fromEnvironment(Map)}: the settings records
 * need no change, because they all read through an {@link EnvironmentReader}, which reports here.
 *
 * <p>This is how {@code ops/cistern config} shows every effective setting and where it came from, and how the set of
 * variables Cistern reads is known without a second list of names that could drift from the readers.
 *
 * <p>A read-only view of the map it wraps. Not thread-safe: one per resolution.
 */
public final class RecordingEnvironment extends AbstractMap<String, String> {
    private final Map<String, String> env;
    private final Map<String, Reading> readings = new LinkedHashMap<>();
    private final List<Overridden> overrides = new ArrayList<>();
    private final Set<String> warnings = new LinkedHashSet<>();

    private RecordingEnvironment(Map<String, String> env) {
        this.env = Objects.requireNonNull(env, "env");
    }

    /** A recording view of {@code env} (not copied). */
    public static RecordingEnvironment of(Map<String, String> env) {
        return new RecordingEnvironment(env);
    }

    /**
     * One variable as a reader saw it.
     *
     * @param name the variable (for a secret, its own name, not its {@code _FILE} form)
     * @param set whether it (or, for a secret, its {@code _FILE} form) was set to something other than blank
     * @param secret whether it holds a secret, whose value is never recorded
     * @param value the value the reader returned, as text ({@code 5000 ms}, {@code true}, {@code ****}): the default
     *     when the reader was given one and the variable is unset; empty when unset and the caller applies its own
     *     default, or when the variable was only tested for presence
     * @param source where the value came from: the variable, {@code NAME_FILE (path)} for a secret read from a file, or
     *     {@code default}
     */
    public record Reading(String name, boolean set, boolean secret, String value, String source) {
        public Reading {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(source, "source");
        }
    }

    /**
     * A variable that was set and lost to one of higher precedence.
     *
     * @param part what both would set ({@code host}, {@code password}, {@code url})
     * @param winner the variable whose value is used
     * @param loser the variable that was ignored
     */
    public record Overridden(String part, String winner, String loser) {}

    /** Every variable read, in the order first read. */
    public List<Reading> readings() {
        return List.copyOf(readings.values());
    }

    /** The reading of {@code name}, if a reader asked for it. */
    public Optional<Reading> reading(String name) {
        return java.util.Optional.ofNullable(readings.get(name));
    }

    /** Every variable that was set but overridden, in the order noticed. */
    public List<Overridden> overrides() {
        return List.copyOf(overrides);
    }

    /** What the readers warned about (each once), such as a variable that lost to another or had whitespace. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The names of every variable read, {@code _FILE} forms of secrets included. */
    public Set<String> namesRead() {
        Set<String> names = new TreeSet<>();
        for (Reading r : readings.values()) {
            names.add(r.name());
            if (r.secret()) {
                names.add(r.name() + "_FILE");
            }
        }
        return names;
    }

    /**
     * Records a reading; one that knows the value replaces one that only tested presence, never the other way round.
     */
    void record(Reading reading) {
        Reading before = readings.get(reading.name());
        if (before == null
                || (before.value().isEmpty() && !reading.value().isEmpty())
                || (reading.secret() && !before.secret())) {
            readings.put(reading.name(), reading);
        }
    }

    void recordWarning(String warning) {
        warnings.add(warning);
    }

    void recordOverride(Overridden override) {
        if (!overrides.contains(override)) {
            overrides.add(override);
        }
    }

    @Override
    public String get(Object key) {
        return env.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return env.containsKey(key);
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return Collections.unmodifiableMap(env).entrySet();
    }
}
