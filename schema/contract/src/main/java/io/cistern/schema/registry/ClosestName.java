package io.cistern.schema.registry;

import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * The registered name a misspelt table or column name most likely meant, for "did you mean" hints in refusals. The one
 * place that decides what counts as close, so that the writer, the reader and the HTTP services suggest the same name.
 *
 * <p>A candidate is close when it differs from the given name only in letter case, or by at most two single-character
 * edits (insert, delete, substitute, or swap two neighbours: the optimal-string-alignment distance) — at most one for a
 * name of three characters or fewer, where two edits make almost anything match. A missing or extra plural {@code s}
 * is one edit. The closest candidate wins; a tie goes to the alphabetically first. Pure and thread-safe.
 */
public final class ClosestName {
    private ClosestName() {}

    /** The candidate closest to {@code given}, or empty when none is close (or {@code given} is itself a candidate). */
    public static Optional<String> among(Collection<String> candidates, String given) {
        Objects.requireNonNull(candidates, "candidates");
        if (given == null || given.isEmpty() || candidates.contains(given)) {
            return Optional.empty();
        }
        String folded = given.toLowerCase(Locale.ROOT);
        int limit = given.length() <= 3 ? 1 : 2;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            String c = candidate.toLowerCase(Locale.ROOT);
            // Letter case alone counts as closer than any edit.
            int d = c.equals(folded) ? 0 : distance(folded, c, limit);
            if (d <= limit && (d < bestDistance || (d == bestDistance && candidate.compareTo(best) < 0))) {
                best = candidate;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The optimal-string-alignment distance between {@code a} and {@code b} (Levenshtein plus the swap of two
     * neighbouring characters), or {@code limit + 1} as soon as it is known to exceed {@code limit}.
     */
    static int distance(String a, String b, int limit) {
        if (Math.abs(a.length() - b.length()) > limit) {
            return limit + 1;
        }
        int[] twoBack = new int[b.length() + 1];
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            int rowMin = current[0];
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int d = Math.min(Math.min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d = Math.min(d, twoBack[j - 2] + 1);
                }
                current[j] = d;
                rowMin = Math.min(rowMin, d);
            }
            if (rowMin > limit) {
                return limit + 1;
            }
            int[] recycled = twoBack;
            twoBack = previous;
            previous = current;
            current = recycled;
        }
        return Math.min(previous[b.length()], limit + 1);
    }
}
