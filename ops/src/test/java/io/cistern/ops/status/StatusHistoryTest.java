package io.cistern.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class StatusHistoryTest {
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");

    /** A clock the test moves by hand. */
    private static final class ManualClock implements InstantSource {
        private Instant now = START;

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        void set(Instant t) {
            now = t;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final StatusHistory history =
            new StatusHistory(StatusHistory.DEFAULT_RETENTION, StatusHistory.DEFAULT_SPACING, clock);

    private static PartitionStatus partition(int p, long backlog, long added) {
        return new PartitionStatus(
                p,
                backlog,
                backlog == 0 ? Duration.ZERO : Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                backlog,
                added,
                0,
                0,
                Optional.empty(),
                Optional.empty(),
                OptionalLong.empty(),
                false,
                true,
                Optional.empty(),
                Optional.empty());
    }

    /** A snapshot of {@code backlogs.length} partitions, each with {@code added} entries ever added. */
    private static StatusSnapshot snapshot(long added, long... backlogs) {
        List<PartitionStatus> partitions = new ArrayList<>();
        for (int p = 0; p < backlogs.length; p++) {
            partitions.add(partition(p, backlogs[p], added));
        }
        return new StatusSnapshot(START, "t", partitions);
    }

    @Test
    void samples_areKeptOldestFirst_withEachPartitionsBacklog() {
        history.record(snapshot(10, 1, 2, 3));
        clock.advance(Duration.ofSeconds(2));
        history.record(snapshot(20, 4, 5, 6));

        List<StatusHistory.Sample> samples = history.samples();

        assertThat(samples).extracting(StatusHistory.Sample::at).containsExactly(START, START.plusSeconds(2));
        assertThat(samples.get(0).partitionBacklogs()).containsExactly(1, 2, 3);
        assertThat(samples.get(1).partitionBacklogs()).containsExactly(4, 5, 6);
        assertThat(samples.get(1).backlog()).isEqualTo(15);
        assertThat(samples.get(1).partitions()).isEqualTo(3);
    }

    @Test
    void snapshotSoonerThanTheSpacing_isNotKept_butOneSlightlyEarlyIs() {
        assertThat(history.record(snapshot(0, 1))).isTrue();
        clock.advance(Duration.ofMillis(500));
        assertThat(history.record(snapshot(0, 2)))
                .as("0.5 s after the previous sample")
                .isFalse();
        clock.advance(Duration.ofMillis(1_300));
        assertThat(history.record(snapshot(0, 3)))
                .as("1.8 s after: a refresh a little early")
                .isTrue();

        assertThat(history.samples()).extracting(StatusHistory.Sample::backlog).containsExactly(1L, 3L);
    }

    @Test
    void samplesOlderThanTheRetention_expireAsTheClockMoves_evenWithoutNewSnapshots() {
        history.record(snapshot(0, 1));
        clock.advance(Duration.ofMinutes(1));
        history.record(snapshot(0, 2));

        clock.advance(Duration.ofMinutes(4));
        assertThat(history.samples()).as("exactly 5 min old: still in").hasSize(2);
        clock.advance(Duration.ofMillis(1));
        assertThat(history.samples()).extracting(StatusHistory.Sample::backlog).containsExactly(2L);
        clock.advance(Duration.ofMinutes(1));
        assertThat(history.samples()).isEmpty();
    }

    @Test
    void aSteadyMonitor_fillsTheWholeRetention_andNeverMoreThanTheCapacity() {
        // a refresh every 1.8 s, the closest spacing the history keeps, for 20 minutes
        for (int i = 0; i < 20 * 60 * 10 / 18; i++) {
            assertThat(history.record(snapshot(i, i))).isTrue();
            clock.advance(Duration.ofMillis(1_800));
        }

        List<StatusHistory.Sample> samples = history.samples();

        assertThat(history.capacity()).isEqualTo(167);
        assertThat(samples).hasSizeLessThanOrEqualTo(history.capacity()).hasSizeGreaterThanOrEqualTo(166);
        assertThat(Duration.between(samples.getFirst().at(), clock.instant()))
                .as("the oldest sample is almost 5 min old: nothing younger was dropped for room")
                .isBetween(Duration.ofSeconds(298), Duration.ofMinutes(5));
    }

    @Test
    void aFastMonitor_isSampledAtNineTenthsOfTheSpacing_atMost() {
        // a refresh every 100 ms (the least CISTERN_STATUS_INTERVAL_MS) for 10 minutes
        int kept = 0;
        for (int i = 0; i < 6_000; i++) {
            kept += history.record(snapshot(i, 1)) ? 1 : 0;
            clock.advance(Duration.ofMillis(100));
        }

        assertThat(kept).as("one every 1.8 s in 10 min").isEqualTo(334);
        assertThat(history.samples()).hasSize(history.capacity());
    }

    @Test
    void samplesAfter_returnsOnlyNewerSamples() {
        history.record(snapshot(0, 1));
        clock.advance(Duration.ofSeconds(2));
        history.record(snapshot(0, 2));
        clock.advance(Duration.ofSeconds(2));
        history.record(snapshot(0, 3));

        assertThat(history.samplesAfter(START.plusSeconds(2)))
                .extracting(StatusHistory.Sample::backlog)
                .containsExactly(3L);
        assertThat(history.samplesAfter(START.minusSeconds(1))).hasSize(3);
    }

    @Test
    void samples_areStampedToTheMillisecond_soThatAfterALastSeenSampleMeansTheNextOne() {
        clock.set(START.plusNanos(1_500_000));
        history.record(snapshot(0, 1));
        clock.advance(Duration.ofSeconds(2));
        history.record(snapshot(0, 2));

        Instant first = history.samples().getFirst().at();

        assertThat(first).isEqualTo(START.plusMillis(1));
        assertThat(history.samplesAfter(first))
                .extracting(StatusHistory.Sample::backlog)
                .containsExactly(2L);
    }

    @Test
    void throughput_isEntriesAddedPerSecond_andOutIsWhatLeftTheBacklog() {
        history.record(snapshot(100, 50, 50));
        clock.advance(Duration.ofSeconds(4));
        // 2 partitions each added 20 more (40 in 4 s = 10/s) and the backlog fell from 100 to 60 (10/s lower)
        history.record(snapshot(120, 30, 30));

        List<StatusHistory.Sample> samples = history.samples();

        assertThat(samples.get(0).inPerSecond())
                .as("no rate without a previous sample")
                .isEmpty();
        assertThat(samples.get(1).entriesAdded()).isEqualTo(240);
        assertThat(samples.get(1).inPerSecond().getAsDouble()).isCloseTo(10.0, within(1e-9));
        assertThat(samples.get(1).outPerSecond().getAsDouble()).isCloseTo(20.0, within(1e-9));
    }

    @Test
    void fewerEntriesAddedThanBefore_redisLostData_givesNoRate() {
        history.record(snapshot(100, 5));
        clock.advance(Duration.ofSeconds(2));
        history.record(snapshot(3, 3));

        assertThat(history.samples().get(1).inPerSecond()).isEmpty();
        assertThat(history.samples().get(1).outPerSecond()).isEmpty();
    }

    @Test
    void backlogGrowingFasterThanEntriesArrive_neverGivesANegativeOut() {
        history.record(snapshot(0, 0));
        clock.advance(Duration.ofSeconds(2));
        history.record(snapshot(0, 10));

        assertThat(history.samples().get(1).outPerSecond().getAsDouble()).isZero();
    }

    @Test
    void clockSteppingBack_startsTheHistoryAfresh_inTimeOrder() {
        history.record(snapshot(0, 1));
        clock.advance(Duration.ofSeconds(10));
        history.record(snapshot(0, 2));

        clock.set(START.plusSeconds(5));
        assertThat(history.record(snapshot(0, 3))).isTrue();

        assertThat(history.samples()).extracting(StatusHistory.Sample::backlog).containsExactly(3L);
    }

    @Test
    void morePartitionsThanTheSeriesLimit_keepsTotalsOnly() {
        long[] backlogs = LongStream.range(0, StatusHistory.MAX_PARTITION_SERIES + 1)
                .map(p -> 1)
                .toArray();
        history.record(snapshot(0, backlogs));

        StatusHistory.Sample sample = history.samples().getFirst();

        assertThat(sample.partitionBacklogs()).isEmpty();
        assertThat(sample.partitions()).isEqualTo(257);
        assertThat(sample.backlog()).isEqualTo(257);
    }

    @Test
    void aSample_cannotBeChangedThroughItsArray() {
        history.record(snapshot(0, 7));

        history.samples().getFirst().partitionBacklogs()[0] = 99;

        assertThat(history.samples().getFirst().partitionBacklogs()).containsExactly(7);
    }

    @Test
    void settings_areChecked_namingTheRule() {
        assertThatThrownBy(() -> new StatusHistory(Duration.ofMillis(999), Duration.ofMillis(10), clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retention must be at least 1 s");
        assertThatThrownBy(() -> new StatusHistory(Duration.ofMinutes(5), Duration.ZERO, clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spacing must be positive");
        assertThatThrownBy(() -> new StatusHistory(Duration.ofMinutes(5), Duration.ofMinutes(1), clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most a tenth of the retention");
    }
}
