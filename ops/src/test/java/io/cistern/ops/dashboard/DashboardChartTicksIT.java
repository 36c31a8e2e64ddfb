package io.cistern.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/**
 * The chart axes' tick function of {@code dashboard.js}, run in headless Chromium on an empty page: round steps,
 * whole steps for counts, no repeated labels. Needs no server.
 */
class DashboardChartTicksIT {
    @TempDir
    static Path profile;

    private static WebDriver browser;

    @BeforeAll
    static void loadTheScript() throws IOException {
        browser = HeadlessChromium.start(profile);
        browser.get("about:blank");
        String script;
        try (InputStream in = DashboardChartTicksIT.class.getResourceAsStream("static/dashboard.js")) {
            assertThat(in).as("dashboard.js on the classpath").isNotNull();
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        js(script + "\nwindow.CisternDashboard = CisternDashboard;");
    }

    @AfterAll
    static void quit() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void backlogOfOne_hasTicksZeroAndOne_only() {
        assertThat(ticks(0, 1, true)).containsExactly(0.0, 1.0);
        assertThat(labels(0, 1, true)).containsExactly("0", "1");
    }

    @Test
    void smallBacklogs_tickInWholeEntries() {
        assertThat(ticks(0, 0, true)).containsExactly(0.0, 1.0);
        assertThat(ticks(0, 2, true)).containsExactly(0.0, 1.0, 2.0);
        assertThat(ticks(0, 3, true)).containsExactly(0.0, 1.0, 2.0, 3.0);
        assertThat(ticks(0, 7, true)).containsExactly(0.0, 2.0, 4.0, 6.0, 8.0);
        assertThat(ticks(0, 22, true)).containsExactly(0.0, 5.0, 10.0, 15.0, 20.0, 25.0);
    }

    @Test
    void throughputOf23_ticksInFives_upToTheNextWholeStep() {
        assertThat(ticks(0, 23, false)).containsExactly(0.0, 5.0, 10.0, 15.0, 20.0, 25.0);
        assertThat(labels(0, 23, false)).containsExactly("0", "5", "10", "15", "20", "25");
    }

    @Test
    void fractionalRates_areLabelledWithTheDecimalsTheStepNeeds() {
        assertThat(labels(0, 1, false)).containsExactly("0.0", "0.2", "0.4", "0.6", "0.8", "1.0");
        assertThat(labels(0, 0.3, false)).containsExactly("0.0", "0.1", "0.2", "0.3");
        assertThat(labels(0, 1.2, false)).containsExactly("0.00", "0.25", "0.50", "0.75", "1.00", "1.25");
        assertThat(labels(0, 2.2, false)).containsExactly("0.0", "0.5", "1.0", "1.5", "2.0", "2.5");
        assertThat(labels(0, 11, false)).containsExactly("0.0", "2.5", "5.0", "7.5", "10.0", "12.5");
        assertThat(labels(0, 12_345, true)).containsExactly("0", "2,500", "5,000", "7,500", "10,000", "12,500");
    }

    @Test
    void anyRange_givesAtMostSixDistinctLabelsAtRoundSteps_coveringTheRange() {
        // maxima from 0.001 to about 2e9, 24 per decade, for rates and for counts
        List<List<Double>> ranges = new ArrayList<>();
        for (int i = -72; i <= 224; i++) {
            double max = Math.pow(10, i / 24.0);
            ranges.add(List.of(max, 0.0));
            if (max >= 1) {
                ranges.add(List.of((double) Math.round(max), 1.0));
            }
        }
        List<?> results = (List<?>) js(
                "return arguments[0].map(([max, integer]) => {"
                        + " const t = CisternDashboard.ticks(0, max, integer === 1);"
                        + " return [t, CisternDashboard.tickLabels(t)]; });",
                ranges);

        assertThat(results).hasSameSizeAs(ranges);
        for (int r = 0; r < ranges.size(); r++) {
            double max = ranges.get(r).get(0);
            boolean integer = ranges.get(r).get(1) == 1;
            List<?> result = (List<?>) results.get(r);
            List<BigDecimal> ticks = ((List<?>) result.get(0))
                    .stream().map(v -> new BigDecimal(v.toString())).toList();
            List<?> labels = (List<?>) result.get(1);
            String what = "ticks(0, " + max + (integer ? ", integer) = " : ") = ") + ticks + " labelled " + labels;

            assertThat(ticks).as(what).hasSizeBetween(2, 6);
            assertThat(ticks.getFirst().signum()).as(what).isZero();
            assertThat(ticks.getLast().doubleValue()).as(what).isGreaterThanOrEqualTo(max);
            BigDecimal step = ticks.get(1).subtract(ticks.get(0));
            for (int i = 1; i < ticks.size(); i++) {
                assertThat(ticks.get(i).subtract(ticks.get(i - 1))).as(what).isEqualByComparingTo(step);
            }
            assertThat(mantissa(step))
                    .as(what + ": a step of 1, 2, 2.5 or 5 x 10^k")
                    .isIn("1", "2", "2.5", "5");
            if (integer) {
                assertThat(step.stripTrailingZeros().scale())
                        .as(what + ": whole steps")
                        .isLessThanOrEqualTo(0);
            }
            Set<Object> distinct = new HashSet<>(labels);
            assertThat(distinct).as(what + ": no repeated label").hasSameSizeAs(labels);
            int decimals = Math.max(0, step.stripTrailingZeros().scale());
            assertThat(labels)
                    .as(what + ": " + decimals + " decimals each")
                    .allSatisfy(l -> assertThat(fractionDigits(l.toString())).isEqualTo(decimals));
        }
    }

    /** 2.5 for 0.25, 250 or 2.5. */
    private static String mantissa(BigDecimal step) {
        BigDecimal s = step.stripTrailingZeros();
        return s.movePointLeft(s.precision() - s.scale() - 1)
                .stripTrailingZeros()
                .toPlainString();
    }

    private static int fractionDigits(String label) {
        int dot = label.indexOf('.');
        return dot < 0 ? 0 : label.length() - dot - 1;
    }

    private static List<Double> ticks(double min, double max, boolean integer) {
        return ((List<?>) js(
                        "return CisternDashboard.ticks(arguments[0], arguments[1], arguments[2]);", min, max, integer))
                .stream().map(v -> ((Number) v).doubleValue()).toList();
    }

    private static List<String> labels(double min, double max, boolean integer) {
        return ((List<?>) js(
                        "return CisternDashboard.tickLabels(CisternDashboard.ticks(arguments[0], arguments[1],"
                                + " arguments[2]));",
                        min,
                        max,
                        integer))
                .stream().map(Object::toString).toList();
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }
}
