package io.cistern.connections;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves {@link DatabaseSettings} from variables: {@code DATABASE_URL}, then {@code DB_*}, then libpq's {@code PG*},
 * then defaults, part by part. A lower-precedence variable that is set but loses is reported as a warning, because
 * "I set DB_PASSWORD and nothing changed" is a classic lost hour. Pure: no I/O except reading {@code _FILE} secrets.
 */
final class DatabaseResolution {
    private final EnvironmentReader env;
    private final Map<String, String> sources = new HashMap<>();
    private final Map<String, String> urlParams = new LinkedHashMap<>();
    private DatabaseSettings.ParsedUrl url;

    DatabaseResolution(EnvironmentReader env) {
        this.env = env;
    }

    DatabaseSettings resolve() {
        env.get("DATABASE_URL").ifPresent(u -> {
            url = DatabaseSettings.ParsedUrl.parse(u);
            urlParams.putAll(url.params());
        });
        String hostText = pick(
                "host",
                url == null || url.hosts().isEmpty() ? null : String.join(",", url.hosts()),
                "DB_HOST",
                "PGHOST");
        String portText = pick("port", urlPorts(), "DB_PORT", "PGPORT");
        List<DatabaseSettings.Host> hosts = hosts(hostText == null ? "127.0.0.1" : hostText, portText);
        String database =
                orElse(pick("database", url == null ? null : url.database(), "DB_NAME", "PGDATABASE"), "postgres");
        String user = orElse(
                pick("user", firstNonNull(url == null ? null : url.user(), takeParam("user")), "DB_USER", "PGUSER"),
                "postgres");
        Optional<Secret> password = password();
        SslMode sslMode = Optional.ofNullable(pick("sslMode", takeParam("sslmode"), "DB_SSL_MODE", "PGSSLMODE"))
                .map(text -> SslMode.parse(sourceOf("sslMode"), text))
                .orElse(SslMode.PREFER);
        Optional<Path> rootCert = Optional.ofNullable(
                        pick("sslRootCert", takeParam("sslrootcert"), "DB_SSL_ROOT_CERT", "PGSSLROOTCERT"))
                .map(Path::of);
        if (sslMode.verifiesCertificate() && rootCert.isEmpty()) {
            env.warn("DB_SSL_MODE is " + sslMode + " but DB_SSL_ROOT_CERT is not set: the driver looks for"
                    + " ~/.postgresql/root.crt; set DB_SSL_ROOT_CERT to the CA bundle (for RDS, global-bundle.pem)");
        }
        if (rootCert.isPresent() && !sslMode.verifiesCertificate() && sslMode != SslMode.DISABLE) {
            env.warn("DB_SSL_ROOT_CERT is set but DB_SSL_MODE is " + sslMode
                    + ", which does not check the certificate: set DB_SSL_MODE=verify-full to use it");
        }
        TargetServerType target = Optional.ofNullable(pick(
                        "targetServerType",
                        firstNonNull(takeParam("targetServerType"), takeParam("target_session_attrs")),
                        "DB_TARGET_SERVER_TYPE",
                        "PGTARGETSESSIONATTRS"))
                .map(text -> TargetServerType.parse(sourceOf("targetServerType"), text))
                .orElse(TargetServerType.PRIMARY);
        String applicationName = orElse(
                pick(
                        "applicationName",
                        firstNonNull(takeParam("ApplicationName"), takeParam("application_name")),
                        "DB_APPLICATION_NAME",
                        "PGAPPNAME"),
                "cistern");
        Duration connectTimeout = connectTimeout();
        String socketTimeoutParam = takeParam("socketTimeout");
        String tcpKeepAliveParam = takeParam("tcpKeepAlive");
        Duration socketTimeout = socketTimeoutParam != null
                ? Duration.ofSeconds(
                        EnvironmentReader.parseInteger("socketTimeout in DATABASE_URL", socketTimeoutParam, 0))
                : env.millis("DB_SOCKET_TIMEOUT_MS", DatabaseSettings.DEFAULT_SOCKET_TIMEOUT);
        boolean tcpKeepAlive = tcpKeepAliveParam != null
                ? Boolean.parseBoolean(tcpKeepAliveParam)
                : env.bool("DB_TCP_KEEPALIVE", true);
        return new DatabaseSettings(
                hosts,
                database,
                user,
                password,
                sslMode,
                rootCert,
                target,
                applicationName,
                env.integer("DB_POOL_SIZE", DatabaseSettings.DEFAULT_POOL_SIZE, 1),
                connectTimeout,
                env.millis("DB_MAX_LIFETIME_MS", DatabaseSettings.DEFAULT_MAX_LIFETIME),
                env.millis("DB_KEEPALIVE_TIME_MS", DatabaseSettings.DEFAULT_KEEPALIVE_TIME),
                env.millis("DB_STATEMENT_TIMEOUT_MS", DatabaseSettings.DEFAULT_STATEMENT_TIMEOUT),
                env.millis("DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", DatabaseSettings.DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT),
                socketTimeout,
                tcpKeepAlive,
                urlParams,
                sources,
                env.warnings());
    }

