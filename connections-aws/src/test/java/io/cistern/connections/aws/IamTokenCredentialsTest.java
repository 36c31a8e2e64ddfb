package io.cistern.connections.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.DatabaseCredentials;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.SslMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** RDS IAM tokens: made per host and user, reused for their lifetime on a controlled clock, TLS required. */
class IamTokenCredentialsTest {
    private static final Duration LIFETIME = Duration.ofMinutes(14);

    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<String> made = new ArrayList<>();
    private final IamTokenCredentials credentials = new IamTokenCredentials(
            (host, port, user) -> {
                String token = host + ":" + port + "/?DBUser=" + user + "&n=" + made.size();
                made.add(token);
                return token;
            },
            LIFETIME,
            clock);

    private static DatabaseSettings settings(String host, String user, DatabaseCredentials credentials) {
        return DatabaseSettings.ofJdbcUrl("jdbc:postgresql://" + host + ":5432/app?user=" + user + "&sslmode=require")
                .mutate()
                .credentials(Optional.of(credentials))
                .build();
    }

    @Test
    void token_isReusedUntilItsLifetimeEnds_thenRenewed() {
        DatabaseSettings settings = settings("db.example.internal", "app", credentials);

        String first = credentials.login(settings).password().reveal();
        clock.advance(LIFETIME.minusMillis(1));
        String justBefore = credentials.login(settings).password().reveal();
        clock.advance(Duration.ofMillis(1));
        String atLifetime = credentials.login(settings).password().reveal();
        clock.advance(LIFETIME.minusMillis(1));
        String stillSecond = credentials.login(settings).password().reveal();

        assertThat(justBefore).isEqualTo(first);
        assertThat(atLifetime).isNotEqualTo(first);
        assertThat(stillSecond).isEqualTo(atLifetime);
        assertThat(made).hasSize(2);
    }

    @Test
    void eachHostAndUser_hasItsOwnToken() {
        DatabaseCredentials.Login primary = credentials.login(settings("db.example.internal", "app", credentials));
        DatabaseCredentials.Login replica = credentials.login(settings("replica.example.internal", "app", credentials));
        DatabaseCredentials.Login admin = credentials.login(settings("db.example.internal", "admin", credentials));

        assertThat(primary.password().reveal()).startsWith("db.example.internal:5432/?DBUser=app");
        assertThat(replica.password().reveal()).startsWith("replica.example.internal:5432/?DBUser=app");
        assertThat(admin.user()).isEqualTo("admin");
        assertThat(admin.password().reveal()).contains("DBUser=admin");
    }

    @Test
    void driverProperties_carryTheCurrentToken() {
        DatabaseSettings settings = settings("db.example.internal", "app", credentials);

        String first = settings.driverProperties().getProperty("password");
        clock.advance(LIFETIME);

        assertThat(settings.driverProperties().getProperty("password")).isNotEqualTo(first);
        assertThat(settings.driverProperties().getProperty("user")).isEqualTo("app");
    }

    @Test
    void lifetime_mustBeUnderFifteenMinutes() {
        assertThatThrownBy(() -> new IamTokenCredentials((h, p, u) -> "t", Duration.ofMinutes(15), clock))
                .hasMessageContaining("DB_IAM_TOKEN_LIFETIME_MS must be more than 0 and less than 900000");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(iamEnv("DB_IAM_TOKEN_LIFETIME_MS", "900000")))
                .hasMessageContaining(
                        "DB_IAM_TOKEN_LIFETIME_MS must be a whole number of milliseconds from 1000 to" + " 899000");
    }

    @Test
    void fromEnvironment_makesRealPresignedTokens_locally() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(iamEnv("DB_SSL_MODE", "verify-full"));

        String token = settings.driverProperties().getProperty("password");
        assertThat(token)
                .startsWith("db.example.internal:5432/?")
                .contains("Action=connect", "DBUser=app", "X-Amz-Expires=900", "X-Amz-Signature=")
                .contains("eu-west-1%2Frds-db%2Faws4_request");
        assertThat(String.join("\n", settings.describe()))
                .contains("password from RDS IAM tokens renewed every 840000 ms (DB_IAM_AUTH)")
                .doesNotContain(token);
        assertThat(settings.toString()).doesNotContain(token);
    }

    @Test
    void withoutATlsMode_tlsIsRequired() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(iamEnv());

        assertThat(settings.sslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(settings.sources()).containsEntry("sslMode", "DB_IAM_AUTH");
    }

    @Test
    void aTlsModeWeakerThanRequire_isRefused() {
        for (String weak : List.of("disable", "allow", "prefer")) {
            assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(iamEnv("DB_SSL_MODE", weak)))
                    .as(weak)
                    .hasMessageContaining("DB_IAM_AUTH needs TLS, and the TLS mode is " + weak + " (DB_SSL_MODE)");
        }
        DatabaseSettings iam = DatabaseSettings.fromEnvironment(iamEnv());
        assertThatThrownBy(() -> iam.mutate().sslMode(SslMode.PREFER).build())
                .hasMessageContaining("DB_IAM_AUTH needs TLS");
    }

    @Test
    void passwordBesideIam_isAnError() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(iamEnv("DB_PASSWORD", "hunter2")))
                .hasMessageContaining("DB_PASSWORD is set, and DB_IAM_AUTH gives each connection its password")
                .hasMessageNotContaining("hunter2");
    }

    private static Map<String, String> iamEnv(String... more) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DB_IAM_AUTH", "true",
                "DB_HOST", "db.example.internal",
                "DB_USER", "app",
                "AWS_REGION", "eu-west-1",
                "AWS_ACCESS_KEY_ID", "AKIDSTANDIN",
                "AWS_SECRET_ACCESS_KEY", "stand-in-secret-key",
                "AWS_EC2_METADATA_DISABLED", "true"));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }
}
