package io.cistern.reader.http;

import io.cistern.connections.BearerTokenCheck;
import io.cistern.reader.CachedReader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.tomcat.util.buf.EncodedSolidusHandling;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.PropertySource;
import org.springframework.core.env.Environment;

/**
 * The HTTP read service as a Spring configuration: import it into a Spring Boot application (the standalone {@link
 * ProxyApiApplication} does, and so does the all-in-one launcher {@code ops/cistern up}). Import it, do not
 * component-scan this package.
 *
 * <p>It registers:
 *
 * <ul>
 *   <li>the read endpoints {@code GET /v1/tables/{table}/records/{id}} and {@code POST
 *       /v1/tables/{table}/records:get} ({@link ReadController}), counted in {@code cistern.proxy.requests}; with
 *       {@code CISTERN_READER_TOKEN} (or {@code CISTERN_READER_TOKEN_FILE}) set, each must carry {@code
 *       Authorization: Bearer <token>} (health and metrics need none);
 *   <li>a {@link CachedReader} (with its own Redis client and PostgreSQL pool, closed with the context) and its {@link
 *       io.cistern.reader.ReaderSettings}, each only when the application has none of its own. They come from the
 *       environment ({@code REDIS_URL}, {@code DATABASE_URL} or {@code DB_*}, {@code CISTERN_PREFIX}, {@code PROXY_*}),
 *       where a Spring property of the same name overrides the variable. The reader's meters ({@code
 *       cistern.proxy.*}) go to the application's {@link MeterRegistry};
 *   <li>the health contributor {@code proxyReader}: up while the reader's Redis connection tracks its keys (so its
 *       local cache is in use), part of the {@code readiness} group. PostgreSQL being down does not make the service
 *       unready: it still answers everything Redis and its local cache hold, and 503 for the rest;
 *   <li>defaults, overridable by the application: {@code /actuator/health} (with {@code liveness} and {@code
 *       readiness}) and {@code /actuator/prometheus} exposed;
 *   <li>on Tomcat, encoded slashes ({@code %2F}) and backslashes ({@code %5C}) in paths passed through undecoded, since
 *       a key component may contain them (the whole server).
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
@PropertySource("classpath:io/cistern/reader/http/proxy-http-defaults.properties")
@Import(ProxyDefaults.Selector.class)
public class ProxyHttpConfiguration {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyHttpConfiguration.class);

    @Bean
    ReadController cisternReadController(
            CachedReader reader, ObjectProvider<MeterRegistry> meters, Environment environment) {
        BearerTokenCheck auth = new BearerTokenCheck(
                BearerTokenCheck.tokenFromEnvironment(ProxyDefaults.variables(environment), ReadController.TOKEN),
                ReadController.TOKEN);
        LOG.info(
                "read endpoints: {}",
                auth.enabled()
                        ? "bearer token required (" + ReadController.TOKEN + ")"
                        : "no authentication (set " + ReadController.TOKEN + " to require a bearer token)");
        return new ReadController(reader, meters.getIfAvailable(() -> Metrics.globalRegistry), auth);
    }

    @Bean
    ReaderHealthIndicator proxyReaderHealthIndicator(CachedReader reader) {
        return new ReaderHealthIndicator(reader);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.apache.catalina.connector.Connector")
    static class TomcatReadKeysWithSlashes {
        /** Tomcat refuses {@code %2F} in a path by default (400); decoding it would split the key. */
        @Bean
        TomcatConnectorCustomizer cisternReaderEncodedSlashesPassThrough() {
            return connector -> {
                connector.setEncodedSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
                connector.setEncodedReverseSolidusHandling(EncodedSolidusHandling.PASS_THROUGH.getValue());
            };
        }
    }
}
