package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.ExactJson;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class HeadlineTest {
    @Test
    void rate_putsResultBaselineAndRatio_andMeetsItsGoalAtOrAbove() {
        ObjectNode node = ExactJson.mapper().createObjectNode();

        new Headline("writes per second", "writes/s", 30_000, 37_500, true, "redis-benchmark", 0.8).putInto(node);

        assertThat(node.get("result").asDouble()).isEqualTo(30_000);
        assertThat(node.get("baseline").asDouble()).isEqualTo(37_500);
        assertThat(node.get("ratio").asDouble()).isEqualTo(0.8);
        assertThat(node.get("unit").asString()).isEqualTo("writes/s");
        assertThat(node.get("baselineIs").asString()).isEqualTo("redis-benchmark");
        assertThat(node.get("higherIsBetter").asBoolean()).isTrue();
        assertThat(node.get("goalMet").asBoolean()).isTrue();
    }

    @Test
    void cost_meetsItsGoalAtOrBelow_andOmitsGoalFieldsWithoutOne() {
        Headline overhead = new Headline("bytes per record", "bytes/record", 520, 400, false, "plain", 1.2);
        ObjectNode noGoal = ExactJson.mapper().createObjectNode();

        new Headline("bytes per record", "bytes/record", 520, 400, false, "plain", null).putInto(noGoal);

        assertThat(overhead.ratio()).isEqualTo(1.3);
        assertThat(overhead.goalMet()).isFalse();
        assertThat(noGoal.has("goalRatio")).isFalse();
        assertThat(noGoal.has("goalMet")).isFalse();
        assertThat(noGoal.get("ratio").asDouble()).isEqualTo(1.3);
    }

    @Test
    void zeroOrMissingBaseline_isRefused_soNoRatioIsInfinite() {
        assertThatThrownBy(() -> new Headline("reads per second", "reads/s", 10, 0, true, "HGETALL", null))
                .hasMessageContaining("baseline of 'reads per second' must be positive");
    }
}
