package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The variable names teams' Python services already have (issue 20, item 1): each alias, its unit, the precedence
 * {@code DATABASE_URL} > {@code DB_*} > {@code DATABASE_*}/{@code AWS_DB_*} > {@code PG*}, conflicts within a level,
 * and three real-shaped {@code .env} files resolved field by field.
 */
class DatabaseAliasesTest {
    private static final String RDS_HOST = "mydb.abc123.eu-west-1.rds.amazonaws.com";

    @TempDir
    Path tmp;

    private Path bundle;

    @BeforeEach
    void rdsBundle() throws IOException {
        bundle = Files.writeString(tmp.resolve("global-bundle.pem"), "-----BEGIN CERTIFICATE-----\n");
    }

    private static DatabaseSettings resolve(Map<String, String> env) {
        return DatabaseSettings.fromEnvironment(env);
    }

    // --- each alias and where it lands -------------------------------------------------------------------------

    @Test
    void databaseFamily_setsHostPortNameUserPassword_andIsNamedAsTheSource() {
        DatabaseSettings s = resolve(Map.of(
                "DATABASE_HOST", RDS_HOST,
                "DATABASE_PORT", "5433",
                "DATABASE_NAME", "api",
                "DATABASE_USER", "api_rw",
                "DATABASE_PASSWORD", "Api-Pa55"));

        assertThat(s.hosts()).containsExactly(new DatabaseSettings.Host(RDS_HOST, 5433));
        assertThat(s.database()).isEqualTo("api");
        assertThat(s.user()).isEqualTo("api_rw");
        assertThat(s.password()).contains(Secret.of("Api-Pa55"));
        assertThat(s.sources())
                .containsEntry("host", "DATABASE_HOST")
                .containsEntry("port", "DATABASE_PORT")
                .containsEntry("database", "DATABASE_NAME")
                .containsEntry("user", "DATABASE_USER")
                .containsEntry("password", "DATABASE_PASSWORD");
        assertThat(s.warnings()).isEmpty();
    }

    @Test
    void awsDbFamily_setsHostPortNameUserPassword_andIsNamedAsTheSource() {
        DatabaseSettings s = resolve(Map.of(
                "AWS_DB_HOST", RDS_HOST,
                "AWS_DB_PORT", "5432",
                "AWS_DB_NAME", "gateway",
                "AWS_DB_USER", "gw",
                "AWS_DB_PASSWORD", "Gw-Pa55"));

        assertThat(s.hosts()).containsExactly(new DatabaseSettings.Host(RDS_HOST, 5432));
        assertThat(s.database()).isEqualTo("gateway");
        assertThat(s.user()).isEqualTo("gw");
        assertThat(s.password()).contains(Secret.of("Gw-Pa55"));
        assertThat(s.sources())
                .containsEntry("host", "AWS_DB_HOST")
                .containsEntry("port", "AWS_DB_PORT")
                .containsEntry("database", "AWS_DB_NAME")
                .containsEntry("user", "AWS_DB_USER")
                .containsEntry("password", "AWS_DB_PASSWORD");
    }

    @Test
    void aliasPasswords_haveAFileFormToo() throws IOException {
        Path file = Files.writeString(tmp.resolve("pw"), "From-File-9\n");

        DatabaseSettings s = resolve(Map.of("AWS_DB_PASSWORD_FILE", file.toString()));

        assertThat(s.password()).contains(Secret.of("From-File-9"));
        assertThat(s.sources()).containsEntry("password", "AWS_DB_PASSWORD_FILE");
    }

