package io.cistern.reader.http;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The standalone HTTP read service: {@link ProxyHttpConfiguration} on its own port, 8082 unless {@code server.port}
 * (or {@code SERVER_PORT}) says otherwise. Configured through the environment: see {@link ProxyHttpConfiguration}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(ProxyHttpConfiguration.class)
public class ProxyApiApplication {
    /** The port of the standalone service (DESIGN.md section 1). */
    public static final int DEFAULT_PORT = 8082;

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application {@link #main} runs. */
    static SpringApplication application() {
        SpringApplication app = new SpringApplication(ProxyApiApplication.class);
        app.setDefaultProperties(Map.of("server.port", Integer.toString(DEFAULT_PORT)));
        return app;
    }
}
