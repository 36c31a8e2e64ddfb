package io.cistern.ops.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DashboardSourceTest {

    @Test
    void reasonOfADatabaseError_isShownWithoutItsDetailLine_whichMayQuoteValues() {
        String reason = "ERROR: duplicate key value violates unique constraint \"users_email_key\"\n"
                + "  Detail: Key (email)=(alice@example.com) already exists.";

        assertThat(DashboardSource.firstLine(reason))
                .isEqualTo("ERROR: duplicate key value violates unique constraint \"users_email_key\"")
                .doesNotContain("alice");
    }

    @Test
    void longReason_isCut() {
        String shown = DashboardSource.firstLine("x".repeat(1_000));

        assertThat(shown).hasSize(DashboardSource.MAX_REASON_CHARS).endsWith("…");
    }

    @Test
    void shortReason_isShownAsIs() {
        assertThat(DashboardSource.firstLine("record absent")).isEqualTo("record absent");
    }
}
