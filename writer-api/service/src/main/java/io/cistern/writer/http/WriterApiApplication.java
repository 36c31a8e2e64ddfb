package io.cistern.writer.http;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * The standalone HTTP ingest service: {@link WriterHttpConfiguration} on its own port, 8081 unless {@code server.port}
 * (or {@code SERVER_PORT}) says otherwise. Configured through the environment: see {@link WriterHttpConfiguration}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(WriterHttpConfiguration.class)
public class WriterApiApplication {
    /** The port of the standalone service (DESIGN.md section 1). */
    public static final int DEFAULT_PORT = 8081;

    public static void main(String[] args) {
        application().run(args);
    }

    /** The application {@link #main} runs. */
    static SpringApplication application() {
        SpringApplication app = new SpringApplication(WriterApiApplication.class);
        // Default properties rank below every other source, so server.port from anywhere overrides this.
        app.setDefaultProperties(Map.of("server.port", Integer.toString(DEFAULT_PORT)));
        return app;
    }
}
