package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.DeadLetterFields;
import io.cistern.schema.wire.MetaFields;
import io.cistern.schema.wire.RecordFields;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Redis hash and stream field name has one owner, the constants of {@code io.cistern.schema.wire} and {@link
 * ChangeEntry} (DESIGN.md 3.7, STYLE.md 14): this rule reads every {@code src/main/java/**}{@code /*.java} of the
 * repository outside {@code schema/} and fails, naming file and line, where a wire field name is spelled as a string
 * literal instead of through a constant. The names come from those classes by reflection, so a new constant is checked
 * without touching this test.
 *
 * <p>Some names are ordinary words that other contracts use too (JSON members of the HTTP and CLI output, metric tags,
 * picocli command names, {@code requireNonNull} messages, one-letter suffixes): {@link #GENERIC} lists them with the
 * reason. A generic name is still an offence where it is an argument of a Redis hash or stream call, or of a read of
 * a field map, on the same line ({@link #REDIS_ACCESS} before the literal), where it can only mean the wire field. {@link #OTHER_CONTRACTS} allows a few specific files to spell
 * a distinctive name for a contract of their own, each with the reason.
 *
 * <p>Lua scripts embedded in Java text blocks are inspected too: a single-quoted Lua string that is a wire name is an
 * offence there, generic or not (the script takes its names from the constants through {@code WireScript}).
 */
class WireFieldLiteralTest {
    private static final List<Class<?>> OWNERS = List.of(
            MetaFields.class, ConfigFields.class, RecordFields.class, DeadLetterFields.class, ChangeEntry.class);

    /** Wire names checked only on Redis-access lines, and why they are not checked everywhere. */
    private static final Map<String, String> GENERIC = Map.ofEntries(
            Map.entry("t", "one letter: also the dashboard JSON's time member and a duration suffix"),
            Map.entry("k", "one letter: too common to mean the stream field elsewhere"),
            Map.entry("o", "one letter: too common to mean the stream field elsewhere"),
            Map.entry("v", "one letter: a SQL alias in RowStatements, a version prefix in messages"),
            Map.entry("s", "one letter: the plural suffix in messages and the seconds suffix of durations"),
            Map.entry("f", "one letter: too common to mean the fill token elsewhere"),
            Map.entry("put", "also the HTTP and CLI operation name and Operation's wire value"),
            Map.entry("patch", "also the HTTP and CLI operation name and Operation's wire value"),
            Map.entry("deleted", "also an ordinary word in JSON output and messages"),
            Map.entry("fill", "also an ordinary word (metric tags, messages)"),
            Map.entry("partition", "a JSON member of ops status, dlq and dashboard output, and a metric tag"),
            Map.entry("partitions", "a picocli command name, JSON and health-detail member, a benchmark option"),
            Map.entry("paused", "a JSON member of ops status output and a CLI state word"),
            Map.entry("owner", "a JSON member of ops status and leases output"),
            Map.entry("worker", "a JSON member of ops status output and a requireNonNull message"),
            Map.entry("reason", "a JSON member of HTTP, CLI and health output, a metric tag, a requireNonNull message"),
            Map.entry("attempts", "a JSON member of ops dlq and dashboard output"),
            Map.entry("protocol", "an ordinary word (URLs, TLS settings)"));

    /** A call to a Redis hash or stream, or a read of a field map, opened before the literal on its line. */
    private static final Pattern REDIS_ACCESS =
            Pattern.compile("\\.(hget|hmget|hset|hsetnx|hdel|hexists|hincrby|hgetall|xadd|getBody|getOrDefault)\\(");

    /** Files that spell a distinctive wire name for a contract of their own: "path|name" to the reason. */
    private static final Map<String, String> OTHER_CONTRACTS = Map.of(
            "ops/src/main/java/io/cistern/ops/DlqCommand.java|sqlstate",
            "the `ops/cistern dlq --json` output member, an operator-facing contract",
            "writer-api/service/src/main/java/io/cistern/writer/http/WriteController.java|sqlstate",
            "the HTTP response member of a dead-lettered write (docs/http-api), not the Redis field",
            "sync-worker/src/main/java/io/cistern/sync/SyncMetrics.java|applied",
            "a metric tag value (entries read, applied, ...), not the meta field");

    @Test
    void noModuleOutsideSchema_spellsAWireFieldNameAsAStringLiteral() throws IOException {
        Path root = Path.of("..").toRealPath();
        Set<String> names = wireFieldNames();
        List<String> offences = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .map(root::relativize)
                    .filter(WireFieldLiteralTest::isMainSourceOutsideSchema)
                    .sorted()
                    .forEach(f -> offences.addAll(offences(f, root.resolve(f), names)));
        }

        assertThat(offences)
                .as("wire field names are owned by io.cistern.schema.wire (and ChangeEntry's constants); use the"
                        + " constant instead of the literal (DESIGN.md 3.7). If the name means something else"
                        + " there, see GENERIC and OTHER_CONTRACTS in this test")
                .isEmpty();
    }

    @Test
    void theRule_readsTheNamesOfTheConstants() {
        Set<String> names = wireFieldNames();

        assertThat(names)
                .contains(
                        MetaFields.APPLIED,
                        MetaFields.FLOOR,
                        MetaFields.MAX_VALUE,
                        MetaFields.TABLE_SPEC_PREFIX,
                        DeadLetterFields.SQLSTATE,
                        RecordFields.COLUMN_PREFIX);
        assertThat(names).containsAll(GENERIC.keySet());
    }

    @Test
    void theScanner_findsALiteralInCodeAndInLuaScripts_butNotInCommentsOrLongerStrings() {
        String source = """
                class X {
                    // "applied" in a comment
                    /* "floor" */
                    String a = redis.hget(meta, "applied");
                    String b = "the applied watermark";
                    String c = "a \\" quote"; String d = "seq";
                    String e = "reason"; String f = r.hget(k, "reason");
                    String g = \"""
                        'applied'
                        \""";
                    String h = \"""
                        redis.call('HGET', KEYS[1], 'applied')
                        redis.call('HGET', KEYS[1], '${MetaFields.APPLIED}', 'COUNT')
                        \""";
                }
                """;

        List<String> found = scan("X.java", source, Set.of("applied", "floor", "seq", "reason"), Map.of());

        assertThat(found)
                .containsExactly(
                        "X.java:4: \"applied\"",
                        "X.java:6: \"seq\"",
                        "X.java:7: \"reason\" (an argument of a Redis access)",
                        "X.java:12: 'applied' (in a Lua script: use ${Owner.CONSTANT} and WireScript.render)");
    }

    private static boolean isMainSourceOutsideSchema(Path relative) {
        String p = relative.toString().replace('\\', '/');
        return !p.startsWith("schema/") && p.contains("/src/main/java/") && !p.contains("/target/");
    }

    private static Set<String> wireFieldNames() {
        Set<String> names = new TreeSet<>();
        for (Class<?> owner : OWNERS) {
            for (Field f : owner.getFields()) {
                int m = f.getModifiers();
                if (Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == String.class) {
                    try {
                        names.add((String) f.get(null));
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(owner.getName() + "." + f.getName() + " is not readable", e);
                    }
                }
            }
        }
        return names;
    }

    private static List<String> offences(Path relative, Path file, Set<String> names) {
        String rel = relative.toString().replace('\\', '/');
        try {
            return scan(rel, Files.readString(file), names, OTHER_CONTRACTS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * The string literals of {@code source} (outside comments; text blocks skipped) that equal a wire name, as {@code
     * file:line: "name"}.
     */
    static List<String> scan(String file, String source, Set<String> names, Map<String, String> allowed) {
        List<String> found = new ArrayList<>();
        int line = 1;
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            if (c == '\n') {
                line++;
                i++;
            } else if (source.startsWith("//", i)) {
                while (i < n && source.charAt(i) != '\n') {
                    i++;
                }
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                line += count(source, i, end);
                i = end;
            } else if (source.startsWith("\"\"\"", i)) {
                int end = i + 3;
                while (end < n && !source.startsWith("\"\"\"", end)) {
                    end += source.charAt(end) == '\\' ? 2 : 1;
                }
                end = Math.min(n, end + 3);
                found.addAll(luaOffences(file, line, source.substring(i, end), names));
                line += count(source, i, end);
                i = end;
            } else if (c == '\'') {
                i++;
                while (i < n && source.charAt(i) != '\'') {
                    i += source.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
            } else if (c == '"') {
                String before = source.substring(source.lastIndexOf('\n', i) + 1, i);
                StringBuilder literal = new StringBuilder();
                i++;
                while (i < n && source.charAt(i) != '"') {
                    if (source.charAt(i) == '\\' && i + 1 < n) {
                        literal.append(source.charAt(i + 1));
                        i += 2;
                    } else {
                        literal.append(source.charAt(i++));
                    }
                }
                i++;
                String value = literal.toString();
                if (names.contains(value) && !allowed.containsKey(file + "|" + value)) {
                    if (!GENERIC.containsKey(value)) {
                        found.add(file + ":" + line + ": \"" + value + "\"");
                    } else if (REDIS_ACCESS.matcher(before).find()) {
                        found.add(file + ":" + line + ": \"" + value + "\" (an argument of a Redis access)");
                    }
                }
            } else {
                i++;
            }
        }
        return found;
    }

    /** A Lua string literal: single-quoted, no quote or line break inside. */
    private static final Pattern LUA_STRING = Pattern.compile("'([^'\\n]*)'");

    /**
     * In a text block holding a Lua script ({@code redis.call}), every single-quoted Lua string equal to a wire name,
     * generic or not: inside a script there is no other contract it could mean. Scripts spell names as {@code
     * ${RecordFields.VERSION}} placeholders that {@code WireScript.render} fills in.
     */
    static List<String> luaOffences(String file, int firstLine, String textBlock, Set<String> names) {
        List<String> found = new ArrayList<>();
        if (!textBlock.contains("redis.call")) {
            return found;
        }
        Matcher m = LUA_STRING.matcher(textBlock);
        while (m.find()) {
            if (names.contains(m.group(1))) {
                found.add(file + ":" + (firstLine + count(textBlock, 0, m.start())) + ": '" + m.group(1)
                        + "' (in a Lua script: use ${Owner.CONSTANT} and WireScript.render)");
            }
        }
        return found;
    }

    private static int count(String s, int from, int to) {
        int lines = 0;
        for (int k = from; k < to; k++) {
            if (s.charAt(k) == '\n') {
                lines++;
            }
        }
        return lines;
    }
}
