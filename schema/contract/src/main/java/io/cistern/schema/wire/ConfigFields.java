package io.cistern.schema.wire;

/** Field names of the config hash {@code {prefix}:config} ({@link io.cistern.schema.keys.KeyLayout#config}). */
public final class ConfigFields {
    /**
     * Partition count: written by {@code ops/cistern init} (RedisRegistry); read by the registry, the sync worker,
     * {@code ops/cistern} status and doctor.
     */
    public static final String PARTITIONS = "partitions";
    /** Protocol version of the Function library: written by {@code ops/cistern init}; read by operators and producers. */
    public static final String PROTOCOL = "protocol";

    /**
     * How many times the table registry was published (a counter, incremented after every publication and
     * unregistration): written by RedisRegistry ({@code ops/cistern init}, a sync worker that reloaded the catalog,
     * {@code ops/cistern unregister}); read every second by the read proxy, which reloads its registry when it moved.
     */
    public static final String REGISTRY_VERSION = "registry-version";

    private ConfigFields() {}
}
