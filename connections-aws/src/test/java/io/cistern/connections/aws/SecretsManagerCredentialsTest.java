package io.cistern.connections.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.DatabaseCredentials;
import io.cistern.connections.DatabaseSettings;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The secret's JSON fills the settings, with the precedence docs/aws.md gives, fetched from a local stand-in for
 * Secrets Manager ({@link SecretsManagerStandIn}) through the SDK's endpoint override: no request leaves the machine.
 */
class SecretsManagerCredentialsTest {
    private static final String NAME = "prod/cistern/db";
    private static final String PASSWORD = "s3cr3t-Pa55-word";

    private SecretsManagerStandIn standIn;
    private CapturedLogs logs;

    @BeforeEach
    void start() throws IOException {
        standIn = SecretsManagerStandIn.start();
        standIn.put(NAME, SecretsManagerStandIn.rdsSecret("app", PASSWORD, "db.example.internal", 6543, "orders"));
        logs = new CapturedLogs();
    }

    @AfterEach
    void stop() {
        logs.close();
        standIn.close();
        assertThat(logs.lines()).noneMatch(line -> line.contains(PASSWORD));
    }

    private Map<String, String> env(String... more) {
        Map<String, String> env = new HashMap<>(standIn.environment(NAME));
        for (int i = 0; i < more.length; i += 2) {
            env.put(more[i], more[i + 1]);
        }
        return env;
    }

    @Test
    void rdsSecret_fillsHostPortDatabaseUserAndPassword() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(env());

