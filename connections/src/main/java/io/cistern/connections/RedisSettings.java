package io.cistern.connections;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslVerifyMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How to reach Redis. Immutable once built (the {@link RedisURI}s are copies nobody else holds; do not change them);
 * validated when built.
 *
 * <p>From the environment ({@code docs/configuration.md} has the full table):
 *
 * <ul>
 *   <li>{@code REDIS_URL}, default {@code redis://127.0.0.1:6379}, one of
 *       <ul>
 *         <li>{@code redis://[[user]:password@]host[:port][/db]}, {@code rediss://...} for TLS;
 *         <li>{@code redis-sentinel://[[user]:password@]host1:26379,host2:26379[/db]#master} ({@code
 *             rediss-sentinel://} for TLS);
 *         <li>{@code redis-cluster://[[user]:password@]host1:6379,host2:6379} ({@code rediss-cluster://} for TLS),
 *             seed nodes of a Redis Cluster, for {@link RedisClients#createCluster(RedisSettings)};
 *       </ul>
 *   <li>{@code REDIS_HOST} and {@code REDIS_PORT} (a job worker's names), used as {@code redis://host:port} when
 *       {@code REDIS_URL} is not set;
 *   <li>{@code REDIS_USERNAME} and {@code REDIS_PASSWORD} (or {@code REDIS_PASSWORD_FILE}) override the URL's
 *       credentials (an ACL user, or only a password for {@code requirepass});
 *   <li>{@code REDIS_TLS_CA_CERT}: a PEM file of the CA that signs the server's certificate (default: the JVM's
 *       trust store); {@code REDIS_TLS_VERIFY}: {@code full} (default; certificate and host name), {@code ca} or
 *       {@code none};
 *   <li>{@code REDIS_COMMAND_TIMEOUT_MS} (default 2000) and {@code REDIS_CONNECT_TIMEOUT_MS} (default 2000).
 * </ul>
 *
 * @param uri the Redis URI, password included; never printed as is (see {@link #toString()}). For a cluster, the first
 *     seed node
 * @param clusterNodes the seed nodes of a Redis Cluster; empty for a single server or Sentinel
 * @param tlsCaCert the CA certificate (PEM) that signs the server's certificate, when not the JVM's trust store
 * @param commandTimeout how long one command may take before it fails with a retryable error
 * @param connectTimeout how long opening a connection may take
 * @param warnings what resolution noticed and fixed (for example trimmed whitespace), to log at startup
 */
public record RedisSettings(
        RedisURI uri,
        List<RedisURI> clusterNodes,
        Optional<Path> tlsCaCert,
        Duration commandTimeout,
        Duration connectTimeout,
        List<String> warnings) {
    public static final String DEFAULT_URL = "redis://127.0.0.1:6379";
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    /** How the servers are arranged. */
    public enum Topology {
        /** One server (perhaps behind a managed service's endpoint). */
        STANDALONE,
        /** A master found through Sentinel. */
        SENTINEL,
        /** A Redis Cluster: keys spread over shards. */
        CLUSTER
    }

    public RedisSettings {
        Objects.requireNonNull(uri, "uri");
        clusterNodes = List.copyOf(clusterNodes);
        Objects.requireNonNull(tlsCaCert, "tlsCaCert");
        requirePositive(commandTimeout, "REDIS_COMMAND_TIMEOUT_MS");
        requirePositive(connectTimeout, "REDIS_CONNECT_TIMEOUT_MS");
        if (tlsCaCert.isPresent()) {
            if (!uri.isSsl()) {
                throw new IllegalArgumentException("REDIS_TLS_CA_CERT is set but REDIS_URL does not use TLS: use a"
                        + " rediss:// URL, or unset REDIS_TLS_CA_CERT");
            }
            if (!Files.isReadable(tlsCaCert.get())) {
                throw new IllegalArgumentException("REDIS_TLS_CA_CERT names " + tlsCaCert.get()
                        + ", which does not exist or cannot be read: check the path");
            }
        }
        warnings = List.copyOf(warnings);
    }

    /** Settings for a single server or Sentinel, as before clusters and CA certificates were supported. */
    public RedisSettings(RedisURI uri, Duration commandTimeout, Duration connectTimeout, List<String> warnings) {
        this(uri, List.of(), Optional.empty(), commandTimeout, connectTimeout, warnings);
    }

    public static RedisSettings of(String url) {
        return fromEnvironment(Map.of("REDIS_URL", url));
    }

    /** Resolves the settings from environment variables (see the class comment). */
    public static RedisSettings fromEnvironment(Map<String, String> environment) {
        EnvironmentReader env = new EnvironmentReader(environment);
        String url = env.get("REDIS_URL").orElseGet(() -> urlFromHostAndPort(env));
        if (url.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("REDIS_URL (" + redact(url) + ") contains whitespace: remove it (a"
                    + " stray space or line break copied along with the host name is a common slip)");
        }
        if (env.isSet("REDIS_URL")) {
            for (String alias : List.of("REDIS_HOST", "REDIS_PORT")) {
                if (env.isSet(alias)) {
                    env.ignored("url", "REDIS_URL", alias, alias + " is ignored: REDIS_URL is set, which wins");
                }
            }
        }
        Duration command = env.millis("REDIS_COMMAND_TIMEOUT_MS", DEFAULT_COMMAND_TIMEOUT);
        Duration connect = env.millis("REDIS_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT);
        List<RedisURI> uris = parse(url);
        Optional<String> username = env.get("REDIS_USERNAME");
        Optional<Secret> password = env.secret("REDIS_PASSWORD");
        SslVerifyMode verify =
                env.get("REDIS_TLS_VERIFY").map(RedisSettings::verifyMode).orElse(null);
        for (RedisURI uri : uris) {
            if (username.isPresent() || password.isPresent()) {
                RedisCredentials given = credentials(uri).orElse(null);
                String user = username.orElse(given != null && given.hasUsername() ? given.getUsername() : null);
                char[] pw = password.map(s -> s.reveal().toCharArray())
                        .orElse(given != null && given.hasPassword() ? given.getPassword() : new char[0]);
                if (user == null) {
                    uri.setAuthentication(pw);
                } else {
                    uri.setAuthentication(user, pw);
                }
            }
            if (verify != null) {
                uri.setVerifyPeer(verify);
            }
            uri.setTimeout(command);
        }
        Optional<Path> ca = env.get("REDIS_TLS_CA_CERT").map(Path::of);
        if (verify == SslVerifyMode.NONE && ca.isPresent()) {
            env.warn("REDIS_TLS_CA_CERT is set but REDIS_TLS_VERIFY is none, so the certificate is not checked");
        }
        boolean cluster = url.startsWith("redis-cluster://") || url.startsWith("rediss-cluster://");
        return new RedisSettings(uris.get(0), cluster ? uris : List.of(), ca, command, connect, env.warnings());
    }

    /**
     * {@code redis://REDIS_HOST:REDIS_PORT}, the form of a job worker's {@code .env} (defaults {@code 127.0.0.1} and
     * {@code 6379}), when {@code REDIS_URL} is not set; {@code REDIS_URL}, which can also say TLS, database, Sentinel
     * or Cluster, wins over them, and the caller warns about them then.
     */
    private static String urlFromHostAndPort(EnvironmentReader env) {
        Optional<String> host = env.get("REDIS_HOST");
        Optional<String> port = env.get("REDIS_PORT");
        if (host.isEmpty() && port.isEmpty()) {
            return DEFAULT_URL;
        }
        String name = host.orElse("127.0.0.1");
        if (name.chars().anyMatch(Character::isWhitespace) || name.contains("/") || name.contains("@")) {
            throw new IllegalArgumentException("REDIS_HOST '" + name + "' is not a host name: give only the name or"
                    + " address (no spaces, scheme, credentials or path), or set REDIS_URL instead");
        }
        int number = port.isEmpty() ? 6379 : EnvironmentReader.parseInteger("REDIS_PORT", port.get(), 1);
        if (number > 65535) {
            throw new IllegalArgumentException("REDIS_PORT must be between 1 and 65535, was " + number);
        }
        return "redis://" + (name.contains(":") && !name.startsWith("[") ? "[" + name + "]" : name) + ":" + number;
    }

    /** Whether this is a single server, a Sentinel-managed master or a Cluster. */
    public Topology topology() {
        if (!clusterNodes.isEmpty()) {
            return Topology.CLUSTER;
        }
        return uri.getSentinelMasterId() != null ? Topology.SENTINEL : Topology.STANDALONE;
    }

    /**
     * The URL with its password replaced by {@code ****} (all seed nodes for a cluster), for logs, health details and
     * messages. Every host carries its port, the default one too ({@code redis://127.0.0.1:6379}, where Lettuce's own
     * form drops it), so that whoever reads it knows where the client went; Lettuce's query parameters (timeouts) are
     * left out.
     */
    public String redactedUrl() {
        if (!clusterNodes.isEmpty()) {
            return clusterNodes.stream().map(RedisSettings::addressOf).collect(Collectors.joining(", "));
        }
        return addressOf(uri);
    }

    private static String addressOf(RedisURI uri) {
        if (uri.getSocket() != null) {
            return redact(uri.toString());
        }
        boolean sentinel = !uri.getSentinels().isEmpty();
        StringBuilder url = new StringBuilder(uri.isSsl() ? "rediss" : "redis")
                .append(sentinel ? "-sentinel" : "")
                .append("://");
        RedisCredentials c = credentials(uri).orElse(null);
        if (c != null && c.hasUsername()) {
            url.append(c.getUsername()).append(c.hasPassword() ? ":****" : "").append('@');
        } else if (c != null && c.hasPassword()) {
            url.append("****@");
        }
        List<RedisURI> hosts = sentinel ? uri.getSentinels() : List.of(uri);
        url.append(hosts.stream()
                .map(h -> hostText(h.getHost()) + ":" + h.getPort())
                .collect(Collectors.joining(",")));
        if (uri.getDatabase() != 0) {
            url.append('/').append(uri.getDatabase());
        }
        if (sentinel && uri.getSentinelMasterId() != null) {
            url.append('#').append(uri.getSentinelMasterId());
        }
        return url.toString();
    }

    private static String hostText(String host) {
        return host != null && host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : String.valueOf(host);
    }

    /**
     * The effective configuration in two lines, secrets as {@code ****}, for the startup configuration block: where
     * (with the port) and how it authenticates and encrypts; then the timeouts.
     */
    public List<String> describe() {
        String where = redactedUrl() + " (" + topology().name().toLowerCase(Locale.ROOT)
                + (topology() == Topology.SENTINEL ? ", master " + uri.getSentinelMasterId() : "")
                + ", database " + uri.getDatabase() + ")";
        String auth = credentials(uri).map(RedisSettings::describeCredentials).orElse("none");
        String tls = uri.isSsl()
                ? "on, verify " + uri.getVerifyMode().name().toLowerCase(Locale.ROOT) + ", CA "
                        + tlsCaCert.map(Path::toString).orElse("the JVM trust store")
                : "off";
        return List.of(
                "Redis " + where + ", authentication " + auth + ", TLS " + tls,
                "Redis timeouts: command " + commandTimeout.toMillis() + " ms, connect " + connectTimeout.toMillis()
                        + " ms; reconnects with backoff, refusing commands while disconnected");
    }

    static String redact(String url) {
        return url.replaceAll("(://[^:@/]*:)[^@/]*@", "$1****@").replaceAll("(://)[^:@/]+@", "$1****@");
    }

    @Override
    public String toString() {
        return "RedisSettings[url=" + redactedUrl() + ", commandTimeout=" + commandTimeout + ", connectTimeout="
                + connectTimeout + "]";
    }

    /** The user name and password a URI carries (static ones, as resolution sets them). */
    static Optional<RedisCredentials> credentials(RedisURI uri) {
        RedisCredentialsProvider provider = uri.getCredentialsProvider();
        if (provider == null) {
            return Optional.empty();
        }
        if (provider instanceof RedisCredentialsProvider.ImmediateRedisCredentialsProvider immediate) {
            return Optional.ofNullable(immediate.resolveCredentialsNow());
        }
        return Optional.ofNullable(provider.resolveCredentials().block(Duration.ofSeconds(1)));
    }

    private static String describeCredentials(RedisCredentials c) {
        if (c == null || !c.hasPassword()) {
            return c != null && c.hasUsername() ? "user " + c.getUsername() + ", no password" : "none";
        }
        return (c.hasUsername() ? "user " + c.getUsername() : "default user") + ", password ****";
    }

    private static List<RedisURI> parse(String url) {
        String scheme = url.contains("://") ? url.substring(0, url.indexOf("://")) : "";
        try {
            if (scheme.equals("redis-cluster") || scheme.equals("rediss-cluster")) {
                String rest = url.substring(scheme.length() + 3);
                int at = rest.lastIndexOf('@');
                String userInfo = at < 0 ? "" : rest.substring(0, at + 1);
                String nodes = rest.substring(at + 1).replaceFirst("[/?].*$", "");
                String base = scheme.equals("rediss-cluster") ? "rediss://" : "redis://";
                List<RedisURI> uris = new ArrayList<>();
                for (String node : nodes.split(",")) {
                    uris.add(RedisURI.create(base + userInfo + node));
                }
                return uris;
            }
            if (!List.of("redis", "rediss", "redis-sentinel", "rediss-sentinel").contains(scheme)) {
                throw new IllegalArgumentException("unknown scheme");
            }
            return List.of(RedisURI.create(url));
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // The cause is left off on purpose: Lettuce's message may quote the URL, password and all.
            throw new IllegalArgumentException("REDIS_URL is not a Redis URL (" + redact(url)
                    + "): use redis://[user:password@]host:port[/db],"
                    + " rediss:// for TLS, redis-sentinel://host:26379,host2:26379#master or"
                    + " redis-cluster://host1:6379,host2:6379 (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static SslVerifyMode verifyMode(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "full" -> SslVerifyMode.FULL;
            case "ca" -> SslVerifyMode.CA;
            case "none" -> SslVerifyMode.NONE;
            default ->
                throw new IllegalArgumentException("REDIS_TLS_VERIFY must be full, ca or none, was '" + text + "'");
        };
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
        }
    }
}
