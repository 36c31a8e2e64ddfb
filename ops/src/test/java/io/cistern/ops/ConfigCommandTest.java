package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.DatabaseSettings;
import io.cistern.schema.codec.ExactJson;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * {@code ops/cistern config} and the unknown-variable rule, on environments given by the test: no server, no process
 * environment.
 */
class ConfigCommandTest {
    private static final String DB_SECRET = "Cfg-Db-S3cret";
    private static final String REDIS_SECRET = "Cfg-Redis-S3cret";

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int config(Map<String, String> env, String... args) {
        CommandLine cli =
                CisternCli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        ConfigCommand command = cli.getSubcommands().get("config").getCommand();
        command.connection.base = env;
        String[] all = new String[args.length + 1];
        all[0] = "config";
        System.arraycopy(args, 0, all, 1, args.length);
        return cli.execute(all);
    }

    @Test
    void config_printsEverySection_withValuesSourcesAndWhatWasOverridden_andNoSecret() {
        int code = config(Map.of(
                "DATABASE_URL",
                "postgresql+asyncpg://gw:" + DB_SECRET + "@gw.internal:5433/gateway",
                "AWS_DB_PASSWORD",
                "other-" + DB_SECRET,
                "DB_HOST",
                "crm.internal",
                "REDIS_URL",
                "redis://:" + REDIS_SECRET + "@cache.internal:6380",
                "REDIS_PORT",
                "6379",
                "SYNC_BATCH_SIZE",
                "500",
                "CISTERN_WRITER_TOKEN",
                "tok-" + DB_SECRET,
                "PROXY_MAX_BATCH_KEYS",
                "50",
                "DB_POOLER",
                "pgbouncer"));

        String text = out.toString();
        assertThat(code).as(err.toString()).isZero();
        assertThat(text)
                .contains(
                        "PostgreSQL",
                        "Redis",
                        "key prefix",
                        "writer",
                        "writer API (HTTP)",
                        "read proxy",
                        "sync worker",
                        "status and readiness",
                        "startup");
        assertThat(line(text, "  host ")).contains("gw.internal", "from DATABASE_URL, overriding DB_HOST");
        assertThat(line(text, "  pooler ")).contains("pgbouncer", "from DB_POOLER");
        assertThat(line(text, "  password ")).contains("****", "from DATABASE_URL, overriding AWS_DB_PASSWORD");
        assertThat(line(text, "  url ")).contains("redis://****@cache.internal:6380", "overriding REDIS_PORT");
        assertThat(line(text, "  SYNC_BATCH_SIZE ")).contains("500", "from SYNC_BATCH_SIZE");
        assertThat(line(text, "  SYNC_LINGER_MS ")).contains("20 ms", "from default");
        assertThat(line(text, "  CISTERN_WRITER_TOKEN ")).contains("****", "from CISTERN_WRITER_TOKEN");
        assertThat(line(text, "  CISTERN_READER_TOKEN ")).contains("not set", "from default");
        assertThat(line(text, "  PROXY_MAX_BATCH_KEYS ")).contains("50");
        assertThat(line(text, "  CISTERN_READY_MAX_LAG_MS ")).contains("300000 ms");
        assertThat(line(text, "  STARTUP_WAIT_MS ")).contains("60000 ms");
        assertThat(line(text, "  CISTERN_PREFIX ")).contains("cistern", "from default");
        assertThat(line(text, "  CISTERN_WRITER_WAIT_REPLICAS ")).contains("0", "from default");
        assertThat(line(text, "  CISTERN_WRITER_WAIT_TIMEOUT_MS ")).contains("1000 ms", "from default");
        assertThat(text).contains("AWS_DB_PASSWORD is ignored: DATABASE_URL carries a password, which wins");
        assertThat(text + err).doesNotContain(DB_SECRET).doesNotContain(REDIS_SECRET);
    }

    @Test
    void config_showsEachVariableOnce_theRedisVariablesInTheRedisSection() {
        config(Map.of());

        assertThat(out.toString().lines().filter(l -> l.startsWith("  CISTERN_PREFIX ")))
                .hasSize(1);
        assertThat(out.toString().lines())
                .as("the writer reads the Redis variables too, but they are shown by part, in the Redis section")
                .noneMatch(l -> l.startsWith("  REDIS_URL ") || l.startsWith("  REDIS_PASSWORD "));
    }

    @Test
    void config_json_hasStableFieldNames() {
        int code = config(Map.of("DB_POOL_SIZE", "7", "DB_POOL_SIZ", "8"), "--json");

        JsonNode root = ExactJson.mapper().readTree(out.toString());
        assertThat(code).isZero();
        JsonNode postgres = root.get("sections").get(0);
        assertThat(postgres.get("name").asString()).isEqualTo("PostgreSQL");
        JsonNode pool = null;
        for (JsonNode s : postgres.get("settings")) {
            if (s.get("name").asString().equals("pool size")) {
                pool = s;
            }
        }
        assertThat(pool).isNotNull();
        assertThat(pool.get("value").asString()).isEqualTo("7");
        assertThat(pool.get("source").asString()).isEqualTo("DB_POOL_SIZE");
        assertThat(pool.get("overrides").isArray()).isTrue();
        assertThat(root.get("notes").isArray()).isTrue();
        assertThat(root.get("unknownVariables").get(0).asString()).contains("did you mean DB_POOL_SIZE?");
    }