        assertThat(settings.hosts()).containsExactly(new DatabaseSettings.Host("db.example.internal", 6543));
        assertThat(settings.database()).isEqualTo("orders");
        assertThat(settings.user()).isEqualTo("app");
        assertThat(settings.password()).isEmpty();
        assertThat(settings.driverProperties().getProperty("user")).isEqualTo("app");
        assertThat(settings.driverProperties().getProperty("password")).isEqualTo(PASSWORD);
        assertThat(settings.sources())
                .containsEntry("host", "AWS_DB_SECRET's host")
                .containsEntry("password", "AWS_DB_SECRET");
    }

    @Test
    void fetch_usesTheJsonProtocol_signed_once() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(env());
        settings.driverProperties();
        settings.driverProperties();

        assertThat(standIn.requests())
                .containsExactly(new SecretsManagerStandIn.Request(
                        "secretsmanager.GetSecretValue", "application/x-amz-json-1.1", NAME, true));
    }

    @Test
    void describeAndToString_nameTheSecret_neverItsValue() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(env());

        assertThat(String.join("\n", settings.describe()))
                .contains("password from AWS Secrets Manager secret prod/cistern/db in eu-west-1 (AWS_DB_SECRET)")
                .contains("(AWS_DB_SECRET's host)")
                .doesNotContain(PASSWORD);
        assertThat(settings.toString()).doesNotContain(PASSWORD).contains(NAME);
        assertThat(settings.credentials().orElseThrow().login(settings).toString())
                .doesNotContain(PASSWORD);
    }

    @Test
    void dbHostAndDatabaseUrl_winOverTheSecret() {
        DatabaseSettings byDbHost = DatabaseSettings.fromEnvironment(env("DB_HOST", "proxy.example.internal"));
        DatabaseSettings byUrl =
                DatabaseSettings.fromEnvironment(env("DATABASE_URL", "postgresql://rds-proxy:5432/orders_replica"));

        assertThat(byDbHost.hosts()).containsExactly(new DatabaseSettings.Host("proxy.example.internal", 6543));
        assertThat(byDbHost.warnings()).anyMatch(w -> w.contains("AWS_DB_SECRET's host is ignored: DB_HOST"));
        assertThat(byUrl.hosts()).containsExactly(new DatabaseSettings.Host("rds-proxy", 5432));
        assertThat(byUrl.database()).isEqualTo("orders_replica");
    }

    @Test
    void secretWinsOverPgVariables_andAgreesWithItsAliasLevel() {
        DatabaseSettings settings =
                DatabaseSettings.fromEnvironment(env("PGHOST", "localhost", "AWS_DB_HOST", "db.example.internal"));

        assertThat(settings.hosts().get(0).host()).isEqualTo("db.example.internal");
    }

    @Test
    void aliasThatDisagreesWithTheSecret_isAnErrorNamingBoth() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("AWS_DB_HOST", "other.example.internal")))
                .hasMessageContaining("AWS_DB_HOST and AWS_DB_SECRET's host both set the host");
    }

    @Test
    void passwordVariableBesideTheSecret_isAnError() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("DB_PASSWORD", "other")))
                .hasMessageContaining("DB_PASSWORD is set, and AWS_DB_SECRET gives each connection its password")
                .hasMessageNotContaining(PASSWORD);
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        env("DATABASE_URL", "postgresql://app:other@db.example.internal:6543/orders")))
                .hasMessageContaining("DATABASE_URL carries a password");
    }

    @Test
    void userVariableForAnotherUser_isAnError() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("DB_USER", "admin")))
                .hasMessageContaining("DB_USER names the user admin")
                .hasMessageContaining("unset DB_USER");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        env("DATABASE_URL", "postgresql://admin@db.example.internal:6543/orders")))
                .hasMessageContaining("remove the user from DATABASE_URL");
        assertThat(DatabaseSettings.fromEnvironment(env("DATABASE_URL", "postgresql://app@db.example.internal/orders"))
                        .user())
                .isEqualTo("app");
    }

    @Test
    void awsSecretName_isTheSameAsAwsDbSecret_andBothDifferent_isAnError() {
        Map<String, String> byName = env("AWS_SECRET_NAME", NAME);
        byName.remove("AWS_DB_SECRET");

        assertThat(DatabaseSettings.fromEnvironment(byName).sources()).containsEntry("password", "AWS_SECRET_NAME");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("AWS_SECRET_NAME", "prod/other")))
                .hasMessageContaining(
                        "AWS_DB_SECRET (prod/cistern/db) and AWS_SECRET_NAME (prod/other) name" + " different secrets");
    }

    @Test
    void missingRegion_isAnError_unlessTheArnHasOne() {
        Map<String, String> noRegion = env();
        noRegion.remove("AWS_REGION");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(noRegion))
                .hasMessageContaining("AWS_DB_SECRET is set but AWS_REGION is not");

        String arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + NAME;
        standIn.put(arn, SecretsManagerStandIn.rdsSecret("app", PASSWORD, "db.example.internal", 6543, "orders"));
        noRegion.put("AWS_DB_SECRET", arn);
        assertThat(DatabaseSettings.fromEnvironment(noRegion)
                        .credentials()
                        .orElseThrow()
                        .describe())
                .contains("in eu-west-1");
    }

    @Test
    void unknownSecret_failsNamingIt() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("AWS_DB_SECRET", "prod/missing")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not read AWS Secrets Manager secret prod/missing in eu-west-1")
                .hasMessageContaining("can't find the specified secret");
    }

    @Test
    void secretThatIsNotJson_failsWithoutQuotingIt() {
        standIn.put("broken", "username=app password=" + PASSWORD);

        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("AWS_DB_SECRET", "broken")))
                .hasMessageContaining("is not JSON")
                .hasMessageNotContaining(PASSWORD)
                .satisfies(e -> assertThat(e.getCause()).isNull());
    }

    @Test
    void secretOfAnotherEngine_orWithoutPassword_isAnError() {
        standIn.put("mysql", "{\"username\":\"app\",\"password\":\"x\",\"engine\":\"mysql\"}");
        standIn.put("nopassword", "{\"username\":\"app\"}");

        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("AWS_DB_SECRET", "mysql")))
                .hasMessageContaining("is for engine mysql, not PostgreSQL");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("AWS_DB_SECRET", "nopassword")))
                .hasMessageContaining("has no password");
    }

    @Test
    void renew_fetchesAgain_andSaysWhetherTheLoginChanged() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(env());
        DatabaseCredentials credentials = settings.credentials().orElseThrow();
        DatabaseCredentials.Login first = credentials.login(settings);

        assertThat(credentials.renew(first)).as("secret unchanged").isFalse();
        standIn.put(
                NAME,
                SecretsManagerStandIn.rdsSecret("app", "rotated-" + PASSWORD, "db.example.internal", 6543, "orders"));
        assertThat(credentials.renew(first)).as("secret rotated").isTrue();
        assertThat(credentials.login(settings).password().reveal()).isEqualTo("rotated-" + PASSWORD);
        assertThat(credentials.renew(first))
                .as("already renewed by another connection: no fetch")
                .isTrue();
        assertThat(standIn.fetches(NAME)).isEqualTo(3);
    }

    @Test
    void secretAndIamTogether_isAnError() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(env("DB_IAM_AUTH", "true")))
                .hasMessageContaining("AWS_DB_SECRET and DB_IAM_AUTH=true are both set");
    }
}