    private Duration connectTimeout() {
        // libpq's connect_timeout and pgjdbc's connectTimeout are both in seconds.
        String login = takeParam("loginTimeout");
        String fromUrl = firstNonNull(takeParam("connectTimeout"), firstNonNull(takeParam("connect_timeout"), login));
        if (fromUrl != null) {
            if (env.isSet("DB_CONNECT_TIMEOUT_MS")) {
                env.warn("DB_CONNECT_TIMEOUT_MS is ignored: DATABASE_URL sets the connect timeout, which wins");
            }
            return Duration.ofSeconds(EnvironmentReader.parseInteger("connect timeout in DATABASE_URL", fromUrl, 1));
        }
        return env.millis("DB_CONNECT_TIMEOUT_MS", DatabaseSettings.DEFAULT_CONNECT_TIMEOUT);
    }

    private Optional<Secret> password() {
        String fromUrl = firstNonNull(url == null ? null : url.password(), takeParam("password"));
        if (fromUrl != null) {
            sources.put("password", "DATABASE_URL");
            for (String name : List.of("DB_PASSWORD", "PGPASSWORD")) {
                if (env.secretIsSet(name)) {
                    env.warn(name + " is ignored: DATABASE_URL carries a password, which wins");
                }
            }
            return Optional.of(Secret.of(fromUrl));
        }
        for (String name : List.of("DB_PASSWORD", "PGPASSWORD")) {
            Optional<Secret> secret = env.secret(name);
            if (secret.isPresent()) {
                sources.put("password", env.isSet(name) ? name : name + "_FILE");
                if (name.equals("DB_PASSWORD") && env.secretIsSet("PGPASSWORD")) {
                    env.warn("PGPASSWORD is ignored: DB_PASSWORD is set, which wins");
                }
                return secret;
            }
        }
        return Optional.empty();
    }

    private List<DatabaseSettings.Host> hosts(String hostText, String portText) {
        String[] names = hostText.split(",", -1);
        List<String> ports = new ArrayList<>();
        if (portText != null) {
            for (String p : portText.split(",", -1)) {
                ports.add(p.isEmpty() ? null : p);
            }
        }
        if (ports.size() > 1 && ports.size() != names.length) {
            throw new IllegalArgumentException("the database has " + names.length + " hosts but " + ports.size()
                    + " ports (from " + sourceOf("port") + "): give one port for all hosts or one per host");
        }
        List<DatabaseSettings.Host> hosts = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            String port = ports.isEmpty() ? null : ports.get(ports.size() == 1 ? 0 : i);
            int number = port == null ? 5432 : EnvironmentReader.parseInteger(sourceOf("port") + " port", port, 1);
            hosts.add(new DatabaseSettings.Host(names[i], number));
        }
        return hosts;
    }

    private String urlPorts() {
        if (url == null || url.ports().stream().allMatch(p -> p == null)) {
            return null;
        }
        return String.join(
                ",", url.ports().stream().map(p -> p == null ? "" : p).toList());
    }

    /** The first of the URL's value and the variables that is set; records its source and warns about the losers. */
    private String pick(String part, String fromUrl, String cistern, String libpq) {
        String chosen = null;
        String chosenFrom = null;
        if (fromUrl != null && !fromUrl.isEmpty()) {
            chosen = fromUrl;
            chosenFrom = "DATABASE_URL";
        }
        for (String name : List.of(cistern, libpq)) {
            Optional<String> value = env.get(name);
            if (value.isEmpty()) {
                continue;
            }
            if (chosen == null) {
                chosen = value.get();
                chosenFrom = name;
            } else if (!value.get().equals(chosen)) {
                env.warn(name + " is ignored: " + chosenFrom + " sets the " + describe(part) + ", which wins");
            }
        }
        if (chosenFrom != null) {
            sources.put(part, chosenFrom);
        }
        return chosen;
    }

    private String sourceOf(String part) {
        return sources.getOrDefault(part, "default");
    }

    private String takeParam(String name) {
        for (String key : List.copyOf(urlParams.keySet())) {
            if (key.equalsIgnoreCase(name)) {
                return urlParams.remove(key);
            }
        }
        return null;
    }

    private static String describe(String part) {
        return switch (part) {
            case "sslMode" -> "TLS mode";
            case "sslRootCert" -> "root certificate";
            case "targetServerType" -> "target server type";
            case "applicationName" -> "application name";
            default -> part;
        };
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    private static String orElse(String value, String fallback) {
        return value == null ? fallback : value;
    }
}
