package io.cistern.writer.http;

import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.tomcat.util.buf.EncodedSolidusHandling;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.PropertySource;

/**
 * The HTTP ingest service as a Spring configuration: import it into a Spring Boot application (the standalone {@link
 * WriterApiApplication} does, and so does the all-in-one launcher). Import it, do not component-scan this package.
 *
 * <p>It registers:
 *
 * <ul>
 *   <li>the write endpoints under {@code /v1/tables/{table}/records}, with their error handling and the counter {@code
 *       cistern.writer.requests} (tags {@code table}, {@code op}, {@code outcome});
 *   <li>a {@link RecordWriter}, a {@link WriterSettings} and a {@link WriterHttpSettings}, each only when the application
 *       has none of its own (they are registered after the application's own configuration, like an
 *       auto-configuration, so a bean of the application always wins). The settings come from the environment ({@code
 *       REDIS_URL}, {@code CISTERN_PREFIX}, {@code CISTERN_WRITER_TOKEN}, ... see {@link WriterSettings} and {@link
 *       WriterHttpSettings}), where a Spring property of the same name overrides the variable. The writer is closed
 *       with the context;
 *   <li>the health contributor {@code writerRedis} (a {@code PING} of the writer's Redis), part of the {@code readiness}
 *       group and not of {@code liveness};
 *   <li>defaults, overridable by the application's own properties: {@code /actuator/health} (with the {@code liveness}
 *       and {@code readiness} groups) and {@code /actuator/prometheus} exposed;
 *   <li>on Tomcat, encoded slashes ({@code %2F}) and backslashes ({@code %5C}) in paths are passed through undecoded
 *       instead of refused, because a key component may contain them. This applies to the whole server.
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@PropertySource("classpath:io/cistern/writer/http/writer-http-defaults.properties")
@Import(WriterDefaults.Selector.class)
public class WriterHttpConfiguration {

    @Bean
    WriteController cisternWriteController(
            RecordWriter writer, WriterHttpSettings settings, ObjectProvider<MeterRegistry> meters) {
        return new WriteController(
                writer, settings, new RequestMetrics(meters.getIfAvailable(() -> Metrics.globalRegistry), writer));
    }

    @Bean
    WriterRedisHealthIndicator writerRedisHealthIndicator(WriterSettings settings) {
        return new WriterRedisHealthIndicator(settings.redis());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.apache.catalina.connector.Connector")
    static class TomcatKeysWithSlashes {
        /**
         * Tomcat refuses {@code %2F} in a path by default (400); decoding it would split the key. Passed through, it
         * stays inside the key segment, which the controller reads from the raw URI.
         */
        @Bean
        TomcatConnectorCustomizer cisternEncodedSlashesPassThrough() {
            return connector -> {
                connector.setEncodedSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
                connector.setEncodedReverseSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
            };
        }
    }
}
