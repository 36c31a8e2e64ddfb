package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without cistern-connections-aws on the classpath (this module's tests), asking for AWS credentials is an error. */
class DatabaseCredentialsTest {
    @Test
    void awsDbSecret_withoutTheAwsModule_namesTheModuleToAdd() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        Map.of("AWS_DB_SECRET", "prod/cistern", "AWS_REGION", "eu-west-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AWS_DB_SECRET is set")
                .hasMessageContaining("io.cistern:cistern-connections-aws");
    }

    @Test
    void awsSecretName_withoutTheAwsModule_namesTheModuleToAdd() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("AWS_SECRET_NAME", "prod/cistern")))
                .hasMessageContaining("AWS_SECRET_NAME is set")
                .hasMessageContaining("io.cistern:cistern-connections-aws");
    }

    @Test
    void iamAuth_withoutTheAwsModule_namesTheModuleToAdd() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_IAM_AUTH", "true")))
                .hasMessageContaining("DB_IAM_AUTH is set")
                .hasMessageContaining("io.cistern:cistern-connections-aws");
    }

    @Test
    void iamAuthFalse_needsNoModule() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(Map.of("DB_IAM_AUTH", "false"));

        assertThat(settings.credentials()).isEmpty();
        assertThat(settings.driverProperties().getProperty("user")).isEqualTo("postgres");
    }

    @Test
    void tokenLifetimeWithoutIam_isReportedAsIgnored() {
        DatabaseSettings settings = DatabaseSettings.fromEnvironment(Map.of("DB_IAM_TOKEN_LIFETIME_MS", "60000"));

        assertThat(settings.warnings()).contains("DB_IAM_TOKEN_LIFETIME_MS is ignored: DB_IAM_AUTH is not true");
    }

    @Test
    void knownVariables_includeEveryAwsVariable() {
        assertThat(DatabaseCredentials.VARIABLES)
                .containsExactlyInAnyOrder(
                        "AWS_DB_SECRET", "AWS_SECRET_NAME", "AWS_REGION", "DB_IAM_AUTH", "DB_IAM_TOKEN_LIFETIME_MS");
    }
}
