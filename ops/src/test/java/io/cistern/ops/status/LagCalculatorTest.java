package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.keys.StreamEntryId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class LagCalculatorTest {
    private static final long NOW = 1_000_000;

    private static StreamEntryId id(long ms, long seq) {
        return new StreamEntryId(ms, seq);
    }

    private static StreamReading reading(
            StreamEntryId watermark, long length, long applied, long unapplied, StreamEntryId first) {
        return new StreamReading(
                Optional.ofNullable(watermark),
                length,
                applied,
                unapplied,
                Optional.ofNullable(first),
                Optional.empty(),
                NOW);
    }

    @Test
    void noWatermark_everyEntryIsBacklog_agedFromTheFirst() {
        LagCalculator.Lag lag = LagCalculator.of(reading(null, 5, -1, -1, id(NOW - 2_500, 0)), OptionalLong.empty());

        assertThat(lag.backlog()).isEqualTo(5);
        assertThat(lag.oldestAge()).isEqualTo(Duration.ofMillis(2_500));
    }

    @Test
    void emptyStream_noBacklog_zeroAge() {
        LagCalculator.Lag lag = LagCalculator.of(reading(null, 0, -1, -1, null), OptionalLong.empty());

        assertThat(lag.backlog()).isZero();
        assertThat(lag.oldestAge()).isZero();
    }

    @Test
    void appliedHeadNotYetTrimmed_isSubtractedFromTheLength() {
        LagCalculator.Lag lag =
                LagCalculator.of(reading(id(900_000, 3), 10, 4, -1, id(990_000, 0)), OptionalLong.empty());

        assertThat(lag.backlog()).isEqualTo(6);
        assertThat(lag.oldestAge()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void appliedHeadTooLongToCount_usesTheCountAboveTheWatermark() {
        LagCalculator.Lag lag = LagCalculator.of(reading(id(5, 0), 50_000, -1, 7, id(NOW, 0)), OptionalLong.empty());

        assertThat(lag.backlog()).isEqualTo(7);
    }

    @Test
    void neitherCountKnown_usesTheFallback_andRefusesWithoutOne() {
        StreamReading r = reading(id(5, 0), 90_000, -1, -1, id(NOW - 1, 0));

        assertThat(LagCalculator.of(r, OptionalLong.of(40_000)).backlog()).isEqualTo(40_000);
        assertThatThrownBy(() -> LagCalculator.of(r, OptionalLong.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fallback");
    }

    @Test
    void watermarkPastEveryEntry_noBacklog_evenWhenAFallbackRacedAWrite() {
        assertThat(LagCalculator.of(reading(id(9, 0), 3, 3, -1, null), OptionalLong.empty())
                        .backlog())
                .isZero();
        assertThat(LagCalculator.of(reading(id(9, 0), 3, -1, -1, null), OptionalLong.of(1))
                        .backlog())
                .isZero();
    }

    @Test
    void entryStampedAfterRedisNow_ageIsZero_neverNegative() {
        LagCalculator.Lag lag = LagCalculator.of(reading(null, 1, -1, -1, id(NOW + 5_000, 0)), OptionalLong.empty());

        assertThat(lag.backlog()).isEqualTo(1);
        assertThat(lag.oldestAge()).isZero();
    }

    @Test
    void xdelAboveTheWatermark_isReportedAsDeletedBeforeApplied_belowItIsNot() {
        StreamReading above = new StreamReading(
                Optional.of(id(100, 0)), 2, 0, -1, Optional.of(id(300, 0)), Optional.of(id(200, 0)), NOW);
        StreamReading below = new StreamReading(
                Optional.of(id(100, 0)), 2, 0, -1, Optional.of(id(300, 0)), Optional.of(id(50, 0)), NOW);
        StreamReading none = new StreamReading(
                Optional.of(id(100, 0)), 2, 0, -1, Optional.of(id(300, 0)), Optional.of(id(0, 0)), NOW);
        StreamReading noWatermark =
                new StreamReading(Optional.empty(), 2, -1, -1, Optional.of(id(300, 0)), Optional.of(id(7, 0)), NOW);

        assertThat(LagCalculator.of(above, OptionalLong.empty()).deletedBeforeApplied())
                .isTrue();
        assertThat(LagCalculator.of(below, OptionalLong.empty()).deletedBeforeApplied())
                .isFalse();
        assertThat(LagCalculator.of(none, OptionalLong.empty()).deletedBeforeApplied())
                .isFalse();
        assertThat(LagCalculator.of(noWatermark, OptionalLong.empty()).deletedBeforeApplied())
                .isTrue();
    }

    @Test
    void negativeLength_isRefused() {
        assertThatThrownBy(() -> reading(null, -1, -1, -1, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("length");
    }

    /**
     * A model stream under random appends, watermark moves, trims up to the watermark, and XDELs anywhere: the backlog
     * and age computed from a reading as the Lua script takes it always equal the model's, whatever the budget.
     */
    @Test
    void randomHistories_matchTheModel_afterTrimsAndDeletes() {
        Random random = new Random(7);
        for (int run = 0; run < 2_000; run++) {
            TreeSet<StreamEntryId> stream = new TreeSet<>();
            List<StreamEntryId> everAdded = new ArrayList<>();
            StreamEntryId watermark = null;
            StreamEntryId maxDeleted = id(0, 0);
            long ms = 1_000;
            int steps = random.nextInt(40);
            for (int s = 0; s < steps; s++) {
                switch (random.nextInt(4)) {
                    case 0 -> {
                        ms += random.nextInt(3);
                        StreamEntryId e = everAdded.isEmpty()
                                        || everAdded.get(everAdded.size() - 1).millis() != ms
                                ? id(ms, 0)
                                : id(ms, everAdded.get(everAdded.size() - 1).sequence() + 1);
                        stream.add(e);
                        everAdded.add(e);
                    }
                    case 1 -> {
                        if (!everAdded.isEmpty()) {
                            StreamEntryId w = everAdded.get(random.nextInt(everAdded.size()));
                            watermark = watermark == null || w.compareTo(watermark) > 0 ? w : watermark;
                        }
                    }
                    case 2 -> {
                        if (watermark != null) {
                            StreamEntryId w = watermark;
                            stream.removeIf(e -> e.compareTo(w) < 0 && random.nextBoolean());
                            // MINID trims a prefix: keep the model a prefix trim.
                            StreamEntryId keepFrom = stream.stream()
                                    .filter(e -> e.compareTo(w) <= 0)
                                    .findFirst()
                                    .orElse(null);
                            if (keepFrom != null) {
                                stream.removeIf(e -> e.compareTo(keepFrom) < 0);
                            }
                        }
                    }
                    default -> {
                        if (!stream.isEmpty()) {
                            StreamEntryId d = new ArrayList<>(stream).get(random.nextInt(stream.size()));
                            stream.remove(d);
                            maxDeleted = d.compareTo(maxDeleted) > 0 ? d : maxDeleted;
                        }
                    }
                }
            }
            StreamEntryId w = watermark;
            long modelBacklog =
                    stream.stream().filter(e -> w == null || e.compareTo(w) > 0).count();
            Optional<StreamEntryId> modelFirst =
                    stream.stream().filter(e -> w == null || e.compareTo(w) > 0).findFirst();
            long appliedCount = stream.stream()
                    .filter(e -> w != null && e.compareTo(w) <= 0)
                    .count();
            int budget = random.nextInt(5);
            long applied = w == null ? -1 : appliedCount > budget ? -1 : appliedCount;
            long unapplied = w == null || applied >= 0 ? -1 : modelBacklog > budget ? -1 : modelBacklog;
            long now = ms + random.nextInt(10_000);
            StreamReading reading = new StreamReading(
                    Optional.ofNullable(w),
                    stream.size(),
                    applied,
                    unapplied,
                    modelFirst,
                    Optional.of(maxDeleted),
                    now);

            LagCalculator.Lag lag = LagCalculator.of(reading, OptionalLong.of(modelBacklog));

            assertThat(lag.backlog()).as("run %d", run).isEqualTo(modelBacklog);
            assertThat(lag.oldestAge())
                    .as("run %d", run)
                    .isEqualTo(modelFirst
                            .map(f -> Duration.ofMillis(now - f.millis()))
                            .orElse(Duration.ZERO));
            boolean deletedAbove = !maxDeleted.equals(id(0, 0)) && (w == null || maxDeleted.compareTo(w) > 0);
            assertThat(lag.deletedBeforeApplied()).as("run %d", run).isEqualTo(deletedAbove);
        }
    }
}
