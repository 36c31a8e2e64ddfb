package io.cistern.schema.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionerTest {

    /*
     * Expected values computed with Python's zlib, the reference for producers in other languages:
     *   /usr/bin/python3 -c 'import zlib;print(zlib.crc32(b"..."))'
     *   "a"                                     -> 3904355907
     *   "hello"                                 ->  907060870
     *   "123456789"                             -> 3421780262 (the CRC-32 check value 0xCBF43926)
     *   "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f"  -> 2982632893
     *   "caf%C3%A9"                             -> 1435362081
     *   "a%2Cb"                                 -> 2862341024
     *   "The quick brown fox jumps over the lazy dog" -> 1095738169
     */
    @Test
    void partition_agreesWithPythonZlibCrc32() {
        assertThat(Partitioner.partitionOf("a", 16)).isEqualTo((int) (3904355907L % 16));
        assertThat(Partitioner.partitionOf("hello", 16)).isEqualTo((int) (907060870L % 16));
        assertThat(Partitioner.partitionOf("123456789", 16)).isEqualTo((int) (3421780262L % 16));
        assertThat(Partitioner.partitionOf("7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f", 16))
                .isEqualTo((int) (2982632893L % 16));
        assertThat(Partitioner.partitionOf("caf%C3%A9", 16)).isEqualTo((int) (1435362081L % 16));
        assertThat(Partitioner.partitionOf("a%2Cb", 1000)).isEqualTo((int) (2862341024L % 1000));
        assertThat(Partitioner.partitionOf("The quick brown fox jumps over the lazy dog", 7))
                .isEqualTo((int) (1095738169L % 7));
    }

    @Test
    void crcAbove2To31_isTakenAsUnsigned() {
        // 3904355907 does not fit a signed int; a signed modulo would give a negative or different partition
        assertThat(Partitioner.partitionOf("a", 7)).isEqualTo(4);
        assertThat(Partitioner.partitionOf("a", 1000)).isEqualTo(907);
    }

    @Test
    void partition_isAlwaysWithinRange() {
        for (int i = 0; i < 2000; i++) {
            assertThat(Partitioner.partitionOf("key-" + i, 16)).isBetween(0, 15);
        }
    }

    @Test
    void onePartition_takesEverything() {
        assertThat(Partitioner.partitionOf("anything", 1)).isZero();
    }

    @Test
    void nonPositivePartitionCount_isRefused() {
        assertThatThrownBy(() -> Partitioner.partitionOf("a", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partitions must be positive");
    }

    @Test
    void routingText_ofLeadingColumn_isTheFirstEncodedComponent() {
        String key = KeyEncoding.encode(List.of("a,b", "c"));

        assertThat(Partitioner.routingText(key, 1)).isEqualTo("a%2Cb");
    }

    @Test
    void routingText_ofWholeKey_isTheWholeEncodedKey() {
        assertThat(Partitioner.routingText("x,y,z", 3)).isEqualTo("x,y,z");
        assertThat(Partitioner.routingText("x,y,z", 2)).isEqualTo("x,y");
        assertThat(Partitioner.routingText("single", 1)).isEqualTo("single");
    }

    @Test
    void recordsRoutedByLeadingColumn_shareThePartitionOfThatColumn() {
        String document = "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f";
        int documentPartition = Partitioner.partitionOf(document, 16);

        for (int i = 0; i < 50; i++) {
            String entityKey = KeyEncoding.encode(List.of(document, "entity-" + i));
            assertThat(Partitioner.partitionOf(Partitioner.routingText(entityKey, 1), 16))
                    .isEqualTo(documentPartition);
        }
    }
}
