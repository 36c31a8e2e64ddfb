package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PgBouncer's refusal of a startup parameter, translated into the setting that fixes it (no server needed). */
class PoolerRefusalTest {
    private static final DatabaseSettings SETTINGS =
            DatabaseSettings.fromEnvironment(Map.of("DATABASE_URL", "postgresql://app:s3cret@bouncer:6432/app"));

    @Test
    void refusedOptions_namesDbPooler_andIsNotRetried() {
        ConnectionFailure failure = ConnectionFailureTranslator.translate(
                new SQLException("FATAL: unsupported startup parameter: options", "08P01"), SETTINGS);

        assertThat(failure.problem()).isEqualTo(ConnectionFailure.Problem.POOLER_REFUSED_STARTUP);
        assertThat(failure.retryable()).isFalse();
        assertThat(failure.getMessage())
                .contains("PostgreSQL at bouncer:6432")
                .contains("refuses the startup parameter options")
                .contains("set DB_POOLER=pgbouncer")
                .doesNotContain("s3cret");
    }

    @Test
    void refusedExtraFloatDigits_namesPgBouncersIgnoreStartupParameters() {
        ConnectionFailure failure = ConnectionFailureTranslator.translate(
                new SQLException("FATAL: unsupported startup parameter: extra_float_digits", "08P01"), SETTINGS);

        assertThat(failure.problem()).isEqualTo(ConnectionFailure.Problem.POOLER_REFUSED_STARTUP);
        assertThat(failure.getMessage()).contains("ignore_startup_parameters = extra_float_digits");
    }
}
