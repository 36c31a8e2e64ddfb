package io.cistern.ops;

import io.cistern.connections.Backoff;
import io.cistern.connections.BearerTokenCheck;
import io.cistern.connections.EffectiveSetting;
import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.RecordingEnvironment;
import io.cistern.ops.status.StatusSettings;
import io.cistern.reader.ReaderSettings;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.sync.SyncSettings;
import io.cistern.writer.WriterSettings;
import io.cistern.writer.http.WriterHttpSettings;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Every effective setting of every Cistern component, resolved from one environment the way each service resolves it
 * (the same settings records, so the same values and the same errors), with where each value came from: what {@code
 * ops/cistern config} prints.
 *
 * <p>Each component is resolved on a {@link RecordingEnvironment}, whose readers record every variable they read; the
 * union of those names is the set of variables Cistern reads ({@link #knownVariables()}), so there is no second list
 * of names to keep up to date: a variable a settings record starts reading is known from then on. Pure apart from
 * reading {@code _FILE} secrets (and the host name, for the sync worker's default id).
 */
final class ConfigurationReport {
    /** A component and its settings, in the order shown. */
    record Section(String name, List<EffectiveSetting> settings) {}

    private static volatile Set<String> known;

    private final List<Section> sections;
    private final List<String> notes;
    private final List<String> unknownVariables;
    private final Set<String> namesRead;

    private ConfigurationReport(
            List<Section> sections, List<String> notes, List<String> unknownVariables, Set<String> namesRead) {
        this.sections = List.copyOf(sections);
        this.notes = List.copyOf(notes);
        this.unknownVariables = List.copyOf(unknownVariables);
        this.namesRead = Collections.unmodifiableSet(namesRead);
    }

    /**
     * Resolves every component from {@code env}.
     *
     * @throws IllegalArgumentException the first wrong value or combination, with the message the service that reads
     *     it would stop with
     */
    static ConfigurationReport resolve(Map<String, String> env) {
        Components c = new Components(env);
        // PostgreSQL and Redis by part (several variables may set one part); the rest one variable per setting.
        c.byPart("PostgreSQL", EffectiveSetting::database);
        c.byPart("Redis", EffectiveSetting::redis);
        c.byVariable("key prefix", ConfigurationReport::layout);
        c.byVariable("writer", WriterSettings::fromEnvironment);
        c.byVariable("writer API (HTTP)", WriterHttpSettings::fromEnvironment);
        c.byVariable("read proxy", rec -> {
            ReaderSettings.fromEnvironment(rec);
            BearerTokenCheck.tokenFromEnvironment(rec, "CISTERN_READER_TOKEN");
        });
        KeyLayout layout = layout(env);
        c.byVariable("sync worker", rec -> SyncSettings.fromEnvironment(rec, layout));
        c.byVariable("status and readiness", StatusSettings::fromEnvironment);
        c.byVariable("startup", rec -> {
            Backoff.fromEnvironment(rec);
            new EnvironmentReader(rec).bool(Startup.ALLOW_EVICTING_REDIS, false);
        });
        Set<String> knownNow = new TreeSet<>(c.names);
        if (!env.isEmpty()) {
            knownNow.addAll(knownVariables());
        }
        return new ConfigurationReport(
                c.sections, new ArrayList<>(c.notes), UnknownVariables.warnings(env, knownNow), c.names);
    }

    /** The key prefix, read as every command reads it ({@code ConnectionOptions}). */
    private static KeyLayout layout(Map<String, String> env) {
        return new KeyLayout(new EnvironmentReader(env).get("CISTERN_PREFIX", KeyLayout.DEFAULT_PREFIX));
    }

    /**
     * The names of every variable Cistern's settings read ({@code _FILE} forms of secrets included): those read when
     * every component resolves an empty environment, where every reader reads all of its variables.
     */
    static Set<String> knownVariables() {
        Set<String> names = known;
        if (names == null) {
            names = resolve(Map.of()).namesRead;
            known = names;
        }
        return names;
    }

    /**
     * The components resolved so far. Each is resolved on a fresh recording, so a wrong value throws the service's
     * message, and its settings are taken by part or from its readings; a variable an earlier section showed is left
     * out (the writer reads the Redis variables too). Not thread-safe.
     */
    private static final class Components {
        private final Map<String, String> env;
        private final List<Section> sections = new ArrayList<>();
        private final Set<String> notes = new LinkedHashSet<>();
        private final Set<String> names = new TreeSet<>();

        Components(Map<String, String> env) {
            this.env = env;
        }

        void byPart(String name, Function<RecordingEnvironment, List<EffectiveSetting>> resolve) {
            RecordingEnvironment rec = RecordingEnvironment.of(env);
            add(name, rec, resolve.apply(rec));
        }

        void byVariable(String name, Consumer<RecordingEnvironment> resolve) {
            RecordingEnvironment rec = RecordingEnvironment.of(env);
            resolve.accept(rec);
            add(
                    name,
                    rec,
                    EffectiveSetting.ofReadings(rec).stream()
                            .filter(s -> !names.contains(s.name()))
                            .toList());
        }

        private void add(String name, RecordingEnvironment rec, List<EffectiveSetting> settings) {
            notes.addAll(rec.warnings());
            names.addAll(rec.namesRead());
            if (!settings.isEmpty()) {
                sections.add(new Section(name, settings));
            }
        }
    }

    List<Section> sections() {
        return sections;
    }

    /** What resolution noticed: variables that lost to others, values trimmed, certificates unused. */
    List<String> notes() {
        return notes;
    }

    /** One warning per variable of Cistern's families that no component reads ({@link UnknownVariables}). */
    List<String> unknownVariables() {
        return unknownVariables;
    }

    /** The report as lines: a section per component, then the notes and the unknown variables. */
    String text() {
        StringBuilder out = new StringBuilder();
        out.append("effective configuration (secrets as ****; every variable: docs/configuration.md)")
                .append(System.lineSeparator());
        for (Section section : sections) {
            out.append(section.name()).append(System.lineSeparator());
            for (EffectiveSetting s : section.settings()) {
                out.append(String.format(
                        "  %-32s %-28s %s%n",
                        s.name(),
                        s.value(),
                        "from " + s.source()
                                + (s.overrode().isEmpty() ? "" : ", overriding " + String.join(", ", s.overrode()))));
            }
        }
        if (!notes.isEmpty()) {
            out.append("notes").append(System.lineSeparator());
            notes.forEach(n -> out.append("  ").append(n).append(System.lineSeparator()));
        }
        if (!unknownVariables.isEmpty()) {
            out.append("unknown variables").append(System.lineSeparator());
            unknownVariables.forEach(u -> out.append("  ").append(u).append(System.lineSeparator()));
        }
        return out.toString();
    }

    /**
     * The report as one JSON object: {@code {"sections": [{"name", "settings": [{"name", "value", "source",
     * "overrides": []}]}], "notes": [], "unknownVariables": []}}.
     */
    String json() {
        ObjectNode root = ExactJson.mapper().createObjectNode();
        ArrayNode sectionsNode = root.putArray("sections");
        for (Section section : sections) {
            ObjectNode sectionNode = sectionsNode.addObject();
            sectionNode.put("name", section.name());
            ArrayNode settingsNode = sectionNode.putArray("settings");
            for (EffectiveSetting s : section.settings()) {
                ObjectNode n = settingsNode.addObject();
                n.put("name", s.name());
                n.put("value", s.value());
                n.put("source", s.source());
                ArrayNode overrides = n.putArray("overrides");
                s.overrode().forEach(overrides::add);
            }
        }
        ArrayNode notesNode = root.putArray("notes");
        notes.forEach(notesNode::add);
        ArrayNode unknownNode = root.putArray("unknownVariables");
        unknownVariables.forEach(unknownNode::add);
        return ExactJson.mapper().writeValueAsString(root);
    }
}