    @Test
    void invalidConfiguration_printsTheServicesMessage_andExitsOne() {
        Map<String, String> env = Map.of("DATABASE_HOST", "a.internal", "AWS_DB_HOST", "b.internal");
        String servicesMessage = org.assertj.core.api.Assertions.catchThrowable(
                        () -> DatabaseSettings.fromEnvironment(env))
                .getMessage();

        int code = config(env);

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).isEqualToIgnoringNewLines("cistern config: " + servicesMessage);
    }

    @Test
    void invalidComponentValue_isRefusedWithTheWorkersMessage() {
        int code = config(Map.of("SYNC_BATCH_SIZE", "ten"));

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("SYNC_BATCH_SIZE must be a whole number from 1 to 100000, got 'ten'");
    }

    @Test
    void unknownVariable_ofCisternsFamilies_isNamedWithTheClosestKnownOne() {
        Map<String, String> env = new HashMap<>();
        env.put("DB_POOL_SIZ", "5");
        env.put("SYNC_BATCHSIZE", "10");
        env.put("REDIS_PASS", "x");
        env.put("db_host", "x");
        env.put("DB_HOST_FILE", "/x");
        env.put("DATABASE_FLAVOUR", "x");

        List<String> warnings = UnknownVariables.warnings(env, ConfigurationReport.knownVariables());

        assertThat(warnings)
                .containsExactly(
                        "DATABASE_FLAVOUR is set, but Cistern reads no variable of that name: is it meant for Cistern?"
                                + " (every variable: docs/configuration.md)",
                        "DB_HOST_FILE is set, but Cistern reads no variable of that name: only passwords and tokens"
                                + " have a _FILE form (every variable: docs/configuration.md)",
                        "DB_POOL_SIZ is set, but Cistern reads no variable of that name: did you mean DB_POOL_SIZE?",
                        "REDIS_PASS is set, but Cistern reads no variable of that name: did you mean REDIS_PASSWORD?",
                        "SYNC_BATCHSIZE is set, but Cistern reads no variable of that name: did you mean"
                                + " SYNC_BATCH_SIZE?",
                        "db_host is set, but Cistern reads no variable of that name: did you mean DB_HOST?");
    }

    @Test
    void variablesOfOtherSoftware_andKnownOnes_areNotWarnedAbout() {
        Map<String, String> env = new HashMap<>();
        for (String name : List.of(
                "AWS_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_EC2_METADATA_DISABLED",
                "PGHOST",
                "PGSERVICE",
                "HOME",
                "PATH",
                "SQL_ECHO",
                "AWS_REQUIRE_SSL",
                "AWS_SSLROOTCERT",
                "DB_PASSWORD_FILE",
                "CISTERN_READER_TOKEN_FILE",
                "CISTERN_JAVA_OPTS",
                "CISTERN_TEST_REDIS_URL",
                "STARTUP_WAIT_MS",
                "CISTERN_ALLOW_EVICTING_REDIS")) {
            env.put(name, "x");
        }

        assertThat(UnknownVariables.warnings(env, ConfigurationReport.knownVariables()))
                .isEmpty();
    }

    @Test
    void servicesStartupBlock_carriesTheUnknownVariableNotes() {
        String block = Startup.configuration(
                "cistern",
                io.cistern.connections.RedisSettings.fromEnvironment(Map.of()),
                null,
                Startup.unknownVariables(Map.of("SYNC_LINGER", "5")));

        assertThat(block)
                .contains("note: SYNC_LINGER is set, but Cistern reads no variable of that name: did you mean"
                        + " SYNC_LINGER_MS?");
    }

    /**
     * The set of known variables has one owner, the readers; this keeps the documentation and the readers in step:
     * every variable in the first column of a table in the guides is one some settings record reads
     * (a documented variable nothing reads would be warned about as unknown).
     */
    @Test
    void everyVariableTheGuidesDocument_isReadBySomeSettingsRecord() throws IOException {
        Set<String> documented = new TreeSet<>();
        // Not protocol.md: its tables list error codes (CISTERN_BACKPRESSURE), not variables.
        for (String doc : List.of(
                "docs/configuration.md", "docs/http-api.md", "docs/read-proxy.md", "docs/runbook.md", "README.md")) {
            Matcher m = Pattern.compile("(?m)^\\| ([^|]*)\\|").matcher(Files.readString(Path.of("..", doc)));
            while (m.find()) {
                Matcher name = Pattern.compile("`([A-Z][A-Z0-9_]+)`").matcher(m.group(1));
                while (name.find()) {
                    if (UnknownVariables.inFamily(name.group(1))) {
                        documented.add(name.group(1));
                    }
                }
            }
        }

        assertThat(documented).hasSizeGreaterThan(70);
        assertThat(ConfigurationReport.knownVariables()).containsAll(documented);
    }

    @Test
    void config_withIamAuthentication_namesTheSourceOfEachLogin_andNoKey() {
        int code = config(Map.of(
                "DB_IAM_AUTH", "true",
                "DB_HOST", "db.example.internal",
                "DB_USER", "app",
                "AWS_REGION", "eu-west-1",
                "AWS_ACCESS_KEY_ID", "AKIDCONFIGTEST",
                "AWS_SECRET_ACCESS_KEY", "Cfg-Aws-S3cret",
                "AWS_EC2_METADATA_DISABLED", "true"));

        String text = out.toString();
        assertThat(code).as(err.toString()).isZero();
        assertThat(line(text, "  password ")).contains("IAM").doesNotContain("not set");
        assertThat(line(text, "  TLS mode ")).contains("require");
        assertThat(text + err).doesNotContain("Cfg-Aws-S3cret");
    }

    private static String line(String text, String start) {
        return text.lines()
                .filter(l -> l.startsWith(start))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + start + "' in:\n" + text));
    }
}
