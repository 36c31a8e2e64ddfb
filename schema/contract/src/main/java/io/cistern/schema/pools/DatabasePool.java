package io.cistern.schema.pools;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One Cistern process's PostgreSQL pool, as announced in {@link io.cistern.schema.keys.KeyLayout#pools()}. Its
 * {@link #encode() encoded form} is the sorted set's member, so it never changes while the pool lives: re-announcing
 * the same pool only moves its expiry.
 *
 * @param process the process that holds the pool, {@code pid@host}, for the operator to find it
 * @param instance what tells this pool from the others of the same process: a sync worker's ID, or a random tag
 * @param component which part of Cistern holds it: {@link #SYNC_WORKER}, {@link #READ_PROXY}, ...
 * @param maxSize the pool's maximum size: the most connections it opens ({@code DB_POOL_SIZE} for the services)
 * @param database where the pool connects, as configured ({@link #database(List, String)}): {@code
 *     host:port[,host:port...]/dbname}
 */
public record DatabasePool(String process, String instance, String component, int maxSize, String database) {
    public static final String SYNC_WORKER = "sync-worker";
    public static final String READ_PROXY = "read-proxy";
    /** The one-connection pool a service's status endpoint or {@code ops/cistern status} reads dead letters through. */
    public static final String STATUS = "status";
    /** The one-connection pool the dashboard reads dead letters through, opened when the dashboard is first shown. */
    public static final String DASHBOARD = "dashboard";
    /** An application's own pool, which the Spring Boot starter's reader and embedded sync worker borrow. */
    public static final String APPLICATION = "application";

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    public DatabasePool {
        requireText(process, "process");
        requireText(instance, "instance");
        requireText(component, "component");
        requireText(database, "database");
        if (maxSize < 1) {
            throw new IllegalArgumentException("pool '" + component + "' maxSize must be at least 1, not " + maxSize);
        }
    }

    /** A pool of this process, told from its others by a random tag. */
    public static DatabasePool ofThisProcess(String component, int maxSize, String database) {
        String tag = Long.toString(ThreadLocalRandom.current().nextLong(1L << 30), 36);
        return new DatabasePool(thisProcess(), tag, component, maxSize, database);
    }

    /** This process's identity, {@code pid@host}. */
    public static String thisProcess() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        return ProcessHandle.current().pid() + "@" + host;
    }

    /**
     * Where a pool connects, in the form announcements and {@code doctor} compare: the configured hosts ({@code
     * host:port}, in their {@code toString} form, as {@code DatabaseSettings.hosts()} gives them), then the database.
     * Two processes that name the same server differently ({@code localhost} and {@code 127.0.0.1}) are not recognised
     * as one.
     */
    public static String database(List<?> hosts, String database) {
        return hosts.stream().map(Object::toString).collect(Collectors.joining(",")) + "/" + database;
    }

    /** The sorted set member: JSON with the fields in a fixed order. */
    public String encode() {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("process", process);
        node.put("instance", instance);
        node.put("component", component);
        node.put("maxSize", maxSize);
        node.put("database", database);
        return MAPPER.writeValueAsString(node);
    }

    /**
     * The pool a member describes; empty for a member this version cannot read (written by another release), which
     * {@code doctor} then reports as unreadable rather than failing on.
     */
    public static Optional<DatabasePool> decode(String member) {
        try {
            JsonNode node = MAPPER.readTree(Objects.requireNonNull(member, "member"));
            if (!node.isObject() || !node.path("maxSize").isInt()) {
                return Optional.empty();
            }
            return Optional.of(new DatabasePool(
                    node.path("process").asString(""),
                    node.path("instance").asString(""),
                    node.path("component").asString(""),
                    node.path("maxSize").asInt(),
                    node.path("database").asString("")));
        } catch (JacksonException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("pool " + name + " must not be blank");
        }
    }
}
