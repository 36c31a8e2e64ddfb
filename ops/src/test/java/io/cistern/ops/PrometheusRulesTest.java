package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alert rules in {@code ops/prometheus/} are valid ({@code promtool check rules}) and the lag-age alert fires and
 * resolves when it should ({@code promtool test rules}). promtool comes with Debian's {@code prometheus} package; CI
 * installs it ({@code ops/test}).
 */
class PrometheusRulesTest {
    static final Path RULES_DIR = Path.of("prometheus");

    @Test
    void alertRules_passPromtoolCheck() throws Exception {
        Result r = promtool("check", "rules", "cistern-rules.yml");

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void lagAgeAlert_passesItsPromtoolUnitTests() throws Exception {
        Result r = promtool("test", "rules", "cistern-rules.test.yml");

        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.output()).contains("SUCCESS");
    }

    @Test
    void everyAlert_hasARunbook_andASectionInDocsRunbook() throws IOException {
        String rules = Files.readString(RULES_DIR.resolve("cistern-rules.yml"));
        String runbook = Files.readString(Path.of("..", "docs", "runbook.md"));
        List<String> alerts = rules.lines()
                .map(String::strip)
                .filter(l -> l.startsWith("- alert: "))
                .map(l -> l.substring("- alert: ".length()))
                .toList();

        assertThat(alerts).hasSizeGreaterThanOrEqualTo(4);
        assertThat(rules.split("runbook: ", -1)).hasSize(alerts.size() + 1);
        for (String alert : alerts) {
            assertThat(rules).contains("runbook_url: \"docs/runbook.md#" + anchorOf(alert, rules) + "\"");
            assertThat(runbook).as("docs/runbook.md names " + alert).contains(alert);
        }
    }

    /** The anchor an alert's runbook_url points to; it must be a heading of docs/runbook.md. */
    private static String anchorOf(String alert, String rules) throws IOException {
        String block = rules.substring(rules.indexOf("- alert: " + alert));
        String url = block.substring(block.indexOf("runbook_url: \"docs/runbook.md#") + 30);
        String anchor = url.substring(0, url.indexOf('"'));
        String headings = String.join(
                "\n",
                Files.readString(Path.of("..", "docs", "runbook.md"))
                        .lines()
                        .filter(l -> l.startsWith("#"))
                        .map(l -> l.replaceFirst("^#+\\s*", "")
                                .toLowerCase()
                                .replaceAll("[^a-z0-9 -]", "")
                                .replace(' ', '-'))
                        .toList());
        assertThat(headings).as("docs/runbook.md has a heading for #" + anchor).contains(anchor);
        return anchor;
    }

    private record Result(int exitCode, String output) {}

    private static Result promtool(String... args) throws Exception {
        String promtool = List.of("/usr/bin/promtool", "/usr/local/bin/promtool").stream()
                .filter(p -> Files.isExecutable(Path.of(p)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("promtool is not installed: the alert rules cannot be checked."
                        + " Install Debian's prometheus package (apt-get install prometheus; ops/test does)"));
        List<String> command = new java.util.ArrayList<>(List.of(promtool));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command)
                .directory(RULES_DIR.toFile())
                .redirectErrorStream(true)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