    @Test
    void awsRequireSsl_meansRequire_orVerifyFullWithARootCertificate() {
        DatabaseSettings require = resolve(Map.of("AWS_REQUIRE_SSL", "true"));
        assertThat(require.sslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(require.sources()).containsEntry("sslMode", "AWS_REQUIRE_SSL");

        DatabaseSettings verify = resolve(Map.of("AWS_REQUIRE_SSL", "True", "AWS_SSLROOTCERT", bundle.toString()));
        assertThat(verify.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(verify.sslRootCert()).contains(bundle);
        assertThat(verify.sources())
                .containsEntry("sslMode", "AWS_REQUIRE_SSL")
                .containsEntry("sslRootCert", "AWS_SSLROOTCERT");
        assertThat(verify.jdbcUrl()).contains("sslmode=verify-full", "sslrootcert=");
    }

    @Test
    void awsRequireSslFalse_addsNothing_andNonsenseIsRefusedByName() {
        assertThat(resolve(Map.of("AWS_REQUIRE_SSL", "false")).sslMode()).isEqualTo(SslMode.PREFER);
        assertThatThrownBy(() -> resolve(Map.of("AWS_REQUIRE_SSL", "sure")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("AWS_REQUIRE_SSL must be true or false, was 'sure'");
    }

    @Test
    void aCaBundleFromAnAlias_withNoModeSet_meansVerifyFull() {
        DatabaseSettings crm = resolve(Map.of("DB_SSL_CERT_PATH", bundle.toString()));
        assertThat(crm.sslRootCert()).contains(bundle);
        assertThat(crm.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(crm.sources())
                .containsEntry("sslRootCert", "DB_SSL_CERT_PATH")
                .containsEntry("sslMode", "DB_SSL_CERT_PATH");

        DatabaseSettings gateway = resolve(Map.of("AWS_SSLROOTCERT", bundle.toString()));
        assertThat(gateway.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
    }

    @Test
    void aModeThatIsSet_staysAsSet_withTheUnusedCertificateReported() {
        DatabaseSettings s = resolve(Map.of("DB_SSL_CERT_PATH", bundle.toString(), "DB_SSL_MODE", "require"));

        assertThat(s.sslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(s.warnings()).anyMatch(w -> w.contains("does not check the certificate"));
    }

    @Test
    void dbMaxOverflow_isAddedToThePoolSize() {
        assertThat(resolve(Map.of("DB_POOL_SIZE", "10", "DB_MAX_OVERFLOW", "5")).poolSize())
                .isEqualTo(15);
        DatabaseSettings overflowOnly = resolve(Map.of("DB_MAX_OVERFLOW", "2"));
        assertThat(overflowOnly.poolSize()).isEqualTo(DatabaseSettings.DEFAULT_POOL_SIZE + 2);
        assertThat(overflowOnly.sources()).containsEntry("poolSize", "default + DB_MAX_OVERFLOW");
        assertThat(resolve(Map.of("DB_POOL_SIZE", "3", "DB_MAX_OVERFLOW", "0")).poolSize())
                .isEqualTo(3);
        assertThatThrownBy(() -> resolve(Map.of("DB_MAX_OVERFLOW", "-1")))
                .hasMessageContaining("DB_MAX_OVERFLOW must be at least 0, was -1");
    }

    @Test
    void dbPoolTimeout_isSecondsOfConnectTimeout_wholeOrDecimal() {
        DatabaseSettings s = resolve(Map.of("DB_POOL_TIMEOUT", "30"));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.sources()).containsEntry("connectTimeout", "DB_POOL_TIMEOUT");
        assertThat(resolve(Map.of("DB_POOL_TIMEOUT", "2.5")).connectTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThatThrownBy(() -> resolve(Map.of("DB_POOL_TIMEOUT", "30s")))
                .hasMessageContaining("DB_POOL_TIMEOUT must be a number of seconds (for example 30), was '30s'");
        assertThatThrownBy(() -> resolve(Map.of("DB_POOL_TIMEOUT", "0.5")))
                .hasMessageContaining("DB_POOL_TIMEOUT must be at least 1 seconds, was 0.5");
    }

    @Test
    void dbPoolRecycle_isSecondsOfMaxLifetime_andNeverIsRefused() {
        DatabaseSettings s = resolve(Map.of("DB_POOL_RECYCLE", "3600"));
        assertThat(s.maxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(s.sources()).containsEntry("maxLifetime", "DB_POOL_RECYCLE");
        assertThatThrownBy(() -> resolve(Map.of("DB_POOL_RECYCLE", "-1")))
                .hasMessageContaining("DB_POOL_RECYCLE is -1 (never recycle)")
                .hasMessageContaining("unset DB_POOL_RECYCLE");
        assertThatThrownBy(() -> resolve(Map.of("DB_POOL_RECYCLE", "10")))
                .hasMessageContaining("DB_POOL_RECYCLE must be at least 30 seconds, was 10");
    }

    @Test
    void eachAliasIsReadOnce_soAPaddedValueIsReportedOnce() {
        DatabaseSettings s =
                resolve(Map.of("DB_POOL_RECYCLE", " 3600 ", "AWS_REQUIRE_SSL", " true", "SQL_ECHO", "no "));

        assertThat(s.maxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(s.warnings())
                .containsExactlyInAnyOrder(
                        "DB_POOL_RECYCLE had surrounding whitespace, which was removed",
                        "AWS_REQUIRE_SSL had surrounding whitespace, which was removed",
                        "SQL_ECHO had surrounding whitespace, which was removed");
    }

    @Test
    void dbPoolPrePing_trueIsWhatThePoolDoes_falseIsReported_nonsenseRefused() {
        DatabaseSettings on = resolve(Map.of("DB_POOL_PRE_PING", "true"));
        assertThat(on.warnings()).isEmpty();
        assertThat(on.keepaliveTime()).isEqualTo(DatabaseSettings.DEFAULT_KEEPALIVE_TIME);

        assertThat(resolve(Map.of("DB_POOL_PRE_PING", "false")).warnings())
                .anyMatch(w -> w.startsWith("DB_POOL_PRE_PING=false is ignored"));
        assertThatThrownBy(() -> resolve(Map.of("DB_POOL_PRE_PING", "maybe")))
                .hasMessageContaining("DB_POOL_PRE_PING must be true or false");
    }

    @Test
    void dbIdleTimeout_isMillisecondsOfIdleInTransaction() {
        DatabaseSettings s = resolve(Map.of("DB_IDLE_TIMEOUT", "15000"));
        assertThat(s.idleInTransactionTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.sources()).containsEntry("idleInTransactionTimeout", "DB_IDLE_TIMEOUT");
        assertThat(s.jdbcUrl()).contains("idle_in_transaction_session_timeout%3D15000");
        assertThatThrownBy(() -> resolve(Map.of("DB_IDLE_TIMEOUT", "-5")))
                .hasMessageContaining("DB_IDLE_TIMEOUT must be a number of milliseconds, 0 or more, was -5");
        assertThatThrownBy(() -> resolve(Map.of("DB_IDLE_TIMEOUT", "15s")))
                .hasMessageContaining("DB_IDLE_TIMEOUT must be a whole number of milliseconds");
    }

    @Test
    void dbReadTimeout_isSecondsOfSocketTimeout() {
        DatabaseSettings s = resolve(Map.of("DB_READ_TIMEOUT", "45"));
        assertThat(s.socketTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.sources()).containsEntry("socketTimeout", "DB_READ_TIMEOUT");
        assertThat(s.jdbcUrl()).contains("socketTimeout=45");
        assertThat(resolve(Map.of("DB_READ_TIMEOUT", "0")).socketTimeout()).isZero();
    }

    @Test
    void sqlEcho_isParsedAndCarried() {
        assertThat(resolve(Map.of()).sqlEcho()).isFalse();
        DatabaseSettings on = resolve(Map.of("SQL_ECHO", "True"));
        assertThat(on.sqlEcho()).isTrue();
        assertThat(on.sources()).containsEntry("sqlEcho", "SQL_ECHO");
        assertThat(on.mutate().build().sqlEcho()).isTrue();
        assertThat(resolve(Map.of("SQL_ECHO", "false")).sqlEcho()).isFalse();
        assertThatThrownBy(() -> resolve(Map.of("SQL_ECHO", "debug")))
                .hasMessageContaining("SQL_ECHO must be true or false, was 'debug'");
    }

    @Test
    void aCombinationThatIsWrong_namesTheAliasThatWasSet_withItsValueInMilliseconds() {
        assertThatThrownBy(() -> resolve(Map.of("DB_READ_TIMEOUT", "30")))
                .hasMessageStartingWith(
                        "DB_READ_TIMEOUT (30000 ms) must be longer than DB_STATEMENT_TIMEOUT_MS (30000)");
        assertThatThrownBy(() -> resolve(Map.of("DB_POOL_RECYCLE", "60")))
                .hasMessageStartingWith(
                        "DB_KEEPALIVE_TIME_MS (120000) must be shorter than DB_POOL_RECYCLE (60000 ms)");
    }

    @Test
    void statementEcho_redactsEveryStringLiteral() {
        assertThat(StatementEcho.redact("ALTER ROLE app PASSWORD 'It''s-s3cret' VALID UNTIL 'infinity'"))
                .isEqualTo("ALTER ROLE app PASSWORD '****' VALID UNTIL '****'");
        assertThat(StatementEcho.redact("SELECT * FROM t WHERE id = ?")).isEqualTo("SELECT * FROM t WHERE id = ?");
    }

    // --- SQLAlchemy URLs -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2", "postgresql+pg8000"})
    void sqlalchemyUrls_areAccepted_theDriverPartIgnored_theQueryHonoured(String scheme) {
        DatabaseSettings s = resolve(Map.of(
                "DATABASE_URL",
                scheme + "://user:pa%24s@" + RDS_HOST + ":5432/db?sslmode=require&connect_timeout=7"
                        + "&application_name=gateway"));

        assertThat(s.hosts()).containsExactly(new DatabaseSettings.Host(RDS_HOST, 5432));
        assertThat(s.database()).isEqualTo("db");
        assertThat(s.user()).isEqualTo("user");
        assertThat(s.password()).contains(Secret.of("pa$s"));
        assertThat(s.sslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(s.applicationName()).isEqualTo("gateway");
        assertThat(s.jdbcUrl()).startsWith("jdbc:postgresql://" + RDS_HOST + ":5432/db?");
    }

    @Test
    void asyncpgsSslParameter_namingAMode_isTheTlsMode() {
        DatabaseSettings s = resolve(Map.of("DATABASE_URL", "postgresql+asyncpg://u@" + RDS_HOST + "/db?ssl=require"));

        assertThat(s.sslMode()).isEqualTo(SslMode.REQUIRE);
        assertThat(s.sources()).containsEntry("sslMode", "DATABASE_URL");
        assertThat(s.parameters()).doesNotContainKey("ssl");
        assertThat(s.jdbcUrl()).contains("sslmode=require").doesNotContain("ssl=");
        assertThat(resolve(Map.of("DATABASE_URL", "postgresql+asyncpg://u@h/db?ssl=verify-full&sslmode=require"))
                        .sslMode())
                .isEqualTo(SslMode.REQUIRE);
        assertThat(resolve(Map.of("DATABASE_URL", "jdbc:postgresql://h/db?ssl=true"))
                        .parameters())
                .containsEntry("ssl", "true");
    }

    @Test
    void anUnknownPythonDriver_isRefusedNamingTheKnownOnes() {
        assertThatThrownBy(() -> resolve(Map.of("DATABASE_URL", "postgresql+aiopg://u@h/db")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'aiopg'")
                .hasMessageContaining("postgresql+asyncpg://");
    }

    // --- precedence across levels ---------------------------------------------------------------------------

    @Test
    void dbVariables_beatTheAliasFamilies_whichBeatLibpq_andEachLoserIsNamed() {
        DatabaseSettings s = resolve(Map.of(
                "DB_HOST", "db-cistern",
                "DATABASE_HOST", "db-api",
                "AWS_DB_HOST", "db-api",
                "PGHOST", "db-libpq",
                "AWS_DB_NAME", "gateway",
                "PGDATABASE", "libpq"));

        assertThat(s.hosts().get(0).host()).isEqualTo("db-cistern");
        assertThat(s.database()).isEqualTo("gateway");
        assertThat(s.sources()).containsEntry("host", "DB_HOST").containsEntry("database", "AWS_DB_NAME");
        assertThat(s.warnings())
                .contains(
                        "DATABASE_HOST is ignored: DB_HOST sets the host, which wins",
                        "AWS_DB_HOST is ignored: DB_HOST sets the host, which wins",
                        "PGHOST is ignored: DB_HOST sets the host, which wins",
                        "PGDATABASE is ignored: AWS_DB_NAME sets the database, which wins");
    }

    @Test
    void databaseUrl_beatsEveryFamily() {
        DatabaseSettings s = resolve(Map.of(
                "DATABASE_URL", "postgresql+asyncpg://gw:url-pw@url-host:5432/urldb",
                "AWS_DB_HOST", "alias-host",
                "AWS_DB_PASSWORD", "alias-pw",
                "DB_POOL_TIMEOUT", "9"));

        assertThat(s.hosts().get(0).host()).isEqualTo("url-host");
        assertThat(s.password()).contains(Secret.of("url-pw"));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(s.warnings())
                .contains(
                        "AWS_DB_HOST is ignored: DATABASE_URL sets the host, which wins",
                        "AWS_DB_PASSWORD is ignored: DATABASE_URL carries a password, which wins");

        DatabaseSettings timeout = resolve(
                Map.of("DATABASE_URL", "postgresql+psycopg://u@h/db?connect_timeout=3", "DB_POOL_TIMEOUT", "9"));
        assertThat(timeout.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(timeout.warnings())
                .contains("DB_POOL_TIMEOUT is ignored: DATABASE_URL sets the connect timeout, which wins");
    }

    @Test
    void passwords_followTheSameLevels() {
        DatabaseSettings s =
                resolve(Map.of("DB_PASSWORD", "cistern-pw", "DATABASE_PASSWORD", "api-pw", "PGPASSWORD", "libpq-pw"));
        assertThat(s.password()).contains(Secret.of("cistern-pw"));
        assertThat(s.warnings())
                .contains(
                        "DATABASE_PASSWORD is ignored: DB_PASSWORD is set, which wins",
                        "PGPASSWORD is ignored: DB_PASSWORD is set, which wins");

        DatabaseSettings alias = resolve(Map.of("AWS_DB_PASSWORD", "gw-pw", "PGPASSWORD", "libpq-pw"));
        assertThat(alias.password()).contains(Secret.of("gw-pw"));
        assertThat(alias.warnings()).contains("PGPASSWORD is ignored: AWS_DB_PASSWORD is set, which wins");
    }

    // --- conflicts within a level ---------------------------------------------------------------------------

    @Test
    void twoAliasesOfOneLevelThatDisagree_areAnErrorNamingBoth() {
        assertThatThrownBy(() -> resolve(Map.of("DATABASE_HOST", "db-a", "AWS_DB_HOST", "db-b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("DATABASE_HOST and AWS_DB_HOST both set the host, to different values: keep one of them"
                        + " (they have the same precedence, so neither wins)");
        assertThatThrownBy(() -> resolve(Map.of("DATABASE_PORT", "5432", "AWS_DB_PORT", "5433")))
                .hasMessageContaining("DATABASE_PORT and AWS_DB_PORT");
        assertThatThrownBy(() -> resolve(Map.of("DATABASE_NAME", "a", "AWS_DB_NAME", "b")))
                .hasMessageContaining("DATABASE_NAME and AWS_DB_NAME");
        assertThatThrownBy(() -> resolve(Map.of("DATABASE_USER", "a", "AWS_DB_USER", "b")))
                .hasMessageContaining("DATABASE_USER and AWS_DB_USER");
        assertThatThrownBy(() -> resolve(Map.of("DB_SSL_ROOT_CERT", bundle.toString(), "DB_SSL_CERT_PATH", "/x.pem")))
                .hasMessageContaining("DB_SSL_ROOT_CERT and DB_SSL_CERT_PATH both set the root certificate");
        assertThatThrownBy(() -> resolve(Map.of("DATABASE_PASSWORD", "Secret-A1", "AWS_DB_PASSWORD", "Secret-B2")))
                .hasMessageContaining("DATABASE_PASSWORD and AWS_DB_PASSWORD both set the database password")
                .hasMessageNotContaining("Secret-A1")
                .hasMessageNotContaining("Secret-B2");
    }

    @Test
    void twoVariablesOfOneLevelInDifferentUnits_conflictOnlyWhenTheDurationsDiffer() {
        assertThat(resolve(Map.of("DB_CONNECT_TIMEOUT_MS", "5000", "DB_POOL_TIMEOUT", "5.0"))
                        .connectTimeout())
                .isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> resolve(Map.of("DB_CONNECT_TIMEOUT_MS", "5000", "DB_POOL_TIMEOUT", "30")))
                .hasMessageContaining("DB_CONNECT_TIMEOUT_MS and DB_POOL_TIMEOUT both set the connect timeout");
        assertThatThrownBy(() -> resolve(Map.of("DB_MAX_LIFETIME_MS", "600000", "DB_POOL_RECYCLE", "3600")))
                .hasMessageContaining("DB_MAX_LIFETIME_MS and DB_POOL_RECYCLE");
        assertThatThrownBy(() -> resolve(Map.of("DB_SOCKET_TIMEOUT_MS", "60000", "DB_READ_TIMEOUT", "45")))
                .hasMessageContaining("DB_SOCKET_TIMEOUT_MS and DB_READ_TIMEOUT");
        assertThatThrownBy(() -> resolve(Map.of("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "1000", "DB_IDLE_TIMEOUT", "2")))
                .hasMessageContaining("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS and DB_IDLE_TIMEOUT");
        assertThat(resolve(Map.of("DATABASE_HOST", "same", "AWS_DB_HOST", "same"))
                        .sources())
                .containsEntry("host", "DATABASE_HOST");
    }

    // --- three teams' .env files, field by field ---------------------------------------------------------------

    @Test
    void crmEnv_dbNamesWithTheRdsBundle() {
        Map<String, String> env = Map.of(
                "DB_HOST", "crm-prod.abc123.eu-west-1.rds.amazonaws.com",
                "DB_PORT", "5432",
                "DB_NAME", "crm",
                "DB_USER", "crm_app",
                "DB_PASSWORD", "Crm-S3cret-2024",
                "DB_SSL_CERT_PATH", bundle.toString(),
                "DB_POOL_SIZE", "5",
                "DB_MAX_OVERFLOW", "10",
                "DB_POOL_TIMEOUT", "30",
                "DB_POOL_RECYCLE", "1800");

        DatabaseSettings s = resolve(env);

        assertThat(s.hosts())
                .containsExactly(new DatabaseSettings.Host("crm-prod.abc123.eu-west-1.rds.amazonaws.com", 5432));
        assertThat(s.database()).isEqualTo("crm");
        assertThat(s.user()).isEqualTo("crm_app");
        assertThat(s.password()).contains(Secret.of("Crm-S3cret-2024"));
        assertThat(s.sslRootCert()).contains(bundle);
        assertThat(s.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(s.poolSize()).isEqualTo(15);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.maxLifetime()).isEqualTo(Duration.ofMinutes(30));
        assertThat(s.idleInTransactionTimeout()).isEqualTo(DatabaseSettings.DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT);
        assertThat(s.socketTimeout()).isEqualTo(DatabaseSettings.DEFAULT_SOCKET_TIMEOUT);
        assertThat(s.sqlEcho()).isFalse();
        assertThat(s.sources())
                .containsEntry("host", "DB_HOST")
                .containsEntry("password", "DB_PASSWORD")
                .containsEntry("sslRootCert", "DB_SSL_CERT_PATH")
                .containsEntry("sslMode", "DB_SSL_CERT_PATH")
                .containsEntry("poolSize", "DB_POOL_SIZE + DB_MAX_OVERFLOW");
        assertThat(s.warnings()).isEmpty();
        assertNoSecret(s, "Crm-S3cret-2024");
    }

    @Test
    void gatewayEnv_awsNamesWithAnAsyncpgUrl() {
        Map<String, String> env = Map.of(
                "DATABASE_URL",
                "postgresql+asyncpg://gateway:Gw-Url-Pa55@gw-prod.abc123.eu-west-1.rds.amazonaws.com:5432/gateway",
                "AWS_DB_HOST",
                "gw-prod.abc123.eu-west-1.rds.amazonaws.com",
                "AWS_DB_PORT",
                "5432",
                "AWS_DB_NAME",
                "gateway",
                "AWS_DB_USER",
                "gateway",
                "AWS_DB_PASSWORD",
                "Gw-Url-Pa55",
                "AWS_REQUIRE_SSL",
                "true",
                "AWS_SSLROOTCERT",
                bundle.toString());

        DatabaseSettings s = resolve(env);

        assertThat(s.hosts())
                .containsExactly(new DatabaseSettings.Host("gw-prod.abc123.eu-west-1.rds.amazonaws.com", 5432));
        assertThat(s.database()).isEqualTo("gateway");
        assertThat(s.user()).isEqualTo("gateway");
        assertThat(s.password()).contains(Secret.of("Gw-Url-Pa55"));
        assertThat(s.sslMode()).isEqualTo(SslMode.VERIFY_FULL);
        assertThat(s.sslRootCert()).contains(bundle);
        assertThat(s.poolSize()).isEqualTo(DatabaseSettings.DEFAULT_POOL_SIZE);
        assertThat(s.connectTimeout()).isEqualTo(DatabaseSettings.DEFAULT_CONNECT_TIMEOUT);
        assertThat(s.sources())
                .containsEntry("host", "DATABASE_URL")
                .containsEntry("database", "DATABASE_URL")
                .containsEntry("user", "DATABASE_URL")
                .containsEntry("password", "DATABASE_URL")
                .containsEntry("sslMode", "AWS_REQUIRE_SSL")
                .containsEntry("sslRootCert", "AWS_SSLROOTCERT");
        // The URL and the AWS names agree on every value; only the password (never compared in a message) is named.
        assertThat(s.warnings())
                .containsExactly("AWS_DB_PASSWORD is ignored: DATABASE_URL carries a password, which wins");
        assertNoSecret(s, "Gw-Url-Pa55");
    }

    @Test
    void apiEnv_databaseNamesWithThePoolFamily() {
        Map<String, String> env = new HashMap<>(Map.of(
                "DATABASE_HOST", "api-prod.abc123.eu-west-1.rds.amazonaws.com",
                "DATABASE_PORT", "5432",
                "DATABASE_NAME", "api",
                "DATABASE_USER", "api_service",
                "DATABASE_PASSWORD", "Api-Pr0d-Pw!",
                "DB_POOL_SIZE", "20",
                "DB_MAX_OVERFLOW", "10",
                "DB_POOL_TIMEOUT", "30",
                "DB_POOL_RECYCLE", "3600",
                "DB_POOL_PRE_PING", "true"));
        env.putAll(Map.of("DB_IDLE_TIMEOUT", "60000", "DB_READ_TIMEOUT", "90", "SQL_ECHO", "false"));

        DatabaseSettings s = resolve(env);

        assertThat(s.hosts())
                .containsExactly(new DatabaseSettings.Host("api-prod.abc123.eu-west-1.rds.amazonaws.com", 5432));
        assertThat(s.database()).isEqualTo("api");
        assertThat(s.user()).isEqualTo("api_service");
        assertThat(s.password()).contains(Secret.of("Api-Pr0d-Pw!"));
        assertThat(s.sslMode()).isEqualTo(SslMode.PREFER);
        assertThat(s.poolSize()).isEqualTo(30);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.maxLifetime()).isEqualTo(Duration.ofHours(1));
        assertThat(s.keepaliveTime()).isEqualTo(DatabaseSettings.DEFAULT_KEEPALIVE_TIME);
        assertThat(s.idleInTransactionTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.socketTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.statementTimeout()).isEqualTo(DatabaseSettings.DEFAULT_STATEMENT_TIMEOUT);
        assertThat(s.sqlEcho()).isFalse();
        assertThat(s.sources())
                .containsEntry("host", "DATABASE_HOST")
                .containsEntry("password", "DATABASE_PASSWORD")
                .containsEntry("connectTimeout", "DB_POOL_TIMEOUT")
                .containsEntry("maxLifetime", "DB_POOL_RECYCLE")
                .containsEntry("idleInTransactionTimeout", "DB_IDLE_TIMEOUT")
                .containsEntry("socketTimeout", "DB_READ_TIMEOUT");
        assertThat(s.warnings()).isEmpty();
        assertNoSecret(s, "Api-Pr0d-Pw!");
    }

    // --- no password anywhere ------------------------------------------------------------------------------------

    @Test
    void thePassword_neverAppearsInToStringSourcesWarningsOrErrors() {
        String pw = "Never-Print-Me-7";
        List<String> seen = new ArrayList<>();
        DatabaseSettings s = resolve(Map.of(
                "DATABASE_URL", "postgresql+asyncpg://u:" + pw + "@h:5432/db",
                "AWS_DB_PASSWORD", pw,
                "DATABASE_PASSWORD", pw,
                "DB_PASSWORD", pw,
                "PGPASSWORD", pw));
        assertNoSecret(s, pw);
        seen.addAll(s.warnings());

        for (Map<String, String> wrong : List.of(
                Map.of("DATABASE_PASSWORD", pw, "AWS_DB_PASSWORD", pw + "x"),
                Map.of("DATABASE_URL", "postgresql+aiopg://u:" + pw + "@h/db"),
                Map.of("DATABASE_URL", "mysql://u:" + pw + "@h/db"),
                Map.of("AWS_DB_PASSWORD", pw, "AWS_DB_PORT", "not-a-port"),
                Map.of("AWS_DB_PASSWORD", pw, "DATABASE_HOST", "a", "AWS_DB_HOST", "b"))) {
            Throwable thrown = catchThrowable(() -> resolve(wrong));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
            seen.add(thrown.getMessage());
        }
        assertThat(seen).isNotEmpty().allSatisfy(line -> assertThat(line).doesNotContain(pw));
    }

    private static void assertNoSecret(DatabaseSettings s, String secret) {
        String everything = s + "\n" + s.jdbcUrl() + "\n" + String.join("\n", s.describe()) + "\n" + s.sources() + "\n"
                + s.warnings();
        assertThat(everything).doesNotContain(secret);
    }
}
