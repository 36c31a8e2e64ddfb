package io.cistern.connections.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP endpoint on 127.0.0.1 that forwards every connection to a target port that a test can switch, as a managed
 * service's primary endpoint (ElastiCache, a Sentinel-aware DNS name, a load balancer) moves to a promoted replica:
 * {@link #switchTo(int)} closes every open connection, and the clients' reconnects reach the new target.
 *
 * <pre>{@code
 * try (SwitchableTcpProxy endpoint = SwitchableTcpProxy.to(primary.port())) {
 *     String url = "redis://127.0.0.1:" + endpoint.port();
 *     ...
 *     endpoint.switchTo(replica.port());
 * }
 * }</pre>
 *
 * Thread-safe; one virtual thread per direction of each connection.
 */
public final class SwitchableTcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile int target;
    private volatile boolean closed;

    private SwitchableTcpProxy(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-proxy-accept-" + server.getLocalPort()).start(this::acceptLoop);
    }

    /** Starts forwarding a new port of 127.0.0.1 to {@code targetPort} of 127.0.0.1. */
    public static SwitchableTcpProxy to(int targetPort) {
        try {
            return new SwitchableTcpProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** Routes new connections to {@code targetPort} and cuts every open one (clients see a reset and reconnect). */
    public void switchTo(int targetPort) {
        target = targetPort;
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 2000);
                open.add(client);
                open.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                closeQuietly(client); // the target is down: the client sees the connection refused, as it would
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // One side went away: close both below.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        });
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // Closing anyway.
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // Closing anyway.
        }
        switchTo(target);
    }
}
