package io.cistern.ops.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@code http} scenario's load driver: a minimal HTTP/1.1 client over plain sockets, one virtual thread per
 * keep-alive connection, each sending the same pre-encoded request and reading the answer before the next (no
 * pipelining, like a browser or {@code ab -k}). It costs the bench JVM far less CPU per request than {@link
 * java.net.http.HttpClient}, which matters on a small machine where the driver shares the cores with the server it
 * measures. A connection the server closes ({@code Connection: close}, or a reset) is opened again.
 */
final class HttpLoad {
    /**
     * What one run did: requests answered with the expected status, the others ({@code errors}, the first one's status
     * line or exception in {@code firstError}), each answered request's latency in milliseconds (send to last byte),
     * the wall time, and how many connections were opened in all.
     */
    record Outcome(int requests, int errors, String firstError, double[] latencyMs, double seconds, int connects) {
        double perSecond() {
            return requests / seconds;
        }
    }

    private final String host;
    private final int port;

    HttpLoad(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** A request with a JSON body, encoded once. */
    byte[] request(String method, String path, byte[] body) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[h.length + body.length];
        System.arraycopy(h, 0, request, 0, h.length);
        System.arraycopy(body, 0, request, h.length, body.length);
        return request;
    }

    /** A {@code GET} of {@code path} on a fresh connection: its status, or -1 when it cannot be asked. */
    int status(String path) {
        try (Socket s = connect()) {
            s.getOutputStream()
                    .write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            return new Response(new BufferedInputStream(s.getInputStream())).read().status;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Sends {@code request} {@code total} times over {@code connections} concurrent keep-alive connections and counts
     * every answer other than {@code expectedStatus} as an error.
     */
    Outcome run(byte[] request, int total, int connections, int expectedStatus) {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger connects = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        double[] latency = new double[total];
        boolean[] answered = new boolean[total];
        List<Thread> threads = new ArrayList<>(connections);
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            threads.add(Thread.ofVirtual().name("bench-http-", c).start(() -> {
                Socket socket = null;
                try {
                    Response response = null;
                    OutputStream out = null;
                    for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                        long sent = System.nanoTime();
                        try {
                            if (socket == null) {
                                socket = connect();
                                connects.incrementAndGet();
                                out = socket.getOutputStream();
                                response = new Response(new BufferedInputStream(socket.getInputStream(), 16_384));
                            }
                            out.write(request);
                            out.flush();
                            Response r = response.read();
                            if (r.status == expectedStatus) {
                                latency[i] = (System.nanoTime() - sent) / 1e6;
                                answered[i] = true;
                            } else {
                                errors.incrementAndGet();
                                firstError.compareAndSet(null, r.statusLine + " " + r.body());
                            }
                            if (r.close) {
                                socket.close();
                                socket = null;
                            }
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet(null, e.toString());
                            close(socket);
                            socket = null;
                        }
                    }
                } finally {
                    close(socket);
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int ok = 0;
        for (boolean a : answered) {
            ok += a ? 1 : 0;
        }
        double[] millis = new double[ok];
        for (int i = 0, j = 0; i < total; i++) {
            if (answered[i]) {
                millis[j++] = latency[i];
            }
        }
        return new Outcome(ok, errors.get(), firstError.get(), millis, seconds, connects.get());
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 5_000);
        s.setSoTimeout(60_000);
        return s;
    }

    private static void close(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // Closing a connection the bench is done with.
            }
        }
    }

    /** Reads one answer at a time from a connection: status line, headers, then a Content-Length or chunked body. */
    private static final class Response {
        private final InputStream in;
        private final StringBuilder line = new StringBuilder(128);
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status;
        String statusLine;
        boolean close;

        Response(InputStream in) {
            this.in = in;
        }

        Response read() throws IOException {
            statusLine = line();
            if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
                throw new IOException("not an HTTP/1.1 answer: '" + statusLine + "'");
            }
            status = Integer.parseInt(statusLine.substring(9, 12));
            long length = 0;
            boolean chunked = false;
            close = false;
            for (String h = line(); !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                String name = colon < 0 ? h : h.substring(0, colon).toLowerCase(Locale.ROOT);
                String value = colon < 0 ? "" : h.substring(colon + 1).strip();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.equalsIgnoreCase("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> {
                        // Other headers do not frame the body.
                    }
                }
            }
            body.reset();
            if (chunked) {
                for (long size = Long.parseLong(chunkSize(line()), 16); size > 0; ) {
                    body(size);
                    line();
                    size = Long.parseLong(chunkSize(line()), 16);
                }
                while (!line().isEmpty()) {
                    // Trailers, if any.
                }
            } else {
                body(length);
            }
            return this;
        }

        String body() {
            return body.toString(StandardCharsets.UTF_8);
        }

        private void body(long length) throws IOException {
            for (long i = 0; i < length; i++) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("the connection closed inside a body");
                }
                body.write(b);
            }
        }

        private static String chunkSize(String line) {
            int semicolon = line.indexOf(';');
            return (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
        }

        private String line() throws IOException {
            line.setLength(0);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("the connection closed");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }
    }
}
