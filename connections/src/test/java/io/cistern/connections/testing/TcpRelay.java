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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on 127.0.0.1 in front of a server (PostgreSQL, Redis) whose path a test breaks the ways real networks
 * do: a NAT gateway, a VPN tunnel or a load balancer that drops a flow without telling either end, a relay that dies
 * and resets everything, a path that comes back for new connections while the old flows stay dead; or moves to another
 * server ({@link #switchTo}), as an endpoint does after a failover.
 *
 * <ul>
 *   <li>{@link Mode#PASS}: every connection forwards both ways (connections silenced earlier resume, as TCP resumes
 *       after a healed blip: nothing they sent is lost, it was held);
 *   <li>{@link Mode#SILENT}: open connections stop forwarding bytes, in both directions, with no RST and no FIN: each
 *       end sees a peer that never answers; new connections are refused (reset at once);
 *   <li>{@link Mode#NEW_ONLY}: new connections forward again; connections silenced before stay silent for good, as
 *       flows whose NAT entry is gone;
 *   <li>{@link Mode#RESET}: every open connection is reset (RST on both sides: {@code setSoLinger(true, 0)} then
 *       close); new connections are refused.
 * </ul>
 *
 * <pre>{@code
 * try (TcpRelay relay = TcpRelay.to(postgresPort)) {
 *     String url = "jdbc:postgresql://127.0.0.1:" + relay.port() + "/db";
 *     relay.mode(TcpRelay.Mode.SILENT);
 *     ...
 *     relay.mode(TcpRelay.Mode.NEW_ONLY);
 * }
 * }</pre>
 *
 * Thread-safe; one virtual thread per direction of each connection. Plain sockets, no dependency: the modes above are
 * all a test needs, and each is a few lines here.
 */
public final class TcpRelay implements AutoCloseable {
    /** What the relay does with open and new connections. */
    public enum Mode {
        PASS,
        SILENT,
        NEW_ONLY,
        RESET
    }

    private final ServerSocket server;
    private volatile int target;
    private final Set<Flow> flows = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile Mode mode = Mode.PASS;
    private volatile boolean closed;

    private TcpRelay(int target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-relay-accept-" + server.getLocalPort()).start(this::acceptLoop);
    }

    /** Starts relaying a new port of 127.0.0.1 to {@code targetPort} of 127.0.0.1, in {@link Mode#PASS}. */
    public static TcpRelay to(int targetPort) {
        try {
            return new TcpRelay(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** The mode now. */
    public Mode mode() {
        return mode;
    }

    /** Switches to {@code next}; see the class comment for what each mode does to open and new connections. */
    public synchronized void mode(Mode next) {
        mode = next;
        for (Flow flow : flows) {
            switch (next) {
                case PASS -> flow.resume();
                case SILENT -> flow.silence();
                case NEW_ONLY -> {
                    // Flows silenced before stay silent; flows opened since keep forwarding.
                }
                case RESET -> flow.reset();
            }
        }
    }

    /**
     * Routes new connections to {@code targetPort} and closes every open one, as a managed service's endpoint
     * (ElastiCache, a Sentinel-aware DNS name, a load balancer) moves to a promoted replica: the clients see their
     * connections end and reconnect to the new target.
     */
    public synchronized void switchTo(int targetPort) {
        target = targetPort;
        for (Flow flow : flows) {
            flow.end(false);
        }
    }

    /** Connections open now (silent ones included). */
    public int openConnections() {
        return flows.size();
    }

    /** Connections forwarding bytes now. */
    public long forwardingConnections() {
        return flows.stream().filter(f -> !f.silent).count();
    }

    /** Connections refused since the relay started. */
    public int refusedConnections() {
        return refused.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            Mode now = mode;
            if (now == Mode.SILENT || now == Mode.RESET) {
                refused.incrementAndGet();
                resetQuietly(client);
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 2000);
                Flow flow = new Flow(client, upstream);
                flows.add(flow);
                flow.start();
            } catch (IOException e) {
                refused.incrementAndGet();
                resetQuietly(client); // the target is down: the client sees the connection refused, as it would
            }
        }
    }

    /** One relayed connection: the client's socket, the upstream socket and a pump each way. */
    private final class Flow {
        private final Socket client;
        private final Socket upstream;
        private final Object gate = new Object();
        private volatile boolean silent;
        private volatile boolean ended;

        Flow(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            pump(client, upstream);
            pump(upstream, client);
        }

        void silence() {
            silent = true;
        }

        void resume() {
            synchronized (gate) {
                silent = false;
                gate.notifyAll();
            }
        }

        void reset() {
            end(true);
        }

        private void pump(Socket from, Socket to) {
            Thread.ofVirtual()
                    .name("tcp-relay-" + from.getPort() + "-" + to.getPort())
                    .start(() -> {
                        byte[] buffer = new byte[16 * 1024];
                        try (InputStream in = from.getInputStream();
                                OutputStream out = to.getOutputStream()) {
                            int n;
                            while ((n = in.read(buffer)) >= 0) {
                                // A silent flow holds what it read (and reads no more, so the sender's buffers fill as
                                // on a
                                // dead path); it is delivered if the flow resumes, never if it stays silent.
                                awaitForwarding();
                                if (ended) {
                                    return;
                                }
                                out.write(buffer, 0, n);
                                out.flush();
                            }
                        } catch (IOException | InterruptedException e) {
                            // One side went away, or the relay closed: end both below.
                        } finally {
                            if (!silent) {
                                end(false);
                            }
                        }
                    });
        }

        private void awaitForwarding() throws InterruptedException {
            synchronized (gate) {
                while (silent && !ended) {
                    gate.wait(200);
                }
            }
        }

        /** Ends the flow: a reset (RST) or an orderly close (FIN), on both sockets. */
        void end(boolean reset) {
            synchronized (gate) {
                ended = true;
                gate.notifyAll();
            }
            flows.remove(this);
            if (reset) {
                resetQuietly(client);
                resetQuietly(upstream);
            } else {
                closeQuietly(client);
                closeQuietly(upstream);
            }
        }
    }

    private static void resetQuietly(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException e) {
            // Closed already.
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // Closing anyway.
        }
    }

    /** Stops accepting and resets every connection, silent ones too. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // Closing anyway.
        }
        for (Flow flow : flows) {
            flow.end(true);
        }
    }
}
