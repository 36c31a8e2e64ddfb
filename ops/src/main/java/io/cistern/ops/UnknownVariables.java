package io.cistern.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the variables of Cistern's own families that Cistern does not read — {@code DB_POOL_SIZ}, {@code
 * SYNC_BATCHSIZE} — and names the known variable closest to each, so that a typo is a warning instead of a default
 * silently used.
 *
 * <p>The rule: a variable is checked only when its name starts with a prefix Cistern owns or aliases ({@link
 * #FAMILIES}: {@code DB_}, {@code DATABASE_}, {@code AWS_DB_}, {@code REDIS_}, {@code CISTERN_}, {@code SYNC_}, {@code
 * PROXY_}, {@code STARTUP_}; in any case, since a lower-case {@code db_host} is a slip too). Prefixes shared with other
 * software stay silent whatever they hold: {@code AWS_*} (the SDKs' own), libpq's {@code PG*}, everything else. The
 * few aliases outside the families ({@code SQL_ECHO}, {@code AWS_REQUIRE_SSL}, {@code AWS_SSLROOTCERT}) are read, but
 * their neighbours are not checked. Never prints a value: it may be a secret. Pure.
 */
final class UnknownVariables {
    /** The prefixes of the variables Cistern owns, or whose family it reads as aliases. */
    static final List<String> FAMILIES =
            List.of("DB_", "DATABASE_", "AWS_DB_", "REDIS_", "CISTERN_", "SYNC_", "PROXY_", "STARTUP_");

    /**
     * Variables of those families that Cistern's settings do not read but its tools do: the launcher's JVM options
     * ({@code ops/cistern}) and the test fixtures' servers ({@code docs/development.md}).
     */
    static final Set<String> READ_BY_TOOLS = Set.of(
            "CISTERN_JAVA_OPTS",
            "CISTERN_PG_BIN",
            "CISTERN_TEST_DATABASE_URL",
            "CISTERN_TEST_REDIS_URL",
            "CISTERN_TEST_NO_INSTALL");

    private UnknownVariables() {}

    /**
     * One warning per variable of {@code env} in one of Cistern's families that is not in {@code known}, sorted by
     * name: {@code "DB_POOL_SIZ is set, but Cistern reads no variable of that name: did you mean DB_POOL_SIZE?"}.
     */
    static List<String> warnings(Map<String, String> env, Set<String> known) {
        List<String> warnings = new ArrayList<>();
        for (String name : new TreeSet<>(env.keySet())) {
            if (!inFamily(name) || known.contains(name) || READ_BY_TOOLS.contains(name)) {
                continue;
            }
            warnings.add(name + " is set, but Cistern reads no variable of that name: "
                    + closest(name, known).map(k -> "did you mean " + k + "?").orElse(hint(name)));
        }
        return List.copyOf(warnings);
    }

    static boolean inFamily(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return FAMILIES.stream().anyMatch(upper::startsWith);
    }

    /**
     * The known name nearest to {@code name}: the same name in upper case; else the one fewest edits away (a letter
     * added, dropped, changed, or two swapped), if at most a quarter of the name (at least 2); else one that {@code
     * name} is the start of ({@code REDIS_PASS}). Ties go to the first in alphabetical order.
     */
    static Optional<String> closest(String name, Set<String> known) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (known.contains(upper)) {
            return Optional.of(upper);
        }
        int limit = Math.max(2, upper.length() / 4);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(known)) {
            int d = distance(upper, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        if (best != null && bestDistance <= limit) {
            return Optional.of(best);
        }
        return new TreeSet<>(known).stream().filter(k -> k.startsWith(upper)).findFirst();
    }

    private static String hint(String name) {
        if (name.endsWith("_FILE")) {
            return "only passwords and tokens have a _FILE form (every variable: docs/configuration.md)";
        }
        return "is it meant for Cistern? (every variable: docs/configuration.md)";
    }

    /** The optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
