package io.cistern.reader.http;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReaderSettings;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DeferredImportSelector;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * The beans {@link ProxyHttpConfiguration} provides only when the application has none of its own, imported through a
 * {@link DeferredImportSelector} so the conditions see every configuration class of the application first.
 */
@Configuration(proxyBeanMethods = false)
class ProxyDefaults {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyDefaults.class);

    /** The variables the reader, its Redis and its database read; a Spring property of the same name overrides each. */
    private static final List<String> VARIABLES = List.of(
            "REDIS_URL",
            "REDIS_PASSWORD",
            "REDIS_PASSWORD_FILE",
            "REDIS_COMMAND_TIMEOUT_MS",
            "REDIS_CONNECT_TIMEOUT_MS",
            "DATABASE_URL",
            "DB_HOST",
            "DB_PORT",
            "DB_NAME",
            "DB_USER",
            "DB_PASSWORD",
            "DB_PASSWORD_FILE",
            "DB_SSL_MODE",
            "DB_SSL_ROOT_CERT",
            "DB_POOL_SIZE",
            "DB_STATEMENT_TIMEOUT_MS",
            "DB_POOLER",
            "CISTERN_PREFIX",
            "PROXY_LOCAL_CACHE_ENTRIES",
            "PROXY_LOCAL_CACHE_TTL_MS",
            "PROXY_NEGATIVE_CACHE_TTL_MS",
            "PROXY_REDIS_FILL_TTL_MS",
            "PROXY_MAX_CONCURRENT_FILLS",
            "PROXY_DATABASE_TIMEOUT_MS",
            "PROXY_MAX_BATCH_KEYS",
            ReadController.TOKEN,
            ReadController.TOKEN + "_FILE");

    static Map<String, String> variables(Environment environment) {
        Map<String, String> variables = new HashMap<>(System.getenv());
        for (String name : VARIABLES) {
            String value = environment.getProperty(name);
            if (value != null) {
                variables.put(name, value);
            }
        }
        return variables;
    }

    @Bean
    @ConditionalOnMissingBean
    ReaderSettings cisternReaderSettings(Environment environment) {
        ReaderSettings settings = ReaderSettings.fromEnvironment(variables(environment));
        LOG.info("read proxy: {}", settings);
        return settings;
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    CachedReader cisternCachedReader(
            ReaderSettings settings, Environment environment, ObjectProvider<MeterRegistry> meters) {
        Map<String, String> variables = variables(environment);
        RedisSettings redis = RedisSettings.fromEnvironment(variables);
        DatabaseSettings database = DatabaseSettings.fromEnvironment(variables);
        redis.warnings().forEach(w -> LOG.warn("read proxy Redis settings: {}", w));
        MeterRegistry registry = meters.getIfAvailable(() -> Metrics.globalRegistry);
        return OwningReader.open(settings, redis, database, registry);
    }

    static final class Selector implements DeferredImportSelector {
        @Override
        public String[] selectImports(AnnotationMetadata importingClassMetadata) {
            return new String[] {ProxyDefaults.class.getName()};
        }
    }
}
