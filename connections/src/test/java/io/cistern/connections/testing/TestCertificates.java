package io.cistern.connections.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority and a server certificate it signed, made with {@code openssl} for TLS tests: give the
 * server {@link #serverCertificate()} and {@link #serverKey()}, and the client {@link #caCertificate()}. Each call
 * makes a new, unrelated CA, so a second instance's CA is "the wrong CA". EC P-256 keys, valid for two days.
 *
 * @param caCertificate the CA's certificate (PEM), what a client trusts
 * @param serverCertificate the server's certificate (PEM), signed by the CA
 * @param serverKey the server's private key (PEM, unencrypted)
 */
public record TestCertificates(Path caCertificate, Path serverCertificate, Path serverKey) {

    /**
     * Makes a CA and a server certificate for {@code subjectAltNames} (for example {@code "DNS:localhost"} or {@code
     * "IP:127.0.0.1"}; the first also becomes the common name) in {@code dir}.
     */
    public static TestCertificates create(Path dir, String... subjectAltNames) {
        if (subjectAltNames.length == 0) {
            throw new IllegalArgumentException("give at least one subject alternative name, for example DNS:localhost");
        }
        try {
            Files.createDirectories(dir);
            Path ca = dir.resolve("ca.crt");
            Path caKey = dir.resolve("ca.key");
            Path cert = dir.resolve("server.crt");
            Path key = dir.resolve("server.key");
            Path csr = dir.resolve("server.csr");
            Path ext = dir.resolve("server.ext");
            Files.writeString(
                    ext,
                    "subjectAltName=" + String.join(",", subjectAltNames) + "\nbasicConstraints=CA:FALSE\n"
                            + "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
            String cn = subjectAltNames[0].substring(subjectAltNames[0].indexOf(':') + 1);
            openssl(
                    dir,
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    caKey.toString(),
                    "-out",
                    ca.toString(),
                    "-days",
                    "2",
                    "-subj",
                    "/CN=Cistern test CA " + dir.getFileName(),
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign");
            openssl(
                    dir,
                    "req",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    key.toString(),
                    "-out",
                    csr.toString(),
                    "-subj",
                    "/CN=" + cn);
            openssl(
                    dir,
                    "x509",
                    "-req",
                    "-in",
                    csr.toString(),
                    "-CA",
                    ca.toString(),
                    "-CAkey",
                    caKey.toString(),
                    "-CAcreateserial",
                    "-out",
                    cert.toString(),
                    "-days",
                    "2",
                    "-extfile",
                    ext.toString());
            return new TestCertificates(ca, cert, key);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write test certificates to " + dir, e);
        }
    }

    private static void openssl(Path dir, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("openssl " + args[0] + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (is it installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running openssl", e);
        }
    }
}
