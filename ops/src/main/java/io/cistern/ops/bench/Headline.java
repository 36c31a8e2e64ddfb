package io.cistern.ops.bench;

import tools.jackson.databind.node.ObjectNode;

/**
 * The fields every scenario's JSON object carries, whatever else it reports, so that a reader (or a script) compares
 * scenarios the same way: the headline {@code result}, its same-run {@code baseline}, their {@code ratio}, the unit,
 * which direction is better, what the baseline is, and the goal when the issue sets one.
 *
 * @param metric what {@code result} measures, e.g. {@code "writes per second"}
 * @param unit the unit of {@code result} and {@code baseline}, e.g. {@code "writes/s"}
 * @param higherIsBetter true for rates; false for costs such as bytes per record, where a ratio above 1 is overhead
 * @param goalRatio the ratio the issue asks for (at least, or at most when lower is better), or null
 */
record Headline(
        String metric,
        String unit,
        double result,
        double baseline,
        boolean higherIsBetter,
        String baselineIs,
        Double goalRatio) {
    Headline {
        if (!(baseline > 0) || Double.isInfinite(baseline)) {
            throw new IllegalArgumentException("the baseline of '" + metric + "' must be positive, was " + baseline);
        }
        if (result < 0 || Double.isNaN(result)) {
            throw new IllegalArgumentException("the result of '" + metric + "' must not be negative, was " + result);
        }
    }

    double ratio() {
        return result / baseline;
    }

    /** Null without a goal. */
    Boolean goalMet() {
        if (goalRatio == null) {
            return null;
        }
        return higherIsBetter ? ratio() >= goalRatio : ratio() <= goalRatio;
    }

    /** Adds {@code result}, {@code baseline}, {@code ratio} and the rest to {@code node}, replacing fields of the same names. */
    ObjectNode putInto(ObjectNode node) {
        node.put("metric", metric)
                .put("unit", unit)
                .put("result", round3(result))
                .put("baseline", round3(baseline))
                .put("ratio", round3(ratio()))
                .put("higherIsBetter", higherIsBetter)
                .put("baselineIs", baselineIs);
        if (goalRatio != null) {
            node.put("goalRatio", goalRatio).put("goalMet", goalMet());
        }
        return node;
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
