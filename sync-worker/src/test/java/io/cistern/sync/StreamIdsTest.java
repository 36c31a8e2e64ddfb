package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamIdsTest {
    @Test
    void idsCompareAsNumbers_notAsText() {
        List<String> ids = new ArrayList<>(List.of("10-0", "9-12", "9-2", "1700000000000-1", "18446744073709551615-0"));

        ids.sort(StreamIds.ORDER);

        assertThat(ids).containsExactly("9-2", "9-12", "10-0", "1700000000000-1", "18446744073709551615-0");
    }
}
