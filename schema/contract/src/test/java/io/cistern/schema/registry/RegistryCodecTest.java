package io.cistern.schema.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.registry.CheckCondition.Comparison;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RegistryCodecTest {
    private static final List<ColumnDef> COLUMNS = List.of(
            new ColumnDef("id", SqlType.BIGINT, false, false, 0),
            new ColumnDef("status", SqlType.TEXT, true, false, 0),
            new ColumnDef("n", SqlType.INTEGER, true, false, 0));

    @Test
    void checks_survive_theRoundTrip() {
        TableDef t = new TableDef(
                "t",
                COLUMNS,
                List.of("id"),
                1,
                Optional.empty(),
                List.of(
                        new CheckConstraint(
                                "t_status_check",
                                "CHECK ((status = ANY (ARRAY['a'::text])))",
                                List.of(new CheckCondition.In("status", List.of("a", "it's"), false))),
                        new CheckConstraint(
                                "t_n_check",
                                "CHECK (((n >= 0) AND (n <= 10)))",
                                List.of(
                                        new CheckCondition.Compare("n", Comparison.GE, "0"),
                                        new CheckCondition.Compare("n", Comparison.LE, "10"),
                                        new CheckCondition.NotNull("n"),
                                        new CheckCondition.Length("status", Comparison.LT, 3),
                                        new CheckCondition.In("n", List.of("1"), true))),
                        new CheckConstraint("t_check", "CHECK ((n > id))", List.of())));

        assertThat(RegistryCodec.fromJson(RegistryCodec.toJson(t))).isEqualTo(t);
    }

    @Test
    void aRegistryWithoutChecks_stillLoads() {
        String old = "{\"name\":\"t\",\"primaryKey\":[\"id\"],\"routingColumns\":1,\"columns\":["
                + "{\"name\":\"id\",\"type\":\"int8\",\"nullable\":false,\"hasDefault\":false}]}";

        assertThat(RegistryCodec.fromJson(old).checks()).isEmpty();
    }
}
