package io.cistern.ops.doctor;

import io.cistern.schema.codec.ExactJson;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** The checks of one doctor run, the verdict, and their rendering for people and for machines. Pure; immutable. */
public record CheckReport(List<Check> checks) {
    public CheckReport {
        checks = List.copyOf(checks);
    }

    /** True when no check failed (warnings pass). */
    public boolean passed() {
        return checks.stream().noneMatch(c -> c.status() == Check.Status.FAIL);
    }

    public long count(Check.Status status) {
        return checks.stream().filter(c -> c.status() == status).count();
    }

    /** One line per check, {@code [ OK ] name: detail}, the fix indented under a failure or warning. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (Check c : checks) {
            String tag = switch (c.status()) {
                case OK -> "[ OK ]";
                case WARN -> "[WARN]";
                case FAIL -> "[FAIL]";
            };
            sb.append(tag)
                    .append(' ')
                    .append(c.name())
                    .append(": ")
                    .append(c.detail())
                    .append('\n');
            if (c.status() != Check.Status.OK) {
                sb.append("       fix: ").append(c.fix()).append('\n');
            }
        }
        sb.append(String.format(
                "%d checks: %d ok, %d warnings, %d failed%n",
                checks.size(), count(Check.Status.OK), count(Check.Status.WARN), count(Check.Status.FAIL)));
        return sb.toString();
    }

    /** {@code {"passed": true, "checks": [{"name", "status", "detail", "fix"}]}}. */
    public String json() {
        ObjectNode root = ExactJson.mapper().createObjectNode();
        root.put("passed", passed());
        ArrayNode array = root.putArray("checks");
        for (Check c : checks) {
            ObjectNode n = array.addObject();
            n.put("name", c.name());
            n.put("status", c.status().name().toLowerCase(java.util.Locale.ROOT));
            n.put("detail", c.detail());
            if (!c.fix().isEmpty()) {
                n.put("fix", c.fix());
            }
        }
        return ExactJson.mapper().writeValueAsString(root);
    }
}
