package io.cistern.connections.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay's modes against an echo server of the test's own: what each end sees. */
class TcpRelayTest {
    private ServerSocket echo;
    private TcpRelay relay;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException e) {
                            // the test's client went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        relay = TcpRelay.to(echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        relay.close();
        echo.close();
    }

    @Test
    void pass_forwardsBothWays() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "ping")).isEqualTo("ping");
        }
    }

    @Test
    void silent_answersNothingAndClosesNothing_thenPassResumesWithNothingLost() throws IOException {
        try (Socket client = connect()) {
            roundTrip(client, "a");

            relay.mode(TcpRelay.Mode.SILENT);
            client.getOutputStream().write("held".getBytes(StandardCharsets.US_ASCII));
            client.setSoTimeout(500);

            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(relay.forwardingConnections()).isZero();
            relay.mode(TcpRelay.Mode.PASS);
            client.setSoTimeout(2_000);
            assertThat(new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII))
                    .isEqualTo("held");
        }
    }

    @Test
    void silent_refusesNewConnections() throws IOException {
        relay.mode(TcpRelay.Mode.SILENT);

        try (Socket client = connect()) {
            client.setSoTimeout(2_000);
            assertThatThrownBy(() -> roundTrip(client, "x")).isInstanceOf(IOException.class);
        }
        assertThat(relay.refusedConnections()).isEqualTo(1);
    }

    @Test
    void newOnly_forwardsNewConnections_andOldOnesStaySilent() throws IOException {
        try (Socket old = connect()) {
            roundTrip(old, "a");
            relay.mode(TcpRelay.Mode.SILENT);

            relay.mode(TcpRelay.Mode.NEW_ONLY);

            try (Socket fresh = connect()) {
                assertThat(roundTrip(fresh, "new")).isEqualTo("new");
            }
            old.setSoTimeout(500);
            old.getOutputStream().write('b');
            assertThatThrownBy(() -> old.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void reset_resetsOpenConnections() throws IOException {
        try (Socket client = connect()) {
            roundTrip(client, "a");

            relay.mode(TcpRelay.Mode.RESET);

            client.setSoTimeout(2_000);
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketException.class);
            assertThat(relay.openConnections()).isZero();
        }
    }

    private Socket connect() throws IOException {
        return new Socket(InetAddress.getLoopbackAddress(), relay.port());
    }

    private static String roundTrip(Socket client, String text) throws IOException {
        client.setSoTimeout(2_000);
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        client.getOutputStream().write(bytes);
        byte[] back = client.getInputStream().readNBytes(bytes.length);
        if (back.length < bytes.length) {
            throw new IOException("connection closed after " + back.length + " bytes");
        }
        return new String(back, StandardCharsets.US_ASCII);
    }
}
