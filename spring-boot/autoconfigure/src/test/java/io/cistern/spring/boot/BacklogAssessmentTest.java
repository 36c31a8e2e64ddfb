package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.spring.boot.BacklogAssessment.PartitionReading;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BacklogAssessmentTest {
    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
    private static final Duration WARNING = Duration.ofMinutes(1);

    @Test
    void nothingUnapplied_isUpAndNotDegraded() {
        BacklogAssessment a =
                BacklogAssessment.assess(List.of(new PartitionReading(0, 3, 100, Optional.empty())), NOW, WARNING);

        assertThat(a.status()).isEqualTo("UP");
        assertThat(a.details())
                .containsEntry("bufferedEntries", 3L)
                .containsEntry("oldestUnappliedSeconds", 0.0)
                .containsEntry("degraded", false);
    }

    @Test
    void oldUnappliedEntry_staysUpButSaysDegradedAndWhere() {
        BacklogAssessment a = BacklogAssessment.assess(
                List.of(
                        new PartitionReading(0, 1, 100, Optional.of(NOW.minusSeconds(10))),
                        new PartitionReading(1, 5, 100, Optional.of(NOW.minusSeconds(90)))),
                NOW,
                WARNING);

        assertThat(a.status()).isEqualTo("UP");
        assertThat(a.details())
                .containsEntry("bufferedEntries", 6L)
                .containsEntry("oldestUnappliedSeconds", 90.0)
                .containsEntry("oldestUnappliedPartition", 1)
                .containsEntry("degraded", true);
        assertThat((String) a.details().get("reason")).contains("90 s old (partition 1)", "still accepted");
    }

    @Test
    void partitionAtItsLimit_isOutOfServiceNamingIt() {
        BacklogAssessment a = BacklogAssessment.assess(
                List.of(
                        new PartitionReading(0, 10, 10, Optional.of(NOW)),
                        new PartitionReading(1, 10, 0, Optional.of(NOW))),
                NOW,
                WARNING);

        assertThat(a.status()).isEqualTo("OUT_OF_SERVICE");
        assertThat(a.details()).containsEntry("fullPartitions", List.of(0));
        assertThat((String) a.details().get("reason")).contains("refused");
    }

    @Test
    void entryStampedAfterNow_countsAsZeroAge() {
        BacklogAssessment a = BacklogAssessment.assess(
                List.of(new PartitionReading(0, 1, 0, Optional.of(NOW.plusSeconds(5)))), NOW, WARNING);

        assertThat(a.details()).containsEntry("oldestUnappliedSeconds", 0.0);
    }
}
