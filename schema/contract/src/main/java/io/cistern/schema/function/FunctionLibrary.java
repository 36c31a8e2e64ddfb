package io.cistern.schema.function;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RedisFailureKind;
import io.cistern.schema.failure.RedisReplies;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Cistern's Redis Function library, protocol version {@value #PROTOCOL}. The protocol version is part of every
 * function's name ({@code cistern_put_v1}), so a library of the next protocol can be loaded beside this one while old
 * and new producers and workers run side by side; the revision counts compatible changes within one protocol.
 */
public final class FunctionLibrary {
    /** The protocol version: part of the library and function names. */
    public static final int PROTOCOL = 1;
    /** The revision of the library source shipped with this build. */
    public static final int REVISION = 9;

    public static final String LIBRARY_NAME = "cistern_v" + PROTOCOL;
    public static final String SEED_FUNCTION = "cistern_seed_v" + PROTOCOL;
    /**
     * Raises a partition's floor and confirms it on this Redis server process: {@code FCALL cistern_confirm_v1 1 <meta>
     * <floor>} returns {@code [floor, seq, 1 if it was already confirmed here else 0]}. Until then writes to the
     * partition are refused with {@code CISTERN_UNCONFIRMED}; see the library's header.
     */
    public static final String CONFIRM_FUNCTION = "cistern_confirm_v" + PROTOCOL;

    public static final String INFO_FUNCTION = "cistern_info_v" + PROTOCOL;

    private static final String SOURCE = readSource();

    private FunctionLibrary() {}

    /** The name of the function that performs {@code op}, for example {@code cistern_put_v1}. */
    public static String functionName(Operation op) {
        return switch (op) {
            case PUT -> "cistern_put_v" + PROTOCOL;
            case PATCH -> "cistern_patch_v" + PROTOCOL;
            case DELETE -> "cistern_delete_v" + PROTOCOL;
        };
    }

    /** The Lua source, starting with its {@code #!lua name=} shebang. */
    public static String source() {
        return SOURCE;
    }

    /**
     * The revision of the library loaded in this Redis, or -1 when none is loaded. A Function library lives on each
     * server: on a Redis Cluster pass one master's node commands (this and {@link #install} act on the one node that
     * {@code redis} reaches; a cluster connection would reach an arbitrary one).
     *
     * @throws io.cistern.schema.failure.CisternException when Redis cannot be asked
     */
    public static int installedRevision(RedisClusterCommands<String, String> redis) {
        try {
            List<Object> info = redis.fcallReadOnly(INFO_FUNCTION, ScriptOutputType.MULTI, new String[0]);
            for (int i = 0; i + 1 < info.size(); i += 2) {
                if ("revision".equals(info.get(i))) {
                    return ((Number) info.get(i + 1)).intValue();
                }
            }
            return 0;
        } catch (RedisException e) {
            if (RedisReplies.classify(e).kind() == RedisFailureKind.NOT_INITIALISED) {
                return -1;
            }
            throw FailureTranslator.fromRedis("reading the Cistern Function library revision", e);
        }
    }

    /**
     * Loads or upgrades the library. The same revision is left as it is (a reload would forget which partitions'
     * floors this server confirmed); a newer revision replaces an older one atomically (and partitions are then
     * refused until confirmed again, which {@code init} and the sync workers do); an older build never downgrades a
     * newer library.
     *
     * @return the revision now installed
     * @throws PermanentException when Redis holds a newer revision than this build
     */
    public static int install(RedisClusterCommands<String, String> redis) {
        int installed = installedRevision(redis);
        if (installed > REVISION) {
            throw new PermanentException(
                    "LIBRARY_NEWER",
                    "Redis holds revision " + installed + " of the Function library " + LIBRARY_NAME
                            + ", newer than this build's revision " + REVISION
                            + "; run `ops/cistern init` from the newer release instead",
                    null);
        }
        if (installed == REVISION) {
            // Reloading would start a new Lua state and with it forget every partition's confirmed floor (see the
            // library's header): every write of every prefix on this server refused until the workers confirm again.
            return REVISION;
        }
        redis.functionLoad(SOURCE, true);
        return REVISION;
    }

    /**
     * Checks that this Redis holds a library this build can call.
     *
     * @throws PermanentException naming the fix when it does not
     */
    public static void requireInstalled(RedisClusterCommands<String, String> redis) {
        int installed = installedRevision(redis);
        if (installed < 0) {
            throw new PermanentException(
                    "NOT_INITIALISED",
                    "the Cistern Function library " + LIBRARY_NAME
                            + " is not loaded in this Redis; run `ops/cistern init` first",
                    null);
        }
        if (installed < REVISION) {
            throw new PermanentException(
                    "LIBRARY_OLDER",
                    "Redis holds revision " + installed + " of " + LIBRARY_NAME + ", older than revision " + REVISION
                            + " that this build needs; run `ops/cistern init` to upgrade it",
                    null);
        }
    }

    private static String readSource() {
        try (InputStream in = FunctionLibrary.class.getResourceAsStream(LIBRARY_NAME + ".lua")) {
            if (in == null) {
                throw new IllegalStateException(
                        "the Function library source " + LIBRARY_NAME + ".lua is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
