package io.cistern.writer.http;

import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.tomcat.util.buf.EncodedSolidusHandling;
import org.apache.tomcat.util.threads.VirtualThreadExecutor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatProtocolHandlerCustomizer;
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
 *       instead of refused, because a key component may contain them, and requests run on virtual threads. Both apply
 *       to the whole server.
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
    static class TomcatForWrites {
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

        /**
         * Each request on a virtual thread of its own instead of Tomcat's pool of up to 200 platform threads. A write
         * request blocks on its Redis reply ({@link RecordWriter#write}); a virtual thread parks there for the price of
         * a continuation, where a pool thread is an OS thread put to sleep and woken again, and where 100 busy
         * connections on two cores made the pool's threads contend for Tomcat's shared processor cache (measured with
         * {@code ops/cistern bench http}, docs/benchmarks.md "Issue 22: the HTTP ingest path"). Only this server's
         * request threads: Spring's own executors are left as the application configures them.
         */
        @Bean
        TomcatProtocolHandlerCustomizer<?> cisternVirtualThreadRequests() {
            return protocolHandler -> protocolHandler.setExecutor(new VirtualThreadExecutor("cistern-http-"));
        }
    }
}
