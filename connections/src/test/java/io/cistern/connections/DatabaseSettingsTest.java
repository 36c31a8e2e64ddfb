package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseSettingsTest {
    @TempDir
    Path tmp;

    @Test
    void nothingSet_usesTheDocumentedDefaults() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of());

        assertThat(s.hosts()).containsExactly(new DatabaseSettings.Host("127.0.0.1", 5432));
        assertThat(s.database()).isEqualTo("postgres");
        assertThat(s.user()).isEqualTo("postgres");
        assertThat(s.password()).isEmpty();
        assertThat(s.sslMode()).isEqualTo(SslMode.PREFER);
        assertThat(s.targetServerType()).isEqualTo(TargetServerType.PRIMARY);
        assertThat(s.poolSize()).isEqualTo(4);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.statementTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.jdbcUrl())
                .startsWith("jdbc:postgresql://127.0.0.1:5432/postgres?ApplicationName=cistern&sslmode=prefer")
                .contains("options=-c%20statement_timeout%3D30000%20-c%20idle_in_transaction_session_timeout%3D60000")
                .contains("tcpKeepAlive=true", "socketTimeout=60", "connectTimeout=5", "targetServerType=primary");
    }

    @Test
    void postgresUrl_isNormalisedAndItsCredentialsTakenOut() {
        DatabaseSettings s =
                DatabaseSettings.ofJdbcUrl("postgres://app:p%40ss@db.example.com:6543/shop?sslmode=require");

        assertThat(s.hosts()).containsExactly(new DatabaseSettings.Host("db.example.com", 6543));
        assertThat(s.database()).isEqualTo("shop");
        assertThat(s.user()).isEqualTo("app");
        assertThat(s.password()).contains(Secret.of("p@ss"));
        assertThat(s.sslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(s.jdbcUrl())
                .startsWith("jdbc:postgresql://db.example.com:6543/shop?")
                .doesNotContain("p@ss", "app");
    }

    @Test
    void jdbcUrlWithUserParameter_keepsWorkingAsBefore() {
        DatabaseSettings s = DatabaseSettings.ofJdbcUrl("jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");

        assertThat(s.user()).isEqualTo("postgres");
        assertThat(s.jdbcUrl()).doesNotContain("user=");
    }

    @Test
    void libpqStyleUrlParameters_areTranslatedToPgjdbc() {
        DatabaseSettings s = DatabaseSettings.ofJdbcUrl(
                "postgresql://h/db?application_name=etl&connect_timeout=7&target_session_attrs=read-only");

        assertThat(s.applicationName()).isEqualTo("etl");
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(s.targetServerType()).isEqualTo(TargetServerType.SECONDARY);
    }

    @Test
    void urlBeatsDbPartsBeatsPgVariables_andTheLosersAreReported() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of(
                "DATABASE_URL", "postgres://urlhost/urldb",
                "DB_HOST", "dbhost",
                "PGHOST", "pghost",
                "DB_USER", "dbuser",
                "PGUSER", "pguser",
                "PGDATABASE", "pgdb"));

        assertThat(s.primaryHost().host()).isEqualTo("urlhost");
        assertThat(s.database()).isEqualTo("urldb");
        assertThat(s.user()).isEqualTo("dbuser");
        assertThat(s.warnings())
                .contains(
                        "DB_HOST is ignored: DATABASE_URL sets the host, which wins",
                        "PGHOST is ignored: DATABASE_URL sets the host, which wins",
                        "PGUSER is ignored: DB_USER sets the user, which wins");
        assertThat(s.describe()).anyMatch(l -> l.contains("user dbuser (DB_USER), password not set"));
    }

    @Test
    void pgVariables_aloneAreEnough() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of(
                "PGHOST", "pg.internal",
                "PGPORT", "5433",
                "PGDATABASE", "app",
                "PGUSER", "u",
                "PGPASSWORD", "pw",
                "PGSSLMODE", "verify-ca",
                "PGAPPNAME", "tool"));

        assertThat(s.hosts()).containsExactly(new DatabaseSettings.Host("pg.internal", 5433));
        assertThat(s.password()).contains(Secret.of("pw"));
        assertThat(s.sslMode()).isEqualTo(SslMode.VERIFY_CA);
        assertThat(s.applicationName()).isEqualTo("tool");
        assertThat(s.warnings()).anyMatch(w -> w.contains("~/.postgresql/root.crt"));
    }

    @Test
    void passwordFile_isReadAndTrimmed_andNamedAsTheSource() throws IOException {
        Path file = Files.writeString(tmp.resolve("pw"), "from-file\n");

        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of("DB_PASSWORD_FILE", file.toString()));

        assertThat(s.password()).contains(Secret.of("from-file"));
        assertThat(s.describe()).anyMatch(l -> l.contains("password **** (DB_PASSWORD_FILE)"));
    }

    @Test
    void passwordAndPasswordFileBothSet_isAnError() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_PASSWORD", "a", "DB_PASSWORD_FILE", "/x")))
                .hasMessage("both DB_PASSWORD and DB_PASSWORD_FILE are set: keep one of them");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("PGPASSWORD", "a", "PGPASSWORD_FILE", "/x")))
                .hasMessageContaining("both PGPASSWORD and PGPASSWORD_FILE");
    }

    @Test
    void unreadablePasswordFile_namesTheFileButNotAnyContent() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_PASSWORD_FILE", "/no/such/file")))
                .hasMessageContaining("DB_PASSWORD_FILE names /no/such/file, which cannot be read");
    }

    @Test
    void urlPassword_winsOverDbPassword_withAWarning() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(
                Map.of("DATABASE_URL", "postgres://u:urlpw@h/db", "DB_PASSWORD", "other"));

        assertThat(s.password()).contains(Secret.of("urlpw"));
        assertThat(s.warnings()).contains("DB_PASSWORD is ignored: DATABASE_URL carries a password, which wins");
    }

    @Test
    void surroundingWhitespace_isTrimmedWithAWarning() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of("DB_HOST", " db.example.com\n"));

        assertThat(s.primaryHost().host()).isEqualTo("db.example.com");
        assertThat(s.warnings()).contains("DB_HOST had surrounding whitespace, which was removed");
    }

    @Test
    void whitespaceInsideTheHost_isAnErrorWithAHint() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_HOST", "db. example.com")))
                .hasMessageContaining("database host 'db. example.com' contains whitespace: remove it");
        assertThatThrownBy(() -> DatabaseSettings.ofJdbcUrl("postgres://u@db%20x:5432/app"))
                .hasMessageContaining("'db x' contains whitespace");
    }

    @Test
    void numbersThatDoNotParse_nameTheirVariable() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_PORT", "54x2")))
                .hasMessageContaining("DB_PORT port must be a whole number, was '54x2'");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_POOL_SIZE", "ten")))
                .hasMessage("DB_POOL_SIZE must be a whole number, was 'ten'");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_STATEMENT_TIMEOUT_MS", "30s")))
                .hasMessageStartingWith("DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_TCP_KEEPALIVE", "maybe")))
                .hasMessage("DB_TCP_KEEPALIVE must be true or false, was 'maybe'");
    }

    @Test
    void unknownSslMode_listsTheValidOnes() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_SSL_MODE", "strict")))
                .hasMessage("DB_SSL_MODE must be one of disable, allow, prefer, require, verify-ca, verify-full, was"
                        + " 'strict'");
    }

    @Test
    void rootCertificate_mustExist_andIsPassedToTheDriver() throws IOException {
        Path ca = Files.writeString(tmp.resolve("global-bundle.pem"), "-----BEGIN CERTIFICATE-----\n");

        DatabaseSettings s = DatabaseSettings.fromEnvironment(
                Map.of("DB_SSL_MODE", "verify-full", "DB_SSL_ROOT_CERT", ca.toString()));

        assertThat(s.jdbcUrl())
                .contains("sslmode=verify-full", "sslrootcert=" + ca.toString().replace("/", "%2F"));
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        Map.of("DB_SSL_MODE", "verify-full", "DB_SSL_ROOT_CERT", "/no/bundle.pem")))
                .hasMessageContaining("DB_SSL_ROOT_CERT names /no/bundle.pem, which does not exist");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        Map.of("DB_SSL_MODE", "disable", "DB_SSL_ROOT_CERT", ca.toString())))
                .hasMessageContaining("DB_SSL_MODE is disable");
    }

    @Test
    void multiHostUrl_keepsEveryHostAndItsPort() {
        DatabaseSettings s = DatabaseSettings.ofJdbcUrl("postgresql://u@primary:5432,replica:5433/app");

        assertThat(s.hosts())
                .containsExactly(
                        new DatabaseSettings.Host("primary", 5432), new DatabaseSettings.Host("replica", 5433));
        assertThat(s.jdbcUrl()).startsWith("jdbc:postgresql://primary:5432,replica:5433/app?");
        assertThat(s.mutate()
                        .targetServerType(TargetServerType.PREFER_SECONDARY)
                        .build()
                        .jdbcUrl())
                .contains("targetServerType=preferSecondary");
    }

    @Test
    void hostListWithOnePort_appliesThePortToEveryHost_likeLibpq() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of("PGHOST", "a,b", "PGPORT", "6000"));

        assertThat(s.hosts())
                .containsExactly(new DatabaseSettings.Host("a", 6000), new DatabaseSettings.Host("b", 6000));
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("PGHOST", "a,b,c", "PGPORT", "1,2")))
                .hasMessageContaining("3 hosts but 2 ports");
    }

    @Test
    void poolAndTimeoutVariables_areValidatedTogether() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        Map.of("DB_STATEMENT_TIMEOUT_MS", "60000", "DB_SOCKET_TIMEOUT_MS", "30000")))
                .hasMessageContaining(
                        "DB_SOCKET_TIMEOUT_MS (30000) must be longer than DB_STATEMENT_TIMEOUT_MS (60000)");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        Map.of("DB_MAX_LIFETIME_MS", "60000", "DB_KEEPALIVE_TIME_MS", "60000")))
                .hasMessageContaining("DB_KEEPALIVE_TIME_MS (60000) must be shorter than DB_MAX_LIFETIME_MS (60000)");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_MAX_LIFETIME_MS", "1000")))
                .hasMessage("DB_MAX_LIFETIME_MS must be at least 30000 ms, was 1000 ms");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_POOL_SIZE", "0")))
                .hasMessage("DB_POOL_SIZE must be at least 1, was 0");
    }

    @Test
    void zeroTimeouts_turnTheLimitsOff() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(
                Map.of("DB_STATEMENT_TIMEOUT_MS", "0", "DB_SOCKET_TIMEOUT_MS", "0", "DB_KEEPALIVE_TIME_MS", "0"));

        assertThat(s.describe()).anyMatch(l -> l.contains("statement off") && l.contains("socket off"));
        assertThat(s.jdbcUrl()).contains("socketTimeout=0", "statement_timeout%3D0");
    }

    @Test
    void optionsInTheUrl_comeAfterCisternsSoTheServerAppliesThem() {
        DatabaseSettings s = DatabaseSettings.ofJdbcUrl("postgres://h/db?options=-c%20statement_timeout%3D5000");

        assertThat(s.jdbcUrl()).contains("idle_in_transaction_session_timeout%3D60000%20-c%20statement_timeout%3D5000");
    }

    @Test
    void behindPgBouncer_noStartupOptions_andNoServerSidePreparedStatements() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(
                Map.of("DATABASE_URL", "postgresql://app@bouncer:6432/app", "DB_POOLER", "pgbouncer"));

        assertThat(s.pooler()).isEqualTo(Pooler.PGBOUNCER);
        assertThat(s.jdbcUrl())
                .contains("prepareThreshold=0", "assumeMinServerVersion=13")
                .doesNotContain("options");
        assertThat(s.describe()).anyMatch(line -> line.contains("transaction-mode pooler (DB_POOLER)"));
    }

    @Test
    void poolerUnset_orNone_keepsTheStartupOptions() {
        for (Map<String, String> env : List.of(
                Map.of("DATABASE_URL", "postgresql://app@db/app"),
                Map.of("DATABASE_URL", "postgresql://app@db/app", "DB_POOLER", "none"))) {
            DatabaseSettings s = DatabaseSettings.fromEnvironment(env);

            assertThat(s.pooler()).isEqualTo(Pooler.NONE);
            assertThat(s.jdbcUrl()).contains("options=").doesNotContain("prepareThreshold");
        }
    }

    @Test
    void rdsProxyAndTransaction_arePgBouncersMode() {
        assertThat(DatabaseSettings.fromEnvironment(Map.of("DB_POOLER", "RDS_PROXY"))
                        .pooler())
                .isEqualTo(Pooler.PGBOUNCER);
        assertThat(DatabaseSettings.fromEnvironment(Map.of("DB_POOLER", "transaction"))
                        .pooler())
                .isEqualTo(Pooler.PGBOUNCER);
    }

    @Test
    void unknownPooler_listsTheValidOnes() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of("DB_POOLER", "pgpool")))
                .hasMessage("DB_POOLER must be one of none, pgbouncer (rds-proxy and transaction mean pgbouncer),"
                        + " was 'pgpool'");
    }

    @Test
    void behindPgBouncer_urlOptionsOrAPrepareThreshold_areRefusedNamingTheFix() {
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(Map.of(
                        "DATABASE_URL", "postgresql://db/app?options=-c%20work_mem%3D64MB", "DB_POOLER", "pgbouncer")))
                .hasMessageContaining("DATABASE_URL's options parameter cannot pass a transaction-mode pooler"
                        + " (DB_POOLER=pgbouncer)")
                .hasMessageContaining("ALTER ROLE");
        assertThatThrownBy(() -> DatabaseSettings.fromEnvironment(
                        Map.of("DATABASE_URL", "postgresql://db/app?prepareThreshold=5", "DB_POOLER", "pgbouncer")))
                .hasMessageContaining("prepareThreshold=5")
                .hasMessageContaining("remove it");
        assertThat(DatabaseSettings.fromEnvironment(Map.of(
                                "DATABASE_URL", "postgresql://db/app?prepareThreshold=0", "DB_POOLER", "pgbouncer"))
                        .jdbcUrl())
                .containsOnlyOnce("prepareThreshold=0");
    }

    @Test
    void noSecretAppears_inDescriptionWarningsOrToString() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of(
                "DATABASE_URL", "postgres://u:topsecret@h/db?sslpassword=keysecret",
                "DB_PASSWORD", "othersecret"));

        List<String> everything = new java.util.ArrayList<>(s.describe());
        everything.addAll(s.warnings());
        everything.add(s.toString());
        assertThat(everything)
                .noneMatch(l -> l.contains("topsecret") || l.contains("keysecret") || l.contains("othersecret"));
        assertThat(s.describe()).anyMatch(l -> l.contains("sslpassword=****"));
        assertThat(s.jdbcUrl()).doesNotContain("keysecret");
        assertThat(s.driverProperties())
                .containsEntry("sslpassword", "keysecret")
                .containsEntry("password", "topsecret");
    }

    @Test
    void unsupportedScheme_saysWhichAreAccepted() {
        assertThatThrownBy(() -> DatabaseSettings.ofJdbcUrl("mysql://u:pw@h/db"))
                .hasMessageContaining("DATABASE_URL must start with postgres://, postgresql://, postgresql+asyncpg://")
                .hasMessageContaining("jdbc:postgresql://")
                .hasMessageContaining("it starts with 'mysql://...'")
                .hasMessageNotContaining("pw");
    }

    @Test
    void mutateWithoutChanges_buildsAnEqualCopy() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(
                Map.of("DATABASE_URL", "postgres://app:pw@db.internal:5433/shop?sslmode=require", "DB_POOL_SIZE", "9"));

        assertThat(s.mutate().build()).isEqualTo(s);
    }

    @Test
    void mutateOneValue_changesOnlyThatValue() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of());

        DatabaseSettings bigger = s.mutate().poolSize(12).build();
        DatabaseSettings replicas =
                s.mutate().targetServerType(TargetServerType.PREFER_SECONDARY).build();

        assertThat(bigger.poolSize()).isEqualTo(12);
        assertThat(bigger).usingRecursiveComparison().ignoringFields("poolSize").isEqualTo(s);
        assertThat(replicas.targetServerType()).isEqualTo(TargetServerType.PREFER_SECONDARY);
        assertThat(replicas)
                .usingRecursiveComparison()
                .ignoringFields("targetServerType")
                .isEqualTo(s);
    }

    @Test
    void mutateToAWrongCombination_isRefusedAsTheConstructorRefusesIt() {
        DatabaseSettings s = DatabaseSettings.fromEnvironment(Map.of());

        assertThatThrownBy(() -> s.mutate()
                        .statementTimeout(Duration.ofSeconds(90))
                        .socketTimeout(Duration.ofSeconds(60))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(
                        "DB_SOCKET_TIMEOUT_MS (60000) must be longer than DB_STATEMENT_TIMEOUT_MS (90000)");
    }
}
